"""The DynamoDB metadata table: one item per file version and one per chunk.

Keys: pipeline_shared.keys (single-table design, documented in docs/data-contract.md).

Registration is a conditional write, so a replayed event cannot register a file twice; a file
whose earlier run failed may be registered again (that is how it is retried).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from pipeline_shared import aws
from pipeline_shared.keys import chunk_key, chunks_partition, file_key, typed
from pipeline_shared.retry import call_with_backoff, is_transient

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import ConditionCheckTypeDef, UpdateTypeDef

REGISTERED, RUNNING, PUBLISHING, SUCCEEDED, FAILED, REJECTED = (
    "REGISTERED",
    "RUNNING",
    "PUBLISHING",
    "SUCCEEDED",
    "FAILED",
    "REJECTED",
)


class RunEnded(RuntimeError):
    """The file's run ended (it was marked FAILED) while a chunk of it was still running."""


def ingest_id_for(bucket: str, key: str, etag: str) -> str:
    """Deterministic: retries of the same file version compute the same id."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"s3://{bucket}/{key}#{etag}"))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


_serializer, _deserializer = TypeSerializer(), TypeDeserializer()


def _attr(value: Any) -> Any:
    return _serializer.serialize(value)


def _plain(attribute: Any) -> Any:
    """A DynamoDB attribute as plain Python (whole numbers as int)."""
    value = _deserializer.deserialize(attribute)
    return _integers(value)


def _integers(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _integers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integers(v) for v in value]
    return value


@dataclass(frozen=True)
class Registration:
    ingest_id: str
    created: bool  # False: this file version was already registered (a replay)
    status: str


class MetadataTable:
    def __init__(self, table_name: str) -> None:
        self.name = table_name

    def register_file(
        self, *, bucket: str, key: str, etag: str, attributes: Mapping[str, Any]
    ) -> Registration:
        ingest_id = ingest_id_for(bucket, key, etag)
        item = {
            **file_key(bucket, key, etag),
            "ingest_id": ingest_id,
            "status": REGISTERED,
            "created_at": _now(),
            **attributes,
        }
        try:
            call_with_backoff(
                lambda: aws.dynamodb().put_item(
                    TableName=self.name,
                    Item={k: _attr(v) for k, v in item.items()},
                    ConditionExpression="attribute_not_exists(pk) OR #status = :failed",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={":failed": {"S": FAILED}},
                )
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            existing = self.get_file(bucket=bucket, key=key, etag=etag) or {}
            return Registration(
                ingest_id, created=False, status=str(existing.get("status", "UNKNOWN"))
            )
        return Registration(ingest_id, created=True, status=REGISTERED)

    def get_file(self, *, bucket: str, key: str, etag: str) -> dict[str, Any] | None:
        response = call_with_backoff(
            lambda: aws.dynamodb().get_item(
                TableName=self.name,
                Key=typed(file_key(bucket, key, etag)),
                ConsistentRead=True,
            )
        )
        item = response.get("Item")
        return None if item is None else {k: _plain(v) for k, v in item.items()}

    def update_file(self, *, bucket: str, key: str, etag: str, values: Mapping[str, Any]) -> None:
        self._update(file_key(bucket, key, etag), values)

    def put_chunk(self, *, ingest_id: str, index: int, values: Mapping[str, Any]) -> None:
        self._update(chunk_key(ingest_id, index), values)

    def put_chunk_while_registered(
        self,
        *,
        file: tuple[str, str, str],
        ingest_id: str,
        index: int,
        values: Mapping[str, Any],
    ) -> None:
        """put_chunk, in one transaction with a check that the file (bucket, key, etag) is
        still REGISTERED, i.e. its run has not been failed. Raises :class:`RunEnded` if it has.
        Chunks publish between two such writes, so the failure path, which marks the file
        FAILED before withdrawing what chunk records list, cannot miss an output."""
        bucket, key, etag = file
        update = self._update_request(chunk_key(ingest_id, index), values)
        check: ConditionCheckTypeDef = {
            "TableName": self.name,
            "Key": typed(file_key(bucket, key, etag)),
            "ConditionExpression": "#status = :registered",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {":registered": {"S": REGISTERED}},
        }
        try:
            call_with_backoff(
                lambda: aws.dynamodb().transact_write_items(
                    TransactItems=[
                        {"ConditionCheck": check},
                        {"Update": cast("UpdateTypeDef", update)},
                    ]
                ),
                retry_on=_transient_or_conflict,
            )
        except ClientError as error:
            reasons = error.response.get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                raise RunEnded(
                    f"s3://{bucket}/{key} (etag {etag}) is no longer REGISTERED: its run "
                    f"{ingest_id} was failed while chunk {index} ran"
                ) from None
            raise

    def delete_chunk(self, *, ingest_id: str, index: int) -> None:
        """Drop a chunk record: its chunk was absorbed into a regrouped one (finalize)."""
        call_with_backoff(
            lambda: aws.dynamodb().delete_item(
                TableName=self.name, Key=typed(chunk_key(ingest_id, index))
            )
        )

    def chunks(self, ingest_id: str) -> list[dict[str, Any]]:
        """Every chunk record of a run, in chunk order."""
        items: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :chunk)",
            "ExpressionAttributeValues": {
                ":pk": {"S": chunks_partition(ingest_id)},
                ":chunk": {"S": "CHUNK#"},
            },
            "ConsistentRead": True,
        }
        while True:
            page = call_with_backoff(lambda: aws.dynamodb().query(**request))
            items += [{k: _plain(v) for k, v in item.items()} for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return items
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _update(self, key: Mapping[str, str], values: Mapping[str, Any]) -> None:
        request = self._update_request(key, values)
        call_with_backoff(lambda: aws.dynamodb().update_item(**request))

    def _update_request(self, key: Mapping[str, str], values: Mapping[str, Any]) -> dict[str, Any]:
        """An UpdateItem (or transaction Update) that SETs ``values`` and ``updated_at``."""
        values = {**values, "updated_at": _now()}
        return {
            "TableName": self.name,
            "Key": typed(key),
            "UpdateExpression": "SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(values))),
            "ExpressionAttributeNames": {f"#a{i}": name for i, name in enumerate(values)},
            "ExpressionAttributeValues": {
                f":v{i}": _attr(v) for i, v in enumerate(values.values())
            },
        }


def _transient_or_conflict(error: BaseException) -> bool:
    """A transaction cancelled only because another one touched the same items is retried,
    like throttling; a failed condition is an answer, not a transient error."""
    if isinstance(error, ClientError) and error.response["Error"]["Code"] == (
        "TransactionCanceledException"
    ):
        reasons = error.response.get("CancellationReasons") or []
        return any(r.get("Code") == "TransactionConflict" for r in reasons) and not any(
            r.get("Code") == "ConditionalCheckFailed" for r in reasons
        )
    return is_transient(error)

"""The DynamoDB metadata table: one item per file version and one per chunk.

Keys (single-table design, documented in docs/data-contract.md):
- file:  pk = ``FILE#<bucket>/<key>``, sk = ``ETAG#<etag>``
- chunk: pk = ``INGEST#<ingest_id>``, sk = ``CHUNK#<index:05d>``

Registration is a conditional write, so a replayed event cannot register a file twice; a file
whose earlier run failed may be registered again (that is how it is retried).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from pipeline_shared import aws
from pipeline_shared.retry import call_with_backoff

REGISTERED, RUNNING, SUCCEEDED, FAILED, REJECTED = (
    "REGISTERED",
    "RUNNING",
    "SUCCEEDED",
    "FAILED",
    "REJECTED",
)


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
            "pk": f"FILE#{bucket}/{key}",
            "sk": f"ETAG#{etag}",
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
                Key={"pk": {"S": f"FILE#{bucket}/{key}"}, "sk": {"S": f"ETAG#{etag}"}},
                ConsistentRead=True,
            )
        )
        item = response.get("Item")
        return None if item is None else {k: _plain(v) for k, v in item.items()}

    def update_file(self, *, bucket: str, key: str, etag: str, values: Mapping[str, Any]) -> None:
        self._update({"pk": f"FILE#{bucket}/{key}", "sk": f"ETAG#{etag}"}, values)

    def put_chunk(self, *, ingest_id: str, index: int, values: Mapping[str, Any]) -> None:
        self._update({"pk": f"INGEST#{ingest_id}", "sk": f"CHUNK#{index:05d}"}, values)

    def chunks(self, ingest_id: str) -> list[dict[str, Any]]:
        """Every chunk record of a run, in chunk order."""
        items: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :chunk)",
            "ExpressionAttributeValues": {
                ":pk": {"S": f"INGEST#{ingest_id}"},
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
        values = {**values, "updated_at": _now()}
        names = {f"#a{i}": name for i, name in enumerate(values)}
        call_with_backoff(
            lambda: aws.dynamodb().update_item(
                TableName=self.name,
                Key={k: {"S": v} for k, v in key.items()},
                UpdateExpression="SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(values))),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={
                    f":v{i}": _attr(v) for i, v in enumerate(values.values())
                },
            )
        )

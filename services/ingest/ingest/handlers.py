"""Lambda entry points of the ingest service (thin: parse, call the logic, return)."""

from __future__ import annotations

import functools
from functools import partial
from typing import Any, BinaryIO

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from ingest.cross_chunk import remove_cross_chunk_duplicates
from ingest.finalize import finalize_run, record_failure
from ingest.plan import ingest_object
from ingest.settings import Settings
from pipeline_shared import aws
from pipeline_shared.metadata import MetadataTable
from pipeline_shared.observability import logger, metrics
from pipeline_shared.retry import call_with_backoff
from pipeline_shared.s3_delete import delete_keys
from pipeline_shared.s3_stream import S3RangeReader


@functools.cache
def settings() -> Settings:
    """Read once per cold start; a bad value fails the first invocation, loudly."""
    return Settings.from_env()


@logger.inject_lambda_context
@metrics.log_metrics
def ingest_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Input: the S3 "Object Created" event as EventBridge delivers it."""
    detail = EventBridgeEvent(event).detail
    try:
        bucket, obj = detail["bucket"]["name"], detail["object"]
        key, size, etag = obj["key"], int(obj["size"]), obj.get("etag", "")
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(
            f"not an S3 Object Created event (missing {error}): {str(event)[:500]}"
        ) from None
    return ingest_object(bucket=bucket, key=key, size=size, etag=etag, settings=settings())


@logger.inject_lambda_context
@metrics.log_metrics
def finalize_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Input: ``{"plan": <ingest output>}`` once the chunks ran (their records hold what they
    did), or ``{"failure": <the failed execution's state>}`` on the workflow's failure path."""
    table = MetadataTable(settings().metadata_table)
    if "failure" in event:
        return record_failure(
            event["failure"], table=table, withdraw=partial(_withdraw_outputs, table)
        )
    try:
        plan = event["plan"]
    except KeyError as error:
        raise ValueError(f"finalize input lacks {error}: expected the plan") from None
    config = settings()
    if config.processed_bucket is None:
        raise ValueError(
            "PROCESSED_BUCKET is not set: the finalize function removes cross-chunk duplicates there"
        )
    bucket = config.processed_bucket

    def open_output(key: str) -> BinaryIO:
        """A seekable reader: Parquet reads fetch the footer and the columns they need."""
        head = call_with_backoff(lambda: aws.s3().head_object(Bucket=bucket, Key=key))
        return S3RangeReader(  # type: ignore[return-value]
            bucket=bucket, key=key, start=0, end=int(head["ContentLength"]), etag=head["ETag"]
        )

    def write(key: str, data: bytes) -> None:
        call_with_backoff(lambda: aws.s3().put_object(Bucket=bucket, Key=key, Body=data))

    return finalize_run(
        plan,
        table=table,
        dedupe=partial(
            remove_cross_chunk_duplicates,
            open_output=open_output,
            write=write,
            max_rows=config.cross_chunk_max_rows,
        ),
        withdraw=partial(_withdraw_chunk_outputs, ingest_id=str(plan["ingest_id"])),
        max_chunk_bytes=config.max_chunk_bytes,
    )


def _withdraw_outputs(table: MetadataTable, ingest_id: str) -> int:
    """Delete what a run's chunks published (their records list it); the count deleted."""
    return _withdraw_chunk_outputs(table.chunks(ingest_id), ingest_id=ingest_id)


def _withdraw_chunk_outputs(chunks: list[dict[str, Any]], *, ingest_id: str) -> int:
    """Delete what these chunk records list as published; the count deleted."""
    config = settings()
    deleted = 0
    for bucket, field in (
        (config.processed_bucket, "outputs"),
        (config.quarantine_bucket, "quarantine_outputs"),
    ):
        keys = {str(k) for chunk in chunks for k in chunk.get(field) or []}
        if not keys:
            continue
        if bucket is None:
            raise ValueError(
                f"cannot withdraw {len(keys)} {field} of run {ingest_id}: set PROCESSED_BUCKET "
                "and QUARANTINE_BUCKET on the finalize function"
            )
        deleted += delete_keys(bucket, keys)
    return deleted

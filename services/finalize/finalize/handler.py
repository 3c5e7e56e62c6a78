"""Lambda entry point: a run whose chunks ran in, its summary (or the chunks to read again)
out; on the workflow's failure path, the file marked FAILED and its outputs withdrawn."""

from __future__ import annotations

import functools
from functools import partial
from typing import Any, BinaryIO

from aws_lambda_powertools.utilities.typing import LambdaContext

from finalize.cross_chunk import remove_cross_chunk_duplicates
from finalize.run import finalize_run, record_failure
from finalize.settings import Settings
from pipeline_shared import aws
from pipeline_shared.metadata import MetadataTable
from pipeline_shared.observability import lambda_entry
from pipeline_shared.retry import call_with_backoff
from pipeline_shared.s3_delete import delete_keys
from pipeline_shared.s3_stream import S3RangeReader

# Read once per cold start; a bad value fails the first invocation, loudly.
settings = functools.cache(Settings.from_env)


@lambda_entry
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Input: ``{"plan": <ingest output>}`` once the chunks ran (their records hold what they
    did), or ``{"failure": <the failed execution's state>}`` on the workflow's failure path."""
    config = settings()
    table = MetadataTable(config.metadata_table)
    if "failure" in event:
        return record_failure(
            event["failure"], table=table, withdraw=partial(_withdraw_outputs, table)
        )
    try:
        plan = event["plan"]
    except KeyError as error:
        raise ValueError(f"finalize input lacks {error}: expected the plan") from None
    bucket = config.buckets.processed

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
        withdraw=_withdraw_chunk_outputs,
        max_chunk_bytes=config.max_chunk_bytes,
    )


def _withdraw_outputs(table: MetadataTable, ingest_id: str) -> int:
    """Delete what a run's chunks published (their records list it); the count deleted."""
    return _withdraw_chunk_outputs(table.chunks(ingest_id))


def _withdraw_chunk_outputs(chunks: list[dict[str, Any]]) -> int:
    """Delete what these chunk records list as published; the count deleted."""
    buckets = settings().buckets
    deleted = 0
    for bucket, field in (
        (buckets.processed, "outputs"),
        (buckets.quarantine, "quarantine_outputs"),
    ):
        keys = {str(k) for chunk in chunks for k in chunk.get(field) or []}
        if keys:
            deleted += delete_keys(bucket, keys)
    return deleted

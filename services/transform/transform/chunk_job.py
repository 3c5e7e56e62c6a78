"""Run the transform on one chunk stored in S3 and publish its outputs (domain -> data access)."""

from __future__ import annotations

import gzip
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import BinaryIO

from pipeline_shared import aws
from pipeline_shared.contract import FileRejected
from pipeline_shared.metadata import (
    FAILED,
    PUBLISHING,
    REJECTED,
    RUNNING,
    SUCCEEDED,
    MetadataTable,
    RunEnded,
)
from pipeline_shared.observability import MetricUnit, logger, metrics
from pipeline_shared.retry import call_with_backoff
from pipeline_shared.s3_delete import delete_keys
from pipeline_shared.s3_stream import S3RangeReader
from transform.engine import ChunkContext, transform_stream
from transform.models import ChunkSummary, ChunkTask
from transform.settings import Settings


def run_chunk(task: ChunkTask, settings: Settings) -> ChunkSummary:
    """Transform the chunk, then publish it between two conditional writes (see
    :meth:`MetadataTable.put_chunk_while_registered`): the first lists the outputs before any
    is uploaded, the second marks the chunk SUCCEEDED. If the file's run was failed meanwhile
    the chunk uploads nothing, or deletes what it uploaded: a failed file leaves no data."""
    table = MetadataTable(settings.metadata_table)
    put_chunk = partial(table.put_chunk, ingest_id=task.ingest_id, index=task.chunk_index)
    while_registered = partial(
        table.put_chunk_while_registered,
        file=(task.bucket, task.key, task.etag),
        ingest_id=task.ingest_id,
        index=task.chunk_index,
    )
    put_chunk(values={"status": RUNNING, "start": task.start, "end": task.end})
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(dir=settings.work_dir) as work:
            summary = _transform(task, settings, Path(work))
            published = {
                settings.buckets.processed: summary.outputs,
                settings.buckets.quarantine: summary.quarantine_outputs,
            }
            while_registered(
                values={
                    "status": PUBLISHING,
                    "outputs": summary.outputs,
                    "quarantine_outputs": summary.quarantine_outputs,
                }
            )
            for bucket, keys in published.items():
                _upload(Path(work), keys, bucket)
        try:
            while_registered(
                values={"status": SUCCEEDED, **summary.to_dict(), "reasons": dict(summary.reasons)}
            )
        except RunEnded:
            for bucket, keys in published.items():
                delete_keys(bucket, keys)
            raise
    except FileRejected as error:
        put_chunk(values={"status": REJECTED, "reason": str(error)})
        raise
    except Exception as error:
        # Outputs it may have uploaded stay listed on the record: the failure path withdraws them.
        put_chunk(values={"status": FAILED, "reason": f"{type(error).__name__}: {error}"[:1000]})
        raise
    elapsed_ms = (time.perf_counter() - started) * 1000
    _emit_metrics(summary, elapsed_ms)
    logger.info(
        "chunk transformed",
        extra={
            "chunk": task.chunk_index,
            "summary": summary.to_dict(),
            "elapsed_ms": round(elapsed_ms),
        },
    )
    return summary


def _transform(task: ChunkTask, settings: Settings, work: Path) -> ChunkSummary:
    # A chunk after the first is read from one byte early: the cut must follow an LF (the chain
    # check, docs/data-contract.md, relies on it).
    early = 1 if task.start > 0 else 0
    stream: BinaryIO = S3RangeReader(  # type: ignore[assignment]
        bucket=task.bucket, key=task.key, start=task.start - early, end=task.end, etag=task.etag
    )
    if early and stream.read(1) != b"\n":
        raise ValueError(
            f"chunk {task.chunk_index} of s3://{task.bucket}/{task.key} starts at byte "
            f"{task.start}, which does not follow an LF: the chunk plan is wrong"
        )
    if task.compression == "gzip":
        stream = gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[assignment]
    context = ChunkContext(
        source=task.source,
        ingest_id=task.ingest_id,
        chunk_index=task.chunk_index,
        source_object=f"s3://{task.bucket}/{task.key}",
        chunk_start=task.start,
    )
    # Chunks after the first start mid-file: they get the header the ingest plan read.
    header = task.header.encode() + b"\n" if task.start > 0 else None
    with stream:
        try:
            return transform_stream(
                stream, context=context, out_dir=work, header_line=header, limits=settings.limits
            )
        except (OSError, EOFError) as error:
            if task.compression == "gzip":
                raise FileRejected(
                    f"s3://{task.bucket}/{task.key} is not a valid gzip file: {error}"
                ) from None
            raise


def _upload(root: Path, keys: list[str], bucket: str) -> None:
    for key in keys:
        path = str(root / key)
        call_with_backoff(partial(aws.s3().upload_file, path, bucket, key))


def _emit_metrics(summary: ChunkSummary, elapsed_ms: float) -> None:
    metrics.add_metric(name="RowsRead", unit=MetricUnit.Count, value=summary.rows_read)
    metrics.add_metric(name="RowsWritten", unit=MetricUnit.Count, value=summary.rows_written)
    metrics.add_metric(
        name="RowsQuarantined", unit=MetricUnit.Count, value=summary.rows_quarantined
    )
    metrics.add_metric(name="DuplicateRows", unit=MetricUnit.Count, value=summary.duplicates)
    metrics.add_metric(name="BytesProcessed", unit=MetricUnit.Bytes, value=summary.bytes_read)
    metrics.add_metric(name="ChunkLatency", unit=MetricUnit.Milliseconds, value=elapsed_ms)

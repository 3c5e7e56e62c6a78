"""Register a new raw object once and plan its chunks (domain logic over the data-access layer)."""

from __future__ import annotations

from typing import Any

from ingest.chunking import plan_chunks
from ingest.inspection import RawObject, check_object, read_header
from ingest.settings import Settings
from pipeline_shared import aws
from pipeline_shared.contract import MAX_HEADER_BYTES, FileRejected
from pipeline_shared.metadata import REJECTED, MetadataTable, ingest_id_for
from pipeline_shared.observability import MetricUnit, logger, metrics
from pipeline_shared.retry import call_with_backoff


def _read_range(obj: RawObject, start: int, end: int) -> bytes:
    response = call_with_backoff(
        lambda: aws.s3().get_object(
            Bucket=obj.bucket, Key=obj.key, Range=f"bytes={start}-{end - 1}", IfMatch=obj.etag
        )
    )
    return response["Body"].read()


def ingest_object(
    *, bucket: str, key: str, size: int, etag: str, settings: Settings
) -> dict[str, Any]:
    """The run plan Step Functions follows: accepted (with chunks), duplicate, or rejected."""
    table = MetadataTable(settings.metadata_table)
    etag = etag.strip('"')
    base: dict[str, Any] = {"bucket": bucket, "key": key, "etag": etag, "size": size}
    try:
        obj = check_object(
            bucket=bucket, key=key, size=size, etag=etag, max_bytes=settings.max_file_bytes
        )
        header = read_header(_read_range(obj, 0, min(size, MAX_HEADER_BYTES + 1)), obj)
    except FileRejected as error:
        ingest_id = ingest_id_for(bucket, key, etag)
        table.update_file(
            bucket=bucket,
            key=key,
            etag=etag,
            values={"status": REJECTED, "reason": str(error), "ingest_id": ingest_id, "size": size},
        )
        metrics.add_metric(name="FilesRejected", unit=MetricUnit.Count, value=1)
        logger.warning("file rejected", extra={"key": key, "reason": str(error)})
        return {"status": "rejected", "ingest_id": ingest_id, "reason": str(error), **base}

    registration = table.register_file(
        bucket=bucket,
        key=key,
        etag=obj.etag,
        attributes={"size": size, "source": obj.source, "compression": obj.compression},
    )
    plan = {
        "ingest_id": registration.ingest_id,
        "source": obj.source,
        "compression": obj.compression,
        **base,
    }
    if not registration.created:
        metrics.add_metric(name="FilesDuplicate", unit=MetricUnit.Count, value=1)
        logger.info(
            "replayed event: file already registered",
            extra={"key": key, "status": registration.status},
        )
        return {"status": "duplicate", "previous_status": registration.status, **plan}

    if obj.compression == "gzip":
        ranges = [(0, size)]  # a gzip stream cannot be entered mid-way
    else:
        ranges = plan_chunks(
            size=size,
            data_start=header.data_start,
            chunk_bytes=settings.chunk_bytes,
            field_count=len(header.names),
            read_window=lambda start, end: _read_range(obj, start, end),
            window_bytes=settings.boundary_window_bytes,
        )
    chunks = [{"index": i, "start": start, "end": end} for i, (start, end) in enumerate(ranges)]
    table.update_file(bucket=bucket, key=key, etag=obj.etag, values={"chunk_count": len(chunks)})
    metrics.add_metric(name="FilesAccepted", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ChunksPlanned", unit=MetricUnit.Count, value=len(chunks))
    return {
        "status": "accepted",
        "header": header.line.decode().rstrip("\n"),
        "chunks": chunks,
        **plan,
    }

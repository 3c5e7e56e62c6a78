"""Ingest, transform every planned chunk, finalize: in-process against moto, as Step Functions
would run them. Checks the replay, rejection and accounting guarantees end to end."""

from __future__ import annotations

import gzip
import io
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from testkit.aws import REGION, Resources
from testkit.lambda_context import lambda_context
from testkit.synthetic import write_transactions

import finalize.handler
import ingest.handler
import transform.handler
from ingest.tests.lambda_path import object_created, published, run_workflow
from pipeline_shared.metadata import MetadataTable


@pytest.fixture
def handlers(pipeline_aws: Resources, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("CHUNK_BYTES", str(1 << 20))  # the 1 MiB minimum: several chunks per file
    ingest.handler.settings.cache_clear()
    transform.handler.settings.cache_clear()
    finalize.handler.settings.cache_clear()
    return ingest.handler, transform.handler, finalize.handler


@pytest.mark.parametrize(
    "name",
    [
        "day.csv",  # several chunks, in parallel
        "day.csv.gz",  # one chunk, written in several parts
    ],
)
def test_a_large_file_is_processed_once_and_balances(
    pipeline_aws: Resources, handlers: Any, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    # The 1 MiB minimums: parse blocks, and held rows written as a part.
    monkeypatch.setenv("CSV_BLOCK_BYTES", str(1 << 20))
    monkeypatch.setenv("MAX_RECORD_BYTES", str(64 << 10))
    monkeypatch.setenv("PART_BYTES", str(1 << 20))
    transform.handler.settings.cache_clear()
    text = io.StringIO()
    generated = write_transactions(
        text,
        target_bytes=3_500_000,
        seed=3,
        defect_rate=0.01,
        duplicate_rate=0.01,
        wrong_field_rate=0.002,
    )
    body = text.getvalue().encode()
    key = f"raw/bank/2024/05/01/{name}"
    event = object_created(pipeline_aws, key, gzip.compress(body) if name.endswith(".gz") else body)
    summary = run_workflow(event)
    assert summary["status"] == "SUCCEEDED"
    outputs, _ = published(pipeline_aws, summary["ingest_id"])
    if name.endswith(".gz"):
        assert summary["chunks"] == 1 and any("-p0002" in o for o in outputs)
    else:
        assert summary["chunks"] >= 3
    assert summary["cross_chunk_duplicates_checked"] is True
    assert summary["rows_read"] == generated.rows
    assert summary["rows_written"] == generated.valid
    assert summary["duplicates"] == generated.duplicates  # across chunks too
    assert (
        summary["rows_quarantined"] == sum(generated.defects.values()) + generated.wrong_field_count
    )
    s3 = boto3.client("s3", region_name=REGION)
    ids: list[str] = []
    for output in outputs:
        body = s3.get_object(Bucket=pipeline_aws.processed_bucket, Key=output)["Body"].read()
        ids += (
            pq.read_table(pa.BufferReader(body), columns=["transaction_id"]).column(0).to_pylist()
        )
    assert len(ids) == len(set(ids)) == generated.valid
    record = MetadataTable(pipeline_aws.metadata_table).get_file(
        bucket=pipeline_aws.raw_bucket,
        key=key,
        etag=event["detail"]["object"]["etag"],
    )
    assert (
        record is not None
        and record["status"] == "SUCCEEDED"
        and record["rows_written"] == generated.valid
    )

    replay = run_workflow(event)
    assert replay["status"] == "duplicate" and replay["previous_status"] == "SUCCEEDED"


def test_a_failed_run_withdraws_what_its_chunks_published(
    pipeline_aws: Resources, handlers: Any
) -> None:
    ingest, transform, finalize = handlers
    text = io.StringIO()
    write_transactions(text, target_bytes=2_500_000, seed=4, defect_rate=0.01)
    event = object_created(pipeline_aws, "raw/bank/2024/05/01/f.csv", text.getvalue().encode())
    plan = ingest.lambda_handler(event, lambda_context("fn-test"))
    item = {k: plan[k] for k in ("bucket", "key", "etag", "ingest_id", "source", "header")}
    for chunk in plan["chunks"][:-1]:  # the last chunk "fails": its Map iteration never returns
        transform.lambda_handler({**item, "chunk": chunk}, lambda_context("fn-test"))
    s3 = boto3.client("s3", region_name=REGION)

    def stored(bucket: str) -> int:
        return int(s3.list_objects_v2(Bucket=bucket)["KeyCount"])

    published = stored(pipeline_aws.processed_bucket) + stored(pipeline_aws.quarantine_bucket)
    assert published >= 2
    failure = {"plan": {"value": plan}, "error": {"Error": "States.TaskFailed", "Cause": "boom"}}
    result = finalize.lambda_handler({"failure": failure}, lambda_context("fn-test"))
    assert result["recorded"] is True and result["outputs_withdrawn"] == published
    assert stored(pipeline_aws.processed_bucket) == stored(pipeline_aws.quarantine_bucket) == 0
    again = finalize.lambda_handler(
        {"failure": failure}, lambda_context("fn-test")
    )  # a retried failure path
    assert again["recorded"] is False and again["outputs_withdrawn"] == published
    record = MetadataTable(pipeline_aws.metadata_table).get_file(
        bucket=pipeline_aws.raw_bucket, key="raw/bank/2024/05/01/f.csv", etag=plan["etag"]
    )
    assert record is not None and record["status"] == "FAILED" and "boom" in record["reason"]


def test_rejected_file_is_recorded_and_nothing_written(
    pipeline_aws: Resources, handlers: Any
) -> None:
    event = object_created(pipeline_aws, "raw/bank/2024/05/01/bad.csv", b"id,value\n1,2\n")
    result = run_workflow(event)
    assert result["status"] == "rejected" and "lacks required column" in result["reason"]
    record = MetadataTable(pipeline_aws.metadata_table).get_file(
        bucket=pipeline_aws.raw_bucket,
        key="raw/bank/2024/05/01/bad.csv",
        etag=event["detail"]["object"]["etag"],
    )
    assert record is not None and record["status"] == "REJECTED"
    assert (
        boto3.client("s3", region_name=REGION).list_objects_v2(
            Bucket=pipeline_aws.processed_bucket
        )["KeyCount"]
        == 0
    )


def test_a_failed_file_can_be_registered_again(pipeline_aws: Resources, handlers: Any) -> None:
    table = MetadataTable(pipeline_aws.metadata_table)
    first = table.register_file(bucket="raw", key="k", etag="e", attributes={})
    assert (
        first.created
        and not table.register_file(bucket="raw", key="k", etag="e", attributes={}).created
    )
    table.update_file(bucket="raw", key="k", etag="e", values={"status": "FAILED"})
    again = table.register_file(bucket="raw", key="k", etag="e", attributes={})
    assert again.created and again.ingest_id == first.ingest_id


def test_not_an_s3_event_is_a_clear_error(handlers: Any) -> None:
    ingest, _, _ = handlers
    with pytest.raises(ValueError, match="not an S3 Object Created event"):
        ingest.lambda_handler({"detail": {}}, lambda_context("fn-test"))


def test_failure_path_marks_a_registered_file_failed_only(
    pipeline_aws: Resources, handlers: Any
) -> None:
    ingest, _, finalize = handlers
    table = MetadataTable(pipeline_aws.metadata_table)
    table.register_file(bucket="raw", key="raw/b/2024/05/01/a.csv", etag="e1", attributes={})
    state = {
        "detail": {
            "bucket": {"name": "raw"},
            "object": {"key": "raw/b/2024/05/01/a.csv", "etag": "e1"},
        },
        "error": {"Error": "Lambda.Unknown", "Cause": "out of memory"},
    }
    assert (
        finalize.lambda_handler({"failure": state}, lambda_context("fn-test"))["recorded"] is True
    )
    record = table.get_file(bucket="raw", key="raw/b/2024/05/01/a.csv", etag="e1")
    assert (
        record is not None and record["status"] == "FAILED" and "out of memory" in record["reason"]
    )
    # Already FAILED (or SUCCEEDED, REJECTED): left as it is.
    assert (
        finalize.lambda_handler({"failure": state}, lambda_context("fn-test"))["recorded"] is False
    )

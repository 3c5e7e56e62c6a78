"""The transform Lambda against S3 and DynamoDB emulated by moto, in-process."""

from __future__ import annotations

from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from testkit.aws import REGION, Resources, inject_errors
from testkit.lambda_context import lambda_context

import transform.handler
from pipeline_shared import aws
from pipeline_shared.contract import FileRejected
from pipeline_shared.metadata import FAILED, MetadataTable, RunEnded
from pipeline_shared.retry import RetriesExhausted
from transform.tests.helpers import GOOD, HEADER

KEY = "raw/bank/2024/05/01/day.csv"


def _handler() -> Any:
    transform.handler.settings.cache_clear()
    return transform.handler.lambda_handler


def _event(res: Resources, data: bytes, **overrides: Any) -> dict[str, Any]:
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_object(Bucket=res.raw_bucket, Key=KEY, Body=data)
    etag = s3.head_object(Bucket=res.raw_bucket, Key=KEY)["ETag"].strip('"')
    # Ingest registered the file: chunks publish only while it is REGISTERED.
    MetadataTable(res.metadata_table).register_file(
        bucket=res.raw_bucket, key=KEY, etag=etag, attributes={}
    )
    return {
        "bucket": res.raw_bucket,
        "key": KEY,
        "etag": etag,
        "ingest_id": "ing-1",
        "source": "bank",
        "header": HEADER,
        "chunk": {"index": 0, "start": 0, "end": len(data)},
    } | overrides


def test_chunk_is_written_to_s3_and_recorded(pipeline_aws: Resources) -> None:
    data = f"{HEADER}\n{GOOD}\n{GOOD}\nbad,row\n".encode()
    result = _handler()(_event(pipeline_aws, data), lambda_context("transform-test"))
    assert (result["rows_written"], result["duplicates"], result["rows_quarantined"]) == (1, 1, 1)
    assert "outputs" not in result  # counts only: the record lists the outputs
    s3 = boto3.client("s3", region_name=REGION)
    record = MetadataTable(pipeline_aws.metadata_table).chunks("ing-1")[0]
    (key,) = record["outputs"]
    body = s3.get_object(Bucket=pipeline_aws.processed_bucket, Key=key)["Body"].read()
    table = pq.read_table(pa.BufferReader(body))
    assert table.column("transaction_id").to_pylist() == ["tx-1"]
    quarantine = s3.get_object(
        Bucket=pipeline_aws.quarantine_bucket, Key=record["quarantine_outputs"][0]
    )
    assert b'"line_number": 4' in quarantine["Body"].read()
    item = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=pipeline_aws.metadata_table,
        Key={"pk": {"S": "INGEST#ing-1"}, "sk": {"S": "CHUNK#00000"}},
    )["Item"]
    assert item["status"]["S"] == "SUCCEEDED" and item["rows_read"]["N"] == "3"


def test_second_chunk_gets_the_header_from_the_plan(pipeline_aws: Resources) -> None:
    first = f"{HEADER}\n{GOOD}\n".encode()
    second = GOOD.replace("tx-1", "tx-2").encode() + b"\n"
    event = _event(
        pipeline_aws,
        first + second,
        chunk={"index": 1, "start": len(first), "end": len(first) + len(second)},
    )
    result = _handler()(event, lambda_context("transform-test"))
    assert result["rows_read"] == 1 and result["rows_written"] == 1


def test_throttling_on_s3_and_dynamodb_is_retried_then_succeeds(
    pipeline_aws: Resources, recorded_sleeps: list[float]
) -> None:
    event = _event(pipeline_aws, f"{HEADER}\n{GOOD}\n".encode())
    handler = _handler()
    s3_failures = inject_errors(aws.s3(), "GetObject", code="SlowDown", status=503, times=4)
    ddb_failures = inject_errors(
        aws.dynamodb(),
        "UpdateItem",
        code="ProvisionedThroughputExceededException",
        status=400,
        times=4,
    )
    result = handler(event, lambda_context("transform-test"))
    assert result["rows_written"] == 1
    assert len(s3_failures) == 4 and len(ddb_failures) == 4
    # Every failed attempt was followed by a backoff wait (botocore's, then ours).
    assert len(recorded_sleeps) >= 8 and all(0 <= s <= 20 for s in recorded_sleeps)


def test_retries_exhausted_raise_a_named_error(
    pipeline_aws: Resources, recorded_sleeps: list[float]
) -> None:
    event = _event(pipeline_aws, f"{HEADER}\n{GOOD}\n".encode())
    handler = _handler()
    inject_errors(aws.s3(), "GetObject", code="SlowDown", status=503, times=1000)
    with pytest.raises(RetriesExhausted, match="gave up after"):
        handler(event, lambda_context("transform-test"))
    item = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=pipeline_aws.metadata_table,
        Key={"pk": {"S": "INGEST#ing-1"}, "sk": {"S": "CHUNK#00000"}},
    )["Item"]
    assert item["status"]["S"] == "FAILED" and "RetriesExhausted" in item["reason"]["S"]


def test_a_failed_upload_records_the_outputs_to_withdraw(
    pipeline_aws: Resources, recorded_sleeps: list[float]
) -> None:
    # Uploads fail for good (some could have gone up first): the chunk record names every
    # output, so the failure path can withdraw them.
    event = _event(pipeline_aws, f"{HEADER}\n{GOOD}\n{GOOD.replace('USD', 'ZZZ')}\n".encode())
    handler = _handler()
    inject_errors(aws.s3(), "PutObject", code="SlowDown", status=503, times=1000)
    with pytest.raises(RetriesExhausted):
        handler(event, lambda_context("transform-test"))
    item = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=pipeline_aws.metadata_table,
        Key={"pk": {"S": "INGEST#ing-1"}, "sk": {"S": "CHUNK#00000"}},
    )["Item"]
    assert item["status"]["S"] == "FAILED"
    assert [o["S"] for o in item["outputs"]["L"]] == [
        "processed/bank/dt=2024-05-01/ing-1-c00000.parquet"
    ]
    assert len(item["quarantine_outputs"]["L"]) == 1


def _stored(res: Resources) -> list[str]:
    s3 = boto3.client("s3", region_name=REGION)
    return [
        o["Key"]
        for bucket in (res.processed_bucket, res.quarantine_bucket)
        for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    ]


def _fail_file(res: Resources, event: dict[str, Any]) -> None:
    """What the workflow's failure path does first when another chunk fails for good."""
    MetadataTable(res.metadata_table).update_file(
        bucket=event["bucket"], key=event["key"], etag=event["etag"], values={"status": FAILED}
    )


def _chunk_status(res: Resources) -> tuple[str, str]:
    item = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=res.metadata_table,
        Key={"pk": {"S": "INGEST#ing-1"}, "sk": {"S": "CHUNK#00000"}},
    )["Item"]
    return item["status"]["S"], item.get("reason", {}).get("S", "")


def test_a_chunk_of_a_run_already_failed_publishes_nothing(pipeline_aws: Resources) -> None:
    event = _event(pipeline_aws, f"{HEADER}\n{GOOD}\nbad,row\n".encode())
    _fail_file(pipeline_aws, event)
    with pytest.raises(RunEnded, match="no longer REGISTERED"):
        _handler()(event, lambda_context("transform-test"))
    assert _stored(pipeline_aws) == []
    status, reason = _chunk_status(pipeline_aws)
    assert status == "FAILED" and reason.startswith("RunEnded")


def test_a_chunk_whose_run_fails_while_it_uploads_takes_its_outputs_back(
    pipeline_aws: Resources,
) -> None:
    # The failure path runs between this chunk's first upload and its SUCCEEDED record: it
    # withdraws what the record lists, but the chunk is still uploading.
    event = _event(pipeline_aws, f"{HEADER}\n{GOOD}\nbad,row\n".encode())
    uploaded: list[int] = []

    def fail_the_run_once(**_: Any) -> None:
        uploaded.append(1)
        if len(uploaded) == 1:
            _fail_file(pipeline_aws, event)

    aws.s3().meta.events.register("after-call.s3.PutObject", fail_the_run_once)
    with pytest.raises(RunEnded):
        _handler()(event, lambda_context("transform-test"))
    assert len(uploaded) == 2  # the Parquet file and the quarantine file went up...
    assert _stored(pipeline_aws) == []  # ...and were taken back
    assert _chunk_status(pipeline_aws)[0] == "FAILED"


def test_rejected_file_writes_nothing(pipeline_aws: Resources) -> None:
    event = _event(pipeline_aws, b"not,a,transactions,file\n1,2,3,4\n")
    with pytest.raises(FileRejected):
        _handler()(event, lambda_context("transform-test"))
    listed = boto3.client("s3", region_name=REGION).list_objects_v2(
        Bucket=pipeline_aws.processed_bucket
    )
    assert listed["KeyCount"] == 0


def test_malformed_event_is_a_clear_error(pipeline_aws: Resources) -> None:
    with pytest.raises(ValueError, match="malformed transform event"):
        _handler()({"bucket": "b"}, lambda_context("transform-test"))

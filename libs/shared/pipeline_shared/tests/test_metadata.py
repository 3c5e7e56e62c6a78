"""The metadata table's conditional chunk writes, against moto."""

from __future__ import annotations

import pytest
from testkit.aws import Resources, inject_errors

from pipeline_shared import aws
from pipeline_shared.metadata import FAILED, REGISTERED, MetadataTable, RunEnded

FILE = ("raw-bucket", "raw/bank/2024/05/01/day.csv", "etag-1")


@pytest.fixture
def table(pipeline_aws: Resources) -> MetadataTable:
    table = MetadataTable(pipeline_aws.metadata_table)
    bucket, key, etag = FILE
    assert table.register_file(bucket=bucket, key=key, etag=etag, attributes={}).created
    return table


def _chunk(table: MetadataTable) -> dict[str, object]:
    (chunk,) = table.chunks("ing-1")
    return chunk


def test_a_chunk_is_written_while_its_file_is_registered(table: MetadataTable) -> None:
    table.put_chunk_while_registered(
        file=FILE, ingest_id="ing-1", index=0, values={"status": "PUBLISHING", "outputs": ["a"]}
    )
    assert _chunk(table)["outputs"] == ["a"]


def test_once_the_file_failed_nothing_is_written(table: MetadataTable) -> None:
    bucket, key, etag = FILE
    table.put_chunk(ingest_id="ing-1", index=0, values={"status": "RUNNING"})
    table.update_file(bucket=bucket, key=key, etag=etag, values={"status": FAILED})
    with pytest.raises(RunEnded, match="no longer REGISTERED"):
        table.put_chunk_while_registered(
            file=FILE, ingest_id="ing-1", index=0, values={"status": "PUBLISHING"}
        )
    assert _chunk(table)["status"] == "RUNNING"


def test_a_transaction_conflict_is_retried_then_succeeds(
    table: MetadataTable, recorded_sleeps: list[float]
) -> None:
    conflicts = inject_errors(
        aws.dynamodb(),
        "TransactWriteItems",
        code="TransactionCanceledException",
        status=400,
        times=2,
        fields={"CancellationReasons": [{"Code": "None"}, {"Code": "TransactionConflict"}]},
    )
    table.put_chunk_while_registered(
        file=FILE, ingest_id="ing-1", index=0, values={"status": "PUBLISHING"}
    )
    assert len(conflicts) == 2 and len(recorded_sleeps) == 2
    assert _chunk(table)["status"] == "PUBLISHING"
    bucket, key, etag = FILE
    assert (table.get_file(bucket=bucket, key=key, etag=etag) or {})["status"] == REGISTERED

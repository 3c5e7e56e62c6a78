"""Step Functions' 256 KiB state limit (issue 11, defect 1): the state of a MAX_FILE_BYTES file,
built from the real handlers' outputs, at every point of the workflow
(infra/constructs/workflow.py), stays well under the limit.

"Maximum input or output size for a task, state, or execution: 256 KiB of data as a UTF-8
encoded string" (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). A
state over it fails States.DataLimitExceeded, which no States.ALL catcher catches: no
RecordFailure, no alert, and a replay ends as ``duplicate``. Measured as Step Functions holds
it: JSON without white space, UTF-8 (the python3.12 runtime returns non-ASCII unescaped).

The workflow, and where its state grows (``ResultSelector {"value.$": "$.Payload"}``):
    execution input        the S3 "Object Created" event EventBridge delivers
    after Ingest           + $.plan.value: ingest's plan (header, one entry per chunk)
    Map iteration          the ItemSelector's item; Transform's counts replace it
    after the Map          unchanged (ResultPath null: the chunks' results are discarded)
    after Finalize         + $.summary.value: counts and the top 10 reasons, or RERUN and a plan
    after Regroup          $.plan.value = the RERUN plan (it stays in $.summary too)
    after Describe         + $.message.value: the alert
    after DescribeFailure  the failure path: + $.error, $.recorded, the alert
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from testkit.aws import REGION, Resources
from testkit.lambda_context import lambda_context

import ingest.handler
import ingest.plan
from finalize.cross_chunk import CrossChunkResult
from finalize.run import RERUN, finalize_run, record_failure
from finalize.settings import MAX_CHUNK_BYTES
from ingest.chunking import MAX_CHUNKS
from ingest.settings import MAX_FILE_BYTES, Settings
from notify.messages import compose
from pipeline_shared.contract import MAX_HEADER_BYTES, REQUIRED_COLUMNS
from pipeline_shared.metadata import SUCCEEDED, MetadataTable
from pipeline_shared.outcomes import DUPLICATE, UNTERMINATED, over_long, wrong_field_count
from transform.models import ChunkSummary, ChunkTask
from transform.validation import NO_MINOR_UNIT, NOT_UTF8, OUTSIDE_YEARS

STATE_LIMIT = 256 * 1024  # Step Functions' quota
MARGIN = 128 * 1024  # what every state must stay under: half the quota
MIB = 1 << 20
PROD_CHUNK_BYTES = 256 * MIB  # envs/prod/config.toml: [workflow] chunk_mb = 256
ROWS = 10**12  # counts with the most digits a 100 GiB file can need
# The S3 key the contract allows with the most bytes (S3: 1,024): raw/<source>/<date>/<name>.
KEY = "raw/" + "s" * 63 + "/2024/05/01/"
KEY += "n" * (1024 - len(KEY) - len(".csv")) + ".csv"
# Every fixed reason a row can be quarantined for (the longest ten reach the summary).
FIXED_REASONS = [
    NO_MINOR_UNIT,
    OUTSIDE_YEARS,
    DUPLICATE,
    UNTERMINATED,
    over_long(16 * MIB),
    wrong_field_count(10_000, 10_000_000),
    "transaction_id: missing or not 1-64 of [A-Za-z0-9_.:-]",
    "account_id: missing or not 1-64 of [A-Za-z0-9_.:-]",
    "merchant_id: missing or not 1-64 of [A-Za-z0-9_.:-]",
    "timestamp: not ISO 8601 with a UTC offset or Z",
    "amount: more decimals than the currency's minor unit",
    "country: not an ISO 3166-1 alpha-2 code",
    "channel: not one of ATM, ECOM, MOTO, POS, RECURRING, TRANSFER",
]


def state_bytes(state: Any) -> int:
    return len(json.dumps(state, ensure_ascii=False, separators=(",", ":")).encode())


@dataclass(frozen=True)
class Header:
    """The file's header: the contract's columns and ``extra`` more (the contract keeps any
    extra column, checks it for UTF-8, and names it in that reason)."""

    extra: list[str]

    @property
    def names(self) -> list[str]:
        return [*REQUIRED_COLUMNS, *self.extra]

    @property
    def line(self) -> bytes:
        return ",".join(self.names).encode() + b"\n"

    def record(self) -> bytes:
        return ",".join(["1"] * len(self.names)).encode() + b"\n"

    def reasons(self) -> list[str]:
        """The ten longest reasons rows of this file can have."""
        named = [NOT_UTF8.format(column=name) for name in self.names]
        return sorted([*FIXED_REASONS, *named], key=len, reverse=True)[:10]


TYPICAL = Header(extra=["terminal_id", "auth_code", "card_bin", "posting_date", "memo"])
# The widest header the contract allows (it must end within the first 64 KiB): ten extra
# columns with the longest names that fit, so that the ten longest reasons name them too.
_ROOM = MAX_HEADER_BYTES - len(Header(extra=[]).line) - 10
WIDEST = Header(extra=[f"{i}" + "w" * (_ROOM // 10 - 2) for i in range(10)])


@pytest.fixture
def aws_env(pipeline_aws: Resources, monkeypatch: pytest.MonkeyPatch) -> Iterator[Resources]:
    for name, value in pipeline_aws.env().items():
        monkeypatch.setenv(name, value)
    ingest.handler.settings.cache_clear()
    yield pipeline_aws
    ingest.handler.settings.cache_clear()


def object_created(bucket: str, key: str, size: int) -> dict[str, Any]:
    """The event EventBridge delivers for a new object (every field S3 sends)."""
    return {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2024-05-01T23:59:59Z",
        "region": REGION,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {
                "key": key,
                "size": size,
                "etag": "b1946ac92492d2347c6235b4d2611184-12800",
                "version-id": "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
                "sequencer": "00617F08299329D189",
            },
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": "123456789012",
            "source-ip-address": "1.2.3.4",
            "reason": "PutObject",
        },
    }


def plan_of(
    event: dict[str, Any], header: Header, chunk_bytes: int, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """The real ingest handler's plan for the event's object: S3 reads are answered with the
    header and, at each tentative cut, a few records (the object is never uploaded)."""
    monkeypatch.setenv("CHUNK_BYTES", str(chunk_bytes))
    ingest.handler.settings.cache_clear()

    def read_range(obj: Any, start: int, end: int) -> bytes:
        if start == 0:
            return (header.line + header.record() * 4)[: end - start]
        return b"\n" + header.record() * 4

    monkeypatch.setattr(ingest.plan, "_read_range", read_range)
    plan = ingest.handler.lambda_handler(event, lambda_context("fn-test"))
    assert plan["status"] == "accepted"
    return dict(plan)


def map_item(plan: dict[str, Any], chunk: dict[str, Any]) -> dict[str, Any]:
    """The TransformChunks ItemSelector, and what the transform handler reads of it."""
    item = {k: plan[k] for k in ("bucket", "key", "etag", "ingest_id", "source", "header")}
    item |= {"compression": plan["compression"], "chunk": chunk}
    ChunkTask.from_event(item)
    return item


def transform_ran(
    table: MetadataTable, plan: dict[str, Any], header: Header, *, quoted_pairs: bool
) -> dict[str, Any]:
    """Each chunk's record as the transform writes it (the most dates: a Parquet output per
    day of a year, and quarantine parts), and the largest result it returns to the Map.
    ``quoted_pairs``: every other cut falls inside a quoted field (the most regrouping)."""
    largest: dict[str, Any] = {}
    for chunk in plan["chunks"]:
        index = int(chunk["index"])
        summary = ChunkSummary(
            rows_read=ROWS,
            rows_written=ROWS - 3 * ROWS // 10,
            rows_quarantined=2 * ROWS // 10,
            duplicates=ROWS // 10,
            bytes_read=int(chunk["end"]) - int(chunk["start"]),
            reasons=Counter({reason: ROWS // 100 for reason in header.reasons()}),
            outputs=[
                f"processed/s/date=2024-{d // 28 + 1:02d}-{d % 28 + 1:02d}/p.parquet"
                for d in range(8)
            ],
            quarantine_outputs=[f"quarantine/s/{plan['ingest_id']}/c{index}.jsonl"],
            end_state="quoted" if quoted_pairs and index % 2 == 0 else "record",
            end_state_if_quoted="record",
        )
        table.put_chunk(
            ingest_id=plan["ingest_id"],
            index=index,
            values={
                "start": chunk["start"],
                "end": chunk["end"],
                "status": SUCCEEDED,
                **summary.to_dict(),
                "reasons": dict(summary.reasons),
            },
        )
        result = {"chunk_index": index, **summary.counts()}  # the handler's return value
        largest = max(largest, result, key=state_bytes)
    return largest


def finalize(table: MetadataTable, plan: dict[str, Any]) -> dict[str, Any]:
    return finalize_run(
        plan,
        table=table,
        dedupe=lambda chunks: CrossChunkResult(checked=True),
        withdraw=lambda records: sum(len(r.get("outputs") or []) for r in records),
        max_chunk_bytes=MAX_CHUNK_BYTES.default,
    )


def alert(event: dict[str, Any]) -> dict[str, Any]:
    message = compose(
        event, environment="prod", quarantine_bucket="q" * 63, processed_bucket="p" * 63
    )
    return {"subject": message.subject, "body": message.body, "severity": message.severity}


def lambda_result(payload: Any) -> dict[str, Any]:
    """What a lambda:invoke task returns, before its ResultSelector keeps the Payload."""
    return {
        "ExecutedVersion": "$LATEST",
        "Payload": payload,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {"X-Amz-Executed-Version": ["$LATEST"], "Content-Type": ["json"]},
            "HttpHeaders": {"X-Amz-Executed-Version": "$LATEST", "Content-Type": "json"},
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": {"RequestId": "d7d1d9c8-0f5e-4a39-9f1b-6e1b5f1b5b63"},
        "StatusCode": 200,
    }


def workflow_states(
    aws_env: Resources, header: Header, chunk_bytes: int, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """Every state the workflow holds for a MAX_FILE_BYTES file, and each task's result."""
    size = MAX_FILE_BYTES.default
    table = MetadataTable(aws_env.metadata_table)
    event = object_created(aws_env.raw_bucket, KEY, size)
    states: dict[str, Any] = {"execution input": event}
    plan = plan_of(event, header, chunk_bytes, monkeypatch)
    states["Ingest result"] = lambda_result(plan)
    states["after Ingest"] = after_ingest = {**event, "plan": {"value": plan}}
    states["Map iteration input"] = map_item(plan, plan["chunks"][-1])

    largest = transform_ran(table, plan, header, quoted_pairs=True)
    states["Transform result"] = lambda_result(largest)
    states["after the Map"] = after_ingest  # ResultPath null
    rerun = finalize(table, plan)
    assert rerun["status"] == RERUN and len(rerun["plan"]["chunks"]) == len(plan["chunks"]) // 2
    states["Finalize result (RERUN)"] = lambda_result(rerun)
    states["after Finalize (RERUN)"] = after_rerun = {**after_ingest, "summary": {"value": rerun}}
    states["after Regroup"] = after_regroup = {**after_rerun, "plan": {"value": rerun["plan"]}}

    transform_ran(table, rerun["plan"], header, quoted_pairs=False)  # the Map, again
    summary = finalize(table, rerun["plan"])
    assert summary["status"] == SUCCEEDED and summary["regrouped"]
    assert len(summary["reasons"]) == 10
    states["Finalize result"] = lambda_result(summary)
    states["after Finalize"] = after_finalize = {**after_regroup, "summary": {"value": summary}}
    message = alert(summary)
    states["Describe result"] = lambda_result(message)
    states["after Describe"] = after_describe = {**after_finalize, "message": {"value": message}}
    states["after Publish"] = {
        **after_describe,
        "published": {"MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e", "SdkHttpMetadata": {}},
    }

    # The failure path from the largest state a task fails in (Describe's input state):
    # Step Functions' Cause is at most 32,768 characters.
    failed = {**after_finalize, "error": {"Error": "Lambda.Unknown", "Cause": "c" * 32_768}}
    recorded = record_failure(failed, table=table, withdraw=lambda ingest_id: 10**6)
    states["after RecordFailure"] = after_record = {**failed, "recorded": recorded}
    describe = alert({"failure": after_record, "execution": "arn:aws:states:" + "e" * 200})
    states["after DescribeFailure"] = {**after_record, "message": {"value": describe}}
    return states


class OverMargin(AssertionError):
    """A state under the quota but over the margin."""


def held_to_margin(states: dict[str, Any]) -> dict[str, int]:
    sizes = {name: state_bytes(state) for name, state in states.items()}
    print("\n".join(f"{size:>9,}  {name}" for name, size in sizes.items()))
    over_quota = {name: size for name, size in sizes.items() if size >= STATE_LIMIT}
    assert over_quota == {}, f"over Step Functions' 256 KiB: {over_quota}"
    over = {name: size for name, size in sizes.items() if size >= MARGIN}
    if over:
        raise OverMargin(f"over {MARGIN:,} bytes: {over}")
    return sizes


@pytest.mark.parametrize(
    "header",
    [
        TYPICAL,
        pytest.param(
            WIDEST,
            marks=pytest.mark.xfail(
                raises=OverMargin,
                strict=True,
                reason="reported, not redesigned: a 64 KiB header (the contract's maximum) is "
                "carried by the plan (twice after Regroup: $.plan and $.summary.value.plan) and "
                "its column names by the top 10 reasons (in the summary and the alert's body): "
                "213,744 bytes after Describe, under the 256 KiB quota, over the 128 KiB margin",
            ),
        ),
    ],
    ids=["typical header", "widest header"],
)
def test_every_state_of_the_largest_file_stays_under_half_the_limit(
    aws_env: Resources, monkeypatch: pytest.MonkeyPatch, header: Header
) -> None:
    """100 GiB (MAX_FILE_BYTES) in prod's 256 MiB chunks: 400 chunks, regrouped in pairs
    (the most RERUN chunks), every count at 13 digits, the ten longest reasons."""
    states = workflow_states(aws_env, header, PROD_CHUNK_BYTES, monkeypatch)
    assert len(states["after Ingest"]["plan"]["value"]["chunks"]) == 400
    held_to_margin(states)


def smallest_chunk_bytes() -> int:
    """The least CHUNK_BYTES ingest's settings accept (infra/config.py's chunk_mb minimum, 1,
    is the same 1 MiB)."""
    accepted = Settings.from_env({"METADATA_TABLE": "t", "CHUNK_BYTES": str(MIB)}).chunk_bytes
    with pytest.raises(ValueError):
        Settings.from_env({"METADATA_TABLE": "t", "CHUNK_BYTES": str(MIB - 1)})
    return accepted


def test_the_smallest_chunks_allowed_keep_the_plan_under_half_the_limit(
    aws_env: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = MAX_FILE_BYTES.default
    event = object_created(aws_env.raw_bucket, KEY, size)
    plan = plan_of(event, TYPICAL, smallest_chunk_bytes(), monkeypatch)
    states = {
        "Ingest result": lambda_result(plan),
        "after Ingest": {**event, "plan": {"value": plan}},
    }
    # ingest.chunking.MAX_CHUNKS: a 100 GiB file at 1 MiB chunks would be 102,400 chunks, and
    # ingest's result alone 5.5 MB (States.DataLimitExceeded); larger chunks instead.
    assert len(plan["chunks"]) <= MAX_CHUNKS
    assert max(state_bytes(state) for state in states.values()) < MARGIN

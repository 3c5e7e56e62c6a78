"""The main job, end to end: deploy the local environment on the emulator with real Terraform,
push a sample day of files through it, redeploy with no change, destroy, and check that
nothing is left."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from testkit.synthetic import write_transactions

import infra  # noqa: F401
from infra.config import EnvironmentConfig, load_config
from infra.exports import STACK_ORDER
from tooling.deploy.environment import Outcome, run_environment
from tooling.emulator import call_report
from tooling.emulator import control as emulator
from tooling.operations.aws import EnvironmentAws
from tooling.operations.dashboard import render_dashboard
from tooling.operations.executions import wait_for
from tooling.operations.redrive import Pipeline, reprocess
from tooling.operations.status import environment_health

REPO_CONFIG = Path("envs/local/config.toml")
PACKAGES = Path()  # where Pants puts runtime_package_dependencies


@pytest.fixture(scope="module")
def local(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[EnvironmentConfig, Path, Path]]:
    root = tmp_path_factory.mktemp("local-env")
    config = load_config(REPO_CONFIG, suffix="e2e")
    yield config, root / "synth", root / "state"
    emulator.stop(root / "state")


@pytest.fixture(scope="module")
def deployed(local: tuple[EnvironmentConfig, Path, Path]) -> Outcome:
    config, synth, state = local
    return run_environment(
        "deploy", config, packages=lambda: PACKAGES, synth_dir=synth, state_dir=state
    )


def _client(endpoint: str, service: str) -> object:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-2",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def test_every_stack_is_applied(deployed: Outcome) -> None:
    assert [(r.stack, r.action) for r in deployed.results] == [
        (stack, "applied") for stack in STACK_ORDER
    ]
    assert sum(r.added for r in deployed.results) > 100


def test_sample_day_comes_out_as_expected(deployed: Outcome) -> None:
    report = deployed.sample_day
    assert report is not None
    outcomes = {(f.key.split("/")[1], f.expected): f for f in report.files}
    for f in report.files:
        assert f.as_expected, f
    assert outcomes[("card-us", "SUCCEEDED")].chunks >= 2  # the Map really split the file
    assert (
        outcomes[("card-us", "SUCCEEDED")].duplicates > 0
        and outcomes[("card-us", "SUCCEEDED")].rows_quarantined > 0
    )
    # The state machine's Regroup loop ran: a guessed cut fell inside a quoted note.
    assert outcomes[("wire", "SUCCEEDED")].regrouped is True
    assert outcomes[("legacy", "rejected")].status == "rejected"
    assert outcomes[("card-us", "duplicate")].status == "duplicate"
    assert report.processed_objects >= 3 and report.quarantine_objects >= 2
    assert len(report.alerts) == len(report.files)
    assert any("file rejected" in a for a in report.alerts)


def test_metadata_records_every_file(deployed: Outcome) -> None:
    assert deployed.endpoint
    dynamodb = _client(deployed.endpoint, "dynamodb")
    (table,) = dynamodb.list_tables()["TableNames"]  # type: ignore[attr-defined]
    items = dynamodb.scan(TableName=table)["Items"]  # type: ignore[attr-defined]
    files = {i["pk"]["S"]: i["status"]["S"] for i in items if i["pk"]["S"].startswith("FILE#")}
    assert sorted(files.values()) == ["REJECTED", *["SUCCEEDED"] * 4]


def test_a_stopped_run_is_released_and_redriven(
    deployed: Outcome, local: tuple[EnvironmentConfig, Path, Path]
) -> None:
    # A file registered by a run that was stopped before recording an outcome: the real
    # finalize function releases it (marks it FAILED), then it is processed from the start.
    assert deployed.endpoint and deployed.sample_day
    config = local[0]
    pipeline = Pipeline.deployed(EnvironmentAws(config.region, deployed.endpoint), config)
    key = "raw/card-us/2024/05/02/stopped.csv"
    text = io.StringIO()
    generated = write_transactions(text, target_bytes=200_000, seed=9)
    pipeline.s3.put_object(Bucket=pipeline.raw_bucket, Key=key, Body=text.getvalue().encode())
    etag = pipeline.s3.head_object(Bucket=pipeline.raw_bucket, Key=key)["ETag"].strip('"')
    pipeline.dynamodb.put_item(
        TableName=pipeline.metadata_table,
        Item={
            "pk": {"S": f"FILE#{pipeline.raw_bucket}/{key}"},
            "sk": {"S": f"ETAG#{etag}"},
            "ingest_id": {"S": "stopped-run"},
            "status": {"S": "REGISTERED"},
        },
    )
    succeeded = next(f.key for f in deployed.sample_day.files if f.status == "SUCCEEDED")

    stuck, done = reprocess(pipeline, [key, succeeded])
    assert stuck.note == "its last run ended without an outcome: released" and stuck.execution_arn
    assert done.note == "already SUCCEEDED: nothing to do" and done.execution_arn is None
    outcome = wait_for(pipeline.sfn, stuck.execution_arn, timeout_s=300)
    assert outcome.status == "SUCCEEDED" and outcome.counts["rows_read"] == generated.rows


def test_status_reads_the_deployed_environment(
    deployed: Outcome, local: tuple[EnvironmentConfig, Path, Path]
) -> None:
    # The names status looks for (alarm suffix, dead-letter queue) are the deployed ones.
    assert deployed.endpoint and deployed.sample_day
    config = local[0]
    health = environment_health(
        EnvironmentAws(config.region, deployed.endpoint),
        config,
        window=dt.timedelta(hours=1),
        stuck_after=dt.timedelta(hours=2),
    )
    assert len(health.alarms) == 14 and health.firing == []
    assert health.executions["SUCCEEDED"] >= len(deployed.sample_day.files)
    assert health.problems == [] and health.dead_letters == 0 and health.healthy


def test_query_sums_the_sample_day_as_its_run_summaries_and_raw_files_say(
    deployed: Outcome, local: tuple[EnvironmentConfig, Path, Path]
) -> None:
    """`query` on local (DuckDB over the emulator's S3, views made from the deployed Glue
    tables): each sample file's rows written and quarantined are its run summary's, and its sum
    of amount by currency and day is what the raw file's text of those rows adds up to, in
    Decimal (the first occurrence of each id: duplicates are not written)."""
    import csv
    import gzip
    from collections import defaultdict
    from decimal import Decimal
    from typing import Any

    from infra.exports import DataExport
    from tooling.operations.query import run_query

    assert deployed.endpoint and deployed.sample_day
    config = local[0]
    aws = EnvironmentAws(config.region, deployed.endpoint)
    raw = aws.deployed_exports(config, DataExport.RAW_BUCKET_NAME)[DataExport.RAW_BUCKET_NAME]
    s3 = aws.client("s3")
    files = {
        f"s3://{raw}/{f.key}": f
        for f in deployed.sample_day.files
        if f.expected == "SUCCEEDED" and f.status == "SUCCEEDED"
    }
    assert len(files) == 4
    sources = ", ".join(sorted({f"'{f.key.split('/')[1]}'" for f in files.values()}))
    where = f"WHERE source IN ({sources})"  # as Athena requires for an injected partition
    sql = f"SELECT source_object, transaction_id FROM processed {where}"  # noqa: S608
    written = run_query(aws, config, sql)
    ids: dict[str, set[str]] = defaultdict(set)
    for source_object, transaction_id in written.rows:
        ids[source_object].add(transaction_id)
    # Rows written per file: the run summary's count (and no id twice).
    assert {o: len(ids[o]) for o in files} == {o: f.rows_written for o, f in files.items()}
    assert sum(len(ids[o]) for o in files) == sum(1 for o, _ in written.rows if o in files)

    expected: dict[tuple[str, str, dt.date], list[Any]] = defaultdict(lambda: [Decimal(0), 0])
    csv.field_size_limit(1 << 24)  # the wire file's quoted notes are ~150 KB fields
    for source_object, summary in files.items():
        body = s3.get_object(Bucket=raw, Key=summary.key)["Body"].read()
        data = gzip.decompress(body) if summary.key.endswith(".gz") else body
        text = data.decode("utf-8", errors="replace")  # only rejected rows hold bad bytes
        seen: set[str] = set()
        for row in csv.DictReader(io.StringIO(text, newline="")):
            tid = (row.get("transaction_id") or "").strip()
            if tid not in ids[source_object] or tid in seen:
                continue
            seen.add(tid)
            moment = dt.datetime.fromisoformat(row["timestamp"].strip()).astimezone(dt.UTC)
            key = (source_object, row["currency"].strip().upper(), moment.date())
            expected[key][0] += Decimal(row["amount"].strip())
            expected[key][1] += 1

    sums = (
        "SELECT source_object, currency, transaction_date, sum(amount) AS total, count(*) AS n "  # noqa: S608
        f"FROM processed {where} GROUP BY ALL"
    )
    result = run_query(aws, config, sums)
    assert result.engine == "duckdb" and result.types[3].startswith("decimal(")
    found = {(o, c, d): [total, n] for o, c, d, total, n in result.rows if o in files}
    assert found == dict(expected)  # exact: Decimal, not float
    assert all(isinstance(total, Decimal) for total, _ in found.values())
    rejected = run_query(
        aws, config, "SELECT source_object, count(*) FROM quarantine GROUP BY source_object"
    )
    by_file = {o: n for o, n in rejected.rows if o in files}
    assert by_file == {o: f.rows_quarantined for o, f in files.items() if f.rows_quarantined}


def test_the_emulator_answered_no_call_with_a_server_error(
    deployed: Outcome, local: tuple[EnvironmentConfig, Path, Path]
) -> None:
    """Deploy, sample day, re-drive and status: moto failed on nothing, even where an SDK's
    retry would have hidden it."""
    assert deployed.endpoint
    assert emulator.server_errors(local[2]) == []


def test_the_dashboard_shows_the_sample_day(
    deployed: Outcome, local: tuple[EnvironmentConfig, Path, Path]
) -> None:
    """The deployed dashboard rendered from the emulator's CloudWatch: the metrics the real
    handlers printed (EMF, through the handler runner) add up to the files' run summaries.

    Expectations come from the run summaries (the sample day's, plus the metadata record of a
    file processed after it: the re-driven one), not from the metrics. The dashboard's rows are
    finalize's, per file, so they equal the summaries exactly, though the wire file's chunks
    were read twice (its regroup) and duplicates across chunks were settled only by finalize.
    """
    assert deployed.endpoint and deployed.sample_day
    config, _, state = local
    rendered = render_dashboard(
        EnvironmentAws(config.region, deployed.endpoint),
        config,
        since=dt.timedelta(hours=3),
        out=state / "dashboard",
    )
    numbers = json.loads(rendered.data.read_text())
    print(f"dashboard: {rendered.png}\n{json.dumps(numbers['widgets'], indent=1)[:6000]}")
    totals = {(w["title"], s["label"]): s["total"] for w in numbers["widgets"] for s in w["series"]}

    files = list(deployed.sample_day.files)
    dynamodb = _client(deployed.endpoint, "dynamodb")
    (table,) = dynamodb.list_tables()["TableNames"]  # type: ignore[attr-defined]
    records = [
        i
        for i in dynamodb.scan(TableName=table)["Items"]  # type: ignore[attr-defined]
        if i["pk"]["S"].startswith("FILE#")
    ]
    sample_keys = {f.key for f in files}
    later = [
        r
        for r in records
        if r["status"]["S"] == "SUCCEEDED" and r["pk"]["S"].split("/", 1)[1] not in sample_keys
    ]

    def summed(name: str) -> int:
        return int(sum(getattr(f, name) for f in files) + sum(int(r[name]["N"]) for r in later))

    read, written = summed("rows_read"), summed("rows_written")
    quarantined, duplicates = summed("rows_quarantined"), summed("duplicates")
    assert read == written + quarantined + duplicates > 0

    rows = {label: totals[("Rows (5 min)", label)] for label in ("RowsRead", "RowsWritten")}
    rows["RowsQuarantined"] = totals[("Rows", "RowsQuarantined")]
    rows["DuplicateRows"] = totals[("Rows", "DuplicateRows")]
    print(
        f"summaries: read {read}, written {written}, quarantined {quarantined}, "
        f"duplicates {duplicates}; dashboard: {rows}"
    )
    assert any(f.regrouped for f in files)  # a file whose chunks were read twice is in it
    assert rows == {
        "RowsRead": read,
        "RowsWritten": written,
        "RowsQuarantined": quarantined,
        "DuplicateRows": duplicates,
    }

    succeeded = [r for r in records if r["status"]["S"] == "SUCCEEDED"]
    rejected = [r for r in records if r["status"]["S"] == "REJECTED"]
    assert totals[("Files", "FilesAccepted")] == len(succeeded)
    assert totals[("Files", "FilesRejected")] == len(rejected) == 1
    assert totals[("Files", "FilesDuplicate")] == sum(f.status == "duplicate" for f in files)

    widgets = {w["title"]: w for w in numbers["widgets"]}
    chunk = {s["label"]: s for s in widgets["Chunk latency (ms)"]["series"]}
    p50, p95, p99 = (chunk[f"chunk {p}"]["max"] for p in ("p50", "p95", "p99"))
    assert 0 < p50 <= p95 <= p99
    assert totals[("Data volume (bytes)", "bytes processed")] >= sum(
        int(r["bytes_read"]["N"]) for r in succeeded
    )
    rates = {s["label"]: s for s in widgets["Lambda error rate (%)"]["series"]}
    for function in ("ingest", "transform", "finalize"):
        assert rates[f"{function} error %"]["points"], function  # Lambda's own metrics
    assert rendered.png.stat().st_size > 50_000 and "RowsRead" in rendered.html.read_text()
    assert emulator.server_errors(state) == []  # GetDashboard, GetMetricData: no 5xx


def test_each_role_was_allowed_every_call_it_made(
    deployed: Outcome, local: tuple[EnvironmentConfig, Path, Path]
) -> None:
    """Least privilege from real calls: each function's and the state machine's calls
    (tooling/emulator/call_report.py) against its own role's deployed policies. 0 denied; each
    grant no call used is named with the path that needs it."""
    assert deployed.endpoint and deployed.sample_day
    config, _, state = local
    (machine,) = _client(deployed.endpoint, "stepfunctions").list_state_machines()["stateMachines"]  # type: ignore[attr-defined]
    policies, keys = call_report.from_emulator(
        deployed.endpoint,
        config.region,
        tail=config.naming.tail,
        state_machine_arn=machine["stateMachineArn"],
    )
    report = call_report.report(call_report.read_calls(state), policies, keys=keys)
    (state / "call-report.txt").write_text(report.render())
    print(report.render())  # the report, in the test's output
    assert report.unmapped == []
    assert report.denied == []
    called = {name for name, p in report.principals.items() if p.calls}
    assert called >= {
        call_report.STATE_MACHINE,
        *(
            r
            for r in policies
            if r.startswith(("ingest", "transform", "finalize", "pipeline-events"))
        ),
    }
    assert [g for g in report.unused if call_report.needed_by(g) is None] == []


def test_redeploy_without_changes_applies_nothing(
    deployed: Outcome, local: tuple[EnvironmentConfig, Path, Path]
) -> None:
    config, synth, state = local
    again = run_environment(
        "deploy",
        config,
        packages=lambda: PACKAGES,
        synth_dir=synth,
        state_dir=state,
        sample_day=False,
    )
    assert [r.action for r in again.results] == ["unchanged"] * len(STACK_ORDER)


def test_a_forced_plan_finds_nothing_to_change(
    deployed: Outcome, local: tuple[EnvironmentConfig, Path, Path]
) -> None:
    """Terraform reads back what it applied: every stack refreshed and planned shows no
    change. An attribute the emulator drops (as moto did a function's LoggingConfig) shows up
    here as a change planned at every deploy."""
    config, synth, state = local
    planned = run_environment(
        "plan", config, packages=lambda: PACKAGES, synth_dir=synth, state_dir=state, force=True
    )
    assert [(r.stack, r.action) for r in planned.results] == [
        (stack, "planned") for stack in STACK_ORDER
    ]
    assert [(r.added, r.changed, r.destroyed) for r in planned.results] == [(0, 0, 0)] * len(
        STACK_ORDER
    )


def test_destroy_leaves_nothing(
    deployed: Outcome, local: tuple[EnvironmentConfig, Path, Path]
) -> None:
    config, synth, state = local
    destroyed = run_environment(
        "destroy",
        config,
        packages=None,
        synth_dir=synth,
        state_dir=state,
        stop_emulator=False,
    )
    assert [r.action for r in destroyed.results] == ["destroyed"] * len(STACK_ORDER)
    endpoint = deployed.endpoint
    assert endpoint
    assert _client(endpoint, "s3").list_buckets()["Buckets"] == []  # type: ignore[attr-defined]
    assert _client(endpoint, "lambda").list_functions()["Functions"] == []  # type: ignore[attr-defined]
    assert _client(endpoint, "dynamodb").list_tables()["TableNames"] == []  # type: ignore[attr-defined]
    assert _client(endpoint, "stepfunctions").list_state_machines()["stateMachines"] == []  # type: ignore[attr-defined]
    assert _client(endpoint, "ssm").describe_parameters()["Parameters"] == []  # type: ignore[attr-defined]
    assert _client(endpoint, "sns").list_topics()["Topics"] == []  # type: ignore[attr-defined]
    roles = _client(endpoint, "iam").list_roles()["Roles"]  # type: ignore[attr-defined]
    assert [r["RoleName"] for r in roles if r["RoleName"].endswith("local-e2e")] == []
    vpcs = _client(endpoint, "ec2").describe_vpcs(Filters=[{"Name": "tag:Environment", "Values": ["local"]}])["Vpcs"]  # type: ignore[attr-defined]
    assert vpcs == []

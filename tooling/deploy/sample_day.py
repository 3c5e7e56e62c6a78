"""Push a sample day of generated transaction files through the deployed local pipeline.

Files with good, bad and duplicate rows, a gzip file, a file whose quoted notes fool the chunk
planner (the chain check must regroup it), a file that breaks the contract, and a replayed
event; every execution is started with the event EventBridge would send (moto's
EventBridge cannot start Step Functions: the ``eventbridge_to_sfn`` gap, see shims.py), and the
report checks each file's accounting against what the generator wrote.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import time
from dataclasses import dataclass, field
from typing import Any

import boto3
from testkit.synthetic import GeneratedFile, write_transactions

from infra.config import EnvironmentConfig
from infra.exports import DataExport, PipelineExport
from tooling.emulator.credentials import role_access_key
from tooling.operations.aws import EnvironmentAws
from tooling.operations.events import object_created_event
from tooling.operations.executions import start_execution, wait_for

DAY = dt.date(2024, 5, 1)
SAMPLE_DAY_READS = (
    DataExport.RAW_BUCKET_NAME,
    DataExport.PROCESSED_BUCKET_NAME,
    DataExport.QUARANTINE_BUCKET_NAME,
    DataExport.ALERTS_TOPIC_ARN,
    PipelineExport.STATE_MACHINE_ARN,
)


@dataclass
class FileOutcome:
    key: str
    expected: str  # what the pipeline should do with it
    status: str = "PENDING"
    rows_read: int = 0
    rows_written: int = 0
    rows_quarantined: int = 0
    duplicates: int = 0
    chunks: int = 0
    generated: GeneratedFile | None = None
    execution: str = ""
    expect_regrouped: bool = False  # its quoted notes make some guessed chunk cuts wrong
    regrouped: bool = False

    @property
    def as_expected(self) -> bool:
        if self.expected != "SUCCEEDED":
            return self.status == self.expected
        g = self.generated
        if g is None:
            return False
        return (
            self.status == "SUCCEEDED"
            and self.regrouped == self.expect_regrouped
            and self.rows_read == g.rows
            and self.rows_written == g.valid
            and self.duplicates == g.duplicates
            and self.rows_quarantined == sum(g.defects.values()) + g.wrong_field_count
        )


@dataclass
class SampleDayReport:
    files: list[FileOutcome] = field(default_factory=list)
    processed_objects: int = 0
    quarantine_objects: int = 0
    alerts: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(f.as_expected for f in self.files) and len(self.alerts) == len(self.files)


def run_sample_day(
    endpoint: str, config: EnvironmentConfig, *, scale_mb: float = 1.0, timeout_s: float = 600
) -> SampleDayReport:
    started = time.perf_counter()
    aws = EnvironmentAws(config.region, endpoint)
    exports = aws.deployed_exports(config, *SAMPLE_DAY_READS)
    raw = exports[DataExport.RAW_BUCKET_NAME]
    state_machine = exports[PipelineExport.STATE_MACHINE_ARN]
    s3, sfn, sqs, sns = (
        aws.client("s3"),
        aws.client("stepfunctions"),
        aws.client("sqs"),
        aws.client("sns"),
    )

    # Capture the alerts as a subscriber would (removed afterwards: it is not ours to keep).
    queue_url = sqs.create_queue(QueueName=f"sample-day-alerts-{config.naming.tail}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    subscription = sns.subscribe(
        TopicArn=exports[DataExport.ALERTS_TOPIC_ARN], Protocol="sqs", Endpoint=queue_arn
    )["SubscriptionArn"]

    report = SampleDayReport()
    run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    uploads: list[tuple[FileOutcome, bytes]] = []
    for index, (source, size_mb, defects, dups, wrong, compress, notes) in enumerate(
        [
            ("card-us", 2.5, 0.01, 0.005, 0.002, False, 0.0),
            ("card-eu", 1.5, 0.02, 0.01, 0.0, True, 0.0),
            ("ach", 3.0, 0.0, 0.0, 0.001, False, 0.0),
            # Quoted notes of row-like lines: the chain check regroups the chunks around them.
            ("wire", 3.0, 0.005, 0.005, 0.0, False, 0.0005),
        ]
    ):
        text = io.StringIO()
        generated = write_transactions(
            text,
            target_bytes=int(size_mb * scale_mb * 1_000_000),
            seed=index + 1,
            day=DAY,
            defect_rate=defects,
            duplicate_rate=dups,
            wrong_field_rate=wrong,
            quoted_note_rate=notes,
        )
        body = text.getvalue().encode()
        # A new name per run: the same file again would (rightly) be ignored as a duplicate.
        key = f"raw/{source}/{DAY:%Y/%m/%d}/{source}-{run_id}.csv" + (".gz" if compress else "")
        uploads.append(
            (
                FileOutcome(
                    key=key, expected="SUCCEEDED", generated=generated, expect_regrouped=notes > 0
                ),
                gzip.compress(body, mtime=0) if compress else body,
            )
        )
    uploads.append(
        (
            FileOutcome(key=f"raw/legacy/{DAY:%Y/%m/%d}/export.csv", expected="rejected"),
            b"id;amount;date\n1;2;3\n",
        )
    )

    # EventBridge starts each execution with its rule target's role: so does the stand-in,
    # and the call report (call_report.py) holds the call against that role's policy.
    trigger = _as_rule_target(aws, endpoint, state_machine)

    def start(event: dict[str, Any], name: str) -> str:
        return start_execution(trigger, state_machine, name, event)

    deadline = time.monotonic() + timeout_s

    def settle(outcome: FileOutcome, arn: str) -> None:
        outcome.execution = arn
        result = wait_for(sfn, arn, timeout_s=max(0.0, deadline - time.monotonic()))
        outcome.status, outcome.regrouped = result.status, result.regrouped
        for name, value in result.counts.items():
            setattr(outcome, name, value)

    events, started_arns = [], []
    for number, (outcome, body) in enumerate(uploads):
        s3.put_object(Bucket=raw, Key=outcome.key, Body=body)
        events.append(
            object_created_event(
                raw, outcome.key, s3.head_object(Bucket=raw, Key=outcome.key), config.region
            )
        )
        started_arns.append(start(events[-1], f"sample-{run_id}-{number}"))
        report.files.append(outcome)
    for (outcome, _), arn in zip(uploads, started_arns, strict=True):
        settle(outcome, arn)
    # The same event again, as EventBridge may deliver it twice: nothing is processed twice.
    replay = FileOutcome(key=uploads[0][0].key, expected="duplicate")
    report.files.append(replay)
    settle(replay, start(events[0], f"sample-{run_id}-replay"))

    report.processed_objects = s3.list_objects_v2(
        Bucket=exports[DataExport.PROCESSED_BUCKET_NAME]
    ).get("KeyCount", 0)
    report.quarantine_objects = s3.list_objects_v2(
        Bucket=exports[DataExport.QUARANTINE_BUCKET_NAME]
    ).get("KeyCount", 0)
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    while messages:
        report.alerts += [json.loads(m["Body"]).get("Subject", "") for m in messages]
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        )
    sns.unsubscribe(SubscriptionArn=subscription)
    sqs.delete_queue(QueueUrl=queue_url)
    report.seconds = time.perf_counter() - started
    return report


def _as_rule_target(aws: EnvironmentAws, endpoint: str, state_machine: str) -> Any:
    """A Step Functions client with the role of the event rule that targets ``state_machine``
    (the operator's own client if no rule names a role)."""
    events = aws.client("events")
    for rule in events.list_rule_names_by_target(TargetArn=state_machine)["RuleNames"]:
        for target in events.list_targets_by_rule(Rule=rule)["Targets"]:
            if target["Arn"] == state_machine and target.get("RoleArn"):
                return boto3.client(
                    "stepfunctions",
                    endpoint_url=endpoint,
                    region_name=aws.region,
                    aws_access_key_id=role_access_key(target["RoleArn"].rsplit("/", 1)[-1]),
                    aws_secret_access_key="local",  # noqa: S106  (the emulator checks none)
                )
    return aws.client("stepfunctions")

"""Re-driving files and dead letters into the workflow, against moto in-process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.ops.events import is_object_created, object_created_event
from infra.ops.executions import start_execution, wait_for
from infra.ops.redrive import redrive_dead_letters, reprocess

REGION = "us-east-2"
BUCKET = "txn-raw-dev-d01"
KEY = "raw/bank/2024/05/01/day.csv"
# What finalize would leave in the execution's output, so wait_for has a file outcome to read.
DEFINITION = json.dumps(
    {
        "StartAt": "Summary",
        "States": {
            "Summary": {
                "Type": "Pass",
                "Result": {"status": "SUCCEEDED", "rows_read": 3, "rows_written": 2},
                "ResultPath": "$.summary.value",
                "End": True,
            }
        },
    }
)


@dataclass
class Aws:
    s3: Any
    sfn: Any
    sqs: Any
    state_machine: str
    queue_url: str

    def executions(self) -> list[dict[str, Any]]:
        return list(self.sfn.list_executions(stateMachineArn=self.state_machine)["executions"])

    def inputs(self) -> list[dict[str, Any]]:
        return [
            json.loads(self.sfn.describe_execution(executionArn=e["executionArn"])["input"])
            for e in self.executions()
        ]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        s3, sfn, sqs, iam = (
            boto3.client(s, region_name=REGION) for s in ("s3", "stepfunctions", "sqs", "iam")
        )
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        machine = sfn.create_state_machine(name="pipeline", definition=DEFINITION, roleArn=role)
        queue = sqs.create_queue(QueueName="trigger-dlq-dev-d01")["QueueUrl"]
        yield Aws(s3, sfn, sqs, machine["stateMachineArn"], queue)


def _dead_letter(aws: Aws, body: str) -> None:
    aws.sqs.send_message(QueueUrl=aws.queue_url, MessageBody=body)


def _queued(aws: Aws) -> int:
    attributes = aws.sqs.get_queue_attributes(
        QueueUrl=aws.queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(v) for v in attributes.values())


def test_a_raw_file_gets_the_event_eventbridge_would_have_sent(aws: Aws) -> None:
    aws.s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"header\n")
    (result,) = reprocess(
        s3=aws.s3,
        sfn=aws.sfn,
        state_machine=aws.state_machine,
        bucket=BUCKET,
        keys=[KEY],
        region=REGION,
    )
    assert result.problem is None and result.execution_arn
    (event,) = aws.inputs()
    etag = aws.s3.head_object(Bucket=BUCKET, Key=KEY)["ETag"].strip('"')
    assert is_object_created(event)
    assert event["detail"]["object"] == {"key": KEY, "size": 7, "etag": etag, "sequencer": "0"}
    assert event["detail"]["bucket"]["name"] == BUCKET
    outcome = wait_for(aws.sfn, result.execution_arn, timeout_s=30, poll_s=0.01)
    assert outcome.status == "SUCCEEDED" and outcome.counts["rows_written"] == 2


def test_keys_that_cannot_be_processed_are_reported_and_start_nothing(aws: Aws) -> None:
    results = reprocess(
        s3=aws.s3,
        sfn=aws.sfn,
        state_machine=aws.state_machine,
        bucket=BUCKET,
        keys=[KEY, "processed/bank/x.parquet"],
        region=REGION,
    )
    assert [r.problem for r in results] == [
        f"no such object in s3://{BUCKET}",
        "not under raw/: the pipeline takes raw/<source>/<yyyy>/<mm>/<dd>/ keys",
    ]
    assert aws.executions() == []


def test_dead_letters_start_executions_and_leave_the_queue(aws: Aws) -> None:
    for key in ("raw/a/2024/05/01/1.csv", "raw/a/2024/05/01/2.csv"):
        head = {"ETag": f'"{key[-5]}"', "ContentLength": 10}
        _dead_letter(aws, json.dumps(object_created_event(BUCKET, key, head, REGION)))
    _dead_letter(aws, "not json")
    _dead_letter(aws, json.dumps({"detail-type": "Object Deleted", "detail": {}}))

    results = redrive_dead_letters(
        sqs=aws.sqs, sfn=aws.sfn, state_machine=aws.state_machine, queue_url=aws.queue_url
    )
    started = [r for r in results if r.execution_arn]
    assert sorted(e["detail"]["object"]["key"] for e in aws.inputs()) == [
        "raw/a/2024/05/01/1.csv",
        "raw/a/2024/05/01/2.csv",
    ]
    assert len(started) == 2 and all(":redrive-" in str(r.execution_arn) for r in started)
    problems = sorted(str(r.problem) for r in results if r.problem)
    assert problems == [
        "body is not JSON (Expecting value: line 1 column 1 (char 0)); left in the queue",
        "body is not an S3 Object Created event; left in the queue",
    ]
    assert _queued(aws) == 2  # only the two it could not use


def test_a_dry_run_starts_and_deletes_nothing(aws: Aws) -> None:
    head = {"ETag": '"e"', "ContentLength": 10}
    _dead_letter(aws, json.dumps(object_created_event(BUCKET, KEY, head, REGION)))
    (result,) = redrive_dead_letters(
        sqs=aws.sqs,
        sfn=aws.sfn,
        state_machine=aws.state_machine,
        queue_url=aws.queue_url,
        dry_run=True,
    )
    assert result.execution_arn is None and result.event is not None
    assert aws.executions() == [] and _queued(aws) == 1


def test_starting_the_same_name_twice_runs_one_execution(aws: Aws) -> None:
    event = object_created_event(BUCKET, KEY, {"ETag": '"e"', "ContentLength": 1}, REGION)
    first = start_execution(aws.sfn, aws.state_machine, "redrive-m1", event)
    second = start_execution(aws.sfn, aws.state_machine, "redrive-m1", event)
    assert first == second and len(aws.executions()) == 1

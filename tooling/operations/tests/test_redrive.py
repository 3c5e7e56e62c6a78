"""Re-driving files and dead letters into the workflow, against moto in-process.

moto cannot run Lambda code here, so the finalize function (the failure path a stuck file is
released through) is a stand-in that answers as finalize/run.py's record_failure does; the
end-to-end test runs the real one on the local environment."""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws
from testkit.tables import create_metadata_table

from tooling.operations.events import is_object_created, object_created_event
from tooling.operations.executions import start_execution, wait_for
from tooling.operations.redrive import Pipeline, redrive_dead_letters, reprocess

REGION = "us-east-2"
BUCKET = "txn-raw-dev-d01"
TABLE = "pipeline-metadata-dev-d01"
KEY = "raw/bank/2024/05/01/day.csv"
DEFINITION = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})


@dataclass
class Finalize:
    """The finalize function's failure path, as redrive sees it: marks the file FAILED."""

    table: Any
    failures: list[dict[str, Any]] = field(default_factory=list)

    def invoke(self, FunctionName: str, Payload: bytes) -> dict[str, Any]:
        failure = json.loads(Payload)["failure"]
        self.failures.append(failure)
        detail = failure["detail"]
        self.table.update_item(
            TableName=TABLE,
            Key=_file_key(detail["object"]["key"], detail["object"]["etag"]),
            UpdateExpression="SET #s = :failed",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":failed": {"S": "FAILED"}},
        )
        answer = {"recorded": True, "status": "FAILED", "outputs_withdrawn": 0}
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(answer).encode())}


@dataclass
class Aws:
    pipeline: Pipeline
    sqs: Any
    queue_url: str
    finalize: Finalize

    def executions(self) -> list[dict[str, Any]]:
        sfn, machine = self.pipeline.sfn, self.pipeline.state_machine
        return list(sfn.list_executions(stateMachineArn=machine)["executions"])

    def inputs(self) -> list[dict[str, Any]]:
        return [
            json.loads(
                self.pipeline.sfn.describe_execution(executionArn=e["executionArn"])["input"]
            )
            for e in self.executions()
        ]

    def upload(self, key: str = KEY, body: bytes = b"header\n") -> str:
        self.pipeline.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        return str(self.pipeline.s3.head_object(Bucket=BUCKET, Key=key)["ETag"]).strip('"')

    def record(self, key: str, etag: str, status: str) -> None:
        item = {**_file_key(key, etag), "status": {"S": status}}
        self.pipeline.dynamodb.put_item(TableName=TABLE, Item=item)


def _file_key(key: str, etag: str) -> dict[str, Any]:
    return {"pk": {"S": f"FILE#{BUCKET}/{key}"}, "sk": {"S": f"ETAG#{etag}"}}


def _state_machine(definition: str = DEFINITION) -> str:
    iam, sfn = boto3.client("iam"), boto3.client("stepfunctions")
    role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    machine = sfn.create_state_machine(name="pipeline", definition=definition, roleArn=role)
    return str(machine["stateMachineArn"])


@pytest.fixture
def aws(aws_credentials: None) -> Iterator[Aws]:
    """Executions stay RUNNING (moto does not run them unless asked)."""
    with mock_aws():
        s3, dynamodb, sqs = (boto3.client(s) for s in ("s3", "dynamodb", "sqs"))
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        create_metadata_table(dynamodb, TABLE)
        finalize = Finalize(dynamodb)
        pipeline = Pipeline(
            s3=s3,
            sfn=boto3.client("stepfunctions"),
            dynamodb=dynamodb,
            lambda_=finalize,
            state_machine=_state_machine(),
            raw_bucket=BUCKET,
            metadata_table=TABLE,
            finalize_function="finalize-dev-d01",
            region=REGION,
        )
        queue = sqs.create_queue(QueueName="trigger-dlq-dev-d01")["QueueUrl"]
        yield Aws(pipeline, sqs, queue, finalize)


def _dead_letter(aws: Aws, body: str) -> None:
    aws.sqs.send_message(QueueUrl=aws.queue_url, MessageBody=body)


def _queued(aws: Aws) -> int:
    attributes = aws.sqs.get_queue_attributes(
        QueueUrl=aws.queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(v) for v in attributes.values())


def test_a_raw_file_gets_the_event_eventbridge_would_have_sent(aws: Aws) -> None:
    etag = aws.upload()
    (result,) = reprocess(aws.pipeline, [KEY])
    assert result.problem is None and result.execution_arn and result.note == ""
    (event,) = aws.inputs()
    assert is_object_created(event)
    assert event["detail"]["object"] == {"key": KEY, "size": 7, "etag": etag, "sequencer": "0"}
    assert event["detail"]["bucket"]["name"] == BUCKET
    other_account = dataclasses.replace(
        aws.pipeline, state_machine="arn:aws:states:us-east-2:210987654321:stateMachine:p"
    )
    (dry,) = reprocess(other_account, [KEY], dry_run=True)
    assert dry.event and dry.event["account"] == "210987654321"  # the pipeline's account


def test_keys_that_cannot_be_processed_are_reported_and_start_nothing(aws: Aws) -> None:
    results = reprocess(aws.pipeline, [KEY, "processed/bank/x.parquet"])
    assert [r.problem for r in results] == [
        f"no such object in s3://{BUCKET}",
        "not under raw/: the pipeline takes raw/<source>/<yyyy>/<mm>/<dd>/ keys",
    ]
    assert aws.executions() == []


@pytest.mark.parametrize("status", ["SUCCEEDED", "REJECTED"])
def test_a_file_version_already_settled_is_left_alone(aws: Aws, status: str) -> None:
    aws.record(KEY, aws.upload(), status)
    (result,) = reprocess(aws.pipeline, [KEY])
    assert result.note == f"already {status}: nothing to do" and result.execution_arn is None
    assert aws.executions() == []


def test_a_file_stuck_in_registered_is_released_then_started(aws: Aws) -> None:
    etag = aws.upload()
    aws.record(KEY, etag, "REGISTERED")  # its execution was stopped before recording anything
    (result,) = reprocess(aws.pipeline, [KEY])
    assert result.execution_arn and result.problem is None
    assert result.note == "its last run ended without an outcome: released"
    (failure,) = aws.finalize.failures
    assert failure["detail"]["object"]["key"] == KEY and failure["error"]["Error"] == "Released"
    assert len(aws.executions()) == 1


def test_a_file_still_being_processed_is_not_started_again(aws: Aws) -> None:
    etag = aws.upload()
    aws.record(KEY, etag, "REGISTERED")
    event = object_created_event(BUCKET, KEY, {"ETag": f'"{etag}"', "ContentLength": 7}, REGION)
    running = start_execution(
        aws.pipeline.sfn, aws.pipeline.state_machine, "from-eventbridge", event
    )
    (result,) = reprocess(aws.pipeline, [KEY])
    assert result.problem == "still being processed by from-eventbridge"
    assert aws.finalize.failures == [] and [e["executionArn"] for e in aws.executions()] == [
        running
    ]


def test_a_dry_run_of_keys_starts_and_releases_nothing(aws: Aws) -> None:
    aws.record(KEY, aws.upload(), "REGISTERED")
    (result,) = reprocess(aws.pipeline, [KEY, KEY], dry_run=True)  # each key once
    assert result.execution_arn is None and result.event is not None
    assert result.note == "its last run ended without an outcome: would be released"
    assert aws.finalize.failures == [] and aws.executions() == []


def test_dead_letters_start_executions_and_leave_the_queue(aws: Aws) -> None:
    for key in ("raw/a/2024/05/01/1.csv", "raw/a/2024/05/01/2.csv"):
        head = {"ETag": f'"{key[-5]}"', "ContentLength": 10}
        _dead_letter(aws, json.dumps(object_created_event(BUCKET, key, head, REGION)))
    _dead_letter(aws, "not json")
    _dead_letter(aws, json.dumps({"detail-type": "Object Deleted", "detail": {}}))

    p = aws.pipeline
    results = redrive_dead_letters(
        sqs=aws.sqs, sfn=p.sfn, state_machine=p.state_machine, queue_url=aws.queue_url
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


def test_a_dry_run_of_dead_letters_starts_and_deletes_nothing(aws: Aws) -> None:
    head = {"ETag": '"e"', "ContentLength": 10}
    _dead_letter(aws, json.dumps(object_created_event(BUCKET, KEY, head, REGION)))
    p = aws.pipeline
    (result,) = redrive_dead_letters(
        sqs=aws.sqs, sfn=p.sfn, state_machine=p.state_machine, queue_url=aws.queue_url, dry_run=True
    )
    assert result.execution_arn is None and result.event is not None
    assert aws.executions() == [] and _queued(aws) == 1


def test_starting_the_same_name_twice_runs_one_execution(aws: Aws) -> None:
    event = object_created_event(BUCKET, KEY, {"ETag": '"e"', "ContentLength": 1}, REGION)
    p = aws.pipeline
    first = start_execution(p.sfn, p.state_machine, "redrive-m1", event)
    second = start_execution(p.sfn, p.state_machine, "redrive-m1", event)
    assert first == second and len(aws.executions()) == 1


def test_waiting_reads_the_file_outcome_from_the_execution_output(aws_credentials: None) -> None:
    # What finalize leaves in the execution's output.
    summary = {
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
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        machine = _state_machine(json.dumps(summary))
        sfn = boto3.client("stepfunctions")
        arn = start_execution(sfn, machine, "one", {"detail": {}})
        outcome = wait_for(sfn, arn, timeout_s=30, poll_s=0.01)
    assert outcome.status == "SUCCEEDED"
    assert outcome.counts == {
        "rows_read": 3,
        "rows_written": 2,
        "rows_quarantined": 0,
        "duplicates": 0,
        "chunks": 0,
    }

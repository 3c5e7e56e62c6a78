"""An environment's health read from moto: alarms, executions in the window, dead letters."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tooling.operations.status import read_health

DEFINITION = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
HOUR = dt.timedelta(hours=1)


@dataclass
class Aws:
    cloudwatch: Any
    sfn: Any
    sqs: Any
    state_machine: str
    queue_url: str

    def alarm(self, name: str, state: str | None = None) -> None:
        self.cloudwatch.put_metric_alarm(
            AlarmName=name,
            MetricName="ExecutionsFailed",
            Namespace="AWS/States",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        )
        if state:
            self.cloudwatch.set_alarm_state(
                AlarmName=name, StateValue=state, StateReason=f"{name} went {state}"
            )

    def health(self, since: dt.datetime, now: dt.datetime | None = None) -> Any:
        return read_health(
            cloudwatch=self.cloudwatch,
            sfn=self.sfn,
            sqs=self.sqs,
            alarm_suffix="-dev-d01",
            state_machine=self.state_machine,
            queue_url=self.queue_url,
            since=since,
            now=now or _now(),
            stuck_after=2 * HOUR,
        )


@pytest.fixture
def aws(aws_credentials: None) -> Iterator[Aws]:
    with mock_aws():
        iam, sfn, sqs = (boto3.client(s) for s in ("iam", "stepfunctions", "sqs"))
        role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        machine = sfn.create_state_machine(
            name="pipeline-dev-d01", definition=DEFINITION, roleArn=role
        )["stateMachineArn"]
        queue = sqs.create_queue(QueueName="trigger-dlq-dev-d01")["QueueUrl"]
        yield Aws(boto3.client("cloudwatch"), sfn, sqs, machine, queue)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def test_a_quiet_environment_is_healthy(aws: Aws) -> None:
    aws.alarm("executions-failed-dev-d01", "OK")
    aws.sfn.start_execution(stateMachineArn=aws.state_machine, name="a")
    health = aws.health(_now() - HOUR)
    assert health.healthy
    assert health.executions == {"RUNNING": 1} and health.dead_letters == 0
    assert health.to_dict()["alarms"] == {"executions-failed-dev-d01": "OK"}


def test_firing_alarms_failed_runs_and_dead_letters_need_attention(aws: Aws) -> None:
    aws.alarm("executions-failed-dev-d01", "OK")
    aws.alarm("quarantine-rate-dev-d01", "ALARM")
    aws.alarm("quarantine-rate-prod-p01", "ALARM")  # another environment's: not ours
    for name in ("a", "b", "stopped"):
        aws.sfn.start_execution(stateMachineArn=aws.state_machine, name=name)
    stopped = f"{aws.state_machine.replace(':stateMachine:', ':execution:')}:stopped"
    aws.sfn.stop_execution(executionArn=stopped)
    for body in ("{}", "{}"):
        aws.sqs.send_message(QueueUrl=aws.queue_url, MessageBody=body)

    health = aws.health(_now() - HOUR)
    assert not health.healthy
    assert [(a.name, a.state) for a in health.alarms] == [
        ("quarantine-rate-dev-d01", "ALARM"),  # firing first
        ("executions-failed-dev-d01", "OK"),
    ]
    assert health.firing[0].reason == "quarantine-rate-dev-d01 went ALARM"
    assert health.executions == {"RUNNING": 2, "ABORTED": 1}
    assert [(p.name, p.status) for p in health.problems] == [("stopped", "ABORTED")]
    assert health.dead_letters == 2


def test_executions_before_the_window_are_not_counted(aws: Aws) -> None:
    aws.sfn.start_execution(stateMachineArn=aws.state_machine, name="old")
    aws.sfn.stop_execution(
        executionArn=f"{aws.state_machine.replace(':stateMachine:', ':execution:')}:old"
    )
    health = aws.health(_now() + HOUR)  # a window that starts after it
    assert health.executions == {} and health.problems == [] and health.healthy


def test_a_run_going_on_too_long_is_stuck(aws: Aws) -> None:
    aws.sfn.start_execution(stateMachineArn=aws.state_machine, name="waiting")
    assert aws.health(_now() - HOUR).healthy  # just started
    later = aws.health(_now() - HOUR, now=_now() + 3 * HOUR)  # three hours on, still running
    assert [(p.name, p.status) for p in later.problems] == [("waiting", "STUCK")]
    assert later.executions == {"RUNNING": 1} and not later.healthy

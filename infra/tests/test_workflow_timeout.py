"""The workflow's time limit and its alarm (issue 11, #5), and publishes that fail loudly (#10).

Without a top-level ``TimeoutSeconds`` an execution runs up to Step Functions' year, so
``ExecutionsTimedOut`` could never move and the executions-timed-out alarm never fire: a hung
run left its file ``REGISTERED``. The limit is derived from the definition (every task at its
whole timeout plus its retries' waits, the Map over the most chunks a file can have, twice for
Regroup); these tests derive it again from the rendered ASL alone."""

from __future__ import annotations

import json
import math
import time
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.naming import ENVIRONMENTS
from infra.tests.conftest import Synthesized

ENVS = pytest.mark.parametrize("env", ENVIRONMENTS)
# Step Functions service quotas for a Standard execution: 25,000 history events, one year.
HISTORY_EVENTS, MAX_EXECUTION_S = 25_000, 365 * 24 * 3600


def _definition(s: Synthesized) -> dict[str, Any]:
    (machine,) = s.resources("aws_sfn_state_machine").values()
    document: dict[str, Any] = json.loads(machine["definition"])
    return document


def _longest_s(task: dict[str, Any]) -> float:
    """A task's whole TimeoutSeconds once, plus the longest its retriers wait in all."""
    waits: float = sum(
        min(r["IntervalSeconds"] * r["BackoffRate"] ** n, r["MaxDelaySeconds"])
        for r in task.get("Retry", [])
        for n in range(r["MaxAttempts"])
    )
    return float(task["TimeoutSeconds"]) + waits


def _tasks(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    states = dict(definition["States"])
    states |= definition["States"]["TransformChunks"]["ItemProcessor"]["States"]
    return {name: state for name, state in states.items() if state["Type"] == "Task"}


@ENVS
def test_every_task_has_a_time_limit(synthesized: dict[str, Synthesized], env: str) -> None:
    """Nothing inside can outwait the execution's limit: Lambda tasks and SNS publishes too
    (a Task without TimeoutSeconds waits as long as the execution)."""
    tasks = _tasks(_definition(synthesized[env]))
    assert {"Publish", "PublishSkipped", "PublishFailure", "Transform"} <= set(tasks)
    for name, task in tasks.items():
        assert isinstance(task.get("TimeoutSeconds"), int) and task["TimeoutSeconds"] > 0, name


@ENVS
def test_the_execution_has_a_time_limit_that_allows_two_passes_over_the_most_chunks(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    s = synthesized[env]
    definition = _definition(s)
    timeout = definition.get("TimeoutSeconds")
    assert isinstance(timeout, int), "no top-level TimeoutSeconds: ExecutionsTimedOut never moves"
    tasks = _tasks(definition)
    # The most chunks a pass can have: ingest's MAX_FILE_BYTES over its CHUNK_BYTES (cuts are
    # at least CHUNK_BYTES apart), and no more Map iterations than the history quota holds.
    (ingest,) = (
        f
        for f in s.resources("aws_lambda_function").values()
        if f["handler"] == "ingest.handler.lambda_handler"
    )
    variables = ingest["environment"]["variables"]
    chunk_bytes = int(variables["CHUNK_BYTES"])
    assert chunk_bytes == s.config.chunk_mb << 20
    chunks = min(math.ceil(int(variables["MAX_FILE_BYTES"]) / chunk_bytes), HISTORY_EVENTS // 14)
    concurrency = definition["States"]["TransformChunks"]["MaxConcurrency"]
    # Greedy Map slots: the last chunk starts after at most (chunks - 1) / concurrency lengths.
    waves = math.ceil((chunks - 1) / concurrency) + 1
    one_pass = waves * _longest_s(tasks["Transform"]) + _longest_s(tasks["Finalize"])
    # Regroup sends the Map round once more: the limit must allow both passes.
    assert definition["States"]["Regroup"]["Next"] == "TransformChunks"
    ending = sum(
        _longest_s(tasks[t])
        for t in ("Describe", "RecordFailure", "DescribeFailure", "PublishFailure")
    )
    longest = _longest_s(tasks["Ingest"]) + 2 * one_pass + ending
    assert longest <= timeout <= longest + 1
    assert timeout <= MAX_EXECUTION_S  # Step Functions' limit for a Standard execution
    if env == "prod":  # 100 GiB in 256 MiB chunks, 40 at a time, 900 s each: about 9 hours
        assert (chunks, waves) == (400, 11)
        assert 8 * 3600 < timeout < 10 * 3600


@ENVS
def test_the_timed_out_alarm_watches_this_state_machine(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    s = synthesized[env]
    alarms = s.resources("aws_cloudwatch_metric_alarm", "observability")
    (alarm,) = (a for a in alarms.values() if a["alarm_name"].startswith("executions-timed-out-"))
    assert (alarm["namespace"], alarm["metric_name"]) == ("AWS/States", "ExecutionsTimedOut")
    assert alarm["statistic"] == "Sum" and alarm["threshold"] == 1
    assert alarm["comparison_operator"] == "GreaterThanOrEqualToThreshold"
    # The dimension is the ARN the pipeline stack exported for its state machine.
    reference = alarm["dimensions"]["StateMachineArn"]
    parameters = s.stacks["observability"]["data"]["aws_ssm_parameter"]
    (read,) = (
        p for n, p in parameters.items() if reference == f"${{data.aws_ssm_parameter.{n}.value}}"
    )
    (exported,) = (
        p
        for p in s.resources("aws_ssm_parameter", "pipeline").values()
        if p["name"] == read["name"]
    )
    assert read["name"].endswith("/pipeline/state_machine_arn")
    assert exported["value"].startswith("${aws_sfn_state_machine.")


@ENVS
def test_a_publish_that_fails_fails_the_run(synthesized: dict[str, Synthesized], env: str) -> None:
    """#10: a failed SNS publish is never silent; the run fails, so executions-failed fires."""
    states = _definition(synthesized[env])["States"]
    for name, target in (
        ("Publish", "AlertNotSent"),
        ("PublishSkipped", "AlertNotSent"),
        ("PublishFailure", "FailedAlertNotSent"),
        ("DescribeFailure", "FailedAlertNotSent"),
    ):
        assert states[name]["Catch"] == [
            {"ErrorEquals": ["States.ALL"], "Next": target, "ResultPath": "$.alertError"}
        ], name
    assert states["AlertNotSent"]["Type"] == "Fail"
    assert states["AlertNotSent"]["Error"] == "AlertNotSent"
    assert states["FailedAlertNotSent"]["Type"] == "Fail"
    assert states["FailedAlertNotSent"]["Error"] == "PipelineFailed"
    # The outcome of a processed file stands: the catch does not send it to RecordFailure.
    assert states["Publish"]["Next"] == "Done" and states["PublishSkipped"]["Next"] == "Done"


@mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
def test_an_execution_past_its_time_limit_ends_timed_out() -> None:
    """What ExecutionsTimedOut counts: Step Functions (here moto's interpreter) ends a run that
    passes the definition's TimeoutSeconds as TIMED_OUT, whatever state it is in."""
    iam = boto3.client("iam", region_name="us-east-2")
    role = iam.create_role(
        RoleName="sfn",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "states.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    sfn = boto3.client("stepfunctions", region_name="us-east-2")
    definition = {
        "StartAt": "Hang",
        "TimeoutSeconds": 1,
        "States": {"Hang": {"Type": "Wait", "Seconds": 30, "End": True}},
    }
    machine = sfn.create_state_machine(
        name="hangs", definition=json.dumps(definition), roleArn=role
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    deadline = time.monotonic() + 20
    status = "RUNNING"
    while status == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.2)
        status = sfn.describe_execution(executionArn=execution)["status"]
    assert status == "TIMED_OUT"

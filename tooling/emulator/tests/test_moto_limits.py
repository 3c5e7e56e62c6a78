"""The limits moto enforces itself, held where they are (each test fails if moto stops), and
the gaps the emulator's AwsLimits layer closes, shown open in moto alone."""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.awslambda.models import LambdaFunction

from tooling.emulator import limits, shims

REGION = "us-east-2"


@pytest.fixture
def aws(aws_credentials: None) -> Iterator[None]:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield


@pytest.fixture
def returns() -> Iterator[list[Any]]:
    """Every function invoked returns the next value queued here (no real handler runs)."""
    queued: list[Any] = []
    saved = LambdaFunction._invoke_lambda
    shims.lambda_runs_real_handlers(lambda fn, event: (json.dumps(queued.pop(0)), False, ""))
    yield queued
    LambdaFunction._invoke_lambda = saved  # type: ignore[method-assign]


def function_arn(name: str = "f") -> str:
    iam, lam = boto3.client("iam"), boto3.client("lambda", region_name=REGION)
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("h.py", "def handler(e, c): return 1\n")
    created = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="h.handler",
        Code={"ZipFile": code.getvalue()},
    )
    return str(created["FunctionArn"])


def run_to_end(definition: dict[str, Any], execution_input: str = "{}") -> dict[str, Any]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = sfn.create_state_machine(
        name=f"m-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/r",
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input=execution_input)["executionArn"]
    for _ in range(400):
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            return dict(described)
        time.sleep(0.05)
    raise AssertionError("the execution did not end")


def test_moto_still_fails_a_state_whose_output_is_over_256_kib(aws: None) -> None:
    big = {"Type": "Pass", "Result": "x" * limits.SFN_PAYLOAD_MAX_BYTES, "End": True}
    ended = run_to_end({"StartAt": "Big", "States": {"Big": big}})
    assert (ended["status"], ended.get("error")) == ("FAILED", limits.SFN_DATA_LIMIT_ERROR)
    small = {"Type": "Pass", "Result": "x" * 200_000, "End": True}
    assert run_to_end({"StartAt": "Small", "States": {"Small": small}})["status"] == "SUCCEEDED"


def test_moto_still_fails_a_task_whose_result_is_over_256_kib(
    aws: None, returns: list[Any]
) -> None:
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function_arn(), "Payload.$": "$"},
        "ResultSelector": {"n.$": "$.StatusCode"},  # the result is measured before it
        "End": True,
    }
    returns.append({"v": "x" * limits.SFN_PAYLOAD_MAX_BYTES})
    ended = run_to_end({"StartAt": "Task", "States": {"Task": task}})
    assert (ended["status"], ended.get("error")) == ("FAILED", limits.SFN_DATA_LIMIT_ERROR)


def test_moto_alone_publishes_what_sns_refuses(aws: None) -> None:
    """The gaps AwsLimits closes: moto refuses a subject only over 100 characters, of any kind,
    and counts a message's characters, not its bytes."""
    sns = boto3.client("sns", region_name=REGION)
    arn = sns.create_topic(Name="gap")["TopicArn"]
    assert sns.publish(TopicArn=arn, Message="m", Subject="é\n" * 50)["MessageId"]
    assert sns.publish(TopicArn=arn, Message="€" * 100_000)["MessageId"]  # 300,000 bytes


def test_moto_alone_creates_what_s3_ssm_iam_and_tags_refuse(aws: None) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="Not_A_Valid.Name")
    ssm = boto3.client("ssm", region_name=REGION)
    ssm.put_parameter(Name="/" + "/".join(["l"] * 20), Value="v", Type="String")
    ssm.put_parameter(Name="not/fully/qualified", Value="v", Type="String")
    iam = boto3.client("iam")
    big = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/" + "x" * 7000}
    iam.create_policy(
        PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [big]})
    )
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=[{"Key": "k", "Value": "v" * 300}],
    )

"""Each emulator gap, shown still open in moto (these tests fail once moto fixes it: then
delete the shim), and each shim, shown closing it."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.awslambda.models import LambdaFunction
from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import (
    ErrorEqualsDecl,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
    StateTaskService,
)
from moto.stepfunctions.responses import StepFunctionResponse

from tooling.emulator import limits, shims

REGION = "us-east-2"
DEFINITION = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
TLS_ONLY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::b-local-x", "arn:aws:s3:::b-local-x/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
)


@pytest.fixture
def aws(aws_credentials: None) -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def unpatched() -> Iterator[None]:
    """Moto's own classes, restored after a shim test."""
    saved = (
        StepFunctionResponse.__dict__.get("validate_state_machine_definition"),
        StepFunctionResponse.__dict__.get("list_state_machine_versions"),
        LambdaFunction._invoke_lambda,
        LambdaFunction.__init__,
        LambdaFunction.update_configuration,
        LambdaFunction.get_configuration,
    )
    from moto.ec2.models.security_groups import SecurityGroupRule
    from moto.s3.responses import S3Response

    saved_rule_init = SecurityGroupRule.__init__
    saved_notification = S3Response.get_bucket_notification
    from moto.dynamodb.models import DynamoDBBackend
    from moto.s3.models import FakeBucket

    saved_permission = FakeBucket.get_permission
    saved_get_table = DynamoDBBackend.get_table
    saved_error_equals = ErrorEqualsDecl._eval_body
    saved_before_task = StateTaskService._before_eval_execution
    yield
    ErrorEqualsDecl._eval_body = saved_error_equals  # type: ignore[method-assign]
    StateTaskService._before_eval_execution = saved_before_task  # type: ignore[method-assign]
    for name, original in zip(
        ("validate_state_machine_definition", "list_state_machine_versions"), saved[:2], strict=True
    ):
        if original is None and hasattr(StepFunctionResponse, name):
            delattr(StepFunctionResponse, name)
    LambdaFunction._invoke_lambda = saved[2]  # type: ignore[method-assign]
    LambdaFunction.__init__ = saved[3]  # type: ignore[method-assign]
    LambdaFunction.update_configuration = saved[4]  # type: ignore[method-assign]
    LambdaFunction.get_configuration = saved[5]  # type: ignore[method-assign]
    SecurityGroupRule.__init__ = saved_rule_init  # type: ignore[method-assign]
    S3Response.get_bucket_notification = saved_notification  # type: ignore[method-assign]
    FakeBucket.get_permission = saved_permission  # type: ignore[method-assign]
    DynamoDBBackend.get_table = saved_get_table  # type: ignore[method-assign]


def test_moto_still_lacks_validate_state_machine_definition(aws: None, unpatched: None) -> None:
    assert not hasattr(StepFunctionResponse, "validate_state_machine_definition")
    shims.sfn_validate_definition()
    result = boto3.client("stepfunctions").validate_state_machine_definition(definition=DEFINITION)
    assert result["result"] == "OK"


def test_moto_still_lacks_list_state_machine_versions(aws: None, unpatched: None) -> None:
    assert not hasattr(StepFunctionResponse, "list_state_machine_versions")
    shims.sfn_list_versions()
    sfn = boto3.client("stepfunctions")
    arn = sfn.create_state_machine(
        name="m", definition=DEFINITION, roleArn="arn:aws:iam::123456789012:role/r"
    )["stateMachineArn"]
    assert sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"] == []


def test_moto_still_denies_everything_under_a_tls_only_policy(aws: None, unpatched: None) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="b-local-x", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_policy(Bucket="b-local-x", Policy=TLS_ONLY)
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import s3_backends

    bucket = s3_backends["123456789012"]["aws"].buckets["b-local-x"]
    assert (
        bucket.get_permission("s3:PutObject", "arn:aws:s3:::b-local-x/k") == PermissionResult.DENIED
    )  # the gap
    shims.s3_policy_conditions()
    assert (
        bucket.get_permission("s3:PutObject", "arn:aws:s3:::b-local-x/k")
        == PermissionResult.NEUTRAL
    )


def _delete_missing_table() -> str:
    with pytest.raises(ClientError) as raised:
        boto3.client("dynamodb", region_name=REGION).delete_table(TableName="t-local-x")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    return str(raised.value.response["Error"]["Message"])


def test_moto_still_leaves_the_table_out_of_not_found(aws: None, unpatched: None) -> None:
    """The AWS provider ignores a DeleteTable answered "...: Table: <name> not found" only."""
    assert _delete_missing_table() == "Requested resource not found"  # the gap
    shims.dynamodb_missing_table_named()
    assert _delete_missing_table() == "Requested resource not found: Table: t-local-x not found"


def _delete_every_version(bucket: str) -> dict[str, Any]:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="k")  # leaves a delete marker
    # Destroy removes the versioning resource (suspends it) before the bucket.
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    listed = s3.list_object_versions(Bucket=bucket)
    versions = [
        {"Key": v["Key"], "VersionId": v["VersionId"]}
        for v in listed.get("Versions", []) + listed.get("DeleteMarkers", [])
    ]
    assert len(versions) == 2
    return dict(s3.delete_objects(Bucket=bucket, Delete={"Objects": versions}))


def test_moto_still_cannot_delete_a_delete_marker(aws: None, unpatched: None) -> None:
    """As the AWS provider empties a versioned bucket on destroy (force_destroy)."""
    from moto.s3.models import FakeDeleteMarker

    assert not hasattr(FakeDeleteMarker, "dispose")  # the gap
    with pytest.raises(AttributeError, match="dispose"):
        _delete_every_version("v-local-x")
    shims.s3_delete_marker_versions()
    try:
        deleted = _delete_every_version("v-local-y")
    finally:
        del FakeDeleteMarker.dispose  # type: ignore[attr-defined]
    assert len(deleted["Deleted"]) == 2 and not deleted.get("Errors")


def test_lambda_shim_routes_invocations_to_the_runner(aws: None, unpatched: None) -> None:
    seen = []

    def runner(function: LambdaFunction, event: object) -> tuple[str, bool, str]:
        seen.append((function.function_name, event))
        return json.dumps({"ran": function.handler}), False, ""

    shims.lambda_runs_real_handlers(runner)
    iam = boto3.client("iam")
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    import io
    import zipfile

    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("h.py", "def handler(e, c): return 1\n")
    lam = boto3.client("lambda")
    lam.create_function(
        FunctionName="f-local-x",
        Runtime="python3.12",
        Role=role,
        Handler="h.handler",
        Code={"ZipFile": code.getvalue()},
    )
    result = lam.invoke(FunctionName="f-local-x", Payload=json.dumps({"a": 1}))
    assert json.loads(result["Payload"].read()) == {"ran": "h.handler"}
    assert seen == [("f-local-x", {"a": 1})]


def _function_with_logging(name: str, **logging: str) -> Any:
    import io
    import zipfile

    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("h.py", "def handler(e, c): return 1\n")
    role = boto3.client("iam").create_role(RoleName=f"r-{name}", AssumeRolePolicyDocument="{}")
    lam = boto3.client("lambda")
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="h.handler",
        Code={"ZipFile": code.getvalue()},
        **({"LoggingConfig": logging} if logging else {}),
    )
    return lam


def test_moto_still_drops_a_functions_logging_config(aws: None, unpatched: None) -> None:
    lam = _function_with_logging("f-local-a", LogFormat="JSON", LogGroup="/custom/a")
    assert "LoggingConfig" not in lam.get_function(FunctionName="f-local-a")["Configuration"]
    shims.lambda_logging_config()
    lam = _function_with_logging("f-local-b", LogFormat="JSON", LogGroup="/custom/b")
    assert lam.get_function(FunctionName="f-local-b")["Configuration"]["LoggingConfig"] == {
        "LogFormat": "JSON",
        "LogGroup": "/custom/b",
    }
    _function_with_logging("f-local-c")  # AWS's defaults when none is sent
    assert lam.get_function_configuration(FunctionName="f-local-c")["LoggingConfig"] == {
        "LogFormat": "Text",
        "LogGroup": "/aws/lambda/f-local-c",
    }
    lam.update_function_configuration(FunctionName="f-local-c", LoggingConfig={"LogFormat": "JSON"})
    assert lam.get_function(FunctionName="f-local-c")["Configuration"]["LoggingConfig"] == {
        "LogFormat": "JSON",
        "LogGroup": "/aws/lambda/f-local-c",
    }


def test_moto_still_leaves_eventbridge_out_of_a_buckets_notifications(
    aws: None, unpatched: None
) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in ("n-local-a", "n-local-b"):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
        if bucket == "n-local-a":
            answer = s3.get_bucket_notification_configuration(Bucket=bucket)
            assert "EventBridgeConfiguration" not in answer  # the gap
            shims.s3_eventbridge_notification()
    answer = s3.get_bucket_notification_configuration(Bucket="n-local-b")
    assert answer["EventBridgeConfiguration"] == {}
    s3.create_bucket(Bucket="n-local-c", CreateBucketConfiguration={"LocationConstraint": REGION})
    assert "EventBridgeConfiguration" not in s3.get_bucket_notification_configuration(
        Bucket="n-local-c"
    )


def _prefix_list_rule(ec2: Any, group: str, prefix_list: str, description: str) -> Any:
    rule = ec2.authorize_security_group_egress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "PrefixListIds": [{"PrefixListId": prefix_list, "Description": description}],
            }
        ],
    )["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    return ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule])["SecurityGroupRules"][0]


def test_moto_still_drops_a_prefix_list_rules_description(aws: None, unpatched: None) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="g", Description="d", VpcId=vpc)["GroupId"]
    ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.s3", VpcEndpointType="Gateway"
    )
    prefix_list = ec2.describe_prefix_lists()["PrefixLists"][0]["PrefixListId"]
    assert "Description" not in _prefix_list_rule(ec2, group, prefix_list, "to s3")  # the gap
    shims.ec2_prefix_list_rule_description()
    other = ec2.create_security_group(GroupName="h", Description="d", VpcId=vpc)["GroupId"]
    described = _prefix_list_rule(ec2, other, prefix_list, "HTTPS to s3")
    assert described["Description"] == "HTTPS to s3"
    assert described["PrefixListId"] == prefix_list


def test_eventbridge_still_cannot_start_step_functions(aws: None) -> None:
    """The sample day starts executions itself (eventbridge_to_sfn): EventBridge can't here."""
    events, sfn = boto3.client("events"), boto3.client("stepfunctions")
    arn = sfn.create_state_machine(
        name="m", definition=DEFINITION, roleArn="arn:aws:iam::123456789012:role/r"
    )["stateMachineArn"]
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["app"]}))
    events.put_targets(
        Rule="r", Targets=[{"Id": "1", "Arn": arn, "RoleArn": "arn:aws:iam::123456789012:role/r"}]
    )
    with contextlib.suppress(ClientError, NotImplementedError):  # errors say "not supported" too
        events.put_events(Entries=[{"Source": "app", "DetailType": "t", "Detail": "{}"}])
    assert sfn.list_executions(stateMachineArn=arn)["executions"] == []


@pytest.fixture
def executing(aws_credentials: None) -> Iterator[list[Any]]:
    """moto running executions; each function invoked returns the next value queued."""
    queued: list[Any] = []
    saved = LambdaFunction._invoke_lambda
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        shims.lambda_runs_real_handlers(lambda fn, event: (json.dumps(queued.pop(0)), False, ""))
        yield queued
    LambdaFunction._invoke_lambda = saved  # type: ignore[method-assign]


def _function() -> str:
    import io
    import zipfile

    role = boto3.client("iam").create_role(RoleName="fr", AssumeRolePolicyDocument="{}")["Role"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("h.py", "def handler(e, c): return 1\n")
    return str(
        boto3.client("lambda", region_name=REGION).create_function(
            FunctionName=f"f-{uuid.uuid4().hex[:6]}",
            Runtime="python3.12",
            Role=role["Arn"],
            Handler="h.handler",
            Code={"ZipFile": code.getvalue()},
        )["FunctionArn"]
    )


def _run(definition: dict[str, Any]) -> dict[str, Any]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = sfn.create_state_machine(
        name=f"m-{uuid.uuid4().hex[:6]}",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/r",
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    for _ in range(400):
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            return dict(described)
        time.sleep(0.05)
    raise AssertionError("the execution did not end")


def _caught_by(errors: list[str], function_arn: str) -> dict[str, Any]:
    """A task whose result is over 256 KiB, caught by ``errors``."""
    return {
        "StartAt": "Task",
        "States": {
            "Task": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": function_arn, "Payload": {}},
                "Retry": [{"ErrorEquals": errors, "MaxAttempts": 1, "IntervalSeconds": 1}],
                "Catch": [{"ErrorEquals": errors, "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Succeed"},
        },
    }


def test_moto_still_catches_data_limit_exceeded_with_states_all(
    executing: list[Any], unpatched: None
) -> None:
    """In AWS the execution fails (no RecordFailure, no alert); moto ran the failure path."""
    big = {"v": "x" * limits.SFN_PAYLOAD_MAX_BYTES}
    arn = _function()
    executing += [big, big]
    assert _run(_caught_by(["States.ALL"], arn))["status"] == "SUCCEEDED"  # the gap
    shims.sfn_data_limit_is_terminal()
    executing += [big, big, big]
    ended = _run(_caught_by(["States.ALL"], arn))
    assert (ended["status"], ended["error"]) == ("FAILED", limits.SFN_DATA_LIMIT_ERROR)
    assert len(executing) == 2  # not retried either
    assert _run(_caught_by([limits.SFN_DATA_LIMIT_ERROR], arn))["status"] == "SUCCEEDED"


def test_moto_still_sends_a_task_input_over_256_kib(executing: list[Any], unpatched: None) -> None:
    half = "x" * (limits.SFN_PAYLOAD_MAX_BYTES // 2 + 10)  # one state holds it; a task, twice
    definition = {
        "StartAt": "Half",
        "States": {
            "Half": {"Type": "Pass", "Result": half, "ResultPath": "$.half", "Next": "Task"},
            "Task": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {
                    "FunctionName": _function(),
                    "Payload": {"a.$": "$.half", "b.$": "$.half"},
                },
                "ResultSelector": {"n.$": "$.StatusCode"},
                "End": True,
            },
        },
    }
    executing.append({})
    assert _run(definition)["status"] == "SUCCEEDED" and executing == []  # the gap: it ran
    shims.sfn_task_input_quota()
    executing.append({})
    ended = _run(definition)
    assert (ended["status"], ended["error"]) == ("FAILED", limits.SFN_DATA_LIMIT_ERROR)
    assert executing == [{}]  # the function was not invoked

"""Each governance aspect, shown rejecting a bad resource (and passing a good one)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cdktf import App, Aspects, TerraformResourceLifecycle, TerraformStack
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTablePointInTimeRecovery,
)
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket

from infra.aspects.rules import (
    Destroyable,
    DynamoDbOnDemandWithRecovery,
    LambdaOnArm64,
    LeastPrivilegeIam,
    LogRetention,
    NamesCarrySuffix,
    RequiredTags,
)
from infra.aspects.tagging import FinOpsTags
from infra.constructs.grants import Grant, Statement

Build = Callable[[TerraformStack], Any]


def _synth(tmp_path: Path, aspects: list[Any], build: Build) -> None:
    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "s")
    AwsProvider(stack, "aws", region="us-east-2")
    build(stack)
    for aspect in aspects:
        Aspects.of(stack).add(aspect)
    app.synth()


def _table(stack: TerraformStack, **overrides: Any) -> None:
    config: dict[str, Any] = {
        "name": "t-dev-a1",
        "hash_key": "pk",
        "attribute": [DynamodbTableAttribute(name="pk", type="S")],
        "billing_mode": "PAY_PER_REQUEST",
        "point_in_time_recovery": DynamodbTablePointInTimeRecovery(enabled=True),
    }
    DynamodbTable(stack, "table", **(config | overrides))


def _policy(actions: list[str], resource: str = "arn:aws:s3:::b/*") -> Build:
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}],
        }
    )
    return lambda stack: IamRolePolicy(stack, "policy", name="p-dev-a1", role="r", policy=document)


def _lambda(architectures: list[str]) -> Build:
    return lambda stack: LambdaFunction(
        stack,
        "fn",
        function_name="f-dev-a1",
        role="arn:aws:iam::1:role/r",
        architectures=architectures,
        runtime="python3.12",
        handler="h.h",
        filename="f.zip",
    )


BAD_CASES: dict[str, tuple[list[Any], Build]] = {
    "required-tags": (
        [RequiredTags(["CostCenter"])],
        lambda s: S3Bucket(s, "b", bucket="b-dev-a1", force_destroy=True, tags={"Owner": "x"}),
    ),
    "naming": (
        [NamesCarrySuffix("dev", "a1")],
        lambda s: S3Bucket(s, "b", bucket="legacy-bucket", force_destroy=True),
    ),
    "iam wildcard": ([LeastPrivilegeIam()], _policy(["s3:Get*"])),
    "iam star resource": ([LeastPrivilegeIam()], _policy(["s3:GetObject"], "*")),
    "log-retention": (
        [LogRetention()],
        lambda s: CloudwatchLogGroup(s, "logs", name="/aws/lambda/f-dev-a1"),
    ),
    "dynamodb billing": (
        [DynamoDbOnDemandWithRecovery()],
        lambda s: _table(s, billing_mode="PROVISIONED", read_capacity=5, write_capacity=5),
    ),
    "dynamodb pitr": (
        [DynamoDbOnDemandWithRecovery()],
        lambda s: _table(s, point_in_time_recovery=DynamodbTablePointInTimeRecovery(enabled=False)),
    ),
    "graviton": ([LambdaOnArm64()], _lambda(["x86_64"])),
    "force_destroy": (
        [Destroyable()],
        lambda s: S3Bucket(s, "b", bucket="b-dev-a1", force_destroy=False),
    ),
    "deletion protection": ([Destroyable()], lambda s: _table(s, deletion_protection_enabled=True)),
    "prevent_destroy": (
        [Destroyable()],
        lambda s: S3Bucket(
            s,
            "b",
            bucket="b-dev-a1",
            force_destroy=True,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
        ),
    ),
}

EXPECTED = {
    "required-tags": r"\[required-tags\] aws_s3_bucket s/b: missing tag\(s\) CostCenter",
    "naming": r"\[naming\] aws_s3_bucket s/b: name 'legacy-bucket' does not carry",
    "iam wildcard": r"\[iam\] aws_iam_role_policy s/policy: wildcard action\(s\) \['s3:Get\*'\]",
    "iam star resource": r'\[iam\] .*Resource "\*" for actions that support resource ARNs',
    "log-retention": r"\[log-retention\] aws_cloudwatch_log_group s/logs",
    "dynamodb billing": r"\[dynamodb\] .*PAY_PER_REQUEST",
    "dynamodb pitr": r"\[dynamodb\] .*point-in-time recovery",
    "graviton": r"\[graviton\] aws_lambda_function s/fn",
    "force_destroy": r"\[destroyable\] aws_s3_bucket s/b: force_destroy must be true",
    "deletion protection": r"\[destroyable\] .*deletion protection is on",
    "prevent_destroy": r"\[destroyable\] .*prevent_destroy",
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_rule_rejects_a_bad_resource(tmp_path: Path, case: str) -> None:
    aspects, build = BAD_CASES[case]
    with pytest.raises(RuntimeError, match=EXPECTED[case]):
        _synth(tmp_path, aspects, build)


def test_good_resources_pass_every_rule(tmp_path: Path) -> None:
    rules = [
        FinOpsTags({"CostCenter": "c"}),
        RequiredTags(["CostCenter"]),
        NamesCarrySuffix("dev", "a1"),
        LeastPrivilegeIam(),
        LogRetention(),
        DynamoDbOnDemandWithRecovery(),
        LambdaOnArm64(),
        Destroyable(),
    ]

    def build(stack: TerraformStack) -> None:
        S3Bucket(stack, "b", bucket="b-dev-a1", force_destroy=True)
        _policy(["s3:GetObject"])(stack)
        CloudwatchLogGroup(stack, "logs", name="/aws/lambda/f-dev-a1", retention_in_days=7)
        _table(stack)
        _lambda(["arm64"])(stack)

    _synth(tmp_path, rules, build)
    document = json.loads((tmp_path / "stacks" / "s" / "cdk.tf.json").read_text())
    assert document["resource"]["aws_s3_bucket"]["b"]["tags"] == {"CostCenter": "c"}


def test_grants_refuse_wildcards_when_declared() -> None:
    with pytest.raises(ValueError, match="has a wildcard"):
        Grant.of("bad", ["s3:*"], ["arn:aws:s3:::b"])
    with pytest.raises(ValueError, match='Resource "\\*" given to actions'):
        Statement(("s3:GetObject",), ("*",))
    assert Statement(("xray:PutTraceSegments",), ("*",)).render()["Resource"] == "*"

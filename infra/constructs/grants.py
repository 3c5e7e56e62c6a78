"""IAM permissions as data: a grantable construct hands out ``Grant``s with exact actions and
resource ARNs, and a role is built from the grants declared for it (AWS CDK's ``grant_*``).

No wildcard actions, ever; ``Resource: "*"`` only for actions AWS does not scope by resource.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Step Functions' log delivery to CloudWatch Logs: AWS supports no resource scoping for it.
LOG_DELIVERY_ACTIONS = (
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
)

# Lambda's network interfaces in a VPC (as the managed AWSLambdaVPCAccessExecutionRole).
VPC_ENI_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)

# X-Ray: sending traces (Lambda samples for its functions), and the sampling rules a service
# that samples itself (Step Functions) reads: the actions of AWS's AWSXRayDaemonWriteAccess
# (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSXRayDaemonWriteAccess.html),
# none with a resource type (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html).
TRACE_SEND_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
TRACE_SAMPLING_ACTIONS = ("xray:GetSamplingRules", "xray:GetSamplingTargets")

# The only actions that may use "*": those that support no resource-level permissions, and
# Lambda's ENI actions, which AWS documents on "*" (Parliament reports them as RESOURCE_STAR:
# the written exception is in tooling/policy/parliament.py).
UNSCOPED_ACTIONS = frozenset(
    {
        *LOG_DELIVERY_ACTIONS,
        *TRACE_SEND_ACTIONS,
        *TRACE_SAMPLING_ACTIONS,
        *VPC_ENI_ACTIONS,
        "cloudwatch:PutMetricData",
    }
)


@dataclass(frozen=True)
class Statement:
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for action in self.actions:
            if "*" in action or "?" in action:
                raise ValueError(f"IAM action {action!r} has a wildcard: list the exact actions")
        if "*" in self.resources and not set(self.actions) <= UNSCOPED_ACTIONS:
            scoped = sorted(set(self.actions) - UNSCOPED_ACTIONS)
            raise ValueError(f'Resource "*" given to actions that support resource ARNs: {scoped}')

    def render(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "Effect": "Allow",
            "Action": sorted(self.actions),
            "Resource": list(self.resources) if len(self.resources) > 1 else self.resources[0],
        }
        if self.conditions:
            body["Condition"] = {k: dict(v) for k, v in self.conditions.items()}
        return body


@dataclass(frozen=True)
class Grant:
    """What one principal may do on one resource: one or more statements."""

    description: str
    statements: tuple[Statement, ...]

    @classmethod
    def of(cls, description: str, actions: Iterable[str], resources: Iterable[str]) -> Grant:
        return cls(description, (Statement(tuple(actions), tuple(resources)),))

    def __add__(self, other: Grant) -> Grant:
        return Grant(f"{self.description}; {other.description}", self.statements + other.statements)


def policy_document(grants: Iterable[Grant]) -> str:
    statements = [s.render() for grant in grants for s in grant.statements]
    for index, statement in enumerate(statements):
        statement["Sid"] = f"S{index}"
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


def assume_role_policy(service: str, *, source_arn: str | None = None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if source_arn:
        statement["Condition"] = {"ArnLike": {"aws:SourceArn": source_arn}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})

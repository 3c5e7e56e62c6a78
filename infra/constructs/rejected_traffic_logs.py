"""The VPC's rejected-traffic flow logs: a KMS-encrypted log group, the role VPC Flow Logs
delivers with, and the flow log itself.

Rejected traffic only: what security needs to see, at a fraction of all-traffic cost. It lives
in the observability stack, not beside the VPC: it needs the data stack's key and the network's
VPC, and in the network stack it made the network wait for the data stack at every deploy.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from constructs import Construct

from infra.constructs.grants import Grant
from infra.constructs.service_role import ServiceRole, ServiceRoleProps


@dataclass(frozen=True, kw_only=True)
class RejectedTrafficLogsProps:
    vpc_id: str
    log_group_name: str
    role_name: str
    retention_days: int
    key_arn: str
    """Encrypts the log group (its key policy lets CloudWatch Logs use it)."""


class RejectedTrafficLogs(Construct):
    def __init__(self, scope: Construct, id: str, *, props: RejectedTrafficLogsProps) -> None:
        super().__init__(scope, id)
        log_group = CloudwatchLogGroup(
            self,
            "flow-logs",
            name=props.log_group_name,
            retention_in_days=props.retention_days,
            kms_key_id=props.key_arn,
        )
        role = ServiceRole(
            self,
            "flow-logs-role",
            props=ServiceRoleProps(
                name=props.role_name,
                service="vpc-flow-logs.amazonaws.com",
                description="Delivers VPC flow logs",
                grants=[
                    Grant.of(
                        "write flow logs",
                        ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                        [log_group.arn, f"{log_group.arn}:*"],
                    ),
                    Grant.of("find its log group", ["logs:DescribeLogGroups"], ["*"]),
                ],
            ),
        )
        FlowLog(
            self,
            "flow-log",
            vpc_id=props.vpc_id,
            traffic_type="REJECT",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            depends_on=list(role.policies),  # infra/constructs/service_role.py
        )

"""What starts the workflow: new objects under ``raw/`` in the raw bucket, as S3's EventBridge
notifications, start an execution; an event that cannot be delivered (after a day of retries)
goes to a dead-letter queue instead of vanishing, from which the re-drive replays it
(tooling/operations/redrive.py).

The queue's policy is its own ``policy`` argument, not an ``aws_sqs_queue_policy``: the AWS
provider waits after every change of a queue's attributes until it reads them back six times
in a row, 5 s apart (``waitQueueAttributesPropagated``, ~25 s; real SQS too), so a queue then a
separate policy waited twice, 51 s on the pipeline stack's longest path. The policy names the
queue by the ARN SQS gives it (``arn:aws:sqs:<region>:<account>:<name>``), as it cannot
reference the queue it is part of. The former policy resource is ``removed`` without being
destroyed: deleting it would clear the policy the queue now sets (SetQueueAttributes with an
empty Policy), and EventBridge could no longer deliver dead letters.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import (
    CloudwatchEventTarget,
    CloudwatchEventTargetDeadLetterConfig,
    CloudwatchEventTargetRetryPolicy,
)
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from constructs import Construct

from infra.constructs.grants import Grant
from infra.constructs.service_role import ServiceRole, ServiceRoleProps

RAW_PREFIX = "raw/"
# 14 days, SQS's longest (MessageRetentionPeriod, 60 to 1,209,600 seconds:
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html).
DEAD_LETTER_RETENTION_S = 1_209_600
# EventBridge's longest retry, a day and 185 attempts (RetryPolicy's ranges,
# https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_RetryPolicy.html; "How
# EventBridge retries delivering events", .../eventbridge/latest/userguide/eb-rule-retry-policy.html).
MAX_EVENT_AGE_S, MAX_RETRY_ATTEMPTS = 86_400, 185
# The Terraform name of the aws_sqs_queue_policy deployed before the policy moved into the queue.
FORMER_POLICY_ID = "workflow_trigger-dlq-policy_F0F5475A"


@dataclass(frozen=True, kw_only=True)
class WorkflowTriggerProps:
    rule_name: str
    dead_letter_queue_name: str
    """``naming.trigger_dead_letter_queue``: alarmed on and drained by name."""
    role_name: str
    """The role EventBridge starts executions with."""
    raw_bucket_name: str
    state_machine_arn: str
    region: str


class WorkflowTrigger(Construct):
    """Makes its resources in ``scope`` (the workflow), beside itself, not under itself:
    Terraform addresses are made from construct paths, and one more path segment would make
    Terraform destroy and recreate the dead-letter queue, and the events it holds with it."""

    dead_letter_queue: SqsQueue

    def __init__(self, scope: Construct, id: str, *, props: WorkflowTriggerProps) -> None:
        super().__init__(scope, id)
        rule = CloudwatchEventRule(
            scope,
            "on-raw-object",
            name=props.rule_name,
            description="A new raw transaction file",
            event_pattern=json.dumps(
                {
                    "source": ["aws.s3"],
                    "detail-type": ["Object Created"],
                    "detail": {
                        "bucket": {"name": [props.raw_bucket_name]},
                        "object": {"key": [{"prefix": RAW_PREFIX}]},
                    },
                }
            ),
        )
        account = DataAwsCallerIdentity(scope, "account").account_id
        queue_arn = f"arn:aws:sqs:{props.region}:{account}:{props.dead_letter_queue_name}"
        self.dead_letter_queue = dlq = SqsQueue(
            scope,
            "trigger-dlq",
            name=props.dead_letter_queue_name,
            message_retention_seconds=DEAD_LETTER_RETENTION_S,
            sqs_managed_sse_enabled=True,
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "events.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": queue_arn,
                            "Condition": {"ArnEquals": {"aws:SourceArn": rule.arn}},
                        }
                    ],
                }
            ),
        )
        TerraformStack.of(scope).add_override(
            "removed",
            [
                {
                    "from": f"aws_sqs_queue_policy.{FORMER_POLICY_ID}",
                    "lifecycle": {"destroy": False},
                }
            ],
        )
        role = ServiceRole(
            scope,
            "events-role",
            props=ServiceRoleProps(
                name=props.role_name,
                service="events.amazonaws.com",
                description="Lets EventBridge start pipeline executions",
                grants=[
                    Grant.of(
                        "start executions", ["states:StartExecution"], [props.state_machine_arn]
                    )
                ],
            ),
        )
        CloudwatchEventTarget(
            scope,
            "start-execution",
            rule=rule.name,
            arn=props.state_machine_arn,
            role_arn=role.arn,
            dead_letter_config=CloudwatchEventTargetDeadLetterConfig(arn=dlq.arn),
            retry_policy=CloudwatchEventTargetRetryPolicy(
                maximum_event_age_in_seconds=MAX_EVENT_AGE_S,
                maximum_retry_attempts=MAX_RETRY_ATTEMPTS,
            ),
            depends_on=list(role.policies),  # infra/constructs/service_role.py
        )

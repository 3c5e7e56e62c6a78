"""The environment's customer-managed KMS key for data at rest (buckets, table, topic, logs).

The key policy lets the account use the key through IAM (exact actions), and gives a service
principal its own statement only where that service calls KMS as itself, with the condition
its own documentation gives (issue 11, #4):

- CloudWatch Logs (``logs.<region>.amazonaws.com``): the functions', the state machine's and
  the flow logs' log groups are encrypted with the key. Logs sends the log group's ARN as
  encryption context, ``kms:EncryptionContext:aws:logs:arn``; it does not promise
  ``aws:SourceAccount``, and a condition on a key it does not send fails every encrypted log
  group's creation. "Encrypt log data in CloudWatch Logs using AWS Key Management Service",
  step 2: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
- CloudWatch alarms (``cloudwatch.amazonaws.com``) publish to the alert topic, which is
  encrypted with the key: SNS asks KMS for a data key as the publisher, and an AWS service
  publisher needs ``kms:GenerateDataKey*`` and ``kms:Decrypt`` in the key policy, bounded by
  ``aws:SourceAccount`` / ``aws:SourceArn`` (the alarms). "Enable compatibility between event
  sources from AWS services and encrypted topics":
  https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
  (and "How do I configure a CloudWatch alarm with an encrypted SNS topic",
  https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns).

No statement for the services that use the key with their caller's IAM permissions, which the
``Account`` statement already lets IAM grant: SNS for the state machine's own publishes (its
role has ``kms:GenerateDataKey``/``kms:Decrypt``, infra/constructs/references.py), S3 and
DynamoDB (SSE-KMS with the caller's permissions, grants for DynamoDB), AWS Backup (the vault
creator's and the backup role's ``kms:CreateGrant``/``kms:DescribeKey``, "Backup vault creation
and deletion", https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault.html).
EventBridge and Step Functions do not use this key at all: the trigger's dead-letter queue uses
SQS-managed encryption, the event bus is the default one, and the state machine keeps AWS's own
encryption. A statement for them would only widen the policy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

ACCOUNT_ACTIONS = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
]


# CloudWatch Logs' own statement ("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*",
# "kms:GenerateDataKey*", "kms:Describe*" in AWS's example, listed exactly: no wildcards here).
LOGS_ACTIONS = [
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
]
# An AWS service publishing to an encrypted SNS topic ("kms:GenerateDataKey*", "kms:Decrypt").
TOPIC_PUBLISHER_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"]


def key_policy(*, account: str, region: str, partition: str = "aws") -> dict[str, Any]:
    """The key policy document (a pure function: tests read it statement by statement)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            # The account administers and uses the key through IAM (exact actions, no kms:*).
            {
                "Sid": "Account",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                "Action": ACCOUNT_ACTIONS,
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": LOGS_ACTIONS,
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{partition}:logs:{region}:{account}:log-group:*"
                        )
                    }
                },
            },
            {
                "Sid": "CloudWatchAlarmsToEncryptedTopic",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": TOPIC_PUBLISHER_ACTIONS,
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{partition}:cloudwatch:{region}:{account}:alarm:*"
                    },
                },
            },
        ],
    }


@dataclass(frozen=True, kw_only=True)
class DataKeyProps:
    alias: str
    """The key's alias, without ``alias/``."""
    region: str
    """Where the services its policy admits (logs, alarms) run."""


class DataKey(Construct):
    key: KmsKey

    def __init__(self, scope: Construct, id: str, *, props: DataKeyProps) -> None:
        super().__init__(scope, id)
        account = DataAwsCallerIdentity(self, "account").account_id
        self.key = KmsKey(
            self,
            "key",
            description=f"Pipeline data at rest ({props.alias})",
            enable_key_rotation=True,
            deletion_window_in_days=7,
            policy=json.dumps(key_policy(account=account, region=props.region)),
        )
        KmsAlias(self, "alias", name=f"alias/{props.alias}", target_key_id=self.key.key_id)

    @property
    def arn(self) -> str:
        return str(self.key.arn)

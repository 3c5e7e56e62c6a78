"""The environment's customer-managed KMS key for data at rest (buckets, table, topic, logs)."""

from __future__ import annotations

import json

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


class DataKey(Construct):
    key: KmsKey

    def __init__(self, scope: Construct, id: str, *, alias: str, region: str) -> None:
        super().__init__(scope, id)
        account = DataAwsCallerIdentity(self, "account").account_id
        root = f"arn:aws:iam::{account}:root"
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                # The account administers and uses the key through IAM (exact actions, no kms:*).
                {
                    "Sid": "Account",
                    "Effect": "Allow",
                    "Principal": {"AWS": root},
                    "Action": ACCOUNT_ACTIONS,
                    "Resource": "*",
                },
                {
                    "Sid": "Services",
                    "Effect": "Allow",
                    "Principal": {
                        "Service": [
                            f"logs.{region}.amazonaws.com",
                            "sns.amazonaws.com",
                            "events.amazonaws.com",
                            "cloudwatch.amazonaws.com",
                            "states.amazonaws.com",
                        ]
                    },
                    "Action": [
                        "kms:Decrypt",
                        "kms:Encrypt",
                        "kms:GenerateDataKey",
                        "kms:GenerateDataKeyWithoutPlaintext",
                        "kms:DescribeKey",
                        "kms:ReEncryptFrom",
                        "kms:ReEncryptTo",
                    ],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                },
            ],
        }
        self.key = KmsKey(
            self,
            "key",
            description=f"Pipeline data at rest ({alias})",
            enable_key_rotation=True,
            deletion_window_in_days=7,
            policy=json.dumps(policy),
        )
        KmsAlias(self, "alias", name=f"alias/{alias}", target_key_id=self.key.key_id)

    @property
    def arn(self) -> str:
        return str(self.key.arn)

"""A private, encrypted, versioned S3 bucket with a TLS-only policy. Its lifecycle rules live
in the retention stack (infra/constructs/bucket_lifecycle.py).

An environment may give the bucket an existing (legacy) name: the bucket keeps it and is
adopted with a Terraform import block instead of being created. An adopted bucket holds data
the stacks did not create, so it is never deleted: ``force_destroy`` is off (S3 refuses to
delete a non-empty bucket) and ``prevent_destroy`` is on (a plan that would destroy or replace
it fails before anything changes); the deploy's destroy releases it from the Terraform state
instead (tooling/deploy/release.py), with everything else of this construct. Adopting replaces
the bucket's policy, encryption, notification and tags with these (docs/deployment.md,
"Adopting an existing bucket").
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf import TerraformResource, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_notification import S3BucketNotification
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from constructs import Construct

from infra.constructs.data_key import DataKey


@dataclass(frozen=True, kw_only=True)
class DataBucketProps:
    name: str
    """The bucket's name: ``naming.bucket(role)``, or the legacy name it is adopted under."""
    key: DataKey
    """Encrypts every object (SSE-KMS, bucket key on)."""
    adopt_existing: bool = False
    """Import the existing bucket ``name`` instead of creating it; it is never deleted."""
    event_bridge: bool = False
    """Send its object events to EventBridge (the raw bucket: new files start the workflow)."""


class DataBucket(Construct):
    bucket: S3Bucket

    def __init__(self, scope: Construct, id: str, *, props: DataBucketProps) -> None:
        super().__init__(scope, id)
        self.adopted = props.adopt_existing
        if props.adopt_existing:
            # The one exception to Destroyable (infra/aspects/rules.py): released, never deleted.
            self.bucket = S3Bucket(
                self,
                "bucket",
                bucket=props.name,
                force_destroy=False,
                lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
            )
            self.bucket.import_from(props.name)
        else:
            self.bucket = S3Bucket(self, "bucket", bucket=props.name, force_destroy=True)
        bucket_id = self.bucket.id
        S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=bucket_id,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
        )
        S3BucketPublicAccessBlock(
            self,
            "public-access",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        S3BucketVersioningA(
            self,
            "versioning",
            bucket=bucket_id,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
        )
        S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=bucket_id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                        sse_algorithm="aws:kms", kms_master_key_id=props.key.arn
                    ),
                    bucket_key_enabled=True,
                )
            ],
        )
        S3BucketPolicy(self, "tls-only", bucket=bucket_id, policy=self._tls_only_policy())
        if props.event_bridge:
            S3BucketNotification(self, "events", bucket=bucket_id, eventbridge=True)

    @property
    def resources(self) -> list[TerraformResource]:
        """The bucket and each piece of its configuration: what a release leaves in AWS."""
        return [n for n in self.node.find_all() if isinstance(n, TerraformResource)]

    @property
    def name(self) -> str:
        return str(self.bucket.bucket)

    @property
    def arn(self) -> str:
        return str(self.bucket.arn)

    def _tls_only_policy(self) -> str:
        return json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [self.arn, f"{self.arn}/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ],
            }
        )

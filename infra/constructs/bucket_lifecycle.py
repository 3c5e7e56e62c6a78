"""A bucket's lifecycle rules: archive current objects after a while (or never), expire them
if configured, expire noncurrent versions, abort stale multipart uploads.

Apart from the bucket (infra/constructs/data_bucket.py) and in its own stack (the retention
stack) for one reason: the AWS provider waits about 55 s after it writes a lifecycle
configuration (``waitLifecycleConfigEquals`` in provider 5.100.0's
internal/service/s3/bucket_lifecycle_configuration.go: a 10 s delay, then 10 matching reads
5 s apart, because S3 applies a new configuration eventually — real AWS and the emulator
alike). Nothing reads the rules, so in a stack of their own that wait runs beside the pipeline's
apply instead of holding back every stack that reads the data stack.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
    S3BucketLifecycleConfigurationRuleTransition,
)
from constructs import Construct


@dataclass(frozen=True, kw_only=True)
class Lifecycle:
    glacier_after_days: int
    noncurrent_expire_days: int
    abort_multipart_days: int
    # Where current objects go after glacier_after_days; STANDARD: they stay (no transition).
    storage_class: str = "GLACIER"
    # Current objects are deleted this many days after creation (a noncurrent version then
    # expires after noncurrent_expire_days); None: kept (config: storage.expire_after_days).
    expire_after_days: int | None = None

    @property
    def rule_id(self) -> str:
        if self.storage_class == "STANDARD":
            return "expire-versions-and-uploads"
        return f"tier-to-{self.storage_class.lower().replace('_', '-')}"

    def transitions(self) -> list[S3BucketLifecycleConfigurationRuleTransition]:
        if self.storage_class == "STANDARD":
            return []
        return [
            S3BucketLifecycleConfigurationRuleTransition(
                days=self.glacier_after_days, storage_class=self.storage_class
            )
        ]

    def expiration(self) -> dict[str, list[S3BucketLifecycleConfigurationRuleExpiration]]:
        """The rule's expiration argument: none at all unless configured (an unconfigured
        bucket synthesizes exactly as before)."""
        if self.expire_after_days is None:
            return {}
        return {
            "expiration": [
                S3BucketLifecycleConfigurationRuleExpiration(days=self.expire_after_days)
            ]
        }


@dataclass(frozen=True, kw_only=True)
class BucketLifecycleProps:
    bucket: str
    """The bucket's name (read from the data stack's exports)."""
    lifecycle: Lifecycle


class BucketLifecycle(Construct):
    configuration: S3BucketLifecycleConfiguration

    def __init__(self, scope: Construct, id: str, *, props: BucketLifecycleProps) -> None:
        super().__init__(scope, id)
        lifecycle = props.lifecycle
        self.configuration = S3BucketLifecycleConfiguration(
            self,
            "rules",
            bucket=props.bucket,
            rule=[
                S3BucketLifecycleConfigurationRule(
                    id=lifecycle.rule_id,
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    transition=lifecycle.transitions(),
                    **lifecycle.expiration(),
                    noncurrent_version_expiration=[
                        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                            noncurrent_days=lifecycle.noncurrent_expire_days
                        )
                    ],
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                            days_after_initiation=lifecycle.abort_multipart_days
                        )
                    ],
                )
            ],
        )

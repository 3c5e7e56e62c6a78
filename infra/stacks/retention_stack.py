"""Retention: each bucket's lifecycle rules (how long objects stay in S3 Standard, which class
they archive to, when current objects, noncurrent versions and stale multipart uploads expire).
Reads the bucket names from the data stack; nothing reads it, so it deploys beside the network
and pipeline stacks and the AWS provider's ~55 s wait after each lifecycle write
(infra/constructs/bucket_lifecycle.py) holds back no other stack. Changes with the retention
settings of ``envs/<env>/config.toml`` only.

An adopted bucket's rules are released on destroy with the bucket (infra/stacks/data_stack.py):
deleting them would leave a bucket that stays growing in S3 Standard for ever."""

from __future__ import annotations

from constructs import Construct

from infra.config import EnvironmentConfig
from infra.constructs.bucket_lifecycle import BucketLifecycle, BucketLifecycleProps, Lifecycle
from infra.exports import DataExport, Stack
from infra.naming import CREATED_BUCKET_ROLES, BucketRole
from infra.stacks.base import EnvironmentStack

NAME = Stack.RETENTION


def bucket_lifecycle(config: EnvironmentConfig, role: BucketRole) -> Lifecycle:
    """The rules of the bucket ``role`` from the environment's storage and query settings."""
    return Lifecycle(
        glacier_after_days=config.glacier_after_days,
        storage_class=config.archive_classes[role],
        noncurrent_expire_days=config.noncurrent_expire_days,
        abort_multipart_days=config.abort_multipart_days,
        # storage.expire_after_days; query results: query.results_expire_days
        expire_after_days=(
            config.query_results_expire_days
            if role == BucketRole.QUERY_RESULTS
            else config.expire_after_days.get(role)
        ),
    )


class RetentionStack(EnvironmentStack):
    def __init__(self, scope: Construct, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, NAME, config=config)
        data = self.imported(Stack.DATA)
        lifecycles = {
            role: BucketLifecycle(
                self,
                role,
                props=BucketLifecycleProps(
                    bucket=data.get(DataExport.bucket_name(role)),
                    lifecycle=bucket_lifecycle(config, role),
                ),
            )
            for role in CREATED_BUCKET_ROLES
        }
        self.release_on_destroy(
            [
                lifecycles[role].configuration
                for role in CREATED_BUCKET_ROLES
                if role in config.existing_buckets
            ]
        )

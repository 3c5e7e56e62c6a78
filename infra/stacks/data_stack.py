"""Data: the KMS key, the raw/processed/quarantine/artifacts/query-results buckets (their
lifecycle rules are the retention stack's), the metadata table and its backups, the alert
topic, and the query catalog (Glue tables over the processed and quarantine buckets, the Athena
workgroup). Changes rarely; holds everything stateful.

Buckets the environment adopts (``[storage.existing_buckets]``) are released on destroy, never
deleted: the stack lists them, with their configuration and the KMS key their objects are
encrypted with, under ``released_on_destroy`` in its Terraform JSON, and the deploy's destroy
removes those from the state before destroying the rest (tooling/deploy/release.py)."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderEndpoints
from constructs import Construct

from infra.config import EnvironmentConfig
from infra.constructs.alert_topic import AlertTopic, AlertTopicProps
from infra.constructs.data_bucket import DataBucket, DataBucketProps
from infra.constructs.data_key import DataKey, DataKeyProps
from infra.constructs.metadata_table import BackupNames, MetadataTable, MetadataTableProps
from infra.constructs.query_catalog import QueryCatalog, QueryCatalogProps
from infra.constructs.ssm_exports import ExportedValues, ExportedValuesProps
from infra.exports import DataExport, Stack, StackExport
from infra.naming import CREATED_BUCKET_ROLES, BucketRole
from infra.stacks.base import EMULATED_SERVICES, EnvironmentStack

NAME = Stack.DATA
# The query catalog's services, which only this stack manages (the emulator serves them too).
CATALOG_SERVICES = ("athena", "glue")
PROCESSED_TABLE, QUARANTINE_TABLE = "processed", "quarantine"
# The buckets' lifecycle configurations this stack held until they moved to the retention
# stack (infra/stacks/retention_stack.py): forgotten here, never deleted (``removed``,
# destroy = false), so a deployed environment keeps its rules until the retention stack writes
# the same rules again (a lifecycle PUT replaces the bucket's whole configuration).
FORMER_LIFECYCLES = tuple(
    f"{role}_lifecycle_{suffix}"
    for role, suffix in (
        (BucketRole.RAW, "B49FEA3B"),
        (BucketRole.PROCESSED, "D03C3D09"),
        (BucketRole.QUARANTINE, "B4681AAB"),
        (BucketRole.ARTIFACTS, "85D31407"),
        (BucketRole.QUERY_RESULTS, "DCBA828F"),
    )
)


def bucket_name(config: EnvironmentConfig, role: str) -> str:
    """The bucket's legacy name if the environment declares one (untouched), else
    ``<bucket_prefix>-txn-<role>-<env>-<suffix>``."""
    return config.existing_buckets.get(role) or config.naming.bucket(role)


class DataStack(EnvironmentStack):
    def __init__(self, scope: Construct, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, NAME, config=config)
        if config.aws_endpoint:
            self._emulate_catalog_services(config.aws_endpoint)
        naming = config.naming
        key = DataKey(
            self,
            "key",
            props=DataKeyProps(
                alias=naming.name("pipeline-data", kind="kms-alias"), region=config.region
            ),
        )
        buckets = {
            role: DataBucket(
                self,
                role,
                props=DataBucketProps(
                    name=bucket_name(config, role),
                    key=key,
                    adopt_existing=role in config.existing_buckets,
                    event_bridge=role == BucketRole.RAW,
                ),
            )
            for role in CREATED_BUCKET_ROLES
        }
        adopted = [bucket for bucket in buckets.values() if bucket.adopted]
        # Kept on destroy: each adopted bucket with its configuration (deleting a policy or a
        # public access block would loosen a bucket that stays), and the key, without which
        # what the pipeline wrote there could never be decrypted once its deletion window ends.
        self.release_on_destroy(
            [resource for bucket in adopted for resource in bucket.resources]
            + ([key.key] if adopted else [])
        )
        self.add_override(
            "removed",
            [
                {
                    "from": f"aws_s3_bucket_lifecycle_configuration.{name}",
                    "lifecycle": {"destroy": False},
                }
                for name in FORMER_LIFECYCLES
            ],
        )
        table = MetadataTable(
            self,
            "metadata",
            props=MetadataTableProps(
                name=naming.name("pipeline-metadata", kind="dynamodb"),
                key=key,
                pitr_recovery_days=config.pitr_recovery_days,
                backup_retention_days=config.backup_retention_days,
                backups=(
                    BackupNames(
                        vault=naming.name("pipeline-vault", kind="backup"),
                        plan=naming.name("pipeline-backup", kind="backup"),
                        role=naming.name("pipeline-backup-role", kind="iam-role"),
                    )
                    if config.aws_backup
                    else None
                ),
            ),
        )
        topic = AlertTopic(
            self,
            "alerts",
            props=AlertTopicProps(
                name=naming.name("pipeline-alerts", kind="sns"),
                key=key,
                emails=config.alarm_emails,
            ),
        )
        catalog = QueryCatalog(
            self,
            "query",
            props=QueryCatalogProps(
                database=naming.query_database,
                processed_table=PROCESSED_TABLE,
                quarantine_table=QUARANTINE_TABLE,
                workgroup=naming.name("pipeline-query", kind="athena-workgroup"),
                processed_bucket=buckets[BucketRole.PROCESSED].name,
                quarantine_bucket=buckets[BucketRole.QUARANTINE].name,
                results_bucket=buckets[BucketRole.QUERY_RESULTS].name,
                key=key,
                bytes_scanned_cutoff=config.query_bytes_scanned_cutoff_gb * 1_000_000_000,
            ),
        )
        values: dict[StackExport, str] = {
            DataExport.DATA_KEY_ARN: key.arn,
            DataExport.METADATA_TABLE_NAME: table.name,
            DataExport.METADATA_TABLE_ARN: table.arn,
            DataExport.ALERTS_TOPIC_ARN: topic.arn,
            DataExport.CATALOG_DATABASE_NAME: catalog.database_name,
            DataExport.PROCESSED_TABLE_NAME: catalog.processed_table_name,
            DataExport.QUARANTINE_TABLE_NAME: catalog.quarantine_table_name,
            DataExport.QUERY_WORKGROUP_NAME: catalog.workgroup_name,
        }
        for role, bucket in buckets.items():
            values[DataExport.bucket_name(role)] = bucket.name
            values[DataExport.bucket_arn(role)] = bucket.arn
        ExportedValues(self, "exports", props=ExportedValuesProps(naming=naming, values=values))

    def _emulate_catalog_services(self, endpoint: str) -> None:
        """On the emulator, send Glue and Athena to it too, and let the provider ask STS for the
        account: it builds a workgroup's ARN (to read its tags) from the account id, which
        ``skip_requesting_account_id`` leaves empty (moto then answers that no such workgroup
        exists)."""
        provider = self.node.find_child("aws")
        if not isinstance(provider, AwsProvider):
            raise TypeError(f"the stack's provider is a {type(provider).__name__}")
        services = (*EMULATED_SERVICES, *CATALOG_SERVICES)
        provider.endpoints = [
            AwsProviderEndpoints(**{f"{s}_" if s == "lambda" else s: endpoint for s in services})
        ]
        provider.skip_requesting_account_id = False

"""The DynamoDB metadata table: on-demand, point-in-time recovery, encrypted, and an AWS Backup
plan with its own retention. Destroyable: no deletion protection.

No time to live, on purpose: nothing in the table may expire on its own.

- A file record (``FILE#<bucket>/<key>``, ``ETAG#<etag>``) is the replay ledger: ingest's
  conditional write finds it and ends a replayed S3 event, or a re-driven dead letter, as
  ``duplicate``. One that expired would let the same file version be processed, and its rows
  published, twice.
- Chunk records (``INGEST#<ingest_id>``, ``CHUNK#<n>``) list the outputs each chunk published:
  the failure path (RecordFailure) and ``redrive`` withdraw a file's outputs from them, and
  finalize adds a file up from them. One that expired under a file still ``REGISTERED`` or
  ``FAILED`` would leave its outputs published with no record of them.

Both are small (a file's records are a few KB, ~2,000 chunks a day at 500 GB and 256 MiB chunks)
and kept by PITR and the backups anyway. The table had TTL on ``expires_at``, an attribute no
code ever wrote, so it never expired anything; if a kind of record ever should expire, write
its ``expires_at`` where it is created and turn TTL on again with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.backup_plan import BackupPlan, BackupPlanRule, BackupPlanRuleLifecycle
from cdktf_cdktf_provider_aws.backup_selection import BackupSelection
from cdktf_cdktf_provider_aws.backup_vault import BackupVault
from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
)
from constructs import Construct

from infra.constructs.data_key import DataKey
from infra.constructs.service_role import ServiceRole, ServiceRoleProps

BACKUP_POLICY = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"


@dataclass(frozen=True, kw_only=True)
class BackupNames:
    """The AWS Backup resources' names, for a table that has daily backups."""

    vault: str
    plan: str
    role: str


@dataclass(frozen=True, kw_only=True)
class MetadataTableProps:
    name: str
    key: DataKey
    """Encrypts the table, and the backup vault."""
    pitr_recovery_days: int
    """Point-in-time recovery window (1-35 days)."""
    backup_retention_days: int
    """How long each daily AWS Backup recovery point is kept."""
    backups: BackupNames | None
    """None: no AWS Backup plan (PITR only)."""


class MetadataTable(Construct):
    table: DynamodbTable

    def __init__(self, scope: Construct, id: str, *, props: MetadataTableProps) -> None:
        super().__init__(scope, id)
        self.table = DynamodbTable(
            self,
            "table",
            name=props.name,
            billing_mode="PAY_PER_REQUEST",
            hash_key="pk",
            range_key="sk",
            attribute=[
                DynamodbTableAttribute(name="pk", type="S"),
                DynamodbTableAttribute(name="sk", type="S"),
            ],
            point_in_time_recovery=DynamodbTablePointInTimeRecovery(
                enabled=True, recovery_period_in_days=props.pitr_recovery_days
            ),
            server_side_encryption=DynamodbTableServerSideEncryption(
                enabled=True, kms_key_arn=props.key.arn
            ),
            deletion_protection_enabled=False,
        )
        if props.backups is not None:
            self._backups(props.key, props.backup_retention_days, props.backups)

    def _backups(self, key: DataKey, retention_days: int, names: BackupNames) -> None:
        """A daily AWS Backup of the table, kept ``retention_days``, beside PITR."""
        vault = BackupVault(
            self, "vault", name=names.vault, kms_key_arn=key.arn, force_destroy=True
        )
        plan = BackupPlan(
            self,
            "plan",
            name=names.plan,
            rule=[
                BackupPlanRule(
                    rule_name="daily",
                    target_vault_name=vault.name,
                    schedule="cron(0 5 * * ? *)",
                    lifecycle=BackupPlanRuleLifecycle(delete_after=retention_days),
                )
            ],
        )
        role = ServiceRole(
            self,
            "backup-role",
            props=ServiceRoleProps(
                name=names.role,
                service="backup.amazonaws.com",
                grants=[],
                managed_policy_arns=[BACKUP_POLICY],
                description="Backs up the pipeline metadata table (AWS Backup)",
            ),
        )
        BackupSelection(
            self,
            "selection",
            name=names.plan,
            plan_id=plan.id,
            iam_role_arn=role.arn,
            resources=[self.table.arn],
            depends_on=list(role.policies),  # infra/constructs/service_role.py
        )

    @property
    def name(self) -> str:
        return str(self.table.name)

    @property
    def arn(self) -> str:
        return str(self.table.arn)

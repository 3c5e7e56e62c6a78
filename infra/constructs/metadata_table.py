"""The DynamoDB metadata table: on-demand, point-in-time recovery, encrypted, TTL, and an AWS
Backup plan with its own retention. Destroyable: no deletion protection."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.backup_plan import BackupPlan, BackupPlanRule, BackupPlanRuleLifecycle
from cdktf_cdktf_provider_aws.backup_selection import BackupSelection
from cdktf_cdktf_provider_aws.backup_vault import BackupVault
from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
    DynamodbTableTtl,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from infra.constructs.data_key import DataKey
from infra.constructs.grants import assume_role_policy

BACKUP_POLICY = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"


class MetadataTable(Construct):
    table: DynamodbTable

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        key: DataKey,
        pitr_recovery_days: int,
        backup_retention_days: int,
        backup_names: tuple[str, str, str] | None,
    ) -> None:
        super().__init__(scope, id)
        self.table = DynamodbTable(
            self,
            "table",
            name=name,
            billing_mode="PAY_PER_REQUEST",
            hash_key="pk",
            range_key="sk",
            attribute=[
                DynamodbTableAttribute(name="pk", type="S"),
                DynamodbTableAttribute(name="sk", type="S"),
            ],
            point_in_time_recovery=DynamodbTablePointInTimeRecovery(
                enabled=True, recovery_period_in_days=pitr_recovery_days
            ),
            server_side_encryption=DynamodbTableServerSideEncryption(
                enabled=True, kms_key_arn=key.arn
            ),
            ttl=DynamodbTableTtl(attribute_name="expires_at", enabled=True),
            deletion_protection_enabled=False,
        )
        if backup_names is not None:
            self._backups(key, backup_retention_days, *backup_names)

    def _backups(
        self, key: DataKey, retention_days: int, vault_name: str, plan_name: str, role_name: str
    ) -> None:
        """A daily AWS Backup of the table, kept ``retention_days``, beside PITR."""
        vault = BackupVault(self, "vault", name=vault_name, kms_key_arn=key.arn, force_destroy=True)
        plan = BackupPlan(
            self,
            "plan",
            name=plan_name,
            rule=[
                BackupPlanRule(
                    rule_name="daily",
                    target_vault_name=vault.name,
                    schedule="cron(0 5 * * ? *)",
                    lifecycle=BackupPlanRuleLifecycle(delete_after=retention_days),
                )
            ],
        )
        role = IamRole(
            self,
            "backup-role",
            name=role_name,
            assume_role_policy=assume_role_policy("backup.amazonaws.com"),
            force_detach_policies=True,
        )
        IamRolePolicyAttachment(self, "backup-policy", role=role.name, policy_arn=BACKUP_POLICY)
        BackupSelection(
            self,
            "selection",
            name=plan_name,
            plan_id=plan.id,
            iam_role_arn=role.arn,
            resources=[self.table.arn],
        )

    @property
    def name(self) -> str:
        return str(self.table.name)

    @property
    def arn(self) -> str:
        return str(self.table.arn)

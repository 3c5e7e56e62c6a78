"""An IAM role for one AWS service principal, with an inline policy built from grants."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from infra.constructs.grants import Grant, assume_role_policy, policy_document


class ServiceRole(Construct):
    role: IamRole

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        service: str,
        grants: Sequence[Grant],
        description: str,
    ) -> None:
        super().__init__(scope, id)
        self.role = IamRole(
            self,
            "role",
            name=name,
            description=description,
            assume_role_policy=assume_role_policy(service),
            force_detach_policies=True,
        )
        if grants:
            IamRolePolicy(
                self, "policy", name=name, role=self.role.id, policy=policy_document(grants)
            )

    @property
    def arn(self) -> str:
        return str(self.role.arn)

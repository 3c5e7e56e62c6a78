"""An IAM role for one AWS service principal, with an inline policy built from grants and any
AWS managed policies attached to it.

Whatever uses the role (a function, a state machine, an event target, a flow log, a backup
selection) is created with ``depends_on=role.policies``: a reference to ``role.arn`` orders it
after the role only, not after the role's permissions, and IAM is eventually consistent ("Changes
that I make are not always immediately visible",
https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency).
Some services check the permissions when the resource is created: CreateStateMachine checks the
role's log-delivery permissions at once (Step Functions, "IAM policies for logging to CloudWatch
Logs", https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html), so on a first deploy a
state machine created beside its policy fails. Destroy runs the other way: the consumer goes
before the permissions it runs with. infra/tests/test_iam_ordering.py checks every role of every
stack of every environment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf import TerraformResource
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from infra.constructs.grants import Grant, assume_role_policy, policy_document


@dataclass(frozen=True, kw_only=True)
class ServiceRoleProps:
    name: str
    service: str
    """The principal that assumes it, e.g. ``lambda.amazonaws.com``."""
    description: str
    grants: Sequence[Grant]
    """Its inline policy, one statement per grant."""
    managed_policy_arns: Sequence[str] = ()
    """AWS managed policies attached beside the grants (AWS Backup's)."""


class ServiceRole(Construct):
    role: IamRole
    policies: tuple[TerraformResource, ...]
    """The role's inline policy and managed-policy attachments: what a consumer depends on."""

    def __init__(self, scope: Construct, id: str, *, props: ServiceRoleProps) -> None:
        super().__init__(scope, id)
        if not props.grants and not props.managed_policy_arns:
            raise ValueError(f"role {props.name}: no grants and no managed policies, nothing to do")
        self.role = IamRole(
            self,
            "role",
            name=props.name,
            description=props.description,
            assume_role_policy=assume_role_policy(props.service),
            force_detach_policies=True,
        )
        policies: list[TerraformResource] = []
        if props.grants:
            policies.append(
                IamRolePolicy(
                    self,
                    "policy",
                    name=props.name,
                    role=self.role.id,
                    policy=policy_document(props.grants),
                )
            )
        for index, policy_arn in enumerate(props.managed_policy_arns):
            policies.append(
                IamRolePolicyAttachment(
                    self, f"managed-{index}", role=self.role.name, policy_arn=policy_arn
                )
            )
        self.policies = tuple(policies)

    @property
    def arn(self) -> str:
        return str(self.role.arn)

"""Governance checks that fail synth, naming the resource. Each is its own aspect, so a test can
show each one rejecting a bad resource.

They read the raw inputs (``*_input``), never resolved values: a check sees exactly what the
construct was given."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import jsii
from cdktf import Annotations, IAspect, TerraformResource
from constructs import IConstruct

from infra.aspects.tagging import is_taggable
from infra.constructs.grants import UNSCOPED_ACTIONS


def _resource(node: IConstruct) -> TerraformResource | None:
    return node if isinstance(node, TerraformResource) else None


def _of_type(node: IConstruct, resource_type: str) -> TerraformResource | None:
    resource = _resource(node)
    return (
        resource
        if resource is not None and resource.terraform_resource_type == resource_type
        else None
    )


def _input(node: TerraformResource, attribute: str) -> Any:
    return getattr(node, f"{attribute}_input", None)


def _fail(node: TerraformResource, rule: str, message: str) -> None:
    Annotations.of(node).add_error(
        f"[{rule}] {node.terraform_resource_type} {node.node.path}: {message}"
    )


@jsii.implements(IAspect)
class RequiredTags:
    def __init__(self, required: Sequence[str]) -> None:
        self.required = tuple(required)

    def visit(self, node: IConstruct) -> None:
        resource = _resource(node)
        if resource is not None and is_taggable(resource):
            tags = _input(resource, "tags") or {}
            missing = [t for t in self.required if not tags.get(t)]
            if missing:
                _fail(resource, "required-tags", f"missing tag(s) {', '.join(missing)}")


# Attributes that hold a resource's own name, by resource type.
NAME_ATTRIBUTES = {
    "aws_s3_bucket": "bucket",
    "aws_dynamodb_table": "name",
    "aws_lambda_function": "function_name",
    "aws_lambda_layer_version": "layer_name",
    "aws_iam_role": "name",
    "aws_iam_role_policy": "name",
    "aws_sfn_state_machine": "name",
    "aws_sns_topic": "name",
    "aws_sqs_queue": "name",
    "aws_cloudwatch_log_group": "name",
    "aws_cloudwatch_metric_alarm": "alarm_name",
    "aws_cloudwatch_dashboard": "dashboard_name",
    "aws_cloudwatch_event_rule": "name",
    "aws_backup_vault": "name",
    "aws_backup_plan": "name",
    "aws_backup_selection": "name",
    "aws_kms_alias": "name",
    "aws_security_group": "name",
    "aws_ssm_parameter": "name",
}


@jsii.implements(IAspect)
class NamesCarrySuffix:
    """Every name contains ``<environment>-<suffix>`` (SSM paths: ``/<environment>/<suffix>/``),
    except adopted legacy bucket names, which are declared in the environment's config."""

    def __init__(
        self, environment: str, suffix: str, allowed_legacy_names: Iterable[str] = ()
    ) -> None:
        self.tail, self.path = f"{environment}-{suffix}", f"/{environment}/{suffix}/"
        self.legacy = frozenset(allowed_legacy_names)

    def visit(self, node: IConstruct) -> None:
        resource = _resource(node)
        if resource is None or resource.terraform_resource_type not in NAME_ATTRIBUTES:
            return
        name = _input(resource, NAME_ATTRIBUTES[resource.terraform_resource_type])
        if not isinstance(name, str) or name in self.legacy:
            return
        if self.tail not in name and self.path not in name:
            _fail(
                resource,
                "naming",
                f"name {name!r} does not carry the environment suffix {self.tail!r}",
            )


POLICY_ATTRIBUTES = {
    "aws_iam_role_policy": "policy",
    "aws_iam_policy": "policy",
    "aws_kms_key": "policy",
    "aws_s3_bucket_policy": "policy",
    "aws_sqs_queue_policy": "policy",
    "aws_sns_topic_policy": "policy",
}


@jsii.implements(IAspect)
class LeastPrivilegeIam:
    """No wildcard in an allowed action; ``Resource: "*"`` only for actions AWS cannot scope."""

    def visit(self, node: IConstruct) -> None:
        resource = _resource(node)
        if resource is None or resource.terraform_resource_type not in POLICY_ATTRIBUTES:
            return
        document = _input(resource, POLICY_ATTRIBUTES[resource.terraform_resource_type])
        if not isinstance(document, str):
            return
        try:
            statements = json.loads(document).get("Statement", [])
        except ValueError:
            _fail(resource, "iam", "policy is not a JSON document")
            return
        for statement in statements if isinstance(statements, list) else [statements]:
            if statement.get("Effect") != "Allow":
                continue  # explicit denies (e.g. TLS-only bucket policies) may be broad
            actions = _as_list(statement.get("Action"))
            wild = [a for a in actions if "*" in a or "?" in a]
            if wild:
                _fail(resource, "iam", f"wildcard action(s) {wild}: list the exact actions")
            if "*" in _as_list(statement.get("Resource")) and "Principal" not in statement:
                scoped = sorted(set(actions) - UNSCOPED_ACTIONS)
                if scoped:
                    _fail(
                        resource,
                        "iam",
                        f'Resource "*" for actions that support resource ARNs: {scoped}',
                    )


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


@jsii.implements(IAspect)
class LogRetention:
    def visit(self, node: IConstruct) -> None:
        resource = _of_type(node, "aws_cloudwatch_log_group")
        if resource is not None and not _input(resource, "retention_in_days"):
            _fail(
                resource,
                "log-retention",
                "no retention_in_days: logs would be kept (and billed) forever",
            )


@jsii.implements(IAspect)
class DynamoDbOnDemandWithRecovery:
    def visit(self, node: IConstruct) -> None:
        resource = _of_type(node, "aws_dynamodb_table")
        if resource is None:
            return
        if _input(resource, "billing_mode") != "PAY_PER_REQUEST":
            _fail(resource, "dynamodb", "billing_mode must be PAY_PER_REQUEST (on-demand)")
        recovery = _input(resource, "point_in_time_recovery")
        if recovery is None or not getattr(recovery, "enabled", False):
            _fail(resource, "dynamodb", "point-in-time recovery must be enabled")


@jsii.implements(IAspect)
class LambdaOnArm64:
    def visit(self, node: IConstruct) -> None:
        resource = _of_type(node, "aws_lambda_function")
        if resource is not None and list(_input(resource, "architectures") or []) != ["arm64"]:
            _fail(resource, "graviton", "architectures must be ['arm64'] (Graviton)")


@jsii.implements(IAspect)
class Destroyable:
    """Nothing the stacks create may survive ``terraform destroy``.

    The one written exception: **adopted buckets** (``[storage.existing_buckets]``, imported,
    never created here) hold data the stacks do not own, and are released on destroy, never
    deleted. Each must have ``force_destroy`` false (an accidental delete of a non-empty bucket
    fails) and ``lifecycle.prevent_destroy`` (a plan that would destroy it fails before any
    change); the deploy's destroy removes it from the state instead (tooling/deploy/release.py).
    Every other bucket must still be force-destroyable."""

    def __init__(self, adopted_bucket_names: Iterable[str] = ()) -> None:
        self.adopted = frozenset(adopted_bucket_names)

    def visit(self, node: IConstruct) -> None:
        resource = _resource(node)
        if resource is None:
            return
        kind = resource.terraform_resource_type
        lifecycle = resource.lifecycle
        prevent_destroy = lifecycle is not None and getattr(lifecycle, "prevent_destroy", False)
        if kind == "aws_s3_bucket" and _input(resource, "bucket") in self.adopted:
            if _input(resource, "force_destroy") is not False:
                _fail(
                    resource,
                    "destroyable",
                    "an adopted bucket must have force_destroy = false: destroy releases it, "
                    "it never empties it",
                )
            if not prevent_destroy:
                _fail(
                    resource,
                    "destroyable",
                    "an adopted bucket must have lifecycle.prevent_destroy: destroy releases "
                    "it (tooling/deploy/release.py), a plan must never delete it",
                )
            return
        if prevent_destroy:
            _fail(resource, "destroyable", "lifecycle.prevent_destroy is set")
        if (
            kind in ("aws_s3_bucket", "aws_backup_vault")
            and _input(resource, "force_destroy") is not True
        ):
            _fail(
                resource,
                "destroyable",
                "force_destroy must be true, or destroy fails on a non-empty store",
            )
        if _input_or_none(resource, "deletion_protection_enabled") or _input_or_none(
            resource, "deletion_protection"
        ):
            _fail(resource, "destroyable", "deletion protection is on")


def _input_or_none(resource: TerraformResource, attribute: str) -> Any:
    return _input(resource, attribute) if hasattr(type(resource), f"{attribute}_input") else None


def all_rules(
    *,
    environment: str,
    suffix: str,
    required_tags: Sequence[str],
    legacy_bucket_names: Iterable[str],
) -> list[Any]:
    legacy_bucket_names = tuple(legacy_bucket_names)
    return [
        RequiredTags(required_tags),
        NamesCarrySuffix(environment, suffix, legacy_bucket_names),
        LeastPrivilegeIam(),
        LogRetention(),
        DynamoDbOnDemandWithRecovery(),
        LambdaOnArm64(),
        Destroyable(adopted_bucket_names=legacy_bucket_names),
    ]

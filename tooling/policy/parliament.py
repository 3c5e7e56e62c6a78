"""Every IAM and resource policy the stacks synthesize, audited by Parliament (PyPI
``parliament``, duo-labs): each action exists, each resource matches a resource type the action
takes, each condition key and operator is one AWS defines (issue 11, "Least privilege, proven
from real calls"). infra/tests/test_parliament.py runs it on every environment.

A synthesized policy holds Terraform references (``${aws_s3_bucket.raw_bucket_X.arn}/raw/*``,
``${data.aws_ssm_parameter.data_key_arn_X.value}``): Parliament would see no ARN and match no
resource type, so each reference is first replaced by an ARN of the referenced resource's type
(``REFERENCE_ARNS``, ``PARAMETER_ARNS``). A reference with no known type is an error, not a
pass: a new kind of resource in a policy gets its ARN format here.

Findings are filtered on their issue code (``FAILING_ISSUES``), never on Parliament's severity
alone: ``UNKNOWN_ACTION`` is reported LOW. The exceptions (``EXCEPTIONS``) are in one place,
each with its reason.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-2"
PARTITION = "aws"

# The attributes of a Terraform resource that hold a policy document (a JSON string).
POLICY_ATTRIBUTES: Mapping[str, tuple[str, ...]] = {
    "aws_iam_role": ("assume_role_policy",),
    "aws_iam_role_policy": ("policy",),
    "aws_iam_policy": ("policy",),
    "aws_iam_user_policy": ("policy",),
    "aws_iam_group_policy": ("policy",),
    "aws_s3_bucket_policy": ("policy",),
    "aws_sqs_queue_policy": ("policy",),
    "aws_sns_topic_policy": ("policy",),
    "aws_sns_topic": ("policy", "delivery_policy"),
    "aws_sqs_queue": ("policy",),
    "aws_kms_key": ("policy",),
    "aws_kms_key_policy": ("policy",),
    "aws_cloudwatch_log_resource_policy": ("policy_document",),
    "aws_cloudwatch_event_bus_policy": ("policy",),
    "aws_lambda_layer_version_permission": ("policy",),
    "aws_backup_vault_policy": ("policy",),
    "aws_ecr_repository_policy": ("policy",),
    "aws_secretsmanager_secret_policy": ("policy",),
}
# Attributes that are JSON but not IAM policy grammar.
_NOT_IAM = {("aws_sns_topic", "delivery_policy")}

# ``${<type>.<name>.arn}``: an ARN of that resource type, named after the Terraform name.
REFERENCE_ARNS: Mapping[str, str] = {
    "aws_s3_bucket": "arn:{p}:s3:::{n}",
    "aws_cloudwatch_log_group": "arn:{p}:logs:{r}:{a}:log-group:{n}",
    "aws_lambda_function": "arn:{p}:lambda:{r}:{a}:function:{n}",
    "aws_lambda_layer_version": "arn:{p}:lambda:{r}:{a}:layer:{n}:1",
    "aws_sfn_state_machine": "arn:{p}:states:{r}:{a}:stateMachine:{n}",
    "aws_sqs_queue": "arn:{p}:sqs:{r}:{a}:{n}",
    "aws_sns_topic": "arn:{p}:sns:{r}:{a}:{n}",
    "aws_cloudwatch_event_rule": "arn:{p}:events:{r}:{a}:rule/{n}",
    "aws_cloudwatch_metric_alarm": "arn:{p}:cloudwatch:{r}:{a}:alarm:{n}",
    "aws_kms_key": "arn:{p}:kms:{r}:{a}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "aws_dynamodb_table": "arn:{p}:dynamodb:{r}:{a}:table/{n}",
    "aws_iam_role": "arn:{p}:iam::{a}:role/{n}",
    "aws_backup_vault": "arn:{p}:backup:{r}:{a}:backup-vault:{n}",
    "aws_ssm_parameter": "arn:{p}:ssm:{r}:{a}:parameter/{n}",
}
# ``${data.aws_ssm_parameter.<name>.value}``: the value's type, from the parameter's name
# (infra/constructs/ssm_exports.py: ``/<prefix>/<stack>/<key>``), by the key's ending.
PARAMETER_ARNS: tuple[tuple[str, str], ...] = (
    ("_bucket_arn", REFERENCE_ARNS["aws_s3_bucket"]),
    ("_key_arn", REFERENCE_ARNS["aws_kms_key"]),
    ("_table_arn", REFERENCE_ARNS["aws_dynamodb_table"]),
    ("_topic_arn", REFERENCE_ARNS["aws_sns_topic"]),
    ("state_machine_arn", REFERENCE_ARNS["aws_sfn_state_machine"]),
    ("layer_arn", REFERENCE_ARNS["aws_lambda_layer_version"]),
    ("_function_arn", REFERENCE_ARNS["aws_lambda_function"]),
    ("_name", "{n}"),
    ("_id", "{n}"),
    ("_ids", "{n}"),
)
# Other data sources' attributes.
DATA_VALUES: Mapping[tuple[str, str], str] = {
    ("aws_caller_identity", "account_id"): "{a}",
    ("aws_region", "name"): "{r}",
    ("aws_region", "region"): "{r}",
    ("aws_partition", "partition"): "{p}",
}

# The issue codes that fail the audit: everything Parliament says is invalid, malformed or
# inconsistent. (Parliament's RESOURCE_STAR / RESOURCE_EFFECTIVELY_STAR are advice, handled
# by EXCEPTIONS below rather than ignored wholesale.)
FAILING_ISSUES = frozenset(
    {
        "EXCEPTION",
        "MALFORMED_JSON",
        "MALFORMED",
        "DUPLICATE_SID",
        "RESOURCE_POLICY_PRIVILEGE_ESCALATION",
        "UNKNOWN_PRINCIPAL",
        "UNKNOWN_FEDERATION_SOURCE",
        "MISMATCHED_TYPE_OPERATION_TO_NULL",
        "MISMATCHED_TYPE_BUT_USABLE",
        "MISMATCHED_TYPE",
        "UNKNOWN_ACTION",
        "UNKNOWN_PREFIX",
        "UNKNOWN_CONDITION_FOR_ACTION",
        "BAD_PATTERN_FOR_MFA",
        "INVALID_SID",
        "INVALID_ARN",
        "NO_VERSION",
        "INVALID_VERSION",
        "OLD_VERSION",
        "RESOURCE_MISMATCH",
        "RESOURCE_STAR",
        "RESOURCE_EFFECTIVELY_STAR",
        "UNKNOWN_OPERATOR",
        "DENY_STAR",
        "NOTRESOURCE_WITH_ALLOW",
        "NOT_ACTION_WITH_ALLOW",
    }
)


class UnresolvedReference(ValueError):
    """A Terraform reference in a policy whose resource type has no ARN format here."""


@dataclass(frozen=True)
class PolicyDocument:
    env: str
    stack: str
    address: str  # <type>.<name>
    attribute: str
    text: str  # as synthesized, with its Terraform references

    @property
    def where(self) -> str:
        return f"{self.env}/{self.stack}: {self.address}.{self.attribute}"

    @property
    def is_resource_policy(self) -> bool:
        """A policy with a Principal (a bucket, queue, key or trust policy)."""
        statements = json.loads(self.text).get("Statement", [])
        statements = statements if isinstance(statements, list) else [statements]
        return any("Principal" in s or "NotPrincipal" in s for s in statements)


@dataclass(frozen=True)
class Finding:
    document: PolicyDocument
    issue: str
    detail: Any
    location: Any

    def __str__(self) -> str:
        return f"{self.document.where}: {self.issue} {self.detail!r} at {self.location!r}"


@dataclass(frozen=True)
class Exception_:
    """A finding accepted on purpose: ``matches`` says which, ``reason`` says why."""

    issue: str
    matches: Callable[[Finding], bool]
    reason: str


def _actions(finding: Finding) -> set[str]:
    detail = finding.detail
    return {str(a) for a in detail} if isinstance(detail, list | tuple | set) else set()


def _in_key_policy(finding: Finding) -> bool:
    return finding.document.address.startswith(("aws_kms_key.", "aws_kms_key_policy."))


def _trust_policy(finding: Finding) -> bool:
    return finding.document.attribute == "assume_role_policy" and "Resource" in str(finding.detail)


def _vpc_eni_actions(finding: Finding) -> bool:
    from infra.constructs.grants import VPC_ENI_ACTIONS

    return bool(_actions(finding)) and _actions(finding) <= set(VPC_ENI_ACTIONS)


def _logs_key_context(finding: Finding) -> bool:
    """The finding is about the Logs statement's ``ArnLike`` on its encryption-context key."""
    detail = str(finding.detail)
    return _in_key_policy(finding) and (
        "kms:EncryptionContext:aws:logs:arn" in detail or "ArnLike" in detail
    )


EXCEPTIONS: tuple[Exception_, ...] = (
    Exception_(
        "MALFORMED",
        _trust_policy,
        "A role's trust policy names a Principal and no Resource: the role it is attached to is "
        'the resource (IAM, "Role trust policy": https://docs.aws.amazon.com/IAM/latest/'
        'UserGuide/reference_policies_elements_resource.html: "The Resource element is not '
        'used in a role trust policy"). Parliament audits every document as an identity policy.',
    ),
    Exception_(
        "RESOURCE_STAR",
        _in_key_policy,
        'In a key policy "Resource": "*" means the key the policy is attached to and nothing '
        'else (AWS KMS, "Key policies": https://docs.aws.amazon.com/kms/latest/developerguide/'
        "key-policy-overview.html); a key cannot name its own ARN before it exists.",
    ),
    Exception_(
        "RESOURCE_STAR",
        _vpc_eni_actions,
        "Lambda's VPC network interfaces (grants.VPC_ENI_ACTIONS): Lambda creates and deletes "
        "the function's ENIs with the execution role, on interfaces whose ids no one knows "
        'beforehand, and documents these permissions on "*" (AWSLambdaVPCAccessExecutionRole; '
        "https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-"
        "permissions). Scoping CreateNetworkInterface to the subnets' and security group's ARNs "
        "(plus network-interface/*) is possible but untested against AWS: follow-up, not here.",
    ),
    Exception_(
        "MISMATCHED_TYPE",
        _logs_key_context,
        "CloudWatch Logs' key-policy statement uses ArnLike on kms:EncryptionContext:aws:logs:arn "
        "exactly as its documentation gives it (https://docs.aws.amazon.com/AmazonCloudWatch/"
        "latest/logs/encrypt-log-data-kms.html, step 2; issue 11 #4); the service authorization "
        "reference types encryption-context keys as String, which ArnLike also matches.",
    ),
    Exception_(
        "UNKNOWN_CONDITION_FOR_ACTION",
        _logs_key_context,
        "The same documented Logs statement grants kms:Describe* under the encryption-context "
        "condition, which DescribeKey never carries: that one action is never allowed to Logs "
        "(dead, not wider). Kept as documented because infra/tests/test_key_policy.py asserts "
        "it; dropping kms:DescribeKey from data_key.LOGS_ACTIONS would change nothing AWS allows.",
    ),
)


def policies(env: str, stacks: Mapping[str, Mapping[str, Any]]) -> Iterator[PolicyDocument]:
    """Every policy document in the synthesized stacks (resources only: data sources read)."""
    for stack, document in stacks.items():
        for resource_type, resources in document.get("resource", {}).items():
            for attribute in POLICY_ATTRIBUTES.get(resource_type, ()):
                if (resource_type, attribute) in _NOT_IAM:
                    continue
                for name, body in resources.items():
                    text = body.get(attribute)
                    if isinstance(text, str) and text.strip():
                        yield PolicyDocument(env, stack, f"{resource_type}.{name}", attribute, text)


_REFERENCE = re.compile(r"\$\{([^}]*)\}")


def resolve(
    text: str,
    stack: Mapping[str, Any],
    *,
    region: str = REGION,
    account: str = ACCOUNT,
    partition: str = PARTITION,
) -> str:
    """``text`` with each Terraform reference replaced by a value of its type (an ARN of the
    referenced resource's type, the account, the region). Raises UnresolvedReference."""

    def fill(template: str, name: str) -> str:
        safe = re.sub(r"[^A-Za-z0-9-]", "-", name).strip("-").lower() or "x"
        return template.format(p=partition, r=region, a=account, n=safe)

    def replace(match: re.Match[str]) -> str:
        expression = match.group(1).strip()
        parts = expression.split(".")
        if parts[0] == "data" and len(parts) == 4:
            _, data_type, name, attribute = parts
            if data_type == "aws_ssm_parameter" and attribute in ("value", "insecure_value"):
                body = stack.get("data", {}).get(data_type, {}).get(name, {})
                parameter = str(body.get("name", name))
                for ending, template in PARAMETER_ARNS:
                    if parameter.endswith(ending):
                        return fill(template, parameter.rsplit("/", 1)[-1])
                raise UnresolvedReference(f"{expression}: no ARN type for parameter {parameter}")
            value = DATA_VALUES.get((data_type, attribute))
            if value is not None:
                return fill(value, name)
        elif len(parts) == 3 and parts[2] == "arn" and parts[0] in REFERENCE_ARNS:
            return fill(REFERENCE_ARNS[parts[0]], parts[1])
        elif len(parts) == 3 and parts[2] in ("name", "id") and parts[0] in REFERENCE_ARNS:
            return fill("{n}", parts[1])
        raise UnresolvedReference(f"${{{expression}}}: no known value of this reference's type")

    return _REFERENCE.sub(replace, text)


def analyze(text: str) -> list[tuple[str, Any, Any]]:
    """Parliament's findings on one concrete policy: (issue, detail, location)."""
    with warnings.catch_warnings():  # parliament 1.6.4 imports pkg_resources (setuptools<81)
        warnings.simplefilter("ignore")
        from parliament import analyze_policy_string  # type: ignore[import-untyped]

    policy = analyze_policy_string(
        text, ignore_private_auditors=True, include_community_auditors=False
    )
    return [(str(f.issue), f.detail, f.location) for f in policy.findings]


def audit(document: PolicyDocument, stack: Mapping[str, Any]) -> list[Finding]:
    """The failing findings of one synthesized policy, the accepted exceptions left out."""
    concrete = resolve(document.text, stack)
    found = [
        Finding(document, issue, detail, location) for issue, detail, location in analyze(concrete)
    ]
    return [
        f
        for f in found
        if f.issue in FAILING_ISSUES
        and not any(e.issue == f.issue and e.matches(f) for e in EXCEPTIONS)
    ]


def audit_stacks(env: str, stacks: Mapping[str, Mapping[str, Any]]) -> tuple[int, list[Finding]]:
    """(policies audited, failing findings) for one environment's stacks."""
    count, findings = 0, []
    for document in policies(env, stacks):
        count += 1
        findings += audit(document, stacks[document.stack])
    return count, findings

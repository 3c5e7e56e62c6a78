"""First deploy: whatever uses an IAM role is created after that role's permissions, not only
after the role (issue 11, #2). IAM is eventually consistent, and CreateStateMachine checks the
role's log-delivery permissions at once (infra/constructs/service_role.py)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from infra.exports import STACK_ORDER
from infra.naming import ENVIRONMENTS
from infra.tests.conftest import Synthesized

# What grants a role its permissions, and the attribute naming the role it grants them to.
POLICY_TYPES = {
    "aws_iam_role_policy": "role",
    "aws_iam_role_policy_attachment": "role",
}
ROLE_REFERENCE = re.compile(r"^\$\{aws_iam_role\.([^.}]+)\.(id|name)\}$")


def _policies_by_role(document: dict[str, Any]) -> dict[str, set[str]]:
    """Role name (Terraform) -> the addresses of the policies that grant it permissions."""
    resources = document.get("resource", {})
    policies: dict[str, set[str]] = {role: set() for role in resources.get("aws_iam_role", {})}
    for policy_type, attribute in POLICY_TYPES.items():
        for name, body in resources.get(policy_type, {}).items():
            found = ROLE_REFERENCE.match(str(body.get(attribute, "")))
            assert found, f"{policy_type}.{name}: role {body.get(attribute)!r} is not a role here"
            policies[found.group(1)].add(f"{policy_type}.{name}")
    assert not set(resources) & {
        "aws_iam_policy_attachment",
        "aws_iam_role_policy_attachments_exclusive",
    }, "a new way of granting a role permissions: teach this test (and ServiceRole) about it"
    return policies


def _consumers(document: dict[str, Any], role: str) -> dict[str, dict[str, Any]]:
    """Every resource that references the role's ARN (what runs as, or passes, the role)."""
    arn = f"${{aws_iam_role.{role}.arn}}"
    found = {}
    for resource_type, resources in document.get("resource", {}).items():
        for name, body in resources.items():
            if arn in json.dumps(body):
                found[f"{resource_type}.{name}"] = body
    return found


@pytest.mark.parametrize("env", ENVIRONMENTS)
@pytest.mark.parametrize("stack", STACK_ORDER)
def test_every_consumer_of_a_role_depends_on_all_of_its_policies(
    synthesized: dict[str, Synthesized], env: str, stack: str
) -> None:
    document = synthesized[env].stacks[stack]
    for role, policies in _policies_by_role(document).items():
        assert policies, f"{env}/{stack}: role {role} has no permissions at all"
        for address, body in _consumers(document, role).items():
            missing = policies - set(body.get("depends_on", []))
            assert (
                not missing
            ), f"{env}/{stack}: {address} uses role {role} but is not ordered after {sorted(missing)}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_check_sees_every_kind_of_consumer(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    """The test above would pass vacuously if it found no consumers: it finds them all."""
    kinds = {
        address.split(".")[0]
        for stack in STACK_ORDER
        for role in _policies_by_role(synthesized[env].stacks[stack])
        for address in _consumers(synthesized[env].stacks[stack], role)
    }
    expected = {
        "aws_lambda_function",
        "aws_sfn_state_machine",
        "aws_cloudwatch_event_target",
        "aws_flow_log",
    }
    if synthesized[env].config.aws_backup:
        expected.add("aws_backup_selection")
    assert kinds == expected
    roles = sum(len(synthesized[env].resources("aws_iam_role", stack)) for stack in STACK_ORDER)
    assert roles == 7 + (1 if synthesized[env].config.aws_backup else 0)

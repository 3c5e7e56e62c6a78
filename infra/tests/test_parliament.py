"""Every IAM and resource policy of every environment passes Parliament (tooling/policy/
parliament.py), and the audit is shown failing on planted bad policies."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from infra.tests.conftest import Synthesized
from tooling.policy import parliament
from tooling.policy.parliament import PolicyDocument, UnresolvedReference

# Each environment's policies: 6 trust + 6 inline (pipeline, network), the key policy, the
# bucket policies, the trigger DLQ's queue policy; the backup role where AWS Backup is on.
MIN_POLICIES = 15


def test_every_policy_of_every_environment_passes_parliament(
    synthesized: dict[str, Synthesized],
) -> None:
    audited: dict[str, int] = {}
    problems: list[str] = []
    for env, synth in synthesized.items():
        count, findings = parliament.audit_stacks(env, synth.stacks)
        audited[env] = count
        problems += [str(f) for f in findings]
    assert not problems, "\n".join(problems)
    assert all(count >= MIN_POLICIES for count in audited.values()), audited


def test_every_kind_of_policy_is_audited(synthesized: dict[str, Synthesized]) -> None:
    kinds = {
        (d.address.split(".", 1)[0], d.attribute)
        for d in parliament.policies("prod", synthesized["prod"].stacks)
    }
    assert {
        ("aws_iam_role", "assume_role_policy"),
        ("aws_iam_role_policy", "policy"),
        ("aws_kms_key", "policy"),
        ("aws_s3_bucket_policy", "policy"),
        ("aws_sqs_queue", "policy"),  # the trigger DLQ's, inline (workflow_trigger.py)
    } <= kinds


def test_no_policy_attribute_of_a_synthesized_resource_escapes_the_audit(
    synthesized: dict[str, Synthesized],
) -> None:
    """A resource attribute holding a policy document is in POLICY_ATTRIBUTES."""
    for synth in synthesized.values():
        for _, address, body in synth.all_resources():
            resource_type = address.split(".", 1)[0]
            for attribute, value in body.items():
                if isinstance(value, str) and '"Statement"' in value:
                    assert attribute in parliament.POLICY_ATTRIBUTES.get(resource_type, ()), (
                        address,
                        attribute,
                    )


def _document(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


STACK: dict[str, Any] = {
    "data": {
        "aws_ssm_parameter": {
            "table": {"name": "/pipeline/dev/d01/data/metadata_table_arn"},
            "key": {"name": "/pipeline/dev/d01/data/data_key_arn"},
            "odd": {"name": "/pipeline/dev/d01/data/something_else"},
        }
    }
}


def _audit(statement: dict[str, Any], address: str = "aws_iam_role_policy.p") -> set[str]:
    text = _document([{"Sid": "S0", "Effect": "Allow", **statement}])
    document = PolicyDocument("test", "s", address, "policy", text)
    return {f.issue for f in parliament.audit(document, STACK)}


def test_a_good_policy_with_references_passes() -> None:
    assert not _audit(
        {"Action": ["s3:GetObject"], "Resource": "${aws_s3_bucket.raw_bucket_1.arn}/raw/*"}
    )
    assert not _audit(
        {"Action": ["dynamodb:GetItem"], "Resource": "${data.aws_ssm_parameter.table.value}"}
    )


def test_an_unknown_action_fails_though_parliament_calls_it_low() -> None:
    assert "UNKNOWN_ACTION" in _audit(
        {"Action": ["s3:GetObjekt"], "Resource": "${aws_s3_bucket.raw_bucket_1.arn}/raw/*"}
    )


def test_a_resource_of_the_wrong_type_fails() -> None:
    # An object action on the bucket itself, and a table action on a KMS key.
    assert "RESOURCE_MISMATCH" in _audit(
        {"Action": ["s3:GetObject"], "Resource": "${aws_s3_bucket.raw_bucket_1.arn}"}
    )
    assert "RESOURCE_MISMATCH" in _audit(
        {"Action": ["dynamodb:GetItem"], "Resource": "${data.aws_ssm_parameter.key.value}"}
    )


def test_an_unknown_condition_key_fails() -> None:
    assert "UNKNOWN_CONDITION_FOR_ACTION" in _audit(
        {
            "Action": ["s3:GetObject"],
            "Resource": "${aws_s3_bucket.raw_bucket_1.arn}/*",
            "Condition": {"StringEquals": {"s3:NoSuchKey": "x"}},
        }
    )


def test_resource_star_on_a_scoped_action_fails_outside_the_written_exceptions() -> None:
    assert "RESOURCE_STAR" in _audit({"Action": ["s3:GetObject"], "Resource": "*"})
    # The same "*" in a key policy means the key itself: a written exception.
    assert not _audit(
        {
            "Principal": {"AWS": "arn:aws:iam::${data.aws_caller_identity.a.account_id}:root"},
            "Action": ["kms:Decrypt"],
            "Resource": "*",
        },
        address="aws_kms_key.key",
    )


def test_a_reference_of_unknown_type_is_an_error_not_a_pass() -> None:
    with pytest.raises(UnresolvedReference):
        _audit({"Action": ["s3:GetObject"], "Resource": "${aws_mystery.thing.arn}/*"})
    with pytest.raises(UnresolvedReference):
        _audit({"Action": ["s3:GetObject"], "Resource": "${data.aws_ssm_parameter.odd.value}"})


def test_every_exception_has_a_reason() -> None:
    for exception in parliament.EXCEPTIONS:
        assert exception.issue in parliament.FAILING_ISSUES
        assert len(exception.reason) > 80, exception


def test_a_bad_statement_planted_in_a_synthesized_role_policy_is_found(
    synthesized: dict[str, Synthesized],
) -> None:
    stacks = copy.deepcopy(synthesized["prod"].stacks)
    policies = stacks["pipeline"]["resource"]["aws_iam_role_policy"]
    name = next(n for n in policies if n.startswith("ingest_role_policy"))
    document = json.loads(policies[name]["policy"])
    parameters = stacks["pipeline"]["data"]["aws_ssm_parameter"]
    raw_arn = next(n for n, p in parameters.items() if p["name"].endswith("/raw_bucket_arn"))
    document["Statement"] += [
        {"Sid": "Typo", "Effect": "Allow", "Action": ["s3:GetObjekt"], "Resource": "*"},
        {
            "Sid": "WrongType",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem"],
            "Resource": f"${{data.aws_ssm_parameter.{raw_arn}.value}}/raw/*",
        },
    ]
    policies[name]["policy"] = json.dumps(document)
    _, findings = parliament.audit_stacks("prod", stacks)
    assert {f.issue for f in findings} >= {"UNKNOWN_ACTION", "RESOURCE_MISMATCH"}
    assert all(f.document.address == f"aws_iam_role_policy.{name}" for f in findings)

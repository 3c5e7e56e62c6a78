"""The data key's policy, statement by statement (issue 11, #4): each service principal that
calls KMS as itself has its own statement with the condition its AWS documentation gives
(infra/constructs/data_key.py cites the pages), and no principal is there without a use."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any

import pytest

from infra.naming import ENVIRONMENTS
from infra.tests.conftest import Synthesized

ENVS = pytest.mark.parametrize("env", ENVIRONMENTS)


def _statements(s: Synthesized) -> dict[str, dict[str, Any]]:
    (key,) = s.resources("aws_kms_key").values()
    statements = json.loads(key["policy"])["Statement"]
    by_sid = {statement["Sid"]: statement for statement in statements}
    assert len(by_sid) == len(statements), "two statements share a Sid"
    return by_sid


def _account(s: Synthesized) -> str:
    root = _statements(s)["Account"]["Principal"]["AWS"]
    assert root.startswith("arn:aws:iam::") and root.endswith(":root")
    return str(root.removeprefix("arn:aws:iam::").removesuffix(":root"))


def _services(statement: dict[str, Any]) -> list[str]:
    service = statement.get("Principal", {}).get("Service", [])
    return [service] if isinstance(service, str) else list(service)


@ENVS
def test_the_key_has_one_statement_per_service_that_uses_it(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    statements = _statements(synthesized[env])
    assert set(statements) == {
        "Account",
        "CloudWatchLogsLogGroups",
        "CloudWatchAlarmsToEncryptedTopic",
    }
    principals = [p for st in statements.values() for p in _services(st)]
    assert sorted(principals) == sorted(
        [f"logs.{synthesized[env].config.region}.amazonaws.com", "cloudwatch.amazonaws.com"]
    )
    # EventBridge, Step Functions and SNS use the key with their callers' IAM permissions,
    # or not at all: no statement of their own.
    assert not {"events.amazonaws.com", "states.amazonaws.com", "sns.amazonaws.com"} & set(
        principals
    )
    for sid, statement in statements.items():
        assert statement["Effect"] == "Allow" and statement["Resource"] == "*", sid
        actions = statement["Action"]
        assert actions and not [a for a in actions if "*" in a or a == "kms:*"], sid
        if _services(statement):
            assert statement.get("Condition"), f"{sid}: a service principal with no condition"


@ENVS
def test_cloudwatch_logs_is_bound_to_this_accounts_log_groups_by_encryption_context(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    s = synthesized[env]
    region, account = s.config.region, _account(s)
    logs = _statements(s)["CloudWatchLogsLogGroups"]
    assert logs["Principal"] == {"Service": f"logs.{region}.amazonaws.com"}
    # The condition Logs documents, and only that: Logs does not promise aws:SourceAccount.
    assert logs["Condition"] == {
        "ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{account}:log-group:*"
        }
    }
    assert {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"} <= set(
        logs["Action"]
    )
    # Every log group encrypted with the key is one the condition admits, as Logs names it.
    pattern = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    encrypted = [
        group["name"]
        for group in s.resources("aws_cloudwatch_log_group").values()
        if group.get("kms_key_id")
    ]
    assert len(encrypted) >= 6  # four functions, the state machine, the flow logs
    for name in encrypted:
        assert fnmatchcase(f"arn:aws:logs:{region}:{account}:log-group:{name}", pattern), name


@ENVS
def test_cloudwatch_alarms_may_publish_to_the_encrypted_topic_and_nothing_more(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    s = synthesized[env]
    region, account = s.config.region, _account(s)
    alarms = _statements(s)["CloudWatchAlarmsToEncryptedTopic"]
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert sorted(alarms["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert alarms["Condition"] == {
        "StringEquals": {"aws:SourceAccount": account},
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{region}:{account}:alarm:*"},
    }
    # The statement is needed: the topic is encrypted with this key and the alarms publish
    # to it; and every alarm is one its condition admits.
    (topic,) = s.resources("aws_sns_topic").values()
    assert topic["kms_master_key_id"].startswith("${aws_kms_key.")
    pattern = alarms["Condition"]["ArnLike"]["aws:SourceArn"]
    published = [
        alarm["alarm_name"]
        for alarm in s.resources("aws_cloudwatch_metric_alarm").values()
        if alarm["alarm_actions"]
    ]
    assert len(published) >= 10
    for name in published:
        assert fnmatchcase(f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}", pattern), name


@ENVS
def test_the_account_administers_the_key_with_exact_actions(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    account = _statements(synthesized[env])["Account"]
    assert account["Principal"]["AWS"].startswith("arn:aws:iam::${data.aws_caller_identity.")
    assert "Condition" not in account
    assert {"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:CreateGrant"} <= set(
        account["Action"]
    )

"""What each construct puts in the synthesized Terraform, for every environment."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra._provider import loaded_submodules
from infra.config import REQUIRED_TAGS
from infra.naming import ENVIRONMENTS
from infra.stacks.pipeline_stack import lambda_vcpus
from infra.tests.conftest import Synthesized
from pipeline_shared.variables import READ_BY, TUNABLE

ENVS = pytest.mark.parametrize("env", ENVIRONMENTS)


def _one(resources: dict[str, dict[str, Any]], **match: Any) -> dict[str, Any]:
    found = [r for r in resources.values() if all(r.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (match, list(resources))
    return found[0]


def test_only_the_needed_provider_modules_are_loaded(synthesized: dict[str, Synthesized]) -> None:
    # The stand-in worked: a few dozen of the 2,000+ binding modules, not all of them.
    assert 10 < len(loaded_submodules()) < 150


@ENVS
def test_vpc_has_three_private_subnets_gateway_endpoints_and_no_nat(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    network = synthesized[env]
    subnets = network.resources("aws_subnet")
    assert len(subnets) == 3
    assert len({s["availability_zone"] for s in subnets.values()}) == 3
    assert all(s["map_public_ip_on_launch"] is False for s in subnets.values())
    for forbidden in ("aws_nat_gateway", "aws_internet_gateway", "aws_eip", "aws_instance"):
        assert not network.resources(forbidden)
    endpoints = network.resources("aws_vpc_endpoint")
    assert {e["service_name"] for e in endpoints.values()} == {
        "com.amazonaws.us-east-2.s3",
        "com.amazonaws.us-east-2.dynamodb",
    }
    egress = network.resources("aws_vpc_security_group_egress_rule")
    assert all(r["from_port"] == 443 and "prefix_list_id" in r for r in egress.values())
    assert not network.resources("aws_vpc_security_group_ingress_rule")


@ENVS
def test_buckets_are_private_encrypted_versioned_tiered_and_tls_only(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    s = synthesized[env]
    buckets = s.resources("aws_s3_bucket")
    adopted = set(s.config.existing_buckets.values())  # released, never emptied: test_buckets.py
    assert len(buckets) == 5 and all(
        b["force_destroy"] is (b["bucket"] not in adopted) for b in buckets.values()
    )
    for block in s.resources("aws_s3_bucket_public_access_block").values():
        assert all(
            block[k] is True
            for k in (
                "block_public_acls",
                "block_public_policy",
                "ignore_public_acls",
                "restrict_public_buckets",
            )
        )
    assert all(
        v["versioning_configuration"]["status"] == "Enabled"
        for v in s.resources("aws_s3_bucket_versioning").values()
    )
    for encryption in s.resources("aws_s3_bucket_server_side_encryption_configuration").values():
        rule = encryption["rule"][0]
        assert (
            rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
            and rule["bucket_key_enabled"] is True
        )
    for lifecycle in s.resources("aws_s3_bucket_lifecycle_configuration").values():
        (rule,) = lifecycle["rule"]
        # The storage class is chosen per bucket role: infra/tests/test_buckets.py.
        assert rule["transition"] in (
            [],
            [{"days": 90, "storage_class": "GLACIER"}],
            [{"days": 90, "storage_class": "GLACIER_IR"}],
        )
        assert rule["noncurrent_version_expiration"][0]["noncurrent_days"] == 30
        assert rule["abort_incomplete_multipart_upload"][0]["days_after_initiation"] == 7
    for policy in s.resources("aws_s3_bucket_policy").values():
        (statement,) = json.loads(policy["policy"])["Statement"]
        assert statement["Effect"] == "Deny" and statement["Condition"] == {
            "Bool": {"aws:SecureTransport": "false"}
        }
    (notification,) = s.resources("aws_s3_bucket_notification").values()
    assert notification["eventbridge"] is True


def test_prod_adopts_its_legacy_bucket_names(prod: Synthesized) -> None:
    names = {b["bucket"] for b in prod.resources("aws_s3_bucket").values()}
    assert names == {
        "fin-transactions-raw-prod-use2",
        "fin-transactions-processed-prod-use2",
        "example-fin-txn-quarantine-prod-p01",
        "example-fin-txn-artifacts-prod-p01",
        "example-fin-txn-query-results-prod-p01",
    }
    assert "import" not in prod.stacks["data"]  # moved to HCL for checkov (infra/app.py)
    adopted = (prod.out / "stacks" / "data" / "imports.tf").read_text()
    assert (
        'id = "fin-transactions-raw-prod-use2"' in adopted
        and 'id = "fin-transactions-processed-prod-use2"' in adopted
    )
    assert "to = aws_s3_bucket.raw_bucket_" in adopted


@ENVS
def test_table_is_on_demand_with_pitr_encryption_and_backups(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    s = synthesized[env]
    (table,) = s.resources("aws_dynamodb_table").values()
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["point_in_time_recovery"] == {
        "enabled": True,
        "recovery_period_in_days": s.config.pitr_recovery_days,
    }
    assert (
        table["server_side_encryption"]["enabled"] is True
        and table["deletion_protection_enabled"] is False
    )
    if not s.config.aws_backup:  # envs/local/config.toml: no AWS Backup in the emulator
        assert not s.resources("aws_backup_plan")
        return
    (plan,) = s.resources("aws_backup_plan").values()
    assert plan["rule"][0]["lifecycle"]["delete_after"] == s.config.backup_retention_days
    (vault,) = s.resources("aws_backup_vault").values()
    assert vault["force_destroy"] is True


@ENVS
def test_functions_share_the_layer_on_arm64_with_logs_tracing_and_vpc(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    s = synthesized[env]
    functions = s.resources("aws_lambda_function")
    assert {f["function_name"] for f in functions.values()} == {
        f"{n}-{env}-{s.config.suffix}" for n in ("ingest", "transform", "finalize", "notify")
    }
    (layer,) = s.resources("aws_lambda_layer_version").values()
    assert layer["compatible_architectures"] == ["arm64"] and layer["compatible_runtimes"] == [
        "python3.12"
    ]
    log_groups = {g["name"]: g for g in s.resources("aws_cloudwatch_log_group").values()}
    layer_id = next(iter(s.resources("aws_lambda_layer_version")))
    for fn in functions.values():
        assert fn["architectures"] == ["arm64"] and fn["runtime"] == "python3.12"
        assert fn["layers"] == [f"${{aws_lambda_layer_version.{layer_id}.arn}}"]
        assert (
            fn["tracing_config"] == {"mode": "Active"}
            and fn["logging_config"]["log_format"] == "JSON"
        )
        assert fn["vpc_config"]["subnet_ids"] and fn["vpc_config"]["security_group_ids"]
        assert f"/aws/lambda/{fn['function_name']}" in log_groups
        assert len(fn["source_code_hash"]) == 44  # base64 sha256: content-addressed
    transform = _one(functions, handler="transform.handler.lambda_handler")
    assert (
        transform["memory_size"],
        transform["timeout"],
        transform["ephemeral_storage"]["size"],
    ) == (3008, 900, 10240)
    assert transform["environment"]["variables"]["MIMALLOC_PURGE_DELAY"] == "-1"
    assert transform["environment"]["variables"]["CHECK_WORKERS"] == "2"  # 3,008 MB: 2 vCPUs
    if not synthesized[
        env
    ].config.is_emulated:  # finalize spills the file's ids to local disk (cross_chunk.py)
        finalize = _one(functions, handler="finalize.handler.lambda_handler")
        assert (finalize["memory_size"], finalize["ephemeral_storage"]["size"]) == (1769, 10240)
    assert all(g["retention_in_days"] == s.config.log_retention_days for g in log_groups.values())


# Set for every function by its construct, read by Powertools and pipeline_shared.aws; and, for
# transform, read by Arrow's allocator (mimalloc): no function's Settings reads them.
_NOT_SETTINGS = {
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "POWERTOOLS_LOG_LEVEL",
    "AWS_RETRY_MODE",
    "AWS_MAX_ATTEMPTS",
    "MIMALLOC_PURGE_DELAY",
}


@ENVS
def test_function_and_layer_code_comes_from_the_artifacts_bucket(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    """Never from a local file: the AWS provider creates and updates functions from files
    under one provider-wide lock, one after another (infra/constructs/lambda_function.py).
    Each key is the content-addressed object the same stack uploads."""
    s = synthesized[env]
    objects = {
        f"${{aws_s3_object.{name}.key}}": body
        for name, body in s.resources("aws_s3_object").items()
    }
    code = {**s.resources("aws_lambda_function"), **s.resources("aws_lambda_layer_version")}
    assert len(code) == 5
    for name, body in code.items():
        assert "filename" not in body, name
        uploaded = objects[body["s3_key"]]
        assert re.fullmatch(r"(functions|layers)/[^/]+/[0-9a-f]{64}\.zip", uploaded["key"])
        assert uploaded["source_hash"] in uploaded["key"]


def test_each_function_is_set_what_its_settings_read(synthesized: dict[str, Synthesized]) -> None:
    # Its Settings reads READ_BY (tests/settings/test_variables.py holds them to it); the stack
    # leaves the tunable ones at their defaults and sets nothing else.
    for env, s in synthesized.items():
        functions = s.resources("aws_lambda_function")
        for name, read in READ_BY.items():
            fn = _one(functions, function_name=f"{name}-{env}-{s.config.suffix}")
            given = set(fn["environment"]["variables"]) - _NOT_SETTINGS
            assert given == read - TUNABLE, (env, name)


def _policies(s: Synthesized) -> dict[str, dict[str, Any]]:
    roles = {k: r["name"] for k, r in s.resources("aws_iam_role").items()}
    policies = {}
    for policy in s.resources("aws_iam_role_policy").values():
        policies[policy["name"]] = json.loads(policy["policy"])
    assert set(policies) <= set(roles.values())
    return policies


def test_roles_have_exactly_their_declared_grants(prod: Synthesized) -> None:
    policies = _policies(prod)
    transform = policies["transform-role-prod-p01"]["Statement"]
    actions = {a for st in transform for a in st["Action"]}
    assert {
        "s3:GetObject",
        "s3:PutObject",
        "dynamodb:UpdateItem",
        "dynamodb:ConditionCheckItem",
        "kms:Decrypt",
    } <= actions
    assert not any(
        a.startswith(("sns:", "states:", "dynamodb:Delete", "dynamodb:Scan")) for a in actions
    )
    resources = [
        r
        for st in transform
        if "s3:GetObject" in st["Action"]
        for r in ([st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"])
    ]
    assert resources and all(r.endswith("/raw/*") for r in resources)
    for role in ("transform-role-prod-p01", "finalize-role-prod-p01"):  # withdraw outputs
        deletes = [st for st in policies[role]["Statement"] if "s3:DeleteObject" in st["Action"]]
        assert deletes and all(
            r.endswith(("/processed/*", "/quarantine/*"))
            for st in deletes
            for r in ([st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"])
        ), role
    notify = {a for st in policies["notify-role-prod-p01"]["Statement"] for a in st["Action"]}
    assert not any(a.startswith(("s3:", "dynamodb:", "sns:")) for a in notify)
    sfn = {a for st in policies["pipeline-sfn-role-prod-p01"]["Statement"] for a in st["Action"]}
    assert {"lambda:InvokeFunction", "sns:Publish"} <= sfn


@ENVS
def test_no_policy_allows_a_wildcard_action(synthesized: dict[str, Synthesized], env: str) -> None:
    for _, address, body in synthesized[env].all_resources():
        if "policy" in body and isinstance(body["policy"], str) and body["policy"].startswith("{"):
            for statement in json.loads(body["policy"])["Statement"]:
                if statement["Effect"] == "Allow":
                    actions = (
                        statement["Action"]
                        if isinstance(statement["Action"], list)
                        else [statement["Action"]]
                    )
                    assert not [a for a in actions if "*" in a], address


@ENVS
def test_every_taggable_resource_has_the_finops_tags(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    tagged = 0
    for _, address, body in synthesized[env].all_resources():
        if "tags" in body:
            tagged += 1
            assert all(body["tags"].get(t) for t in REQUIRED_TAGS), address
            assert body["tags"]["Environment"] == env
    assert tagged > 30


@ENVS
def test_outputs_are_exported_to_ssm_and_read_from_there(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    s = synthesized[env]
    prefix = f"/pipeline/{env}/{s.config.suffix}/"
    exported = {p["name"] for p in s.resources("aws_ssm_parameter").values()}
    for name in (
        "network/vpc_id",
        "network/subnet_ids",
        "data/raw_bucket_name",
        "data/metadata_table_name",
        "data/alerts_topic_arn",
        "pipeline/state_machine_arn",
        "pipeline/layer_arn",
    ):
        assert prefix + name in exported
    read = {
        d["name"]
        for doc in (s.stacks["pipeline"], s.stacks["observability"])
        for d in doc["data"]["aws_ssm_parameter"].values()
    }
    assert read <= exported
    assert "terraform_remote_state" not in json.dumps(s.stacks)


@ENVS
def test_dashboard_shows_latency_errors_volume_executions_and_throttles(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    (dashboard,) = synthesized[env].resources("aws_cloudwatch_dashboard").values()
    body = json.loads(dashboard["dashboard_body"])
    text = json.dumps(body)
    for metric in (
        "ExecutionTime",
        "ChunkLatency",
        "Errors",
        "Throttles",
        "BytesProcessed",
        "RowsQuarantined",
        "ExecutionsFailed",
        "WriteThrottleEvents",
        "FilesFailed",
        "ApproximateNumberOfMessagesVisible",  # the trigger's dead letters
    ):
        assert metric in text, metric
    for percentile in ("p50", "p95", "p99"):
        assert f'"stat": "{percentile}"' in text
    assert all(w["x"] + w["width"] <= 24 for w in body["widgets"])
    alarms = synthesized[env].resources("aws_cloudwatch_metric_alarm")
    assert len(alarms) >= 10
    assert all(
        a["alarm_actions"] == [a["alarm_actions"][0]]
        and "alerts_topic_arn" in a["alarm_actions"][0]
        for a in alarms.values()
    )


@ENVS
def test_alert_topic_is_encrypted(synthesized: dict[str, Synthesized], env: str) -> None:
    (topic,) = synthesized[env].resources("aws_sns_topic").values()
    assert topic["kms_master_key_id"].startswith("${aws_kms_key.")
    (key,) = synthesized[env].resources("aws_kms_key").values()
    assert key["enable_key_rotation"] is True and key["deletion_window_in_days"] == 7


def test_local_environment_points_the_provider_at_the_emulator(
    synthesized: dict[str, Synthesized],
) -> None:
    provider = synthesized["local"].stacks["data"]["provider"]["aws"][0]
    assert "endpoints" not in provider  # no endpoint given at synth: a plain provider
    assert (
        synthesized["local"]
        .stacks["data"]["terraform"]["backend"]["local"]["path"]
        .endswith("/data.tfstate")
    )
    assert synthesized["prod"].stacks["data"]["terraform"]["backend"]["s3"]["use_lockfile"] is True


def test_every_alarm_names_a_runbook_section_that_exists(prod: Synthesized) -> None:
    runbook = Path("docs/operations.md").read_text()
    sections = set(re.findall(r"^### (\S+)$", runbook, flags=re.MULTILINE))
    alarms = prod.resources("aws_cloudwatch_metric_alarm").values()
    assert len(alarms) >= 10
    for alarm in alarms:
        found = re.search(r"Runbook: docs/operations\.md#(\S+)$", alarm["alarm_description"])
        assert found, alarm["alarm_name"]
        assert found.group(1) in sections, (alarm["alarm_name"], found.group(1))


@pytest.mark.parametrize(
    ("memory_mb", "vcpus"),
    [(128, 1), (1769, 1), (1770, 2), (3008, 2), (5307, 3), (7076, 4), (8845, 5), (10240, 6)],
)
def test_a_function_gets_a_vcpu_per_1769_mb(memory_mb: int, vcpus: int) -> None:
    assert lambda_vcpus(memory_mb) == vcpus

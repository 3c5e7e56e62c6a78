"""The query catalog (issue 13, "Query"), read from the synthesized JSON of every environment:
Glue tables with partition projection over processed/ and a JSON Lines table over quarantine/,
an Athena workgroup that enforces its configuration, cuts queries off and encrypts results in
a bucket whose lifecycle expires them; and the settings that drive them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.app import synthesize_environment
from infra.config import (
    DEFAULT_BYTES_SCANNED_CUTOFF_GB,
    DEFAULT_RESULTS_EXPIRE_DAYS,
    ConfigError,
    load_config,
)
from infra.constructs.query_catalog import (
    JSON_SERDE,
    PARQUET_SERDE,
    PROCESSED_COLUMNS,
    QUARANTINE_COLUMNS,
    QueryCatalogProps,
)
from infra.exports import DataExport
from infra.naming import CREATED_BUCKET_ROLES, ENVIRONMENTS, BucketRole, Naming, NamingError
from infra.stacks.pipeline_stack import placeholder_packages
from infra.tests.conftest import REPO, Synthesized

ENVS = pytest.mark.parametrize("env", ENVIRONMENTS)
DEV = (REPO / "envs" / "dev" / "config.toml").read_text()


def _one(
    s: Synthesized, resource_type: str, path_tail: str, *, stack: str = "data"
) -> dict[str, Any]:
    (body,) = (
        b
        for b in s.resources(resource_type, stack).values()
        if b["//"]["metadata"]["path"].endswith(path_tail)
    )
    return body


def _ref(resource_type: str, path: str, s: Synthesized, attribute: str) -> str:
    (name,) = (
        n
        for n, b in s.resources(resource_type, "data").items()
        if b["//"]["metadata"]["path"] == path
    )
    return f"${{{resource_type}.{name}.{attribute}}}"


@ENVS
def test_processed_table_projects_source_and_day_over_the_contract_columns(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    s = synthesized[env]
    table = _one(s, "aws_glue_catalog_table", "query/processed")
    bucket = _ref("aws_s3_bucket", "data/processed/bucket", s, "bucket")
    assert table["name"] == "processed" and table["table_type"] == "EXTERNAL_TABLE"
    assert table["database_name"] == _ref(
        "aws_glue_catalog_database", "data/query/database", s, "name"
    )
    assert [(c["name"], c["type"]) for c in table["storage_descriptor"]["columns"]] == list(
        PROCESSED_COLUMNS
    )
    assert ("amount", "decimal(22,4)") in PROCESSED_COLUMNS  # exact, as the Parquet holds it
    assert table["partition_keys"] == [
        {"name": "source", "type": "string"},
        {"name": "dt", "type": "string"},
    ]
    parameters = table["parameters"]
    assert {k: v for k, v in parameters.items() if k.startswith("projection.")} == {
        "projection.enabled": "true",
        "projection.source.type": "injected",
        "projection.dt.type": "date",
        "projection.dt.format": "yyyy-MM-dd",
        "projection.dt.range": "2000-01-01,NOW",
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
    }
    # "$${" is Terraform's escape: Athena receives the literal "${source}".
    assert parameters["storage.location.template"] == (
        f"s3://{bucket}/processed/$${{source}}/dt=$${{dt}}/"
    )
    descriptor = table["storage_descriptor"]
    assert descriptor["location"] == f"s3://{bucket}/processed/"
    assert descriptor["ser_de_info"]["serialization_library"] == PARQUET_SERDE
    assert "aws_glue_crawler" not in s.stacks["data"]["resource"]  # projection: no crawler


@ENVS
def test_quarantine_table_reads_the_json_lines(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    s = synthesized[env]
    table = _one(s, "aws_glue_catalog_table", "query/quarantine")
    bucket = _ref("aws_s3_bucket", "data/quarantine/bucket", s, "bucket")
    descriptor = table["storage_descriptor"]
    assert descriptor["location"] == f"s3://{bucket}/quarantine/"
    assert descriptor["ser_de_info"]["serialization_library"] == JSON_SERDE
    assert [(c["name"], c["type"]) for c in descriptor["columns"]] == list(QUARANTINE_COLUMNS)
    assert table["partition_keys"] == []


@ENVS
def test_workgroup_enforces_its_configuration_cutoff_and_encryption(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    s = synthesized[env]
    workgroup = _one(s, "aws_athena_workgroup", "query/workgroup")
    configuration = workgroup["configuration"]
    assert configuration["enforce_workgroup_configuration"] is True
    assert configuration["bytes_scanned_cutoff_per_query"] == (
        s.config.query_bytes_scanned_cutoff_gb * 1_000_000_000
    )
    results = configuration["result_configuration"]
    bucket = _ref("aws_s3_bucket", "data/query-results/bucket", s, "bucket")
    assert results["output_location"] == f"s3://{bucket}/results/"
    assert results["encryption_configuration"] == {
        "encryption_option": "SSE_KMS",
        "kms_key_arn": _ref("aws_kms_key", "data/key/key", s, "arn"),
    }
    assert workgroup["force_destroy"] is True and workgroup["state"] == "ENABLED"
    assert workgroup["name"] == f"pipeline-query-{s.config.naming.tail}"
    assert workgroup["tags"]["Environment"] == env  # the tagging aspect reached it


@ENVS
def test_results_bucket_is_encrypted_private_and_expires_results(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    s = synthesized[env]
    bucket = _one(s, "aws_s3_bucket", "query-results/bucket")
    assert bucket["bucket"] == s.config.naming.bucket(BucketRole.QUERY_RESULTS)
    assert bucket["force_destroy"] is True
    encryption = _one(
        s, "aws_s3_bucket_server_side_encryption_configuration", "query-results/encryption"
    )
    (rule,) = encryption["rule"]
    assert rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    access = _one(s, "aws_s3_bucket_public_access_block", "query-results/public-access")
    assert access["block_public_acls"] is access["restrict_public_buckets"] is True
    (lifecycle,) = _one(
        s, "aws_s3_bucket_lifecycle_configuration", "query-results/rules", stack="retention"
    )["rule"]
    assert lifecycle["expiration"] == [{"days": s.config.query_results_expire_days}]
    assert lifecycle["transition"] == []  # read back at once: never archived


@ENVS
def test_the_tool_finds_every_name_in_parameter_store(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    parameters = {
        p["name"]: p["value"]
        for p in synthesized[env].resources("aws_ssm_parameter", "data").values()
    }
    naming = synthesized[env].config.naming
    database = _one(synthesized[env], "aws_glue_catalog_database", "query/database")["name"]
    assert database == "pipeline_" + naming.tail.replace("-", "_")
    for export in (
        DataExport.CATALOG_DATABASE_NAME,
        DataExport.PROCESSED_TABLE_NAME,
        DataExport.QUARANTINE_TABLE_NAME,
        DataExport.QUERY_WORKGROUP_NAME,
        DataExport.QUERY_RESULTS_BUCKET_NAME,
    ):
        assert naming.ssm_path(export.stack(), export.value) in parameters
    assert DataExport.bucket_name(BucketRole.QUERY_RESULTS) is DataExport.QUERY_RESULTS_BUCKET_NAME


def test_local_data_stack_sends_glue_and_athena_to_the_emulator(tmp_path: Path) -> None:
    config = load_config(REPO / "envs" / "local" / "config.toml", aws_endpoint="http://127.0.0.1:1")
    stacks = synthesize_environment(
        config,
        packages=placeholder_packages(tmp_path / "packages"),
        outdir=tmp_path / "out",
        state_dir=tmp_path / "state",
    )
    (provider,) = stacks["data"]["provider"]["aws"]
    (endpoints,) = provider["endpoints"]
    assert endpoints["athena"] == endpoints["glue"] == endpoints["s3"] == "http://127.0.0.1:1"
    # The workgroup's ARN (for its tags) needs the account id: the provider asks STS for it.
    assert provider["skip_requesting_account_id"] is False
    (other,) = stacks["pipeline"]["provider"]["aws"]
    assert "glue" not in other["endpoints"][0] and other["skip_requesting_account_id"] is True


# -- names and settings ------------------------------------------------------------------------


def test_the_longest_bucket_name_now_is_the_query_results_one() -> None:
    # 'txn-query-results-staging-<12>' is 38 characters: a prefix may have 24 of S3's 63.
    longest = max(CREATED_BUCKET_ROLES, key=len)
    assert longest == BucketRole.QUERY_RESULTS
    assert len(Naming("staging", "x" * 12, "b" * 24).bucket(longest)) == 63
    with pytest.raises(NamingError, match="txn-query-results-staging-x{12}' is 64 characters"):
        Naming("staging", "x" * 12, "b" * 25)


def _props(**names: str) -> QueryCatalogProps:
    fields: dict[str, Any] = {
        "database": "pipeline_dev_d01",
        "processed_table": "processed",
        "quarantine_table": "quarantine",
        "workgroup": "pipeline-query-dev-d01",
        **names,
    }
    key: Any = None  # never reached: the names are checked first
    return QueryCatalogProps(
        **fields,
        processed_bucket="p",
        quarantine_bucket="q",
        results_bucket="r",
        key=key,
        bytes_scanned_cutoff=10**9,
    )


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ({"database": "Pipeline_dev"}, "Glue name 'Pipeline_dev'"),
        ({"database": "pipeline-dev"}, "Glue name 'pipeline-dev'"),
        ({"processed_table": "processed-x"}, "Glue name 'processed-x'"),
        ({"workgroup": "a b"}, "workgroup name 'a b'"),
        ({"workgroup": "w" * 129}, "workgroup name 'w{129}'"),
    ],
)
def test_catalog_names_are_checked(names: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _props(**names)
    assert _props().workgroup == "pipeline-query-dev-d01"


def _load(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return load_config(path)


def test_query_settings_default_and_can_be_set(tmp_path: Path) -> None:
    default = _load(tmp_path, DEV)
    assert default.query_bytes_scanned_cutoff_gb == DEFAULT_BYTES_SCANNED_CUTOFF_GB == 1000
    assert default.query_results_expire_days == DEFAULT_RESULTS_EXPIRE_DAYS == 7
    changed = _load(
        tmp_path, DEV + "\n[query]\nbytes_scanned_cutoff_gb = 50\nresults_expire_days = 2\n"
    )
    assert (changed.query_bytes_scanned_cutoff_gb, changed.query_results_expire_days) == (50, 2)


def test_configured_expiry_reaches_each_lifecycle(tmp_path: Path) -> None:
    text = DEV.replace("[table]", "[storage.expire_after_days]\nraw = 400\n\n[table]", 1)
    config = _load(tmp_path, text + "\n[query]\nresults_expire_days = 2\n")
    stacks = synthesize_environment(
        config,
        packages=placeholder_packages(tmp_path / "packages"),
        outdir=tmp_path / "out",
        state_dir=tmp_path / "state",
    )
    rules = {
        body["//"]["metadata"]["path"]: body["rule"][0]
        for body in stacks["retention"]["resource"][
            "aws_s3_bucket_lifecycle_configuration"
        ].values()
    }
    assert rules["retention/query-results/rules"]["expiration"] == [{"days": 2}]
    assert rules["retention/raw/rules"]["expiration"] == [{"days": 400}]
    assert "expiration" not in rules["retention/processed/rules"]  # kept: nothing configured


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            "bytes_scanned_cutoff_gb = 0",
            r"query\.bytes_scanned_cutoff_gb: must be a whole number from 1 to 1000000",
        ),
        (
            'bytes_scanned_cutoff_gb = "1TB"',
            r"query\.bytes_scanned_cutoff_gb: must be a whole number",
        ),
        (
            "results_expire_days = 0",
            r"query\.results_expire_days: must be a whole number from 1 to 3650",
        ),
        ("cutoff_gb = 3", r"query\.cutoff_gb: is not a known setting"),
    ],
)
def test_query_settings_fail_fast(tmp_path: Path, setting: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _load(tmp_path, DEV + f"\n[query]\n{setting}\n")


def test_no_wildcard_or_policy_comes_with_the_catalog(synthesized: dict[str, Synthesized]) -> None:
    # The catalog grants nothing: who may query is the operators' own IAM (docs/operations.md).
    data = json.dumps(synthesized["prod"].stacks["data"]["resource"].get("aws_iam_policy", {}))
    assert "athena" not in data and "glue" not in data

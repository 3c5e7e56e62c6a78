"""One command prepares a new account's state bucket, against moto in-process: every setting
the first time, nothing the second (and it says so), others' statements and tags kept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from envs import bootstrap
from tooling.deploy.bootstrap import TLS_ONLY_SID, bootstrap_state_bucket, tls_only_statement

REPO = Path(__file__).resolve().parents[2]
BUCKET = "fin-pipeline-tfstate-dev-use2"  # envs/dev/config.toml [state] bucket
REGION = "us-east-2"
TAGS = {"CostCenter": "fin", "Environment": "dev"}


def _s3() -> Any:
    return boto3.client("s3", region_name=REGION)


def test_first_run_sets_everything(mocked: None) -> None:
    steps = bootstrap_state_bucket(BUCKET, REGION, tags=TAGS)
    assert next(s.setting for s in steps if s.changed) == "bucket"
    s3 = _s3()
    assert s3.get_bucket_location(Bucket=BUCKET)["LocationConstraint"] == REGION
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    rules = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    policy = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    assert tls_only_statement(BUCKET) in policy["Statement"]
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    ownership = s3.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]["Rules"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"]}
    assert tags == TAGS


def test_a_second_run_changes_nothing(mocked: None) -> None:
    bootstrap_state_bucket(BUCKET, REGION, tags=TAGS)
    again = bootstrap_state_bucket(BUCKET, REGION, tags=TAGS)
    assert [s for s in again if s.changed] == []
    assert len(again) == 7


def test_an_existing_bucket_is_completed_keeping_its_own_statements(mocked: None) -> None:
    s3 = _s3()
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    theirs = {
        "Sid": "AuditRead",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
    }
    s3.put_bucket_policy(
        Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [theirs]})
    )
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [{"Key": "Team", "Value": "x"}]})
    steps = {s.setting: s for s in bootstrap_state_bucket(BUCKET, REGION, tags=TAGS)}
    assert not steps["bucket"].changed and steps["versioning"].changed
    assert "1 other statement(s) kept" in steps["policy"].detail
    statements = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]
    assert theirs in statements and [s["Sid"] for s in statements] == ["AuditRead", TLS_ONLY_SID]
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"]}
    assert tags == {"Team": "x", **TAGS}


def test_a_bucket_in_another_region_is_refused(mocked: None) -> None:
    from tooling.deploy.bootstrap import BootstrapError

    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    with pytest.raises(BootstrapError, match="exists in us-east-1, but the environment's region"):
        bootstrap_state_bucket(BUCKET, REGION, tags=TAGS)


def test_the_entrypoint_twice(
    mocked: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(REPO)
    assert bootstrap.main(["--env", "dev"]) == 0
    first = capsys.readouterr().err
    assert "changed" in first and f"state bucket s3://{BUCKET} is ready for dev" in first
    assert bootstrap.main(["--env", "dev"]) == 0
    second = capsys.readouterr().err
    assert "changed" not in second
    assert f"nothing to change: s3://{BUCKET} was already ready for dev" in second
    tags = {t["Key"]: t["Value"] for t in _s3().get_bucket_tagging(Bucket=BUCKET)["TagSet"]}
    assert tags["Environment"] == "dev" and tags["ManagedBy"] == "cdktf"


def test_local_has_nothing_to_bootstrap(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(REPO)
    assert bootstrap.main(["--env", "local"]) == 0
    assert "nothing to bootstrap" in capsys.readouterr().err


def test_no_credentials_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.chdir(REPO)
    assert bootstrap.main(["--env", "staging"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "bootstrap failed: no AWS credentials found" in err


def test_a_bootstrap_cannot_be_retargeted() -> None:
    with pytest.raises(SystemExit):
        bootstrap.parse_args(["--env", "dev", "--env", "prod"])

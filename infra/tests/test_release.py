"""Adopted buckets are released on destroy, never deleted (issue 11, item 3), shown with real
Terraform: why the release is a state removal and not a ``removed`` block, and a deploy and
destroy of the data stack in the local emulator with an adopted bucket that survives, data and
configuration intact."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra.app import synthesize_environment
from infra.config import EnvironmentConfig, load_config
from infra.stacks.pipeline_stack import placeholder_packages
from infra.tests.conftest import REPO
from tooling.deploy.orchestrator import deploy_stacks, destroy_stacks
from tooling.deploy.record import FileRecord
from tooling.deploy.release import release, released_addresses
from tooling.deploy.terraform import Terraform, TerraformError

LEGACY = "legacy-raw-bucket-loc"
LEGACY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "LegacyPartnerRead",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{LEGACY}/*",
        }
    ],
}


@pytest.fixture(scope="module")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> Terraform:
    return Terraform.configured(tmp_path_factory.mktemp("terraform"))


def _write(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "main.tf").write_text(text)
    return directory


KEEP = 'resource "terraform_data" "keep" {\n  input = "adopted"\n}\n'
REMOVED = "removed {\n  from = terraform_data.keep\n  lifecycle {\n    destroy = false\n  }\n}\n"


def test_a_removed_block_cannot_release_a_resource_the_configuration_declares(
    tmp_path: Path, terraform: Terraform
) -> None:
    stack = _write(tmp_path / "both", KEEP + REMOVED)
    terraform.init(stack, "-input=false", "-no-color")
    assert terraform.run(stack, "validate", "-no-color").returncode == 0  # validate accepts it
    with pytest.raises(TerraformError, match="Removed resource still exists"):
        terraform.run(stack, "plan", "-input=false", "-no-color")


def test_terraform_destroy_ignores_a_removed_block(tmp_path: Path, terraform: Terraform) -> None:
    stack = _write(tmp_path / "destroy", KEEP)
    terraform.init(stack, "-input=false", "-no-color")
    terraform.run(stack, "apply", "-input=false", "-no-color", "-auto-approve")
    _write(stack, REMOVED)  # the resource block gone, a removed block in its place
    output = terraform.run(stack, "destroy", "-input=false", "-no-color", "-auto-approve").stdout
    assert "terraform_data.keep: Destruction complete" in output  # destroyed, not forgotten


def test_release_forgets_only_listed_addresses_that_are_in_the_state(
    tmp_path: Path, terraform: Terraform
) -> None:
    stack = _write(tmp_path / "release", KEEP + 'resource "terraform_data" "other" {}\n')
    (stack / "cdk.tf.json").write_text(
        json.dumps({"//": {"released_on_destroy": ["terraform_data.keep", "terraform_data.gone"]}})
    )
    terraform.init(stack, "-input=false", "-no-color")
    terraform.run(stack, "apply", "-input=false", "-no-color", "-auto-approve")
    assert released_addresses(stack) == ["terraform_data.keep", "terraform_data.gone"]
    assert release(stack, terraform) == ["terraform_data.keep"]
    assert terraform.run(stack, "state", "list").stdout.split() == ["terraform_data.other"]
    assert release(stack, terraform) == []  # a second destroy attempt: nothing left to release


# -- the data stack in the local emulator ------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Deployed:
    config: EnvironmentConfig
    synth: Path
    record: FileRecord
    s3: Any
    kms: Any
    messages: list[str]


def _client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-2",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory, terraform: Terraform) -> Iterator[Deployed]:
    """envs/local with an adopted raw bucket (a legacy one, with data, a partner's grant and
    its own tags), the data stack deployed into the emulator."""
    from tooling.emulator import server as emulator

    root = tmp_path_factory.mktemp("release")
    state_dir = root / "state"
    url = emulator.start(state_dir).url
    try:
        s3 = _client(url, "s3")
        s3.create_bucket(
            Bucket=LEGACY, CreateBucketConfiguration={"LocationConstraint": "us-east-2"}
        )
        s3.put_object(Bucket=LEGACY, Key="raw/bank/2019/01/02/day.csv", Body=b"years of history")
        s3.put_bucket_policy(Bucket=LEGACY, Policy=json.dumps(LEGACY_POLICY))
        text = (REPO / "envs" / "local" / "config.toml").read_text()
        adopt = f'[storage.existing_buckets]\nraw = "{LEGACY}"\n\n[table]'
        text = text.replace("[table]", adopt, 1)  # a [storage] subtable: before [table]
        (root / "config.toml").write_text(text)
        config = dataclasses.replace(
            load_config(root / "config.toml"), aws_endpoint=url, state_dir=str(state_dir)
        )
        assert config.existing_buckets == {"raw": LEGACY}
        synth = root / "synth"
        synthesize_environment(
            config, packages=placeholder_packages(root / "packages"), outdir=synth
        )
        record = FileRecord(state_dir / "deploy-record.json")
        deploy_stacks(synth, ["data"], terraform=terraform, record=record)
        yield Deployed(config, synth, record, s3, _client(url, "kms"), [])
    finally:
        emulator.stop(state_dir)


def test_the_adopted_bucket_is_managed_like_the_others_once_deployed(deployed: Deployed) -> None:
    s3 = deployed.s3
    (statement,) = json.loads(s3.get_bucket_policy(Bucket=LEGACY)["Policy"])["Statement"]
    assert statement["Sid"] == "DenyInsecureTransport"  # what adopting replaces: docs/deployment.md
    assert s3.get_bucket_versioning(Bucket=LEGACY)["Status"] == "Enabled"
    created = deployed.config.naming.bucket("quarantine")
    assert created in {b["Name"] for b in s3.list_buckets()["Buckets"]}


def test_a_hand_run_terraform_destroy_stops_at_plan_and_deletes_nothing(
    deployed: Deployed, terraform: Terraform
) -> None:
    stack = deployed.synth / "stacks" / "data"
    with pytest.raises(TerraformError, match="prevent_destroy"):
        terraform.run(  # (no refresh: the plan is refused whatever the state says)
            stack, "destroy", "-refresh=false", "-input=false", "-no-color", "-auto-approve"
        )
    assert deployed.s3.get_bucket_policy(Bucket=LEGACY)["Policy"]  # not even the policy went
    assert deployed.config.naming.bucket("quarantine") in {
        b["Name"] for b in deployed.s3.list_buckets()["Buckets"]
    }


def test_the_deploys_destroy_releases_the_adopted_bucket_and_destroys_the_rest(
    deployed: Deployed, terraform: Terraform
) -> None:
    s3, config = deployed.s3, deployed.config
    key_id = s3.get_bucket_encryption(Bucket=LEGACY)["ServerSideEncryptionConfiguration"]["Rules"][
        0
    ]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"]
    messages: list[str] = []
    (result,) = destroy_stacks(
        deployed.synth,
        ["data"],
        terraform=terraform,
        record=deployed.record,
        progress=lambda stack, message: messages.append(message),
    )
    assert result.action == "destroyed" and result.destroyed > 5
    assert any(m.startswith("released, kept in AWS: aws_s3_bucket.raw_bucket_") for m in messages)
    names = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert LEGACY in names  # released: still there, data and all
    body = s3.get_object(Bucket=LEGACY, Key="raw/bank/2019/01/02/day.csv")["Body"].read()
    assert body == b"years of history"
    # ... with the configuration it had: still TLS-only and private, still encrypted
    assert json.loads(s3.get_bucket_policy(Bucket=LEGACY)["Policy"])["Statement"][0]["Effect"] == (
        "Deny"
    )
    assert s3.get_public_access_block(Bucket=LEGACY)["PublicAccessBlockConfiguration"][
        "BlockPublicPolicy"
    ]
    key = deployed.kms.describe_key(KeyId=key_id.rsplit("/", 1)[-1])["KeyMetadata"]
    assert key["KeyState"] == "Enabled"  # not pending deletion: the objects stay readable
    for role in ("processed", "quarantine", "artifacts"):  # created: destroyed as ever
        assert config.naming.bucket(role) not in names
    stack = deployed.synth / "stacks" / "data"
    assert terraform.run(stack, "state", "list").stdout.split() == []

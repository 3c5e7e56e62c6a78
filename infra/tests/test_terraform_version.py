"""Terraform 1.10+ (issue 11, #6): the S3 backend's use_lockfile needs it. Every stack declares
it, and the deploy refuses an older Terraform with one clear line before anything runs."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from infra.config import load_config
from infra.exports import STACK_ORDER
from infra.naming import ENVIRONMENTS
from infra.synthesized import REQUIRED_TERRAFORM_VERSION
from infra.tests.conftest import REPO, Synthesized
from tooling.deploy.environment import run_environment
from tooling.deploy.terraform import BINARY_VARIABLE, Terraform, TerraformError, check_version

REQUIRED_VERSION = ">= 1.10.0"

DECLARED = re.compile(r'terraform\s*\{\s*required_version\s*=\s*"([^"]+)"\s*\}')


def _fake_terraform(tmp_path: Path, stdout: str, exit_code: int = 0) -> str:
    script = tmp_path / "terraform"
    script.write_text(f"#!/bin/sh\ncat <<'EOF'\n{stdout}\nEOF\nexit {exit_code}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def _version_json(version: str) -> str:
    return json.dumps({"terraform_version": version, "platform": "linux_amd64"})


def test_the_minimum_is_the_one_s3_native_locking_needs() -> None:
    assert REQUIRED_TERRAFORM_VERSION == REQUIRED_VERSION


@pytest.mark.parametrize("env", ENVIRONMENTS)
@pytest.mark.parametrize("stack", STACK_ORDER)
def test_every_stack_declares_the_terraform_it_needs(
    synthesized: dict[str, Synthesized], env: str, stack: str
) -> None:
    stack_dir = synthesized[env].out / "stacks" / stack
    found = DECLARED.search((stack_dir / "versions.tf").read_text())
    assert found and found.group(1) == REQUIRED_VERSION
    # Not in the JSON: a string there makes checkov's terraform_json parser drop the file.
    assert "required_version" not in synthesized[env].stacks[stack]["terraform"]


@pytest.mark.parametrize("version", ["1.5.7", "1.9.8", "0.12.31"])
def test_an_older_terraform_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str
) -> None:
    output = _version_json(version) if version != "0.12.31" else "Terraform v0.12.31"
    monkeypatch.setenv(BINARY_VARIABLE, _fake_terraform(tmp_path, output))
    with pytest.raises(TerraformError) as raised:
        Terraform.configured(tmp_path / "work")
    message = str(raised.value)
    assert "\n" not in message
    assert f"Terraform {version}" in message and "1.10+" in message
    assert BINARY_VARIABLE in message and "use_lockfile" in message


@pytest.mark.parametrize("version", ["1.10.0", "1.11.4", "2.0.0"])
def test_a_new_enough_terraform_is_accepted(tmp_path: Path, version: str) -> None:
    assert check_version(_fake_terraform(tmp_path, _version_json(version))) == tuple(
        int(part) for part in version.split(".")
    )


def test_a_binary_that_does_not_say_its_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TerraformError, match="no Terraform version in its output"):
        check_version(_fake_terraform(tmp_path, "not terraform", exit_code=1))


def test_the_terraform_on_this_machine_passes(tmp_path: Path) -> None:
    """The one the validate and e2e tests use: if this fails, they would too."""
    configured = Terraform.configured(tmp_path)
    assert check_version(configured.binary) >= (1, 10, 0)


def test_deploy_checks_the_version_before_it_synthesizes_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BINARY_VARIABLE, _fake_terraform(tmp_path, _version_json("1.5.7")))
    config = load_config(REPO / "envs" / "dev" / "config.toml")
    synth_dir = tmp_path / "synth"
    with pytest.raises(TerraformError, match=r"Terraform 1\.5\.7 .* is too old"):
        run_environment(
            "plan",
            config,
            packages=lambda: tmp_path / "packages",
            synth_dir=synth_dir,
            state_dir=tmp_path / "state",
        )
    assert not synth_dir.exists()


def test_the_readme_asks_for_the_same_terraform() -> None:
    readme = (REPO / "README.md").read_text()
    assert "**Terraform 1.10+**" in readme and "Terraform 1.5+" not in readme

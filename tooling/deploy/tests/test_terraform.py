"""Terraform runs share one dependency lock file, so concurrent inits link the cached provider
instead of racing to reinstall it (the CI failure "mkdir ...linux_amd64: file exists")."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tooling.deploy.terraform import LOCK_FILE, MIRROR_VARIABLE, Terraform

PROVIDER_ONLY = """terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}
"""


def _stack(root: Path, name: str) -> Path:
    stack_dir = root / name
    stack_dir.mkdir()
    (stack_dir / "main.tf").write_text(PROVIDER_ONLY)
    return stack_dir


def test_inits_after_the_first_reuse_its_lock_file_and_the_cached_provider(
    tmp_path: Path,
) -> None:
    terraform = Terraform.configured(tmp_path / "work")
    first = _stack(tmp_path, "first")
    terraform.init(first, "-backend=false", "-input=false", "-no-color")
    shared = tmp_path / "work" / LOCK_FILE
    assert shared.read_text() == (first / LOCK_FILE).read_text()
    assert 'provider "registry.terraform.io/hashicorp/aws"' in shared.read_text()

    others = [_stack(tmp_path, f"stack{n}") for n in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        outputs = list(
            pool.map(
                lambda d: terraform.init(d, "-backend=false", "-input=false", "-no-color").stdout,
                others,
            )
        )
    for stack_dir, stdout in zip(others, outputs, strict=True):
        assert "Reusing previous version of hashicorp/aws from the dependency lock file" in stdout
        assert "from the shared cache directory" in stdout
        assert (stack_dir / LOCK_FILE).read_text() == shared.read_text()


def test_a_mirror_where_terraform_looks_by_itself_needs_no_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's commands on an offline machine: with the provider in one of Terraform's
    implied local mirror directories (here ~/.terraform.d/plugins; "Implied Local Mirror
    Directories", https://developer.hashicorp.com/terraform/cli/config/config-file), nothing
    needs exporting. The mirror this run was given stands in for one put there."""
    mirror = os.environ.get(MIRROR_VARIABLE)
    if not mirror:
        pytest.skip(f"{MIRROR_VARIABLE} names no mirror to place in the implied directory")
    home = tmp_path / "home"
    (home / ".terraform.d").mkdir(parents=True)
    (home / ".terraform.d" / "plugins").symlink_to(Path(mirror).resolve())
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv(MIRROR_VARIABLE)
    monkeypatch.delenv("TF_CLI_CONFIG_FILE", raising=False)
    terraform = Terraform.configured(tmp_path / "work")
    assert "TF_CLI_CONFIG_FILE" not in terraform.env
    stack = _stack(tmp_path, "stack")
    result = terraform.init(stack, "-backend=false", "-input=false", "-no-color")
    assert "Installed hashicorp/aws v5.100.0" in result.stdout

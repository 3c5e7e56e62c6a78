"""Terraform runs share one dependency lock file, so concurrent inits link the cached provider
instead of racing to reinstall it (the CI failure "mkdir ...linux_amd64: file exists")."""

from __future__ import annotations

import json
import os
import shutil
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


def test_concurrent_first_inits_take_turns_then_share_the_lock_file_and_cache(
    tmp_path: Path,
) -> None:
    """Five stacks initialized at once in a new work directory: the first writes the shared
    lock file while the others wait; they then start from it and link the cached provider."""
    terraform = Terraform.configured(tmp_path / "work")
    stacks = [_stack(tmp_path, f"stack{n}") for n in range(5)]
    with ThreadPoolExecutor(max_workers=5) as pool:
        ran = list(
            pool.map(
                lambda d: terraform.init(d, "-backend=false", "-input=false", "-no-color"), stacks
            )
        )
    assert ran == [True] * 5
    shared = tmp_path / "work" / LOCK_FILE
    assert 'provider "registry.terraform.io/hashicorp/aws"' in shared.read_text()
    logs = [terraform.log_path(d, "init").read_text() for d in stacks]
    reused = [log for log in logs if "from the dependency lock file" in log]
    assert len(reused) == 4  # all but the first
    assert all("from the shared cache directory" in log for log in reused)
    for stack_dir in stacks:
        assert (stack_dir / LOCK_FILE).read_text() == shared.read_text()


def _cdktf_stack(root: Path, name: str, *, path: str = "a.tfstate") -> Path:
    stack_dir = root / name
    stack_dir.mkdir(exist_ok=True)
    block = {
        "required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}},
        "backend": {"local": {"path": path}},
    }
    (stack_dir / "cdk.tf.json").write_text(json.dumps({"terraform": block}))
    return stack_dir


def test_init_is_skipped_only_while_what_it_reads_is_unchanged(tmp_path: Path) -> None:
    terraform = Terraform.configured(tmp_path / "work")
    stack = _cdktf_stack(tmp_path, "stack")
    args = ("-input=false", "-no-color", "-reconfigure")
    assert terraform.init(stack, *args) is True
    assert terraform.init(stack, *args) is False  # nothing changed
    _cdktf_stack(tmp_path, "stack", path="b.tfstate")  # a new backend
    assert terraform.init(stack, *args) is True
    assert terraform.init(stack, *args) is False
    (stack / LOCK_FILE).write_text((stack / LOCK_FILE).read_text() + "\n# edited\n")
    assert terraform.init(stack, *args) is True
    shutil.rmtree(stack / ".terraform" / "providers")  # the provider is gone
    assert terraform.init(stack, *args) is True
    assert terraform.init(stack, "-input=false", "-no-color") is True  # other arguments


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
    assert terraform.init(stack, "-backend=false", "-input=false", "-no-color")
    assert "Installed hashicorp/aws v5.100.0" in terraform.log_path(stack, "init").read_text()

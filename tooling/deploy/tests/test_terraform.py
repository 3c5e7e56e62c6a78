"""Terraform runs share one dependency lock file, so concurrent inits link the cached provider
instead of racing to reinstall it (the CI failure "mkdir ...linux_amd64: file exists")."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tooling.deploy.terraform import LOCK_FILE, Terraform

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

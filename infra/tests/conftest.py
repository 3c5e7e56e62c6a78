"""Synthesize every environment once per test run; all infra tests read the shared result.

Packages are placeholders: synth needs files to hash and copy, not real code (the e2e test
uses the Pants-built ones)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import infra  # noqa: F401  (provider stand-in first)
from infra.app import synthesize_environment
from infra.config import EnvironmentConfig, load_config
from infra.naming import ENVIRONMENTS
from infra.stacks.pipeline_stack import placeholder_packages

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Synthesized:
    config: EnvironmentConfig
    out: Path
    stacks: dict[str, dict[str, Any]]

    def resources(self, resource_type: str, stack: str | None = None) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for name, document in self.stacks.items():
            if stack in (None, name):
                found.update(document.get("resource", {}).get(resource_type, {}))
        return found

    def all_resources(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for stack, document in self.stacks.items():
            for resource_type, resources in document.get("resource", {}).items():
                for name, body in resources.items():
                    yield stack, f"{resource_type}.{name}", body


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Synthesized]:
    root = tmp_path_factory.mktemp("synth")
    packages = placeholder_packages(root / "packages")
    result = {}
    for env in ENVIRONMENTS:
        config = load_config(REPO / "envs" / env / "config.toml")
        out = root / "envs" / env
        stacks = synthesize_environment(
            config, packages=packages, outdir=out, state_dir=root / "state"
        )
        result[env] = Synthesized(config, out, stacks)
    return result


@pytest.fixture(scope="session")
def prod(synthesized: dict[str, Synthesized]) -> Synthesized:
    return synthesized["prod"]

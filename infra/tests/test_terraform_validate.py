"""Every stack of every environment passes ``terraform validate`` against the real AWS provider
schema (5.100.0), installed offline from the provider mirror when one is configured."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from infra.exports import STACK_ORDER
from infra.naming import ENVIRONMENTS
from infra.tests.conftest import Synthesized
from tooling.deploy.terraform import Terraform


@pytest.fixture(scope="session")
def validation(
    synthesized: dict[str, Synthesized], tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], dict[str, object]]:
    terraform = Terraform.configured(tmp_path_factory.mktemp("terraform"))

    def validate(target: tuple[str, str]) -> dict[str, object]:
        env, stack = target
        stack_dir = synthesized[env].out / "stacks" / stack
        terraform.init(stack_dir, "-backend=false", "-input=false", "-no-color")
        return dict(json.loads(terraform.run(stack_dir, "validate", "-json", "-no-color").stdout))

    targets = [(env, stack.value) for env in ENVIRONMENTS for stack in STACK_ORDER]
    # The first init fills the plugin cache and writes the shared lock file; the rest start
    # from that lock file and link the cached provider, two at a time (two cores, ~600 MB
    # per provider process).
    results = {targets[0]: validate(targets[0])}
    with ThreadPoolExecutor(max_workers=2) as pool:
        results.update(zip(targets[1:], pool.map(validate, targets[1:]), strict=True))
    return results


@pytest.mark.parametrize("env", ENVIRONMENTS)
@pytest.mark.parametrize("stack", STACK_ORDER)
def test_stack_is_valid_terraform(
    validation: dict[tuple[str, str], dict[str, object]], env: str, stack: str
) -> None:
    result = validation[(env, stack)]
    assert result["valid"] is True, result["diagnostics"]
    assert result["error_count"] == 0


def test_provider_is_pinned(synthesized: dict[str, Synthesized]) -> None:
    for env in ENVIRONMENTS:
        for stack in STACK_ORDER:
            assert (
                synthesized[env].stacks[stack]["terraform"]["required_providers"]["aws"]["version"]
                == "5.100.0"
            )

"""The typed stack exports (infra/exports.py): each stack writes its whole list, every value a
stack or tool reads is one an earlier stack wrote, and a value named for the wrong stack or
left out fails synth instead of a plan or a live re-drive."""

from __future__ import annotations

import json
import re

import pytest
from cdktf import App, TerraformStack

from infra.constructs.ssm_exports import (
    ExportedValues,
    ExportedValuesProps,
    ImportedValues,
    ImportedValuesProps,
)
from infra.exports import (
    STACK_ORDER,
    DataExport,
    NetworkExport,
    PipelineExport,
    Stack,
    StackExport,
)
from infra.naming import ENVIRONMENTS, Naming
from infra.tests.conftest import Synthesized

ENVS = pytest.mark.parametrize("env", ENVIRONMENTS)
PATH = re.compile(
    r"^/pipeline/(?P<env>[a-z]+)/(?P<suffix>[a-z0-9]+)/(?P<stack>[a-z]+)/(?P<name>\w+)$"
)


def _parameters(s: Synthesized, stack: str, kind: str) -> set[tuple[str, str]]:
    """(stack, name) of each Parameter Store path the stack writes (resource) or reads (data)."""
    found = set()
    for body in s.stacks[stack].get(kind, {}).get("aws_ssm_parameter", {}).values():
        match = PATH.match(body["name"])
        assert match, body["name"]
        assert (match["env"], match["suffix"]) == (s.config.environment, s.config.suffix)
        found.add((match["stack"], match["name"]))
    return found


@ENVS
def test_each_stack_writes_exactly_its_list(synthesized: dict[str, Synthesized], env: str) -> None:
    s = synthesized[env]
    for stack, exports in (
        ("data", DataExport),
        ("network", NetworkExport),
        ("pipeline", PipelineExport),
    ):
        assert _parameters(s, stack, "resource") == {(stack, e.value) for e in exports}
    assert _parameters(s, "observability", "resource") == set()


@ENVS
def test_every_value_read_was_written_by_an_earlier_stack(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    s = synthesized[env]
    written: set[tuple[str, str]] = set()
    for stack in STACK_ORDER:
        read = _parameters(s, stack, "data")
        assert read <= written, (stack, sorted(read - written))
        written |= _parameters(s, stack, "resource")


def _stack() -> TerraformStack:
    app = App()
    TerraformStack(app, "data")
    return TerraformStack(app, "s")


NAMING = Naming("dev", "d01")


def test_a_stack_that_leaves_a_value_out_fails_synth() -> None:
    partial: dict[StackExport, str] = {
        e: "v" for e in NetworkExport if e is not NetworkExport.SUBNET_IDS
    }
    with pytest.raises(ValueError, match="network stack does not export subnet_ids"):
        ExportedValues(_stack(), "x", props=ExportedValuesProps(naming=NAMING, values=partial))


def test_one_stacks_exports_at_a_time() -> None:
    mixed: dict[StackExport, str] = {e: "v" for e in NetworkExport}
    mixed[DataExport.DATA_KEY_ARN] = "k"
    with pytest.raises(ValueError, match="one stack's exports at a time"):
        ExportedValues(_stack(), "x", props=ExportedValuesProps(naming=NAMING, values=mixed))


def test_a_value_read_from_the_wrong_stack_fails() -> None:
    data = ImportedValues(
        _stack(), "data", props=ImportedValuesProps(naming=NAMING, stack=Stack.DATA)
    )
    with pytest.raises(ValueError, match="pipeline/state_machine_arn is not a value of the data"):
        data.get(PipelineExport.STATE_MACHINE_ARN)
    assert data.get(DataExport.RAW_BUCKET_NAME).startswith("${")


def test_reading_a_stack_the_app_does_not_have_fails() -> None:
    with pytest.raises(ValueError, match="s reads the network stack's values, which this app"):
        ImportedValues(
            _stack(), "network", props=ImportedValuesProps(naming=NAMING, stack=Stack.NETWORK)
        )


@ENVS
def test_the_cdktf_manifest_orders_the_stacks_by_what_they_read(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    """``cdktf deploy '*'`` applies in manifest dependency order: each stack after every stack
    it reads from (independently: from the Parameter Store paths in its JSON)."""
    manifest = json.loads((synthesized[env].out / "manifest.json").read_text())
    for stack in STACK_ORDER:
        reads = {name for name, _ in _parameters(synthesized[env], stack, "data")}
        assert set(manifest["stacks"][stack]["dependencies"]) == reads, stack

"""The changed-only logic: fingerprints, the deploy record, and which stacks get applied."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tooling.deploy.fingerprint import stack_fingerprint
from tooling.deploy.orchestrator import DeployFailed, deploy_stacks, destroy_stacks
from tooling.deploy.record import FileRecord
from tooling.deploy.terraform import TerraformError

STACKS = ("data", "network", "pipeline", "observability")
# As cdktf's manifest orders the real stacks: data and network side by side.
DEPENDENCIES = {
    "data": [],
    "network": [],
    "pipeline": ["data", "network"],
    "observability": ["pipeline"],
}


class FakeTerraform:
    """Records the commands it is asked to run; fails on demand."""

    def __init__(self, fail_on: str | None = None, fail_command: str = "apply") -> None:
        self.calls: list[tuple[str, str]] = []
        self.fail_on, self.fail_command = fail_on, fail_command

    def run(self, stack_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
        self.calls.append((stack_dir.name, args[0]))
        if stack_dir.name == self.fail_on and args[0] == self.fail_command:
            raise TerraformError(f"terraform {args[0]} failed in {stack_dir}: boom")
        stdout = {
            "plan": "Plan: 2 to add, 1 to change, 0 to destroy.",
            "apply": "Apply complete! Resources: 2 added, 1 changed, 0 destroyed.",
            "output": "{}",
        }.get(args[0], "Destroy complete! Resources: 3 destroyed.")
        return subprocess.CompletedProcess(args, 0, stdout, "")

    def init(self, stack_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(stack_dir, "init", *args)

    def applied(self) -> list[str]:
        return [stack for stack, command in self.calls if command == "apply"]


def _synth(
    root: Path, *, transform_hash: str = "AAA", asset_dir: str = "0123456789ABCDEF0123"
) -> Path:
    for stack in STACKS:
        document: dict[str, Any] = {"resource": {"null": {stack: {}}}}
        if stack == "pipeline":
            document["resource"]["aws_lambda_function"] = {
                "transform": {
                    "source_code_hash": transform_hash,
                    "filename": f"assets/transform_package/{asset_dir}/lambda.zip",
                }
            }
        (root / "stacks" / stack).mkdir(parents=True, exist_ok=True)
        (root / "stacks" / stack / "cdk.tf.json").write_text(json.dumps(document))
    manifest = {"stacks": {s: {"dependencies": d} for s, d in DEPENDENCIES.items()}}
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


def _after_its_upstream(calls: list[tuple[str, str]], command: str) -> None:
    """Each stack's ``command`` came after that of every stack it depends on."""
    order = [stack for stack, c in calls if c == command]
    for stack, upstream in DEPENDENCIES.items():
        for name in upstream:
            assert order.index(name) < order.index(stack), (name, stack, order)


def test_first_deploy_applies_every_stack_in_order(tmp_path: Path) -> None:
    terraform, record = FakeTerraform(), FileRecord(tmp_path / "record.json")
    results = deploy_stacks(_synth(tmp_path / "synth"), STACKS, terraform=terraform, record=record)  # type: ignore[arg-type]
    assert sorted(terraform.applied()) == sorted(STACKS)
    _after_its_upstream(terraform.calls, "apply")
    assert [r.stack for r in results] == list(STACKS)
    assert [r.action for r in results] == ["applied"] * 4
    assert (results[0].added, results[0].changed) == (2, 1)


def test_no_change_applies_nothing(tmp_path: Path) -> None:
    synth, record = _synth(tmp_path / "synth"), FileRecord(tmp_path / "record.json")
    deploy_stacks(synth, STACKS, terraform=FakeTerraform(), record=record)  # type: ignore[arg-type]
    again = FakeTerraform()
    results = deploy_stacks(synth, STACKS, terraform=again, record=record)  # type: ignore[arg-type]
    assert again.calls == [] and [r.action for r in results] == ["unchanged"] * 4


def test_one_service_change_applies_one_stack(tmp_path: Path) -> None:
    record = FileRecord(tmp_path / "record.json")
    deploy_stacks(_synth(tmp_path / "synth"), STACKS, terraform=FakeTerraform(), record=record)  # type: ignore[arg-type]
    changed = FakeTerraform()
    deploy_stacks(_synth(tmp_path / "synth", transform_hash="BBB"), STACKS, terraform=changed, record=record)  # type: ignore[arg-type]
    assert changed.applied() == ["pipeline"]


def test_a_rebuilt_identical_package_changes_nothing(tmp_path: Path) -> None:
    first = stack_fingerprint(_synth(tmp_path / "a") / "stacks" / "pipeline")
    rebuilt = stack_fingerprint(
        _synth(tmp_path / "b", asset_dir="FEDCBA9876543210FEDC") / "stacks" / "pipeline"
    )
    assert first == rebuilt
    assert first != stack_fingerprint(
        _synth(tmp_path / "c", transform_hash="CCC") / "stacks" / "pipeline"
    )


def test_a_failed_apply_stops_keeps_the_record_and_resumes(tmp_path: Path) -> None:
    synth, record = _synth(tmp_path / "synth"), FileRecord(tmp_path / "record.json")
    with pytest.raises(DeployFailed, match="stack pipeline failed") as failure:
        deploy_stacks(synth, STACKS, terraform=FakeTerraform(fail_on="pipeline"), record=record)  # type: ignore[arg-type]
    assert [r.action for r in failure.value.results] == ["applied", "applied", "failed", "not run"]
    assert set(record.load()) == {"data", "network"}
    resumed = FakeTerraform()
    deploy_stacks(synth, STACKS, terraform=resumed, record=record)  # type: ignore[arg-type]
    assert resumed.applied() == ["pipeline", "observability"]


def test_destroy_goes_in_reverse_and_forgets(tmp_path: Path) -> None:
    synth, record = _synth(tmp_path / "synth"), FileRecord(tmp_path / "record.json")
    deploy_stacks(synth, STACKS, terraform=FakeTerraform(), record=record)  # type: ignore[arg-type]
    terraform = FakeTerraform()
    results = destroy_stacks(synth, STACKS, terraform=terraform, record=record)  # type: ignore[arg-type]
    destroyed = [s for s, c in terraform.calls if c == "destroy"]
    assert destroyed[:2] == ["observability", "pipeline"] and set(destroyed[2:]) == {
        "data",
        "network",
    }
    assert [r.stack for r in results] == list(reversed(STACKS))
    assert record.load() == {} and results[0].destroyed == 3


def test_a_failed_destroy_leaves_what_it_reads_from(tmp_path: Path) -> None:
    synth, record = _synth(tmp_path / "synth"), FileRecord(tmp_path / "record.json")
    deploy_stacks(synth, STACKS, terraform=FakeTerraform(), record=record)  # type: ignore[arg-type]
    terraform = FakeTerraform(fail_on="pipeline", fail_command="destroy")
    with pytest.raises(DeployFailed, match="stack pipeline failed") as failure:
        destroy_stacks(synth, STACKS, terraform=terraform, record=record)  # type: ignore[arg-type]
    assert [r.action for r in failure.value.results] == [
        "destroyed",
        "failed",
        "not run",
        "not run",
    ]
    assert set(record.load()) == {"pipeline", "network", "data"}


def test_a_corrupt_record_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "record.json").write_text("{not json")
    with pytest.raises(ValueError, match="delete it to redeploy every stack"):
        FileRecord(tmp_path / "record.json").load()


def test_the_hcl_beside_the_json_is_part_of_the_fingerprint(tmp_path: Path) -> None:
    """Synth writes import and removed blocks as HCL files (infra/app.py): a new one is a
    change to deploy, as a change to the JSON is."""
    stack = _synth(tmp_path / "synth") / "stacks" / "pipeline"
    before = stack_fingerprint(stack)
    (stack / "removed.tf").write_text("removed {\n  from = aws_sqs_queue_policy.p\n}\n")
    assert stack_fingerprint(stack) != before


def test_only_a_destroy_goes_without_packages(tmp_path: Path) -> None:
    """A destroy synthesizes with placeholder zips; a deploy or plan of them would ship them."""
    from infra.config import load_config
    from tooling.deploy.environment import run_environment

    config = load_config(Path(__file__).resolve().parents[3] / "envs" / "dev" / "config.toml")
    for command in ("deploy", "plan"):
        with pytest.raises(ValueError, match=f"{command} needs the built packages"):
            run_environment(command, config, packages=None, synth_dir=tmp_path, state_dir=tmp_path)


def test_a_stack_is_fingerprinted_after_its_preparation(tmp_path: Path) -> None:
    """The pipeline's packages are built and synthesized in its turn (staged_synth.py): the
    fingerprint recorded is that of what was prepared, and its upstream stacks had applied."""
    synth, record = _synth(tmp_path / "synth"), FileRecord(tmp_path / "record.json")
    terraform = FakeTerraform()
    seen: list[list[str]] = []

    def land_the_packages() -> None:
        seen.append(terraform.applied())
        _synth(tmp_path / "synth", transform_hash="BUILT")

    deploy_stacks(synth, STACKS, terraform=terraform, record=record, prepare={"pipeline": land_the_packages})  # type: ignore[arg-type]
    assert len(seen) == 1 and set(seen[0]) == {"data", "network"}
    again = FakeTerraform()
    deploy_stacks(synth, STACKS, terraform=again, record=record)  # type: ignore[arg-type]
    assert again.applied() == []  # the record holds the fingerprint of the built synth


def test_a_failed_preparation_fails_its_stack_and_runs_nothing_after(tmp_path: Path) -> None:
    synth, record = _synth(tmp_path / "synth"), FileRecord(tmp_path / "record.json")
    terraform = FakeTerraform()

    def packaging_fails() -> None:
        raise RuntimeError("`./pants package` failed: SyntaxError in notify/messages.py")

    with pytest.raises(DeployFailed, match="stack pipeline failed: `./pants package` failed"):
        deploy_stacks(synth, STACKS, terraform=terraform, record=record, prepare={"pipeline": packaging_fails})  # type: ignore[arg-type]
    assert sorted(terraform.applied()) == ["data", "network"]
    assert ("pipeline", "init") not in terraform.calls
    assert set(record.load()) == {"data", "network"}

"""A stack reads upstream values through SSM at plan time (infra/constructs/ssm_exports.py):
it is planned again when a value it reads changed, even if its own JSON did not, and a plan of
a new environment says which stacks wait for an upstream one instead of failing at network."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tooling.deploy.dependencies import stack_dependencies, stack_inputs
from tooling.deploy.orchestrator import deploy_stacks, plan_diff
from tooling.deploy.record import FileRecord

STACKS = ("data", "network", "pipeline", "observability")
PREFIX = "/pipeline/dev/d01"
EXPORTS = {
    "data": ["data_key_arn", "raw_bucket_name", "alerts_topic_arn"],
    "network": ["subnet_ids"],
    "pipeline": ["state_machine_arn"],
    "observability": [],
}
READS = {
    "data": [],
    "network": ["data/data_key_arn"],
    "pipeline": ["data/data_key_arn", "data/raw_bucket_name", "network/subnet_ids"],
    "observability": ["data/alerts_topic_arn", "pipeline/state_machine_arn"],
}
PLAN = """data.aws_ssm_parameter.x: Reading...
data.aws_ssm_parameter.x: Read complete after 0s

Terraform will perform the following actions:

  # aws_kms_key.data will be created
  + resource "aws_kms_key" "data" {}

Plan: 1 to add, 0 to change, 0 to destroy.

─────────────────────────────────────────────────────────────────────────────

Saved the plan to: tfplan

To perform exactly these actions, run the following command to apply:
    terraform apply "tfplan"
"""


class FakeTerraform:
    """Records commands; ``outputs[stack]`` is what ``terraform output -json`` returns."""

    def __init__(self, outputs: dict[str, dict[str, Any]]) -> None:
        self.outputs = outputs
        self.calls: list[tuple[str, str]] = []

    def run(self, stack_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
        stack = stack_dir.name
        self.calls.append((stack, args[0]))
        stdout = ""
        if args[0] == "plan":
            stdout = PLAN
        elif args[0] == "output":
            stdout = json.dumps(
                {
                    f"output-{k}": {"value": v, "type": "string"}
                    for k, v in self.outputs[stack].items()
                }
            )
        return subprocess.CompletedProcess(args, 0, stdout, "")

    def init(self, stack_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(stack_dir, "init", *args)

    def planned(self) -> list[str]:
        """The stacks planned, or planned and applied (``deploy`` applies in one command)."""
        return [stack for stack, command in self.calls if command in ("plan", "apply")]


def _synth(root: Path) -> Path:
    for stack in STACKS:
        document: dict[str, Any] = {
            "resource": {
                "aws_ssm_parameter": {
                    name: {"name": f"{PREFIX}/{stack}/{name}", "value": f"${{x.{name}}}"}
                    for name in EXPORTS[stack]
                }
            },
            "data": {
                "aws_ssm_parameter": {
                    read.replace("/", "_"): {"name": f"{PREFIX}/{read}"} for read in READS[stack]
                }
            },
        }
        (root / "stacks" / stack).mkdir(parents=True, exist_ok=True)
        (root / "stacks" / stack / "cdk.tf.json").write_text(json.dumps(document))
    return root


def _outputs(key: str = "arn:key/1", subnets: str = "subnet-a,subnet-b") -> dict[str, Any]:
    return {
        "data": {"data_key_arn": key, "raw_bucket_name": "raw", "alerts_topic_arn": "arn:sns"},
        "network": {"subnet_ids": subnets},
        "pipeline": {"state_machine_arn": "arn:states"},
        "observability": {},
    }


def _deploy(synth: Path, record: FileRecord, outputs: dict[str, Any], **kw: Any) -> FakeTerraform:
    terraform = FakeTerraform(outputs)
    deploy_stacks(synth, STACKS, terraform=terraform, record=record, **kw)  # type: ignore[arg-type]
    return terraform


def test_who_reads_whom_comes_from_the_synthesized_parameters(tmp_path: Path) -> None:
    assert stack_inputs(_synth(tmp_path), STACKS) == {
        "network": {"data": ["data_key_arn"]},
        "pipeline": {"data": ["data_key_arn", "raw_bucket_name"], "network": ["subnet_ids"]},
        "observability": {"data": ["alerts_topic_arn"], "pipeline": ["state_machine_arn"]},
    }


def test_the_real_stacks_read_upstream_values(tmp_path: Path) -> None:
    """What the orchestrator sees in the synthesized dev stacks."""
    import infra  # noqa: F401  (provider stand-in first)
    from infra.app import synthesize_environment
    from infra.config import load_config
    from infra.exports import STACK_ORDER
    from infra.stacks.pipeline_stack import placeholder_packages

    config = load_config(Path(__file__).resolve().parents[3] / "envs" / "dev" / "config.toml")
    out = tmp_path / "synth"
    synthesize_environment(
        config, packages=placeholder_packages(tmp_path / "packages"), outdir=out, state_dir=tmp_path
    )
    inputs = stack_inputs(out, STACK_ORDER)
    assert set(inputs) == {"retention", "pipeline", "observability"}  # data, network: nothing
    assert set(inputs["retention"]) == {"data"}
    assert "subnet_ids" in inputs["pipeline"]["network"]
    assert "data_key_arn" in inputs["pipeline"]["data"]
    assert set(inputs["observability"]) == {"data", "network", "pipeline"}
    assert stack_dependencies(out, STACK_ORDER) == {
        "data": set(),
        "network": set(),
        "retention": {"data"},
        "pipeline": {"data", "network"},
        "observability": {"data", "network", "pipeline"},
    }


def test_a_new_key_arn_in_data_replans_its_readers(tmp_path: Path) -> None:
    synth, record = _synth(tmp_path / "synth"), FileRecord(tmp_path / "record.json")
    _deploy(synth, record, _outputs())
    # Data's own JSON changes (a new key); the others' JSON does not, but the ARN they read does.
    document = json.loads((synth / "stacks" / "data" / "cdk.tf.json").read_text())
    document["resource"]["aws_kms_key"] = {"data": {"description": "rotated"}}
    (synth / "stacks" / "data" / "cdk.tf.json").write_text(json.dumps(document))
    again = _deploy(synth, record, _outputs(key="arn:key/2"))
    # observability reads nothing that changed (alerts topic, state machine): skipped.
    assert again.planned() == ["data", "network", "pipeline"]


def test_a_new_subnet_list_replans_pipeline_only(tmp_path: Path) -> None:
    synth, record = _synth(tmp_path / "synth"), FileRecord(tmp_path / "record.json")
    _deploy(synth, record, _outputs())
    document = json.loads((synth / "stacks" / "network" / "cdk.tf.json").read_text())
    document["resource"]["aws_subnet"] = {"d": {"cidr_block": "10.0.3.0/24"}}
    (synth / "stacks" / "network" / "cdk.tf.json").write_text(json.dumps(document))
    again = _deploy(synth, record, _outputs(subnets="subnet-a,subnet-b,subnet-c"))
    assert again.planned() == ["network", "pipeline"]


def test_upstream_applied_without_new_values_replans_nothing_else(tmp_path: Path) -> None:
    synth, record = _synth(tmp_path / "synth"), FileRecord(tmp_path / "record.json")
    _deploy(synth, record, _outputs())
    document = json.loads((synth / "stacks" / "data" / "cdk.tf.json").read_text())
    document["resource"]["aws_s3_bucket_tag"] = {"t": {"value": "new"}}
    (synth / "stacks" / "data" / "cdk.tf.json").write_text(json.dumps(document))
    assert _deploy(synth, record, _outputs()).planned() == ["data"]


def test_a_reader_that_failed_is_planned_again_on_the_next_run(tmp_path: Path) -> None:
    """Data applied a new ARN, then the run stopped before pipeline: the record still says
    pipeline read the old ARN, so the next run plans it (not only "in this run")."""
    synth, record = _synth(tmp_path / "synth"), FileRecord(tmp_path / "record.json")
    _deploy(synth, record, _outputs())
    _deploy(synth, record, _outputs(key="arn:key/2"), force=True)  # everything re-recorded
    stacks = record.load()
    stacks["data"]["outputs"]["data_key_arn"] = "changed-by-an-interrupted-run"
    record.save(stacks)
    assert _deploy(synth, record, _outputs(key="arn:key/2")).planned() == ["network", "pipeline"]


def test_no_change_anywhere_plans_nothing(tmp_path: Path) -> None:
    synth, record = _synth(tmp_path / "synth"), FileRecord(tmp_path / "record.json")
    _deploy(synth, record, _outputs())
    assert _deploy(synth, record, _outputs()).calls == []


def test_plan_of_a_new_environment_waits_instead_of_failing(tmp_path: Path) -> None:
    synth, record = _synth(tmp_path / "synth"), FileRecord(tmp_path / "record.json")
    messages: list[tuple[str, str]] = []
    terraform = FakeTerraform(_outputs())
    results = deploy_stacks(
        synth,
        STACKS,
        terraform=terraform,  # type: ignore[arg-type]
        record=record,
        apply=False,
        progress=lambda stack, message: messages.append((stack, message)),
    )
    assert terraform.planned() == ["data"]
    assert [r.action for r in results] == ["planned", "waiting", "waiting", "waiting"]
    network = [m for s, m in messages if s == "network"]
    assert len(network) == 1 and "and data is not deployed yet" in network[0]
    pipeline = [m for s, m in messages if s == "pipeline"]
    assert "and data and network are not deployed yet" in pipeline[0]
    assert record.load() == {}


def test_plan_shows_terraforms_diff(tmp_path: Path) -> None:
    synth, record = _synth(tmp_path / "synth"), FileRecord(tmp_path / "record.json")
    shown: dict[str, str] = {}
    deploy_stacks(
        synth,
        ("data",),
        terraform=FakeTerraform(_outputs()),  # type: ignore[arg-type]
        record=record,
        apply=False,
        show_plan=lambda stack, diff: shown.__setitem__(stack, diff),
    )
    assert shown["data"].startswith("Terraform will perform the following actions")
    assert '+ resource "aws_kms_key" "data"' in shown["data"] and "Reading..." not in shown["data"]
    assert shown["data"].endswith("Plan: 1 to add, 0 to change, 0 to destroy.")
    assert plan_diff("junk\nNo changes. Your infrastructure matches.") == (
        "No changes. Your infrastructure matches."
    )


def test_plan_says_when_a_reader_used_values_about_to_change(tmp_path: Path) -> None:
    synth, record = _synth(tmp_path / "synth"), FileRecord(tmp_path / "record.json")
    _deploy(synth, record, _outputs())
    document = json.loads((synth / "stacks" / "data" / "cdk.tf.json").read_text())
    document["resource"]["aws_kms_key"] = {"data": {"description": "rotated"}}
    (synth / "stacks" / "data" / "cdk.tf.json").write_text(json.dumps(document))
    messages: dict[str, str] = {}

    def progress(stack: str, message: str) -> None:
        messages.setdefault(stack, message)

    terraform = FakeTerraform(_outputs())
    results = deploy_stacks(
        synth,
        STACKS,
        terraform=terraform,  # type: ignore[arg-type]
        record=record,
        apply=False,
        progress=progress,
    )
    assert [r.action for r in results] == ["planned", "unchanged", "unchanged", "unchanged"]
    assert "data has changes planned" in messages["network"]
    assert "`deploy` plans pipeline again if a value it reads changes" in messages["pipeline"]
    assert "data and pipeline have changes planned" in messages["observability"]

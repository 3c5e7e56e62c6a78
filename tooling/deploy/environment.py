"""One environment's deploy, plan or destroy, end to end: the local emulator when the
environment is local, synth, the stacks in order (changed-only), and the local sample day."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path

from infra.app import synthesize_environment
from infra.config import EnvironmentConfig
from infra.exports import STACK_ORDER
from infra.stacks.pipeline_stack import Packages, placeholder_packages
from tooling.deploy.orchestrator import (
    DeployFailed,
    Progress,
    StackResult,
    deploy_stacks,
    destroy_stacks,
)
from tooling.deploy.packaging import layer_zip
from tooling.deploy.record import DeployRecord, FileRecord, S3Record
from tooling.deploy.sample_day import SampleDayReport, run_sample_day
from tooling.deploy.terraform import Terraform


@dataclass
class Outcome:
    results: list[StackResult] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    sample_day: SampleDayReport | None = None
    endpoint: str | None = None


def record_for(config: EnvironmentConfig, state_dir: Path) -> DeployRecord:
    if config.state_bucket:
        key = f"pipeline/{config.environment}/{config.suffix}/deploy-record.json"
        return S3Record(config.state_bucket, key, config.region)
    return FileRecord(state_dir / "deploy-record.json")


def run_environment(
    command: str,
    config: EnvironmentConfig,
    *,
    packages_dir: Path | None,
    synth_dir: Path,
    state_dir: Path,
    force: bool = False,
    sample_day: bool = True,
    stop_emulator: bool = True,
    progress: Progress = lambda stack, message: None,
    show_plan: Progress | None = None,
) -> Outcome:
    """``command`` is deploy, plan or destroy. Raises DeployFailed with what was done.

    ``packages_dir`` holds the built packages; a destroy needs none (None): Terraform destroys
    what its state holds, whatever the code, so it synthesizes with placeholder zips and
    builds nothing."""
    if packages_dir is None and command != "destroy":
        raise ValueError(f"{command} needs the built packages: only a destroy can do without")
    outcome = Outcome()
    state_dir = state_dir.resolve()
    # First, before an emulator starts or anything is synthesized: a missing or too old
    # Terraform is one clear TerraformError (tooling/deploy/terraform.py, MINIMUM_VERSION).
    terraform = Terraform.configured(state_dir / "terraform")
    if config.is_emulated:
        from tooling.emulator import control as emulator

        if command == "destroy" and emulator.running(state_dir) is None:
            return outcome  # nothing was deployed, or the emulator (and all it held) is gone
        fresh = emulator.running(state_dir) is None
        outcome.endpoint = emulator.start(state_dir).url
        if fresh:  # a new emulator holds nothing: forget the old one's state and record
            for stale in state_dir.glob("*.tfstate*"):
                stale.unlink()
            (state_dir / "deploy-record.json").unlink(missing_ok=True)
        config = dataclasses.replace(config, aws_endpoint=outcome.endpoint)

    step = time.perf_counter()
    synthesize_environment(
        config,
        packages=(
            Packages.from_dir(packages_dir, layer=layer_zip(config))
            if packages_dir is not None
            else placeholder_packages(state_dir / "placeholder-packages")
        ),
        outdir=synth_dir.resolve(),
        state_dir=state_dir,
    )
    outcome.timings["synth"] = time.perf_counter() - step

    record = record_for(config, state_dir)
    step = time.perf_counter()
    try:
        if command == "destroy":
            outcome.results = destroy_stacks(
                synth_dir, STACK_ORDER, terraform=terraform, record=record, progress=progress
            )
        else:
            outcome.results = deploy_stacks(
                synth_dir,
                STACK_ORDER,
                terraform=terraform,
                record=record,
                apply=command == "deploy",
                force=force,
                progress=progress,
                show_plan=show_plan,
            )
    except DeployFailed as failure:
        if config.is_emulated:
            failure.add_note(emulator.recent_calls(state_dir))
        raise
    if command == "destroy" and config.is_emulated and stop_emulator:
        emulator.stop(state_dir)
    outcome.timings["terraform"] = time.perf_counter() - step
    if command == "deploy" and sample_day and outcome.endpoint:
        outcome.sample_day = run_sample_day(outcome.endpoint, config)
        outcome.timings["sample day"] = outcome.sample_day.seconds
    return outcome

"""One environment's deploy, plan or destroy, end to end: the local emulator when the
environment is local, synth, the stacks in order (changed-only), and the local sample day."""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from infra.app import synthesize_environment
from infra.config import EnvironmentConfig
from infra.exports import PACKAGED_STACKS, STACK_ORDER
from tooling.deploy.orchestrator import (
    DeployFailed,
    Progress,
    StackResult,
    deploy_stacks,
    destroy_stacks,
)
from tooling.deploy.record import DeployRecord, FileRecord, S3Record
from tooling.deploy.sample_day import SampleDayReport, run_sample_day
from tooling.deploy.staged_synth import StagedSynth, placeholders
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
    packages: Callable[[], Path] | None,
    synth_dir: Path,
    state_dir: Path,
    force: bool = False,
    sample_day: bool = True,
    stop_emulator: bool = True,
    progress: Progress = lambda stack, message: None,
    show_plan: Progress | None = None,
) -> Outcome:
    """``command`` is deploy, plan or destroy. Raises DeployFailed with what was done.

    ``packages()`` builds the packages and returns their directory; it runs on a thread of its
    own while the stacks that do not take the code are applied (tooling/deploy/staged_synth.py).
    A destroy needs none (None): Terraform destroys what its state holds, whatever the code,
    so it synthesizes with placeholder zips and builds nothing."""
    if packages is None and command != "destroy":
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

    record = record_for(config, state_dir)
    try:
        if command == "destroy":
            outcome.results = _destroy(
                config, synth_dir, state_dir, terraform, record, outcome, progress
            )
        elif packages is not None:  # always: checked above, before the emulator started
            outcome.results = _deploy(
                command,
                config,
                packages,
                synth_dir,
                state_dir,
                terraform,
                record,
                outcome,
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
    if command == "deploy" and sample_day and outcome.endpoint:
        outcome.sample_day = run_sample_day(outcome.endpoint, config)
        outcome.timings["sample day"] = outcome.sample_day.seconds
    return outcome


def _destroy(
    config: EnvironmentConfig,
    synth_dir: Path,
    state_dir: Path,
    terraform: Terraform,
    record: DeployRecord,
    outcome: Outcome,
    progress: Progress,
) -> list[StackResult]:
    step = time.perf_counter()
    synthesize_environment(
        config,
        packages=placeholders(state_dir),
        outdir=synth_dir.resolve(),
        state_dir=state_dir,
    )
    outcome.timings["synth"] = time.perf_counter() - step
    step = time.perf_counter()
    try:
        return destroy_stacks(
            synth_dir, STACK_ORDER, terraform=terraform, record=record, progress=progress
        )
    finally:
        outcome.timings["terraform"] = time.perf_counter() - step


def _deploy(
    command: str,
    config: EnvironmentConfig,
    packages: Callable[[], Path],
    synth_dir: Path,
    state_dir: Path,
    terraform: Terraform,
    record: DeployRecord,
    outcome: Outcome,
    *,
    force: bool,
    progress: Progress,
    show_plan: Progress | None,
) -> list[StackResult]:
    """Build the packages on a thread of their own while the stacks that do not take them
    are synthesized with placeholders and applied; the app is synthesized with the packages as
    soon as they are built, and the packaged stacks wait for that in their turn
    (tooling/deploy/staged_synth.py)."""
    staged = StagedSynth(config, synth_dir, state_dir)

    def build() -> Path:
        step = time.perf_counter()
        try:
            return packages()
        finally:
            outcome.timings["package"] = time.perf_counter() - step

    def synthesize_with(built: Future[Path]) -> None:
        directory = built.result()
        step = time.perf_counter()
        staged.with_packages(directory)
        outcome.timings["synth with packages"] = time.perf_counter() - step

    def wait_for_packages(landed: Future[None], stack: str) -> None:
        if not landed.done():
            progress(stack, "waiting for its packages (Pants is building them)")
        landed.result()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="package") as builder:
        built = builder.submit(build)
        step = time.perf_counter()
        staged.without_packages()
        outcome.timings["synth"] = time.perf_counter() - step
        # Once, as soon as the build is done (after the placeholder synth: one synth at a
        # time), whichever packaged stack's turn comes first.
        landed = builder.submit(synthesize_with, built)
        step = time.perf_counter()
        try:
            return deploy_stacks(
                synth_dir,
                STACK_ORDER,
                terraform=terraform,
                record=record,
                apply=command == "deploy",
                force=force,
                progress=progress,
                show_plan=show_plan,
                layout_dir=staged.placeholders,
                prepare={
                    stack: functools.partial(wait_for_packages, landed, stack)
                    for stack in PACKAGED_STACKS
                },
            )
        finally:
            outcome.timings["terraform"] = time.perf_counter() - step

"""Plan and apply an environment's synthesized stacks in order, skipping unchanged ones."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from infra.deploy.fingerprint import stack_fingerprint
from infra.deploy.record import DeployRecord
from infra.deploy.release import release
from infra.terraform import Terraform, TerraformError

_PLAN_SUMMARY = re.compile(r"Plan: (\d+) to add, (\d+) to change, (\d+) to destroy")
_DESTROY_SUMMARY = re.compile(r"Destroy complete! Resources: (\d+) destroyed")


@dataclass
class StackResult:
    stack: str
    action: str  # unchanged | applied | planned | no-op | destroyed | failed
    seconds: float = 0.0
    added: int = 0
    changed: int = 0
    destroyed: int = 0
    error: str = ""


class DeployFailed(RuntimeError):
    def __init__(self, result: StackResult, results: list[StackResult]) -> None:
        super().__init__(f"stack {result.stack} failed: {result.error}")
        self.result, self.results = result, results


Progress = Callable[[str, str], None]  # (stack, message)


def _counts(output: str) -> tuple[int, int, int]:
    match = _PLAN_SUMMARY.search(output)
    return (int(match[1]), int(match[2]), int(match[3])) if match else (0, 0, 0)


def deploy_stacks(
    synth_dir: Path,
    stacks: Sequence[str],
    *,
    terraform: Terraform,
    record: DeployRecord,
    apply: bool = True,
    force: bool = False,
    progress: Progress = lambda stack, message: None,
) -> list[StackResult]:
    """Plan (and apply) each stack whose fingerprint differs from the last successful deploy.
    Stops at the first failure, which it raises with what it had done so far."""
    results: list[StackResult] = []
    for stack in stacks:
        stack_dir = synth_dir / "stacks" / stack
        fingerprint = stack_fingerprint(stack_dir)
        if not force and record.fingerprint(stack) == fingerprint:
            progress(stack, "unchanged since the last deploy: skipped")
            results.append(StackResult(stack, "unchanged"))
            continue
        started = time.perf_counter()
        result = StackResult(stack, "planned")
        try:
            progress(stack, "terraform init")
            terraform.init(stack_dir, "-input=false", "-no-color", "-reconfigure")
            progress(stack, "terraform plan")
            plan = terraform.run(stack_dir, "plan", "-input=false", "-no-color", "-out=tfplan")
            result.added, result.changed, result.destroyed = _counts(plan.stdout)
            if apply:
                progress(
                    stack,
                    f"terraform apply (+{result.added} ~{result.changed} -{result.destroyed})",
                )
                terraform.run(
                    stack_dir, "apply", "-input=false", "-no-color", "-auto-approve", "tfplan"
                )
                record.mark_deployed(stack, fingerprint)
                result.action = "applied"
        except TerraformError as error:
            result.action, result.error = "failed", str(error)
            result.seconds = time.perf_counter() - started
            results.append(result)
            raise DeployFailed(result, results) from error
        result.seconds = time.perf_counter() - started
        results.append(result)
    return results


def destroy_stacks(
    synth_dir: Path,
    stacks: Sequence[str],
    *,
    terraform: Terraform,
    record: DeployRecord,
    progress: Progress = lambda stack, message: None,
) -> list[StackResult]:
    """Destroy in reverse deployment order; the record forgets each destroyed stack. What a
    stack adopted is released from its state first, never destroyed (infra/deploy/release.py)."""
    results: list[StackResult] = []
    for stack in reversed(stacks):
        stack_dir = synth_dir / "stacks" / stack
        started = time.perf_counter()
        try:
            progress(stack, "terraform init")
            terraform.init(stack_dir, "-input=false", "-no-color", "-reconfigure")
            released = release(stack_dir, terraform)  # adopted resources: forgotten, kept
            if released:
                progress(stack, f"released, kept in AWS: {', '.join(released)}")
            progress(stack, "terraform destroy")
            output = terraform.run(
                stack_dir, "destroy", "-input=false", "-no-color", "-auto-approve"
            ).stdout
        except TerraformError as error:
            result = StackResult(stack, "failed", time.perf_counter() - started, error=str(error))
            results.append(result)
            raise DeployFailed(result, results) from error
        match = _DESTROY_SUMMARY.search(output)
        record.forget(stack)
        results.append(
            StackResult(
                stack,
                "destroyed",
                time.perf_counter() - started,
                destroyed=int(match[1]) if match else 0,
            )
        )
    return results

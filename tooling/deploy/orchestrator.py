"""Plan and apply an environment's synthesized stacks, each once the stacks it reads from are
done (independent ones at the same time), skipping unchanged ones."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tooling.deploy.dependencies import output_digests, stack_dependencies, stack_inputs
from tooling.deploy.fingerprint import stack_fingerprint
from tooling.deploy.record import DeployRecord
from tooling.deploy.release import release
from tooling.deploy.schedule import run_in_dependency_order
from tooling.deploy.terraform import Terraform, TerraformError

_PLAN_SUMMARY = re.compile(
    r"Plan: (\d+) to add, (\d+) to change, (\d+) to destroy"
    r"|Apply complete! Resources: (\d+) added, (\d+) changed, (\d+) destroyed"
)
_DESTROY_SUMMARY = re.compile(r"Destroy complete! Resources: (\d+) destroyed")


@dataclass
class StackResult:
    stack: str
    action: str  # unchanged | applied | planned | waiting | destroyed | failed | not run
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
    """(added, changed, destroyed) from a plan's or an apply's summary line."""
    match = _PLAN_SUMMARY.search(output)
    if match is None:
        return (0, 0, 0)
    numbers = [int(n) for n in match.groups() if n is not None]
    return (numbers[0], numbers[1], numbers[2])


def plan_diff(plan_output: str) -> str:
    """Terraform's diff from a ``terraform plan`` output: from the list of actions (or "No
    changes.") to the end, without the refresh lines before it."""
    for marker in (
        "Terraform used the selected providers",
        "Terraform will perform the following actions",
        "No changes.",
    ):
        at = plan_output.find(marker)
        if at >= 0:
            plan_output = plan_output[at:]
            break
    # Not "Saved the plan to: tfplan ... run: terraform apply tfplan": `deploy` applies.
    saved = plan_output.find("\nSaved the plan to:")
    if saved >= 0:
        plan_output = plan_output[:saved].rstrip().rstrip("─").rstrip()
    return plan_output.strip()


def _inputs_now(
    reads: dict[str, list[str]], known: dict[str, Any]
) -> tuple[dict[str, str | None], list[str]]:
    """The digests of the upstream values ``reads`` names, as the record holds them now, and
    the upstream stacks not deployed (no record of them)."""
    values: dict[str, str | None] = {}
    missing = [upstream for upstream in reads if upstream not in known]
    for upstream, names in reads.items():
        outputs = known.get(upstream, {}).get("outputs")
        if not isinstance(outputs, dict):
            outputs = {}
        for name in names:
            values[f"{upstream}/{name}"] = outputs.get(name)
    return values, missing


def _why_plan(
    entry: dict[str, Any] | None, fingerprint: str, inputs: dict[str, str | None], force: bool
) -> str | None:
    """Why a stack must be planned, or None when it is up to date."""
    if force:
        return "--force"
    if entry is None:
        return "not deployed yet"
    if entry.get("fingerprint") != fingerprint:
        return "its configuration changed"
    if "outputs" not in entry:
        return "recorded before upstream values were tracked"
    before = entry.get("inputs", {})
    changed = sorted(key for key in inputs if before.get(key) != inputs[key] or key not in before)
    if changed:
        shown = ", ".join(changed[:4]) + (
            f" and {len(changed) - 4} more" if len(changed) > 4 else ""
        )
        return f"values it reads changed since its last apply: {shown}"
    return None


DEFAULT_PARALLELISM = 4  # every stack of an environment at once; Terraform's own is per stack


def _raise_if_failed(stacks: Sequence[str], ran: dict[str, StackResult]) -> list[StackResult]:
    """Every stack's result in ``stacks`` order, a stack never started because another failed
    first reported ``not run``; DeployFailed with them all if a stack failed."""
    results = [ran.get(stack) or StackResult(stack, "not run") for stack in stacks]
    failed = [result for result in results if result.action == "failed"]
    if failed:
        raise DeployFailed(failed[0], results)
    return results


def deploy_stacks(
    synth_dir: Path,
    stacks: Sequence[str],
    *,
    terraform: Terraform,
    record: DeployRecord,
    apply: bool = True,
    force: bool = False,
    parallelism: int = DEFAULT_PARALLELISM,
    progress: Progress = lambda stack, message: None,
    show_plan: Progress | None = None,
    layout_dir: Path | None = None,
    prepare: Mapping[str, Callable[[], None]] | None = None,
) -> list[StackResult]:
    """Plan (and apply) each stack that is not up to date: its fingerprint differs from its
    last successful apply, or a value it reads from an upstream stack through SSM (a key ARN,
    the subnet ids) differs from what it read then (tooling/deploy/dependencies.py).

    Each stack starts as soon as the stacks it reads from are done, up to ``parallelism`` at
    once (data and network together). After a failure no other stack starts; those running
    finish, and DeployFailed carries every stack's result (``not run`` for the rest).

    Planning only (``apply=False``), a stack that reads from an upstream stack not deployed
    yet cannot be planned (its SSM parameters do not exist): it is reported ``waiting``.
    ``show_plan(stack, diff)`` receives each plan's diff.

    ``layout_dir``: the synthesized app to read who reads whom from, when ``synth_dir`` does
    not hold every stack yet; ``prepare[stack]()`` runs in the stack's turn, before its
    fingerprint is taken (the pipeline's: the packages built meanwhile, synthesized into
    ``synth_dir``, tooling/deploy/staged_synth.py); if it raises, the stack fails with its
    message."""
    layout_dir = layout_dir or synth_dir
    reads_of = stack_inputs(layout_dir, stacks)
    known: dict[str, Any] = dict(record.load())
    pending: set[str] = set()  # planning only: stacks whose exported values may yet change
    lock = threading.Lock()  # known, pending and the record, shared by the stacks' threads

    def deploy_one(stack: str) -> StackResult:
        stack_dir = synth_dir / "stacks" / stack
        if prepare and stack in prepare:
            started = time.perf_counter()
            try:
                prepare[stack]()
            except (RuntimeError, ValueError, OSError) as error:
                return StackResult(stack, "failed", time.perf_counter() - started, error=str(error))
        fingerprint = stack_fingerprint(stack_dir)
        reads = reads_of.get(stack, {})
        with lock:  # every stack it reads from is done: their entries are final
            inputs, missing = _inputs_now(reads, known)
            stale = sorted(upstream for upstream in reads if upstream in pending)
            entry = known.get(stack)
            if stale:
                pending.add(stack)
        caveat = (
            f"; {' and '.join(stale)} {'has' if len(stale) == 1 else 'have'} changes planned, "
            f"so this uses today's values: `deploy` plans {stack} again if a value it reads changes"
            if stale
            else ""
        )
        if not apply and missing:
            upstream = " and ".join(missing)
            progress(
                stack,
                f"not planned: it reads values that {upstream} "
                f"{'is' if len(missing) == 1 else 'are'} to export, and {upstream} "
                f"{'is' if len(missing) == 1 else 'are'} not deployed yet (a plan would fail: "
                "ParameterNotFound); `deploy` plans and applies the stacks in order",
            )
            return StackResult(stack, "waiting")
        reason = _why_plan(entry, fingerprint, inputs, force)
        if reason is None:
            progress(
                stack,
                "unchanged since the last deploy, and so are the values it reads: skipped" + caveat,
            )
            return StackResult(stack, "unchanged")
        started = time.perf_counter()
        result = StackResult(stack, "planned")
        try:
            initialized = terraform.init(stack_dir, "-input=false", "-no-color", "-reconfigure")
            ran_init = "terraform init, " if initialized else ""
            if apply:
                # One command, not plan then apply: each Terraform command loads the AWS
                # provider's schema again (~3-5 s), and nothing here shows the plan first.
                progress(stack, f"{ran_init}terraform apply ({reason}){caveat}")
                applied = terraform.run(
                    stack_dir, "apply", "-input=false", "-no-color", "-auto-approve"
                )
                result.added, result.changed, result.destroyed = _counts(applied.stdout)
                outputs = terraform.run(stack_dir, "output", "-json", "-no-color").stdout
                with lock:
                    known[stack] = record.mark_deployed(
                        stack, fingerprint, outputs=output_digests(outputs), inputs=inputs
                    )
                result.action = "applied"
                progress(
                    stack,
                    f"applied in {time.perf_counter() - started:.1f} s "
                    f"(+{result.added} ~{result.changed} -{result.destroyed})",
                )
            else:
                progress(stack, f"{ran_init}terraform plan ({reason}){caveat}")
                plan = terraform.run(stack_dir, "plan", "-input=false", "-no-color", "-out=tfplan")
                result.added, result.changed, result.destroyed = _counts(plan.stdout)
                if show_plan is not None:
                    show_plan(stack, plan_diff(plan.stdout))
                if result.added or result.changed or result.destroyed:
                    with lock:
                        pending.add(stack)
        except TerraformError as error:
            result.action, result.error = "failed", str(error)
        result.seconds = time.perf_counter() - started
        return result

    ran = run_in_dependency_order(
        stacks,
        stack_dependencies(layout_dir, stacks),
        deploy_one,
        workers=parallelism,
        stop_when=lambda result: result.action == "failed",
    )
    return _raise_if_failed(stacks, ran)


def destroy_stacks(
    synth_dir: Path,
    stacks: Sequence[str],
    *,
    terraform: Terraform,
    record: DeployRecord,
    parallelism: int = DEFAULT_PARALLELISM,
    progress: Progress = lambda stack, message: None,
) -> list[StackResult]:
    """Destroy each stack once every stack that reads from it is destroyed (the deploy's order
    reversed; data and network together), up to ``parallelism`` at once; the record forgets
    each destroyed stack. What a stack adopted is released from its state first, never
    destroyed (tooling/deploy/release.py). Results are in reverse deployment order."""
    lock = threading.Lock()
    readers: dict[str, set[str]] = {stack: set() for stack in stacks}
    for stack, upstream in stack_dependencies(synth_dir, stacks).items():
        for name in upstream:
            readers[name].add(stack)

    def destroy_one(stack: str) -> StackResult:
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
            return StackResult(stack, "failed", time.perf_counter() - started, error=str(error))
        match = _DESTROY_SUMMARY.search(output)
        with lock:
            record.forget(stack)
        progress(stack, f"destroyed in {time.perf_counter() - started:.1f} s")
        return StackResult(
            stack,
            "destroyed",
            time.perf_counter() - started,
            destroyed=int(match[1]) if match else 0,
        )

    order = list(reversed(stacks))
    ran = run_in_dependency_order(
        order,
        readers,
        destroy_one,
        workers=parallelism,
        stop_when=lambda result: result.action == "failed",
    )
    return _raise_if_failed(order, ran)

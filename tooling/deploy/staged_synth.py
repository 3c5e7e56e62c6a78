"""Synthesize an environment while its packages build, so that the stacks which do not take
the code start applying at once instead of waiting for Pants.

Only the stacks in ``PACKAGED_STACKS`` (the pipeline: ``PipelineStack(packages=...)``) take
the built packages. The app is first synthesized with placeholder zips into a staging
directory, and every other stack is moved into the synth directory, where Terraform applies
it. Once the packages are built the app is synthesized again with them. Before a packaged
stack is moved in, the guess that nothing else depends on the code is checked: every other
stack must have come out the same (its fingerprint, tooling/deploy/fingerprint.py), and the
stacks must read and export the same values (tooling/deploy/dependencies.py), otherwise the
packaged stack fails with the stacks named. A packaged stack's directory keeps its last real
synth until then: placeholder code never sits where Terraform (or an operator) could apply it.

A failed build leaves the early stacks applied and recorded, each whole, as a deploy that fails
at the pipeline does; the pipeline stack is not touched.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from infra.app import synthesize_environment
from infra.config import EnvironmentConfig
from infra.exports import PACKAGED_STACKS, STACK_ORDER
from infra.stacks.pipeline_stack import Packages, placeholder_packages
from infra.synthesized import stack_dir
from tooling.deploy.dependencies import stack_dependencies, stack_inputs
from tooling.deploy.fingerprint import stack_fingerprint
from tooling.deploy.packaging import layer_zip

MANIFEST = "manifest.json"


class SynthMismatch(RuntimeError):
    """The app came out differently with the real packages in a stack that was applied
    from the placeholder synth."""


class StagedSynth:
    """The two synths of one deploy: :meth:`without_packages`, then :meth:`with_packages`."""

    def __init__(self, config: EnvironmentConfig, synth_dir: Path, state_dir: Path) -> None:
        self.config, self.synth_dir, self.state_dir = config, synth_dir.resolve(), state_dir
        staging = self.synth_dir.with_name(f"{self.synth_dir.name}.staging")
        self.placeholders, self.packaged = staging / "placeholders", staging / "packaged"

    def without_packages(self) -> None:
        """Synthesize with placeholder zips; move every stack but the packaged ones into the
        synth directory, with the manifest. The placeholder synth stays whole in the staging
        directory: the deploy reads the stacks' layout (who reads whom) from it."""
        self._synthesize(placeholders(self.state_dir), self.placeholders)
        for stack in STACK_ORDER:
            if stack not in PACKAGED_STACKS:
                _land(stack_dir(self.placeholders, stack), stack_dir(self.synth_dir, stack))
        self.synth_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy2(self.placeholders / MANIFEST, self.synth_dir / MANIFEST)

    def with_packages(self, packages_dir: Path) -> None:
        """Synthesize with the built packages; check that only the packaged stacks differ
        from the placeholder synth, then move them into the synth directory."""
        self._synthesize(
            Packages.from_dir(packages_dir, layer=layer_zip(self.config)), self.packaged
        )
        changed: list[str] = [
            stack
            for stack in STACK_ORDER
            if stack not in PACKAGED_STACKS
            and stack_fingerprint(stack_dir(self.placeholders, stack))
            != stack_fingerprint(stack_dir(self.packaged, stack))
        ]
        if stack_inputs(self.placeholders, STACK_ORDER) != stack_inputs(self.packaged, STACK_ORDER):
            changed.append("the values the stacks read from each other")
        if stack_dependencies(self.placeholders, STACK_ORDER) != stack_dependencies(
            self.packaged, STACK_ORDER
        ):
            changed.append("the stacks' order")
        if changed:
            raise SynthMismatch(
                f"{', '.join(changed)} came out differently with the built packages than "
                "with placeholders, though only "
                f"{', '.join(PACKAGED_STACKS)} should take them (infra/exports.py "
                "PACKAGED_STACKS): what was applied early is what the placeholders gave; "
                "add the stack that uses the packages to PACKAGED_STACKS and deploy again"
            )
        for stack in PACKAGED_STACKS:
            _land(stack_dir(self.packaged, stack), stack_dir(self.synth_dir, stack), move=True)
        shutil.rmtree(self.placeholders.parent)

    def _synthesize(self, packages: Packages, outdir: Path) -> None:
        shutil.rmtree(outdir, ignore_errors=True)
        synthesize_environment(
            self.config, packages=packages, outdir=outdir, state_dir=self.state_dir
        )


def placeholders(state_dir: Path) -> Packages:
    """Stand-in zips, kept under the state directory: for the first synth of a deploy, and
    for a destroy, which needs no code."""
    return placeholder_packages(state_dir / "placeholder-packages")


def _land(source: Path, target: Path, *, move: bool = False) -> None:
    """Replace what synth wrote in ``target`` (the JSON, the HCL beside it, the assets) with
    ``source``'s, keeping Terraform's own files there (``.terraform``, the lock file); copied,
    or moved (a packaged stack's assets are the zips, tens of MB)."""
    target.mkdir(parents=True, exist_ok=True)
    for old in [target / "cdk.tf.json", target / "assets", *target.glob("*.tf")]:
        if old.is_dir():
            shutil.rmtree(old)
        else:
            old.unlink(missing_ok=True)
    for item in source.iterdir():
        if move:
            item.rename(target / item.name)
        elif item.is_dir():
            shutil.copytree(item, target / item.name)
        else:
            shutil.copy2(item, target / item.name)

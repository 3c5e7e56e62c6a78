"""Build every stack of one environment into a CDKTF app, in deployment order."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from cdktf import App

from infra.config import EnvironmentConfig
from infra.exports import STACK_ORDER, Stack
from infra.stacks.data_stack import DataStack
from infra.stacks.network_stack import NetworkStack
from infra.stacks.observability_stack import ObservabilityStack
from infra.stacks.pipeline_stack import Packages, PipelineStack
from infra.synthesized import REQUIRED_TERRAFORM_VERSION, read_stack, stack_dir, stack_json


def synthesize_environment(
    config: EnvironmentConfig, *, packages: Packages, outdir: Path, state_dir: Path | None = None
) -> dict[str, dict[str, Any]]:
    """Synthesize ``config``'s four stacks into ``outdir`` and return each stack's Terraform
    JSON by stack name, in deployment order. ``state_dir``: local state, for environments without remote
    state. Governance rules (infra/aspects) run here and fail it with the resource named."""
    if state_dir is not None:
        config = dataclasses.replace(config, state_dir=str(state_dir))
    outdir.mkdir(parents=True, exist_ok=True)
    app = App(outdir=str(outdir), skip_validation=False)
    DataStack(app, config=config)
    NetworkStack(app, config=config)
    PipelineStack(app, config=config, packages=packages)
    ObservabilityStack(app, config=config)
    app.synth()
    return {stack.value: _finish_terraform(outdir, stack) for stack in STACK_ORDER}


# The Terraform version every stack declares. HCL beside the JSON, like the imports: in
# cdk.tf.json a string in the terraform block (required_version) makes checkov's
# terraform_json parser fail the whole file ("this method receives only dicts": a parsing
# error and no checks run, checkov 3.3.30); Terraform merges the two terraform blocks.
VERSIONS_TF = (
    "# The oldest Terraform these stacks run on (infra/synthesized.py): the S3 backend's\n"
    "# use_lockfile (S3-native state locking) needs 1.10.\n"
    f'terraform {{\n  required_version = "{REQUIRED_TERRAFORM_VERSION}"\n}}\n'
)


def _finish_terraform(outdir: Path, stack: Stack) -> dict[str, Any]:
    """Write the stack's ``versions.tf`` (its required Terraform version) and move Terraform
    import blocks (adopted legacy buckets) from its JSON into an HCL ``imports.tf`` beside it:
    Terraform reads both, and checkov's terraform_json parser fails on top-level import
    blocks. Returns the JSON as written."""
    (stack_dir(outdir, stack) / "versions.tf").write_text(VERSIONS_TF)
    document = read_stack(outdir, stack)
    imports = document.pop("import", None)
    if imports:
        blocks = [
            f'import {{\n  to = {block["to"]}\n  id = {json.dumps(block["id"])}\n}}\n'
            for block in imports
        ]
        (stack_dir(outdir, stack) / "imports.tf").write_text(
            "# Adopted existing resources (envs/<env>/config.toml).\n" + "\n".join(blocks)
        )
        stack_json(outdir, stack).write_text(json.dumps(document, indent=2))
    return document

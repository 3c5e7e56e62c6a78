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
from infra.stacks.retention_stack import RetentionStack
from infra.synthesized import REQUIRED_TERRAFORM_VERSION, read_stack, stack_dir, stack_json


def synthesize_environment(
    config: EnvironmentConfig, *, packages: Packages, outdir: Path, state_dir: Path | None = None
) -> dict[str, dict[str, Any]]:
    """Synthesize ``config``'s five stacks into ``outdir`` and return each stack's Terraform
    JSON by stack name, in deployment order. ``state_dir``: local state, for environments without remote
    state. Governance rules (infra/aspects) run here and fail it with the resource named."""
    if state_dir is not None:
        config = dataclasses.replace(config, state_dir=str(state_dir))
    outdir.mkdir(parents=True, exist_ok=True)
    app = App(outdir=str(outdir), skip_validation=False)
    DataStack(app, config=config)
    RetentionStack(app, config=config)
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
    """Write the stack's ``versions.tf`` (its required Terraform version) and move the
    top-level blocks checkov's terraform_json parser fails on ("this method receives only
    dicts": a parse error and no checks run) from its JSON into HCL beside it, which Terraform
    reads with it: ``import`` blocks (adopted legacy buckets) into ``imports.tf``, ``removed``
    blocks (resources forgotten, not destroyed) into ``removed.tf``. A file whose blocks are
    gone is deleted. Returns the JSON as written."""
    directory = stack_dir(outdir, stack)
    (directory / "versions.tf").write_text(VERSIONS_TF)
    document = read_stack(outdir, stack)
    imports, removed = document.pop("import", None), document.pop("removed", None)
    _write_hcl(
        directory / "imports.tf",
        "# Adopted existing resources (envs/<env>/config.toml).\n",
        [
            f'import {{\n  to = {block["to"]}\n  id = {json.dumps(block["id"])}\n}}\n'
            for block in imports or []
        ],
    )
    _write_hcl(
        directory / "removed.tf",
        "# Forgotten by Terraform, left in AWS as they are (see each construct).\n",
        [
            f"removed {{\n  from = {block['from']}\n  lifecycle {{\n"
            f"    destroy = {json.dumps(block['lifecycle']['destroy'])}\n  }}\n}}\n"
            for block in removed or []
        ],
    )
    if imports or removed:
        stack_json(outdir, stack).write_text(json.dumps(document, indent=2))
    return document


def _write_hcl(path: Path, header: str, blocks: list[str]) -> None:
    if blocks:
        path.write_text(header + "\n".join(blocks))
    else:
        path.unlink(missing_ok=True)

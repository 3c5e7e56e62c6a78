"""Build every stack of one environment into a CDKTF app, in deployment order."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from cdktf import App, TerraformStack

from infra.config import EnvironmentConfig
from infra.stacks.data_stack import DataStack
from infra.stacks.network_stack import NetworkStack
from infra.stacks.observability_stack import ObservabilityStack
from infra.stacks.pipeline_stack import Packages, PipelineStack
from infra.synthesized import REQUIRED_TERRAFORM_VERSION

# Deployment order; each stack reads only values exported by the stacks before it.
STACK_ORDER = ("data", "network", "pipeline", "observability")


def build_app(
    config: EnvironmentConfig, *, packages: Packages, outdir: Path, state_dir: Path | None = None
) -> tuple[App, list[TerraformStack]]:
    if state_dir is not None:
        config = dataclasses.replace(config, state_dir=str(state_dir))
    outdir.mkdir(parents=True, exist_ok=True)
    app = App(outdir=str(outdir), skip_validation=False)
    stacks: list[TerraformStack] = [
        DataStack(app, config=config),
        NetworkStack(app, config=config),
        PipelineStack(app, config=config, packages=packages),
        ObservabilityStack(app, config=config),
    ]
    return app, stacks


# The Terraform version every stack declares. HCL beside the JSON, like the imports: in
# cdk.tf.json a string in the terraform block (required_version) makes checkov's
# terraform_json parser fail the whole file ("this method receives only dicts": a parsing
# error and no checks run, checkov 3.3.30); Terraform merges the two terraform blocks.
VERSIONS_TF = (
    "# The oldest Terraform these stacks run on (infra/synthesized.py): the S3 backend's\n"
    "# use_lockfile (S3-native state locking) needs 1.10.\n"
    f'terraform {{\n  required_version = "{REQUIRED_TERRAFORM_VERSION}"\n}}\n'
)


def synthesize(app: App, outdir: Path) -> None:
    """``app.synth()``, then write each stack's ``versions.tf`` (its required Terraform
    version) and move Terraform import blocks (adopted legacy buckets) from each stack's JSON
    into an HCL ``imports.tf`` beside it: Terraform reads both, and checkov's terraform_json
    parser fails on top-level import blocks."""
    app.synth()
    for name in STACK_ORDER:
        stack_json = outdir / "stacks" / name / "cdk.tf.json"
        (stack_json.parent / "versions.tf").write_text(VERSIONS_TF)
        document = json.loads(stack_json.read_text())
        imports = document.pop("import", None)
        if not imports:
            continue
        blocks = [
            f'import {{\n  to = {block["to"]}\n  id = {json.dumps(block["id"])}\n}}\n'
            for block in imports
        ]
        (stack_json.parent / "imports.tf").write_text(
            "# Adopted existing resources (envs/<env>/config.toml).\n" + "\n".join(blocks)
        )
        stack_json.write_text(json.dumps(document, indent=2))

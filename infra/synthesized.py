"""What a synthesized environment promises the tooling that applies it, written once here so
that both sides read the same fact and nothing in ``infra/`` imports from ``tooling/``.

- The oldest Terraform its stacks run on: the S3 backend's ``use_lockfile`` (S3-native state
  locking, infra/stacks/base.py) came in 1.10. Every stack declares it (``required_version``,
  infra/app.py), and tooling/deploy/terraform.py refuses an older binary before anything runs.
- Where each stack's JSON is, and the key under its top-level ``"//"`` (a comment to
  Terraform) that lists the resources its destroy releases instead of deleting
  (tooling/deploy/release.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MINIMUM_TERRAFORM_VERSION = (1, 10, 0)
REQUIRED_TERRAFORM_VERSION = ">= " + ".".join(map(str, MINIMUM_TERRAFORM_VERSION))

RELEASED_KEY = "released_on_destroy"


def stack_dir(outdir: Path, stack: str) -> Path:
    """The directory ``cdktf synth`` writes ``stack``'s Terraform into."""
    return outdir / "stacks" / stack


def stack_json(outdir: Path, stack: str) -> Path:
    return stack_dir(outdir, stack) / "cdk.tf.json"


def read_stack(outdir: Path, stack: str) -> dict[str, Any]:
    """One synthesized stack's Terraform JSON."""
    document: dict[str, Any] = json.loads(stack_json(outdir, stack).read_text())
    return document

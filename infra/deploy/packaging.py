"""Build the deployment packages with Pants, from inside a `./pants run` of our tooling."""

from __future__ import annotations

import subprocess
from pathlib import Path

FUNCTION_TARGETS = ("services/ingest:lambda", "services/transform:lambda", "services/notify:lambda")


def build_packages(environment: str) -> Path:
    """``./pants package`` the function zips and the layer (arm64; for the local emulator,
    built for this machine). The outer `./pants run` holds its daemon, so this nested call
    uses a daemon of its own (warm after the first time: ~4 s, not ~15 s)."""
    layer = "libs/shared:layer-host" if environment == "local" else "libs/shared:layer"
    command = [
        "./pants",
        "--pants-subprocessdir=.pants.d/deploy-pantsd",
        "package",
        *FUNCTION_TARGETS,
        layer,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"`{' '.join(command)}` failed:\n{result.stderr[-3000:]}")
    return Path("dist")

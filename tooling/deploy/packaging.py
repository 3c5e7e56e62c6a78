"""Build the deployment packages with Pants, from inside a `./pants run` of our tooling."""

from __future__ import annotations

import subprocess
from pathlib import Path

from infra.config import FUNCTIONS, EnvironmentConfig

FUNCTION_TARGETS = tuple(f"services/{name}:lambda" for name in FUNCTIONS)


def layer_name(config: EnvironmentConfig) -> str:
    """The layer an environment deploys, ``libs/shared:<name>``: for the local emulator, which
    runs handlers on this machine, the one built for this machine."""
    return "layer-host" if config.is_emulated else "layer"


def layer_zip(config: EnvironmentConfig) -> str:
    """The file ``./pants package`` writes for :func:`layer_name`."""
    return f"{layer_name(config)}.zip"


def build_packages(config: EnvironmentConfig) -> Path:
    """``./pants package`` the function zips and the layer (arm64; for the local emulator,
    built for this machine). The outer `./pants run` holds its daemon, so this nested call
    uses a daemon of its own (warm after the first time: ~4 s, not ~15 s)."""
    layer = f"libs/shared:{layer_name(config)}"
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

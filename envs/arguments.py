"""The command-line arguments every environment entrypoint takes."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from infra.naming import ENVIRONMENTS


class _BoundEnvironment(argparse.Action):
    """``--env`` once: each entrypoint is bound to its environment by its BUILD target
    (build-support/macros.py passes ``--env <env>``), so ``envs/dev:destroy -- --env prod``
    must not quietly become a destroy of prod."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        bound = getattr(namespace, self.dest, None)
        if bound is not None and bound != values:
            parser.error(
                f"this entrypoint is bound to --env {bound}; it cannot be retargeted to "
                f"--env {values}: run envs/{values}:{getattr(namespace, "command", None) or parser.prog} instead"
            )
        setattr(namespace, self.dest, values)


def config_path(env: str) -> Path:
    """An environment's configuration file (run from the repository root, as ``./pants run``
    does)."""
    return Path("envs") / env / "config.toml"


def synth_dir(env: str) -> Path:
    """Where ``synth`` and ``deploy`` write an environment's Terraform (under the root)."""
    return Path("dist") / "synth" / env


def add_environment_arguments(parser: argparse.ArgumentParser, *, packages: bool = True) -> None:
    parser.add_argument("--env", required=True, choices=ENVIRONMENTS, action=_BoundEnvironment)
    parser.add_argument(
        "--suffix", help="environment suffix (default: PIPELINE_ENV_SUFFIX, then the config file)"
    )
    if not packages:
        return
    parser.add_argument(
        "--packages",
        type=Path,
        help="use packages already built here instead of running `./pants package`",
    )

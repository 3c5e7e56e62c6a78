"""The command-line arguments every environment entrypoint takes."""

from __future__ import annotations

import argparse
from pathlib import Path

from infra.naming import ENVIRONMENTS


def add_environment_arguments(parser: argparse.ArgumentParser, *, packages: bool = True) -> None:
    parser.add_argument("--env", required=True, choices=ENVIRONMENTS)
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

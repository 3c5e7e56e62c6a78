"""Synthesize one environment's stacks to Terraform JSON.

    ./pants run envs/<env>:synth [-- --suffix x --packages dist --out dist/synth/<env>]

It builds the deployment packages first (their content hashes are part of the JSON), unless
``--packages`` names a directory of built ones. ``cdktf synth`` in ``envs/<env>/`` runs the same
(cdktf.json), writing where the CDKTF CLI asks ($CDKTF_OUTDIR). The local environment is
synthesized against its running emulator (``--aws-endpoint`` names another): so ``cdktf deploy``
in envs/local/ deploys there, and never to real AWS.

Run from the repository root (``./pants run`` does). Governance rules run as part of synth and
fail it with the offending resource named.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import infra  # noqa: F401  (installs the provider stand-in before cdktf imports it)
from envs.arguments import add_environment_arguments, config_path, synth_dir
from infra.app import synthesize_environment
from infra.config import ConfigError, EnvironmentConfig, load_config
from infra.stacks.pipeline_stack import Packages
from tooling.deploy.packaging import build_packages, layer_zip
from tooling.emulator import control as emulator


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="synth", description="Synthesize an environment's stacks."
    )
    add_environment_arguments(parser)
    parser.add_argument(
        "--out", type=Path, help="output directory (default: $CDKTF_OUTDIR or dist/synth/<env>)"
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        help="local state directory, for environments without remote state",
    )
    parser.add_argument(
        "--aws-endpoint", help="an AWS emulator's URL (the local environment's deploy sets it)"
    )
    return parser.parse_args(argv)


def cdktf_outdir(env: str) -> Path | None:
    """Where the CDKTF CLI asks for the output ($CDKTF_OUTDIR, set by ``cdktf synth`` in
    envs/<env>/). A relative one is relative to envs/<env>/, where the CLI runs and looks for
    the manifest: the app (cdktf.json) runs from the repository root, as ./pants must."""
    asked = os.environ.get("CDKTF_OUTDIR")
    if not asked:
        return None
    return Path(asked) if Path(asked).is_absolute() else config_path(env).parent / asked


def emulator_endpoint(config: EnvironmentConfig, state_dir: Path) -> str:
    """The running emulator's URL, for an emulated environment synthesized without
    ``--aws-endpoint`` (``cdktf deploy`` in envs/local/ deploys into it). Without an endpoint its
    provider would name none and reach real AWS with the caller's credentials: refused."""
    running = emulator.running(state_dir)
    if running is None:
        raise ConfigError(
            f"{config.environment} deploys into its local emulator and none is running for "
            f"{state_dir}: start it with ./pants run envs/{config.environment}:deploy, or pass "
            "--aws-endpoint URL"
        )
    return running.url


def run_synth(args: argparse.Namespace) -> dict[str, object]:
    config = load_config(config_path(args.env), suffix=args.suffix, aws_endpoint=args.aws_endpoint)
    out = (args.out or cdktf_outdir(args.env) or synth_dir(args.env)).resolve()
    state_dir = (args.state_dir or config.local_state_dir).resolve()
    if config.is_emulated and not config.aws_endpoint:
        config = dataclasses.replace(config, aws_endpoint=emulator_endpoint(config, state_dir))
    packages_dir = args.packages or build_packages(config)
    started = time.perf_counter()
    stacks = synthesize_environment(
        config,
        packages=Packages.from_dir(packages_dir, layer=layer_zip(config)),
        outdir=out,
        state_dir=state_dir,
    )
    return {
        "environment": config.environment,
        "suffix": config.suffix,
        "out": str(out),
        "resources": {
            stack: sum(len(v) for v in document.get("resource", {}).values())
            for stack, document in stacks.items()
        },
        "seconds": round(time.perf_counter() - started, 2),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        summary = run_synth(args)
    except (ConfigError, FileNotFoundError) as error:
        print(f"synth: {error}", file=sys.stderr)
        return 2
    except RuntimeError as error:  # cdktf: governance errors and invalid constructs
        print(f"synth: {error}", file=sys.stderr)
        return 1
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

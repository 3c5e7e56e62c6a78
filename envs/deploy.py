"""Deploy, plan or destroy one environment: package, synthesize, then Terraform each stack in
order, skipping stacks unchanged since the last successful deploy.

    ./pants run envs/<env>:deploy     ./pants run envs/<env>:plan     ./pants run envs/<env>:destroy
    (extra flags after --, e.g. ./pants run envs/dev:deploy -- --suffix alice --force)

The local environment starts its own AWS emulator (infra/local), deploys into it and pushes a
sample day of files through the pipeline.
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

import infra  # noqa: F401  (installs the provider stand-in before cdktf imports it)
from infra.app import STACK_ORDER, build_app, synthesize
from infra.config import ConfigError, EnvironmentConfig, load_config
from infra.deploy.orchestrator import DeployFailed, StackResult, deploy_stacks, destroy_stacks
from infra.deploy.record import DeployRecord, FileRecord, S3Record
from infra.naming import ENVIRONMENTS
from infra.stacks.pipeline_stack import Packages
from infra.terraform import Terraform, TerraformError

if TYPE_CHECKING:
    from infra.local.sample_day import SampleDayReport

console = Console(stderr=True)
FUNCTION_TARGETS = ("services/ingest:lambda", "services/transform:lambda", "services/notify:lambda")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="deploy", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("deploy", "plan", "destroy"))
    parser.add_argument("--env", required=True, choices=ENVIRONMENTS)
    parser.add_argument(
        "--suffix", help="environment suffix (default: PIPELINE_ENV_SUFFIX, then the config file)"
    )
    parser.add_argument(
        "--packages",
        type=Path,
        help="use packages already built here instead of running `./pants package`",
    )
    parser.add_argument(
        "--force", action="store_true", help="plan/apply every stack, changed or not"
    )
    parser.add_argument(
        "--no-sample-day",
        action="store_true",
        help="local: deploy without pushing sample files through",
    )
    return parser.parse_args(argv)


def package(env: str) -> Path:
    """Build the packages with Pants. This runs inside `./pants run`, whose daemon is busy, so
    the nested call uses a daemon of its own (warm after the first deploy: ~4 s, not ~15 s)."""
    layer = "libs/shared:layer-host" if env == "local" else "libs/shared:layer"
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


def state_dir(config: EnvironmentConfig) -> Path:
    return Path(".terraform-state") / f"{config.environment}-{config.suffix}"


def record_for(config: EnvironmentConfig) -> DeployRecord:
    if config.state_bucket:
        key = f"pipeline/{config.environment}/{config.suffix}/deploy-record.json"
        return S3Record(config.state_bucket, key, config.region)
    return FileRecord(state_dir(config) / "deploy-record.json")


def results_table(results: list[StackResult], timings: dict[str, float]) -> Table:
    table = Table(title="deploy summary")
    for column in ("stack", "result", "added", "changed", "destroyed", "seconds"):
        table.add_column(
            column,
            justify="right" if column in ("added", "changed", "destroyed", "seconds") else "left",
        )
    for r in results:
        table.add_row(
            r.stack, r.action, str(r.added), str(r.changed), str(r.destroyed), f"{r.seconds:.1f}"
        )
    for step, seconds in timings.items():
        table.add_row(f"[dim]{step}[/dim]", "", "", "", "", f"{seconds:.1f}")
    return table


def main(argv: list[str] | None = None) -> int:  # - one linear script
    args = parse_args(argv)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    try:
        config = load_config(Path("envs") / args.env / "config.toml", suffix=args.suffix)
        states = state_dir(config).resolve()
        endpoint = None
        if config.environment == "local":
            from infra.local import emulator

            if args.command == "destroy" and emulator.running(states) is None:
                console.print("[yellow]no local emulator is running: nothing to destroy[/yellow]")
                return 0
            fresh = emulator.running(states) is None
            endpoint = emulator.start(states).url
            if fresh:  # a new emulator holds nothing: forget state and record of the old one
                for stale in states.glob("*.tfstate*"):
                    stale.unlink()
                (states / "deploy-record.json").unlink(missing_ok=True)
            console.print(f"local AWS emulator: {endpoint}")
        config = dataclasses.replace(config, aws_endpoint=endpoint)

        step = time.perf_counter()
        packages_dir = args.packages or package(config.environment)
        timings["package"] = time.perf_counter() - step
        step = time.perf_counter()
        layer = "layer-host.zip" if config.environment == "local" else "layer.zip"
        out = Path("dist") / "synth" / config.environment
        app, _ = build_app(
            config,
            packages=Packages.from_dir(packages_dir, layer=layer),
            outdir=out.resolve(),
            state_dir=states,
        )
        synthesize(app, out)
        timings["synth"] = time.perf_counter() - step

        terraform = Terraform.configured(states / "terraform")
        record = record_for(config)

        def progress(stack: str, message: str) -> None:
            console.print(f"[bold]{stack:>13}[/bold]  {message}")

        if args.command == "destroy":
            results = destroy_stacks(
                out, STACK_ORDER, terraform=terraform, record=record, progress=progress
            )
            if config.environment == "local":
                emulator.stop(states)
        else:
            results = deploy_stacks(
                out,
                STACK_ORDER,
                terraform=terraform,
                record=record,
                apply=args.command == "deploy",
                force=args.force,
                progress=progress,
            )
        timings["terraform"] = sum(r.seconds for r in results)
        console.print(results_table(results, timings))
        if (
            config.environment == "local"
            and args.command == "deploy"
            and not args.no_sample_day
            and endpoint
        ):
            from infra.local.sample_day import run_sample_day

            report = run_sample_day(endpoint, config)
            print_sample_day(report)
            timings["sample day"] = report.seconds
            if not report.ok:
                console.print("[red]the sample day did not come out as expected (see above)[/red]")
                return 1
    except (ConfigError, FileNotFoundError, TerraformError, RuntimeError) as error:
        if isinstance(error, DeployFailed):
            console.print(results_table(error.results, timings))
            console.print(
                f"[red]{error.result.stack} failed[/red]; earlier stacks stay recorded, re-run to resume.\n{error.result.error}"
            )
        else:
            console.print(f"[red]{args.command} failed:[/red] {error}")
        return 1
    console.print(
        f"{args.command} of {config.environment} ({config.suffix}) done in {time.perf_counter() - started:.1f} s"
    )
    return 0


def print_sample_day(report: SampleDayReport) -> None:
    table = Table(title=f"sample day: {len(report.files)} files in {report.seconds:.1f} s")
    for column in (
        "file",
        "expected",
        "result",
        "read",
        "written",
        "quarantined",
        "duplicates",
        "chunks",
        "ok",
    ):
        table.add_column(column)
    for f in report.files:
        table.add_row(
            f.key,
            f.expected,
            f.status,
            str(f.rows_read),
            str(f.rows_written),
            str(f.rows_quarantined),
            str(f.duplicates),
            str(f.chunks),
            "yes" if f.as_expected else "NO",
        )
    console.print(table)
    console.print(
        f"processed objects: {report.processed_objects}, quarantine objects: {report.quarantine_objects}, alerts published: {len(report.alerts)}"
    )
    for subject in report.alerts:
        console.print(f"  alert: {escape(subject)}")


if __name__ == "__main__":
    raise SystemExit(main())

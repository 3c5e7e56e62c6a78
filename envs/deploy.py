"""Deploy, plan or destroy one environment: package and synthesize, then Terraform each stack
in order, skipping stacks unchanged since the last successful deploy; the stacks that do not
take the code apply while Pants builds it (tooling/deploy/staged_synth.py).

    ./pants run envs/<env>:deploy     ./pants run envs/<env>:plan     ./pants run envs/<env>:destroy
    (extra flags after --, e.g. ./pants run envs/dev:deploy -- --suffix alice --force)

A protected environment (prod, or ``protected = true``) asks for its name before a deploy or
destroy (``--yes`` for CI). AWS access is checked first: a missing or refused credential is one
line. ``plan`` prints Terraform's diff of each stack, then the summary.

The local environment starts its own AWS emulator (tooling/emulator), deploys into it and pushes a
sample day of files through the pipeline; its destroy removes everything and stops it.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table

import infra  # noqa: F401  (installs the provider stand-in before cdktf imports it)
from envs.arguments import add_environment_arguments, config_path, synth_dir
from infra.config import ConfigError, EnvironmentConfig, load_config
from tooling.deploy.credentials import (
    AwsAccessError,
    check_aws_access,
    check_state_bucket,
    describe_aws_error,
)
from tooling.deploy.environment import Outcome, run_environment
from tooling.deploy.orchestrator import DeployFailed, StackResult
from tooling.deploy.packaging import build_packages
from tooling.deploy.sample_day import SampleDayReport
from tooling.deploy.terraform import TerraformError
from tooling.emulator import control as emulator

console = Console(stderr=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="deploy", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("deploy", "plan", "destroy"))
    add_environment_arguments(parser)
    parser.add_argument(
        "--force", action="store_true", help="plan/apply every stack, changed or not"
    )
    parser.add_argument(
        "--yes",
        action="store_true",
        help="deploy or destroy a protected environment (prod) without asking: for CI",
    )
    parser.add_argument(
        "--no-sample-day",
        action="store_true",
        help="local: deploy without pushing sample files through",
    )
    return parser.parse_args(argv)


def results_table(
    results: list[StackResult], timings: dict[str, float], command: str = "deploy"
) -> Table:
    table = Table(title=f"{command} summary")
    for column in ("stack", "result", "added", "changed", "destroyed", "seconds"):
        table.add_column(column, justify="left" if column in ("stack", "result") else "right")
    for r in results:
        table.add_row(
            r.stack, r.action, str(r.added), str(r.changed), str(r.destroyed), f"{r.seconds:.1f}"
        )
    for step, seconds in timings.items():
        table.add_row(f"[dim]{step}[/dim]", "", "", "", "", f"{seconds:.1f}")
    return table


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
            f.key.rsplit("/", 1)[-1],
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


class NotConfirmed(RuntimeError):
    pass


def _is_terminal(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):  # closed
        return False


def confirm(command: str, config: EnvironmentConfig, *, yes: bool, stdin: TextIO | None) -> None:
    """A deploy or destroy of a protected environment goes ahead only once someone typed the
    environment's name, or with --yes; without a terminal to ask on, it is refused."""
    if command == "plan" or not config.protected or yes:
        return
    what = f"{command} {config.environment} ({config.suffix}, {config.region})"
    if stdin is None or not _is_terminal(stdin):
        raise NotConfirmed(
            f"{config.environment} is protected and there is no terminal to confirm on: "
            f"pass --yes to {what} non-interactively (CI)"
        )
    console.print(
        f"[bold yellow]{config.environment} is protected.[/bold yellow] "
        f"Type the environment's name ({config.environment}) to {what}: ",
        end="",
    )
    answer = stdin.readline().strip()
    if answer != config.environment:
        raise NotConfirmed(f"not confirmed (typed {answer!r}): nothing was done")


def fail(command: str, message: object) -> int:
    """One line, never wrapped, no traceback."""
    text = " ".join(str(message).split())
    console.print(f"[red]{command} failed:[/red] {escape(text)}", soft_wrap=True)
    return 1


def show_plan(stack: str, diff: str) -> None:
    console.rule(f"[bold]{stack}[/bold]: terraform plan")
    console.print(diff, markup=False, highlight=False, soft_wrap=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    region = "its region"  # for an AWS error's message, once the config says
    try:
        config = load_config(config_path(args.env), suffix=args.suffix)
        region = config.region
        confirm(args.command, config, yes=args.yes, stdin=sys.stdin)
        if not config.is_emulated:  # the local deploy starts its own emulator
            identity = check_aws_access(config.region)
            console.print(f"AWS account {identity.account} as {identity.arn}", soft_wrap=True)
            if config.state_bucket:
                check_state_bucket(
                    config.state_bucket, config.region, command=f"envs/{args.env}:bootstrap"
                )
        # Built while the stacks without code apply; a destroy needs none, so builds nothing
        # (tooling/deploy/environment.py).
        given = args.packages
        outcome: Outcome = run_environment(
            args.command,
            config,
            packages=(
                None
                if args.command == "destroy"
                else (lambda: given) if given else (lambda: build_packages(config))
            ),
            synth_dir=synth_dir(config.environment),
            state_dir=config.local_state_dir,
            force=args.force,
            sample_day=not args.no_sample_day,
            progress=lambda stack, message: console.print(
                f"[bold]{stack:>13}[/bold]  {escape(message)}", soft_wrap=True
            ),
            show_plan=show_plan if args.command == "plan" else None,
        )
    except DeployFailed as error:
        console.print(results_table(error.results, {}, args.command))
        console.print(
            f"[red]{error.result.stack} failed[/red]; earlier stacks stay recorded, re-run to resume.\n{escape(error.result.error)}"
        )
        for note in getattr(error, "__notes__", []):
            console.print(note, markup=False, highlight=False)
        return 1
    except (NotConfirmed, AwsAccessError, ConfigError) as error:
        return fail(args.command, error)
    except (FileNotFoundError, ValueError, TerraformError, RuntimeError) as error:
        console.print(f"[red]{args.command} failed:[/red] {escape(str(error))}")
        return 1
    except Exception as error:  # botocore's, from the deploy record in the state bucket
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(error, BotoCoreError | ClientError):
            return fail(args.command, describe_aws_error(error, region))
        raise
    if outcome.endpoint:
        console.print(f"local AWS emulator: {outcome.endpoint}")
        failed_calls = emulator.server_errors(config.local_state_dir)
        if failed_calls:
            console.print(
                f"[yellow]the emulator failed {len(failed_calls)} call(s) with a 5xx "
                "(retried away or not); the first:[/yellow]"
            )
            console.print("\n".join(failed_calls[:5]), markup=False, highlight=False)
    console.print(results_table(outcome.results, outcome.timings, args.command))
    if outcome.sample_day is not None:
        print_sample_day(outcome.sample_day)
        if not outcome.sample_day.ok:
            console.print("[red]the sample day did not come out as expected (see above)[/red]")
            return 1
    console.print(
        f"{args.command} of {config.environment} ({config.suffix}) done in {time.perf_counter() - started:.1f} s"
    )
    if args.command == "deploy":
        print_next_steps(config.environment)
    return 0


# Sum of amount by currency and day over the processed table (infra/stacks/data_stack.py
# names it; the same name in every environment). Athena projects the `source` partition from
# the query's WHERE clause, so the example names the sample day's sources.
EXAMPLE_QUERY = (
    "SELECT dt, currency, sum(amount) AS total, count(*) AS n FROM processed "
    "WHERE source IN ('card-us', 'card-eu', 'ach', 'wire') "
    "GROUP BY dt, currency ORDER BY dt, currency"
)


def print_next_steps(env: str) -> None:
    """Where the main job's results are: the dashboard's picture and the processed rows."""
    console.print("[bold]next[/bold]: see the dashboard, query the processed rows")
    console.print(f"  ./pants run envs/{env}:dashboard", markup=False, highlight=False)
    console.print(
        f'  ./pants run envs/{env}:query -- "{EXAMPLE_QUERY}"',
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


if __name__ == "__main__":
    raise SystemExit(main())

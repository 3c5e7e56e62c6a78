"""One environment's health at a glance: alarms, executions over a window, dead letters.

    ./pants run envs/<env>:status [-- --hours 24 --json]

Exit status 0 when healthy (no alarm firing, no failed, timed-out, aborted or stuck execution
in the window, no dead letters), 1 when something needs a person, 2 when it could not tell. The
runbook (docs/operations.md) says what to do about each finding.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json

from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from envs.arguments import add_environment_arguments, config_path
from infra.config import ConfigError, load_config
from tooling.operations.aws import EnvironmentAws
from tooling.operations.status import Health, environment_health

console = Console(stderr=True)
SHOWN_PROBLEMS = 20


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="status", description=__doc__.split("\n\n")[0])
    add_environment_arguments(parser, packages=False)
    parser.add_argument("--hours", type=float, default=24.0, help="the window (default 24)")
    parser.add_argument(
        "--stuck-after",
        type=float,
        default=2.0,
        metavar="HOURS",
        help="a run still going after this long needs a person (default 2)",
    )
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    args = parser.parse_args(argv)
    if not 0 < args.hours <= 24 * 90:
        parser.error("--hours must be above 0 and at most 2160 (90 days of execution history)")
    if args.stuck_after <= 0:
        parser.error("--stuck-after must be above 0 hours")
    return args


def health(args: argparse.Namespace) -> tuple[Health, str]:
    config = load_config(config_path(args.env), suffix=args.suffix)
    found = environment_health(
        EnvironmentAws.of(config),
        config,
        window=dt.timedelta(hours=args.hours),
        stuck_after=dt.timedelta(hours=args.stuck_after),
    )
    return found, f"{config.environment} ({config.suffix})"


def show(found: Health, title: str, hours: float) -> None:
    verdict = "[green]healthy[/green]" if found.healthy else "[red]needs attention[/red]"
    console.print(f"[bold]{escape(title)}[/bold]: {verdict} (last {hours:g} h)")
    alarms = Table(title=f"alarms: {len(found.firing)} of {len(found.alarms)} firing")
    for column in ("alarm", "state", "since", "reason"):
        alarms.add_column(column)
    for alarm in found.alarms:
        style = "red" if alarm.state == "ALARM" else ""
        alarms.add_row(
            escape(alarm.name),
            f"[{style}]{alarm.state}[/{style}]" if style else alarm.state,
            f"{alarm.since:%Y-%m-%d %H:%M}",
            escape(alarm.reason[:120]) if style else "",
        )
    console.print(alarms)
    counts = ", ".join(f"{status} {n}" for status, n in found.executions.most_common()) or "none"
    console.print(f"executions: {counts}")
    for problem in found.problems[:SHOWN_PROBLEMS]:
        console.print(
            f"  [red]{problem.status}[/red] {escape(problem.name)} (started {problem.started:%Y-%m-%d %H:%M})"
        )
    if len(found.problems) > SHOWN_PROBLEMS:
        console.print(f"  ... and {len(found.problems) - SHOWN_PROBLEMS} more")
    console.print(f"dead letters (events that started nothing): {found.dead_letters}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        found, title = health(args)
    except (ConfigError, RuntimeError, ClientError, BotoCoreError) as error:
        console.print(f"[red]status failed:[/red] {escape(str(error))}")
        return 2
    if args.json:
        print(json.dumps(found.to_dict(), indent=2))
    else:
        show(found, title, args.hours)
    return 0 if found.healthy else 1


if __name__ == "__main__":
    raise SystemExit(main())

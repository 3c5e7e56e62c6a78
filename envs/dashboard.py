"""Render the environment's deployed CloudWatch dashboard to a PNG and an HTML page.

    ./pants run envs/<env>:dashboard [-- --since 6h --out DIR]

Reads the dashboard's body (GetDashboard), then each widget's metrics and metric-math
expressions over the window (GetMetricData), and writes, widget by widget, dashboard.png (graphs
as lines, single values as numbers, text as text), index.html (the picture and a table of every
widget's numbers) and dashboard.json (the same numbers) to dist/dashboard/<env>/. On envs/local
the numbers are the emulator's: the metrics the real handlers printed (EMF) and Lambda's own.
For a real environment it also prints the dashboard's CloudWatch console URL.

Exit status 0 when rendered, 2 when it could not be (not deployed, no credentials, no access).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.markup import escape

from envs.arguments import add_environment_arguments, config_path
from infra.config import ConfigError, load_config
from tooling.operations.aws import EnvironmentAws
from tooling.operations.dashboard import render_dashboard

console = Console(stderr=True)
MAX_WINDOW = dt.timedelta(days=15)  # GetMetricData keeps 5-minute datapoints for 15 days
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([mhd])$")


def duration(text: str) -> dt.timedelta:
    """``90m``, ``3h``, ``2d``: a window back from now."""
    match = _DURATION.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r}: give minutes, hours or days, e.g. 90m, 3h, 2d")
    unit = {"m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
    return dt.timedelta(**{unit: float(match.group(1))})


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="dashboard",
        description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[2:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_environment_arguments(parser, packages=False)
    parser.add_argument(
        "--since",
        type=duration,
        default=dt.timedelta(hours=3),
        metavar="DURATION",
        help="the window back from now: 90m, 3h, 2d (default 3h, at most 15d)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="where to write dashboard.png, index.html and dashboard.json "
        "(default dist/dashboard/<env>)",
    )
    args = parser.parse_args(argv)
    if not dt.timedelta(minutes=5) <= args.since <= MAX_WINDOW:
        parser.error("--since must be at least 5m and at most 15d")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = args.out or Path("dist") / "dashboard" / args.env
    try:
        config = load_config(config_path(args.env), suffix=args.suffix)
        rendered = render_dashboard(EnvironmentAws.of(config), config, since=args.since, out=out)
    except (ConfigError, RuntimeError, ClientError, BotoCoreError) as error:
        message = escape(str(error).splitlines()[0])
        console.print(f"[red]dashboard failed:[/red] {message}", soft_wrap=True)  # one line
        return 2
    series = [s for p in rendered.panels for s in p.series]
    with_data = sum(1 for s in series if s.values)
    console.print(
        f"{rendered.name}: {len(rendered.panels)} widgets, {with_data} of {len(series)} series "
        f"with data, {rendered.window.start:%Y-%m-%d %H:%M} to {rendered.window.end:%H:%M} UTC"
    )
    console.print(f"picture: {rendered.png}\npage:    {rendered.html}\nnumbers: {rendered.data}")
    if rendered.console_url:
        console.print(f"console: {rendered.console_url}", soft_wrap=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

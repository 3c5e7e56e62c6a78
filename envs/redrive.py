"""Start the pipeline again for raw files, or for the events its trigger could not deliver.

    ./pants run envs/<env>:redrive -- raw/<source>/<yyyy>/<mm>/<dd>/<file> [...]   a file again
    ./pants run envs/<env>:redrive -- --dead-letters                              the trigger's DLQ
    (--dry-run: start nothing, print each event that would start a run, one JSON per line;
     --wait SECONDS: wait for each file's outcome; --restore-tier Standard|Bulk: how an
     archived raw file is restored first: reported, re-run once the restore completes)

A file whose last run succeeded ends as ``duplicate`` (nothing is processed twice); one whose run
failed is processed from the start. Uses the default AWS credentials, or the local emulator for
envs/local. The runbook (docs/operations.md) says when to use which.
"""

from __future__ import annotations

import argparse
import json

from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from envs.arguments import add_environment_arguments, config_path
from infra.config import ConfigError, load_config
from tooling.operations.aws import EnvironmentAws
from tooling.operations.executions import wait_for
from tooling.operations.redrive import (
    RESTORE_TIERS,
    Pipeline,
    Redriven,
    redrive_dead_letters,
    reprocess,
)

console = Console(stderr=True)
# Outcomes of a waited-for run that need nobody's attention.
SETTLED = ("SUCCEEDED", "duplicate")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="redrive", description=__doc__.split("\n\n")[0])
    add_environment_arguments(parser, packages=False)
    parser.add_argument("keys", nargs="*", help="raw object keys to process again")
    parser.add_argument(
        "--dead-letters", action="store_true", help="re-drive the trigger's dead-letter queue"
    )
    parser.add_argument("--limit", type=int, default=1000, help="at most this many dead letters")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="start, release and delete nothing; print the events that would start runs",
    )
    parser.add_argument(
        "--wait",
        type=float,
        metavar="SECONDS",
        help="wait up to SECONDS for each execution and show the file's outcome",
    )
    parser.add_argument(
        "--restore-tier",
        choices=RESTORE_TIERS,
        default="Standard",
        help="restore tier for an archived raw file (Standard: 3-5 hours from Glacier Flexible "
        "Retrieval; Bulk: 5-12 hours, cheaper)",
    )
    args = parser.parse_args(argv)
    if bool(args.keys) == args.dead_letters:
        parser.error("give raw object keys, or --dead-letters (one of the two)")
    if args.limit < 1:
        parser.error("--limit must be at least 1")
    return args


def run(args: argparse.Namespace) -> list[tuple[Redriven, str]]:
    config = load_config(config_path(args.env), suffix=args.suffix)
    aws = EnvironmentAws.of(config)
    pipeline = Pipeline.deployed(aws, config)
    if args.dead_letters:
        results = redrive_dead_letters(
            sqs=aws.client("sqs"),
            sfn=pipeline.sfn,
            state_machine=pipeline.state_machine,
            queue_url=aws.trigger_dlq_url(config),
            limit=args.limit,
            dry_run=args.dry_run,
        )
    else:
        results = reprocess(
            pipeline, args.keys, dry_run=args.dry_run, restore_tier=args.restore_tier
        )
    outcomes = []
    for result in results:
        outcome = ""
        if args.wait is not None and result.execution_arn:
            outcome = wait_for(pipeline.sfn, result.execution_arn, timeout_s=args.wait).status
        outcomes.append((result, outcome))
    return outcomes


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        outcomes = run(args)
    except (ConfigError, RuntimeError, TimeoutError, ClientError, BotoCoreError) as error:
        console.print(f"[red]redrive failed:[/red] {escape(str(error))}")
        return 1
    table = Table(title="dry run: nothing started" if args.dry_run else "redrive")
    for column in ("source", "execution", "note", "outcome", "problem"):
        table.add_column(column, overflow="fold")  # keys and ARNs whole, over several lines
    for result, outcome in outcomes:
        table.add_row(
            escape(result.source),
            escape((result.execution_arn or "").rsplit(":", 1)[-1]),
            escape(result.note),
            outcome,
            escape(result.problem or ""),
        )
    console.print(table)
    if args.dry_run:  # on stdout, apart from the table: fit for a file or jq
        for result, _ in outcomes:
            if result.event is not None:
                print(json.dumps(result.event))
    if not outcomes:
        console.print("nothing to re-drive")
    problems = [
        r
        for r, outcome in outcomes
        if r.problem or (r.execution_arn and args.wait is not None and outcome not in SETTLED)
    ]
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())

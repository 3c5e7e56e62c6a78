"""Run SQL against one environment's tables: processed rows and quarantined rows.

    ./pants run envs/<env>:query -- "SELECT currency, transaction_date, sum(amount) FROM processed
                                     WHERE source = 'card-us' GROUP BY 1, 2 ORDER BY 2, 1"
    ./pants run envs/<env>:query -- --format csv "SELECT * FROM quarantine LIMIT 20" > q.csv

Tables: `processed` (the contract's columns, plus the partitions `source` and `dt`, both
strings) and `quarantine` (one row per rejected row, with its reasons). On AWS the query runs in
Athena, in the environment's workgroup (results encrypted, the per-query scan cutoff of
query.bytes_scanned_cutoff_gb); Athena needs `source` named in the WHERE clause (`=` or `IN`:
its partitions are projected, not crawled). On `local` it runs in DuckDB over the emulator's
S3, with the same table names. Amounts are exact decimals in every format.

Exit status 0 with results, 2 when the query could not run (bad SQL, the environment not
deployed, no credentials, the cutoff reached): one line on stderr says why.
"""

from __future__ import annotations

import argparse
import sys

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from envs.arguments import add_environment_arguments, config_path
from infra.config import ConfigError, load_config
from tooling.operations.aws import EnvironmentAws
from tooling.operations.query import QueryError, QueryResult, run_query, text, to_csv, to_json

errors = Console(stderr=True, soft_wrap=True)  # an error stays one line
FORMATS = ("table", "csv", "json")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="query",
        description=__doc__.splitlines()[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_environment_arguments(parser, packages=False)
    parser.add_argument("sql", help="the SQL to run (quote it as one argument)")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table: a table for a terminal (default); csv: RFC 4180 with a header row; "
        "json: an array of objects, decimals as strings so they stay exact",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="stop an Athena query still running after this long (default 300)",
    )
    args = parser.parse_args(argv)
    if not args.sql.strip():
        parser.error("the SQL is empty")
    if args.timeout <= 0:
        parser.error("--timeout must be above 0 seconds")
    return args


def show(result: QueryResult) -> None:
    table = Table(show_lines=False)
    for column, kind in zip(result.columns, result.types, strict=True):
        numeric = kind.startswith(("decimal", "int", "bigint", "smallint", "tinyint", "double"))
        table.add_column(escape(column), justify="right" if numeric else "left")
    for row in result.rows:
        table.add_row(*(escape(text(v)) if v is not None else "[dim]NULL[/dim]" for v in row))
    Console().print(table)
    scanned = f", {result.scanned_bytes:,} bytes scanned" if result.scanned_bytes else ""
    errors.print(f"{len(result.rows)} row(s), {result.engine}{scanned}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = load_config(config_path(args.env), suffix=args.suffix)
        result = run_query(EnvironmentAws.of(config), config, args.sql, timeout_s=args.timeout)
    except NoCredentialsError:
        errors.print(
            "[red]query failed:[/red] no AWS credentials: sign in for this account "
            "(e.g. aws sso login) or set AWS_PROFILE"
        )
        return 2
    except (ConfigError, RuntimeError, QueryError, ClientError, BotoCoreError) as error:
        errors.print(f"[red]query failed:[/red] {escape(' '.join(str(error).split()))}")
        return 2
    if args.format == "csv":
        sys.stdout.write(to_csv(result))
    elif args.format == "json":
        print(to_json(result))
    else:
        show(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

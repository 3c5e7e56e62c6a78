"""The monthly cost of an environment at a usage profile, next to the legacy baseline.

    ./pants run envs/<env>:cost [-- --profile production --out dist/cost/<env>]
        [--baseline-bill FILE] [--refresh-prices]

Synthesizes the environment (placeholder packages: code does not change cost), prices every
resource from tooling/cost/prices-us-east-2.toml at the usage profile, projects the bill over
36 months, prints the comparison and writes cost.json, cost.md, cost.{png,svg} and
projection.{png,svg}. The baseline is modelled from the profile's [baseline] unless a real bill
(a Cost Explorer or CUR CSV export) replaces it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

import infra  # noqa: F401  (installs the provider stand-in before cdktf imports it)
from envs.arguments import config_path
from infra.app import synthesize_environment
from infra.config import ConfigError, load_config
from infra.naming import ENVIRONMENTS
from infra.stacks.pipeline_stack import placeholder_packages
from tooling.cost.bill import BillError, load_bill
from tooling.cost.chart import comparison_chart, projection_chart
from tooling.cost.model import (
    CostError,
    CostModel,
    LineItem,
    baseline_items,
    project,
    retention,
    summarize,
)
from tooling.cost.prices import PRICE_FILE, PriceTable, PricingError
from tooling.cost.refresh import RefreshError, pricing_client, refresh
from tooling.cost.usage import ProfileError, load_baseline, load_usage

console = Console()
MONTHS = 36


def refreshed_prices(today: datetime.date) -> str:
    """Refresh the price file through the Price List API; what it did, in a line."""
    table, kept = refresh(PriceTable.load(), pricing_client(), today)
    PRICE_FILE.write_text(table.toml())
    return f"prices refreshed from the AWS Price List API into {PRICE_FILE}" + (
        f"; kept from the file (no answer from the API): {', '.join(kept)}" if kept else ""
    )


def estimate(
    env: str, profile: str, *, bill: Path | None = None, today: datetime.date
) -> dict[str, Any]:
    billed = None if bill is None else load_bill(bill)  # a bad file fails before the synth
    config = load_config(config_path(env))
    with tempfile.TemporaryDirectory() as work:
        stacks = synthesize_environment(
            config,
            packages=placeholder_packages(Path(work) / "packages"),
            outdir=Path(work) / "synth",
        )
    prices = PriceTable.load(region=config.region)
    usage = load_usage(profile)
    model = CostModel(prices, usage, chunk_mb=config.chunk_mb)
    legacy = load_baseline()
    if billed is None:
        baseline = baseline_items(model, legacy)
        source = (
            "modelled, not billed: the legacy setup as tooling/cost/profiles.toml [baseline] "
            "describes it, priced from the same table at the same volume "
            "(--baseline-bill FILE replaces it with a real bill)"
        )
    else:
        baseline = [
            LineItem("bill", "bill", service, str(bill), usd) for service, usd in billed.items()
        ]
        source = f"billed: {bill} (a month's average of the export)"
    report = summarize(model.price_stacks(stacks), baseline, raw_gb_per_month=usage.gb_per_month)
    warning = prices.age_warning(today)
    return {
        "environment": env,
        "profile": profile,
        "date": today.isoformat(),
        "prices_as_of": prices.as_of,
        "region": prices.region,
        "baseline_source": source,
        "baseline_is_modelled": bill is None,
        "warnings": [warning] if warning else [],
        "assumptions": {**usage.assumptions(), "chunk_mb": float(config.chunk_mb)},
        "raw_gb_per_month": usage.gb_per_month,
        "expire_after_days": retention(stacks),
        **report,
        "projection": project(model, stacks, legacy if bill is None else None, MONTHS),
    }


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def headline(report: dict[str, Any]) -> list[str]:
    """The summary lines the terminal and cost.md both start with."""
    projection = {row["month"]: row["monthly_usd"] for row in report["projection"]}
    saving = report["baseline_monthly_usd"] - report["monthly_usd"]
    kept = sorted(role for role, days in report["expire_after_days"].items() if days is None)
    last = max(projection)
    growth = projection[last] - projection[last - 12]
    return [
        f"{_usd(report['monthly_usd'])} per month at month {report['assumptions']['history_months']:.0f}, "
        f"against {_usd(report['baseline_monthly_usd'])} for the legacy setup "
        f"({'modelled' if report['baseline_is_modelled'] else 'billed'}): "
        f"{_usd(saving)} a month saved, {report['reduction_pct']} % lower.",
        f"Unit cost: {_usd(report['usd_per_raw_gb'])} per raw GB processed "
        f"(legacy {_usd(report['baseline_usd_per_raw_gb'])}), at {report['raw_gb_per_month']:,.0f} GB a month.",
        f"Projection: {_usd(projection[12])} in month 12, {_usd(projection[24])} in month 24, "
        f"{_usd(projection[36])} in month 36 (+{_usd(growth)} a month over the last year"
        + (
            f": {', '.join(kept)} keep current objects; storage.expire_after_days caps them)."
            if kept
            else ")."
        ),
    ]


def retained(report: dict[str, Any]) -> str:
    """How long each growing bucket keeps its objects, in a phrase."""
    return ", ".join(
        f"{role} {'kept' if days is None else f'{days:.0f} days'}"
        for role, days in sorted(report["expire_after_days"].items())
    )


def _table(
    header: tuple[str, ...], rows: Sequence[tuple[str, ...]], *, text: tuple[int, ...] = (0,)
) -> list[str]:
    """A Markdown table: the ``text`` columns left-aligned, the figures right-aligned."""
    align = ["---" if i in text else "---:" for i in range(len(header))]
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(align) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def services(report: dict[str, Any]) -> list[str]:
    """Every service of either side, largest first."""
    return sorted(
        set(report["by_service"]) | set(report["baseline_by_service"]),
        key=lambda s: -max(report["by_service"].get(s, 0), report["baseline_by_service"].get(s, 0)),
    )


def markdown(report: dict[str, Any]) -> str:
    modelled = report["baseline_is_modelled"]
    lines = [
        f"# Monthly cost: {report['environment']} at profile `{report['profile']}`",
        "",
        f"Generated {report['date']}. Prices: {report['region']}, as of {report['prices_as_of']} "
        "(tooling/cost/prices-us-east-2.toml, each with its source).",
        "",
        *[f"**Warning**: {w}.\n" for w in report["warnings"]],
        *[f"{line}  " for line in headline(report)],
        "",
        f"Baseline: {report['baseline_source']}.",
        "",
        "## Usage assumptions",
        "",
        "The profile `"
        + report["profile"]
        + "` in tooling/cost/profiles.toml (comments there say why):",
        "",
        *_table(
            ("assumption", "value"),
            [(k, f"{v:,.4g}") for k, v in report["assumptions"].items()],
        ),
        "",
        "## By service",
        "",
        *_table(
            (
                "service",
                f"legacy ({'modelled' if modelled else 'billed'}) USD/month",
                "now USD/month",
            ),
            [
                (
                    s,
                    f"{report['baseline_by_service'].get(s, 0):,.2f}",
                    f"{report['by_service'].get(s, 0):,.2f}",
                )
                for s in services(report)
            ]
            + [
                (
                    "**total**",
                    f"**{report['baseline_monthly_usd']:,.2f}**",
                    f"**{report['monthly_usd']:,.2f}**",
                )
            ],
        ),
        "",
        "![monthly cost by service](cost.svg)",
        "",
        f"## Projection over {len(report['projection'])} months",
        "",
        "The figures above are a snapshot at month "
        f"{report['assumptions']['history_months']:.0f}. Data accumulates: each month adds "
        "its raw, Parquet and quarantine objects, which move to their archive class and, "
        "only where `storage.expire_after_days` is set (docs/configuration.md), expire. "
        f"Retention per bucket: {retained(report)}.",
        "",
        "![projection](projection.svg)",
        "",
        *_table(
            ("month", "now USD", "of which S3", "cumulative USD")
            + (("legacy (modelled) USD",) if modelled else ()),
            [
                (
                    str(row["month"]),
                    f"{row['monthly_usd']:,.2f}",
                    f"{row['s3_usd']:,.2f}",
                    f"{row['cumulative_usd']:,.2f}",
                )
                + ((f"{row['baseline_monthly_usd']:,.2f}",) if modelled else ())
                for row in report["projection"]
            ],
        ),
        "",
        "## By stack",
        "",
        *_table(("stack", "USD/month"), [(k, f"{v:,.2f}") for k, v in report["by_stack"].items()]),
    ]
    lines += [
        "",
        "## By cost-allocation tag",
        "",
        "Each tag's rows sum to the total: what carries no such tag is its own row, "
        "`(no tag)`, explained below. Rows of $0.00 are left out.",
        "",
        *_table(
            ("tag", "value", "USD/month"),
            [
                (tag, value, f"{usd:,.2f}")
                for tag, values in report["by_tag"].items()
                for value, usd in values.items()
            ],
            text=(0, 1),
        ),
    ]
    if report["untagged"]:
        lines += [
            "",
            "Without tags:",
            "",
            *_table(
                ("resource", "USD/month", "why"),
                [
                    (row["resource"], f"{row['monthly_usd']:,.2f}", row["why"])
                    for row in report["untagged"]
                ],
                text=(0, 2),
            ),
        ]
    return "\n".join(lines) + "\n"


def charts(report: dict[str, Any], out: Path) -> list[Path]:
    modelled = report["baseline_is_modelled"]
    footer = (
        f"{report['environment']}, profile {report['profile']} "
        f"({report['assumptions']['gb_per_day']:,.0f} GB/day, month "
        f"{report['assumptions']['history_months']:.0f}); prices {report['region']} as of "
        f"{report['prices_as_of']}; legacy {'modelled, not billed' if modelled else 'from a bill'}; "
        f"generated {report['date']}"
    )
    saving = report["baseline_monthly_usd"] - report["monthly_usd"]
    paths = comparison_chart(
        report["baseline_by_service"],
        report["by_service"],
        title=(
            f"{report['environment']}: {_usd(report['monthly_usd'])}/month now vs "
            f"{_usd(report['baseline_monthly_usd'])} legacy: {_usd(saving)} saved "
            f"({report['reduction_pct']} % lower), {_usd(report['usd_per_raw_gb'])}/raw GB"
        ),
        footer=footer,
        before_label="legacy (modelled)" if modelled else "legacy (billed)",
        stem=out / "cost",
    )
    last = report["projection"][-1]
    legacy = (
        f"; legacy (modelled) {_usd(sum(r['baseline_monthly_usd'] for r in report['projection']))}"
        if modelled
        else ""
    )
    paths += projection_chart(
        report["projection"],
        title=(
            f"{report['environment']}: monthly bill over {last['month']} months, "
            f"{_usd(last['cumulative_usd'])} in all{legacy}"
        ),
        footer=f"{footer}; retention: {retained(report)}",
        stem=out / "projection",
        snapshot=int(report["assumptions"]["history_months"]),
    )
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", required=True, choices=ENVIRONMENTS)
    parser.add_argument(
        "--profile", default="production", help="a profile in tooling/cost/profiles.toml"
    )
    parser.add_argument("--out", type=Path, help="output directory (default dist/cost/<env>)")
    parser.add_argument(
        "--baseline-bill",
        type=Path,
        metavar="FILE",
        help="a Cost Explorer or CUR CSV export of the legacy bill: replaces the modelled baseline",
    )
    parser.add_argument(
        "--refresh-prices",
        action="store_true",
        help="first refresh tooling/cost/prices-us-east-2.toml through the AWS Price List API "
        "(needs AWS credentials)",
    )
    args = parser.parse_args(argv)
    today = datetime.date.today()
    try:
        if args.refresh_prices:
            console.print(refreshed_prices(today))
        report = estimate(args.env, args.profile, bill=args.baseline_bill, today=today)
    except (
        BillError,
        ConfigError,
        CostError,
        PricingError,
        ProfileError,
        RefreshError,
    ) as error:
        print(f"cost: {error}", file=sys.stderr)
        return 2
    out = args.out or Path("dist") / "cost" / args.env
    out.mkdir(parents=True, exist_ok=True)
    (out / "cost.json").write_text(json.dumps(report, indent=2))
    (out / "cost.md").write_text(markdown(report))
    written = [out / "cost.json", out / "cost.md", *charts(report, out)]
    for warning in report["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    legacy = "legacy (modelled)" if report["baseline_is_modelled"] else "legacy (billed)"
    table = Table(title=f"{args.env} at {args.profile}: USD per month by service")
    for column in ("service", legacy, "now"):
        table.add_column(column, justify="left" if column == "service" else "right")
    for service in services(report):
        table.add_row(
            service,
            f"{report['baseline_by_service'].get(service, 0):,.2f}",
            f"{report['by_service'].get(service, 0):,.2f}",
        )
    console.print(table)
    for line in headline(report):
        console.print(line, highlight=False)
    console.print(
        "Assumptions: " + ", ".join(f"{k} {v:,.4g}" for k, v in report["assumptions"].items()),
        highlight=False,
    )
    console.print(f"Baseline: {report['baseline_source']}.", highlight=False, markup=False)
    for row in report["untagged"]:
        console.print(
            f"Untagged (the tag tables' '(no tag)' row): {row['resource']}, "
            f"{_usd(row['monthly_usd'])}: {row['why']}",
            highlight=False,
            markup=False,
        )
    console.print(f"written: {', '.join(str(p) for p in written)}", highlight=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The monthly cost of an environment at a usage profile, next to the legacy baseline.

    ./pants run envs/<env>:cost [-- --profile production --out dist/cost/<env>]

Synthesizes the environment (placeholder packages: code does not change cost), prices every
resource from tooling/cost/prices-us-east-2.toml, prints the comparison and writes
cost.json, cost.md and cost.svg.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
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
from tooling.cost.chart import comparison_svg
from tooling.cost.model import CostError, CostModel, baseline_items, summarize
from tooling.cost.prices import PriceTable, PricingError
from tooling.cost.usage import ProfileError, load_baseline, load_usage

console = Console()


def estimate(env: str, profile: str) -> dict[str, Any]:
    config = load_config(config_path(env))
    with tempfile.TemporaryDirectory() as work:
        stacks = synthesize_environment(
            config,
            packages=placeholder_packages(Path(work) / "packages"),
            outdir=Path(work) / "synth",
        )
    prices = PriceTable.load(region=config.region)
    model = CostModel(prices, load_usage(profile), chunk_mb=config.chunk_mb)
    report = summarize(model.price_stacks(stacks), baseline_items(model, load_baseline()))
    return {
        "environment": env,
        "profile": profile,
        "prices_as_of": prices.as_of,
        "region": prices.region,
        **report,
    }


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# Monthly cost: {report['environment']} at profile `{report['profile']}`",
        "",
        f"Prices: {report['region']}, as of {report['prices_as_of']} (tooling/cost/prices-us-east-2.toml).",
        "",
        f"**${report['monthly_usd']:,.2f}** per month, against **${report['baseline_monthly_usd']:,.2f}** for the legacy setup: "
        f"**{report['reduction_pct']} % lower**.",
        "",
        "| service | legacy USD/month | now USD/month |",
        "|---|---:|---:|",
    ]
    for service in sorted(set(report["by_service"]) | set(report["baseline_by_service"])):
        lines.append(
            f"| {service} | {report['baseline_by_service'].get(service, 0):,.2f} | {report['by_service'].get(service, 0):,.2f} |"
        )
    lines += ["", "| stack | USD/month |", "|---|---:|"] + [
        f"| {k} | {v:,.2f} |" for k, v in report["by_stack"].items()
    ]
    for tag, values in report["by_tag"].items():
        lines += ["", f"| {tag} | USD/month |", "|---|---:|"] + [
            f"| {k} | {v:,.2f} |" for k, v in values.items()
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cost", description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True, choices=ENVIRONMENTS)
    parser.add_argument(
        "--profile", default="production", help="a profile in tooling/cost/profiles.toml"
    )
    parser.add_argument("--out", type=Path, help="output directory (default dist/cost/<env>)")
    args = parser.parse_args(argv)
    try:
        report = estimate(args.env, args.profile)
    except (ConfigError, CostError, PricingError, ProfileError) as error:
        print(f"cost: {error}", file=sys.stderr)
        return 2
    out = args.out or Path("dist") / "cost" / args.env
    out.mkdir(parents=True, exist_ok=True)
    (out / "cost.json").write_text(json.dumps(report, indent=2))
    (out / "cost.md").write_text(markdown(report))
    (out / "cost.svg").write_text(
        comparison_svg(
            report["baseline_by_service"],
            report["by_service"],
            title=f"{args.env}: monthly USD by service",
        )
    )
    table = Table(
        title=f"{args.env} at {args.profile}: ${report['monthly_usd']:,.0f}/month vs ${report['baseline_monthly_usd']:,.0f} legacy ({report['reduction_pct']} % lower)"
    )
    for column in ("service", "legacy", "now"):
        table.add_column(column, justify="left" if column == "service" else "right")
    for service in sorted(
        set(report["by_service"]) | set(report["baseline_by_service"]),
        key=lambda s: -report["baseline_by_service"].get(s, 0),
    ):
        table.add_row(
            service,
            f"{report['baseline_by_service'].get(service, 0):,.2f}",
            f"{report['by_service'].get(service, 0):,.2f}",
        )
    console.print(table)
    console.print(f"written: {out}/cost.json, cost.md, cost.svg")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The cost model prices each bucket at its own archive class (issue 11, item 9): Glacier
Instant Retrieval for processed Parquet (with the retrievals its readers cause), Flexible
Retrieval for raw, nothing for artifacts; the production saving stays above 30 %."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from infra.tests.conftest import Synthesized
from infra.tests.test_cost import USAGE
from tooling.cost.model import CostError, CostModel, baseline_items, summarize
from tooling.cost.prices import PriceTable
from tooling.cost.usage import load_baseline, load_usage

PRICES = PriceTable.load()


def _lifecycle(storage_class: str | None) -> dict[str, Any]:
    transition = [] if storage_class is None else [{"days": 90, "storage_class": storage_class}]
    return {
        "aws_s3_bucket_lifecycle_configuration": {
            "l": {"bucket": "${aws_s3_bucket.r.id}", "rule": [{"transition": transition}]}
        }
    }


def _items(role: str, storage_class: str | None, **usage: float) -> dict[str, float]:
    document = {
        "resource": {
            "aws_s3_bucket": {
                "r": {"bucket": role, "//": {"metadata": {"path": f"data/{role}/bucket"}}}
            },
            **_lifecycle(storage_class),
        }
    }
    model = CostModel(PRICES, dataclasses.replace(USAGE, **usage), chunk_mb=250)
    return {
        i.description.split(":", 1)[1].strip(): i.monthly_usd
        for i in model.price_stacks({"s": document})
    }


def test_glacier_instant_retrieval_prices_are_in_the_table_with_a_source() -> None:
    for key in (
        "s3_glacier_ir_gb_month",
        "s3_glacier_ir_transition_request",
        "s3_glacier_ir_retrieval_gb",
    ):
        assert PRICES[key] > 0 and "aws.amazon.com/s3/pricing" in PRICES.sources[key]
    assert PRICES["s3_glacier_gb_month"] < PRICES["s3_glacier_ir_gb_month"]  # IR costs more
    assert PRICES["s3_glacier_ir_gb_month"] < PRICES["s3_standard_gb_month"] / 5


def test_processed_parquet_in_glacier_instant_retrieval() -> None:
    items = _items("processed", "GLACIER_IR", archived_parquet_read_gb_per_month=100)
    # 300 GB raw a month -> 75 GB Parquet; 12 months kept: 225 GB Standard, 675 GB archived
    assert items["225 GB Standard"] == pytest.approx(225 * 0.023)
    assert items["675 GB Glacier Instant Retrieval"] == pytest.approx(675 * 0.004)
    # one transition per chunk object: 300 files x 4 chunks
    assert items["lifecycle transitions"] == pytest.approx(1_200 * 0.00002)
    assert items["100 GB read from Glacier Instant Retrieval"] == pytest.approx(100 * 0.03)


def test_retrievals_are_capped_at_what_is_archived() -> None:
    items = _items("processed", "GLACIER_IR", archived_parquet_read_gb_per_month=10_000)
    assert items["675 GB read from Glacier Instant Retrieval"] == pytest.approx(675 * 0.03)


def test_raw_in_flexible_retrieval_and_deep_archive() -> None:
    glacier = _items("raw", "GLACIER", archived_parquet_read_gb_per_month=100)
    assert glacier["2,700 GB Glacier"] == pytest.approx(2_700 * 0.0036)
    assert not any("read from" in d for d in glacier)  # Parquet reads: the processed bucket's
    deep = _items("raw", "DEEP_ARCHIVE")
    assert deep["2,700 GB Glacier Deep Archive"] == pytest.approx(2_700 * 0.00099)
    assert deep["lifecycle transitions"] == pytest.approx(300 * 0.00005)


def test_a_rule_without_a_transition_keeps_everything_in_standard() -> None:
    items = _items("quarantine", None)
    # 3 GB of quarantine a month (1 % of 300 GB), 12 months kept: all of it in Standard
    assert items == {"36 GB Standard": pytest.approx(36 * 0.023), "requests": items["requests"]}


def test_an_unpriced_storage_class_is_an_error_not_a_guess() -> None:
    with pytest.raises(CostError, match="transition to ONEZONE_IA is not priced"):
        _items("raw", "ONEZONE_IA")


def test_production_cost_with_a_class_per_bucket(prod: Synthesized) -> None:
    usage = load_usage("production")
    assert usage.archived_parquet_read_gb_per_month == 1000
    model = CostModel(PRICES, usage, chunk_mb=prod.config.chunk_mb)
    items = model.price_stacks(prod.stacks)
    report = summarize(items, baseline_items(model, load_baseline()))
    by_role: dict[str, list[str]] = {}
    for item in items:
        if item.address.startswith("aws_s3_bucket."):
            role = item.description.split(":", 1)[0]
            by_role.setdefault(role, []).append(item.description)
    assert "processed: 33,750 GB Glacier Instant Retrieval" in by_role["processed"]
    assert "processed: 1,000 GB read from Glacier Instant Retrieval" in by_role["processed"]
    assert "raw: 135,000 GB Glacier" in by_role["raw"]
    assert by_role["artifacts"] == ["artifacts: deployment packages"]
    print(  # the figure docs/cost-optimization.md quotes (pytest -s shows it)
        f"prod: ${report['monthly_usd']:,.2f}/month, legacy ${report['baseline_monthly_usd']:,.2f}, "
        f"{report['reduction_pct']} % lower"
    )
    # The query catalog (issue 13), once the data stack has it: 2 TB scanned at $5, 9,000
    # catalog requests at $1 per million, and results of 15 GB a month (0.1 % of 15,000 GB)
    # kept 7 days (3.5 GB in Standard) with a PUT/GET set per query (3,000 x $0.000108).
    query = 0.0
    if prod.resources("aws_athena_workgroup"):
        query = 2 * 5.0 + 9_000 / 1e6 + 15 * 7 / 30 * 0.023 + 3_000 * 0.000108
    assert report["monthly_usd"] == pytest.approx(2009.84 + query, abs=0.01)
    assert report["reduction_pct"] >= 30

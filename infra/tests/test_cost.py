"""The cost model: each pricing rule against a hand-computed figure, the coverage guarantee,
clear errors for bad profiles, and the production reduction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.tests.conftest import Synthesized
from tooling.cost.model import FREE, PRICERS, CostError, CostModel, baseline_items, summarize
from tooling.cost.prices import PriceTable, PricingError
from tooling.cost.usage import ProfileError, Usage, load_baseline, load_usage

PRICES = PriceTable.load()
USAGE = Usage(
    days_per_month=30,
    gb_per_day=10,
    avg_file_mb=1000,
    parquet_ratio=0.25,
    quarantine_ratio=0.01,
    history_months=12,
    transform_seconds_per_gb=25,
    ingest_seconds_per_file=2,
    finalize_seconds_per_file=10,
    notify_seconds_per_file=0.5,
    log_gb_per_month=5,
    flow_log_gb_per_month=1,
    table_item_kb=1,
    kms_requests_per_file=10,
    alert_emails_per_file=1,
)


def _model() -> CostModel:
    return CostModel(PRICES, USAGE, chunk_mb=250)  # 300 files a month, 4 chunks each


def _price(
    resource_type: str, body: dict[str, Any], path: str, extra: dict[str, Any] | None = None
) -> list[Any]:
    document = {
        "resource": {
            resource_type: {"r": {**body, "//": {"metadata": {"path": path}}}},
            **(extra or {}),
        }
    }
    return _model().price_stacks({"s": document})


def test_arm64_transform_lambda() -> None:
    items = _price(
        "aws_lambda_function",
        {"memory_size": 2048, "architectures": ["arm64"], "ephemeral_storage": {"size": 512}},
        "pipeline/transform/function",
    )
    compute = next(i for i in items if i.service == "Lambda")
    # 1,200 chunks x 6.25 s x 2 GB = 15,000 GB-s at $0.0000133334, plus 1,200 requests at $0.0000002
    assert compute.monthly_usd == pytest.approx(15_000 * 0.0000133334 + 1_200 * 0.0000002)
    assert next(i for i in items if i.service == "CloudWatch").monthly_usd == pytest.approx(
        6 * 0.30
    )


def test_x86_costs_more_than_arm64() -> None:
    arm = _price(
        "aws_lambda_function",
        {"memory_size": 1024, "architectures": ["arm64"]},
        "pipeline/ingest/function",
    )
    x86 = _price(
        "aws_lambda_function",
        {"memory_size": 1024, "architectures": ["x86_64"]},
        "pipeline/ingest/function",
    )
    assert x86[0].monthly_usd / arm[0].monthly_usd == pytest.approx(
        (300 * 2 * 0.0000166667 + 300 * 0.0000002) / (300 * 2 * 0.0000133334 + 300 * 0.0000002)
    )


def test_raw_bucket_with_glacier_after_90_days() -> None:
    lifecycle = {
        "aws_s3_bucket_lifecycle_configuration": {
            "l": {
                "bucket": "${aws_s3_bucket.r.id}",
                "rule": [{"transition": [{"days": 90, "storage_class": "GLACIER"}]}],
            }
        }
    }
    items = {
        i.description.split(":")[1].strip(): i.monthly_usd
        for i in _price("aws_s3_bucket", {"bucket": "raw"}, "data/raw/bucket", lifecycle)
    }
    # 300 GB a month, 12 months kept: 3 months (900 GB) in Standard, 2,700 GB in Glacier
    assert items["900 GB Standard"] == pytest.approx(900 * 0.023)
    assert items["2,700 GB Glacier"] == pytest.approx(2_700 * 0.0036)
    assert items["lifecycle transitions"] == pytest.approx(300 * 0.00003)


def _bucket_and_rules_apart(rules_read: str) -> list[Any]:
    """The raw bucket in one stack, exported to Parameter Store; lifecycle rules in another,
    on the bucket named by the parameter ``rules_read``."""
    data = {
        "resource": {
            "aws_s3_bucket": {
                "r": {"bucket": "raw", "//": {"metadata": {"path": "data/raw/bucket"}}}
            },
            "aws_ssm_parameter": {
                "name": {"name": "/p/data/raw_bucket_name", "value": "${aws_s3_bucket.r.bucket}"},
                "other": {"name": "/p/data/other_name", "value": "${aws_kms_key.k.arn}"},
            },
        }
    }
    retention = {
        "data": {"aws_ssm_parameter": {"read": {"name": rules_read}}},
        "resource": {
            "aws_s3_bucket_lifecycle_configuration": {
                "l": {
                    "bucket": "${data.aws_ssm_parameter.read.value}",
                    "rule": [{"transition": [{"days": 90, "storage_class": "GLACIER"}]}],
                }
            }
        },
    }
    return _model().price_stacks({"data": data, "retention": retention})


def test_lifecycle_rules_in_another_stack_apply_through_the_exported_name() -> None:
    items = {
        i.description: i.monthly_usd for i in _bucket_and_rules_apart("/p/data/raw_bucket_name")
    }
    assert items["raw: 2,700 GB Glacier"] == pytest.approx(2_700 * 0.0036)
    # rules on some other exported value are not this bucket's: all of it stays in Standard
    others = _bucket_and_rules_apart("/p/data/other_name")
    assert others[0].monthly_usd == pytest.approx(3_600 * 0.023)
    assert not any("Glacier" in i.description for i in others)


def test_bucket_without_lifecycle_keeps_everything_in_standard() -> None:
    items = _price("aws_s3_bucket", {"bucket": "raw"}, "data/raw/bucket")
    assert items[0].monthly_usd == pytest.approx(3_600 * 0.023)
    assert not any("Glacier" in i.description for i in items)


def test_on_demand_and_provisioned_tables() -> None:
    on_demand = _price(
        "aws_dynamodb_table",
        {"billing_mode": "PAY_PER_REQUEST", "point_in_time_recovery": {"enabled": True}},
        "data/metadata/table",
    )
    # 300 files x (3 + 9 x 4 chunks) write units; 300 x 4 reads
    assert on_demand[0].monthly_usd == pytest.approx(300 * 39 * 0.000000625 + 1_200 * 0.000000125)
    assert any(i.description == "point-in-time recovery" for i in on_demand)
    provisioned = _price(
        "aws_dynamodb_table",
        {"billing_mode": "PROVISIONED", "write_capacity": 100, "read_capacity": 50},
        "data/metadata/table",
    )
    assert provisioned[0].monthly_usd == pytest.approx(730 * (100 * 0.00065 + 50 * 0.00013))


def test_state_machine_alarm_dashboard_and_key() -> None:
    assert _price("aws_sfn_state_machine", {}, "pipeline/workflow/state-machine")[
        0
    ].monthly_usd == pytest.approx(300 * (9 + 2 * 4) * 0.000025)
    alarm = {
        "alarm_name": "a",
        "metric_query": [
            {"id": "x", "metric": {}},
            {"id": "y", "metric": {}},
            {"id": "e", "expression": "x/y"},
        ],
    }
    assert _price("aws_cloudwatch_metric_alarm", alarm, "observability/a/alarm")[
        0
    ].monthly_usd == pytest.approx(0.20)
    assert (
        _price("aws_cloudwatch_dashboard", {}, "observability/dashboard/dashboard")[0].monthly_usd
        == 3.0
    )
    assert _price("aws_kms_key", {}, "data/key/key")[0].monthly_usd == pytest.approx(
        1.0 + 300 * 10 * 0.000003
    )


def test_gateway_endpoints_are_free_interface_endpoints_are_not() -> None:
    assert (
        _price("aws_vpc_endpoint", {"vpc_endpoint_type": "Gateway"}, "network/network/s3")[
            0
        ].monthly_usd
        == 0
    )
    assert _price(
        "aws_vpc_endpoint",
        {"vpc_endpoint_type": "Interface", "subnet_ids": ["a", "b", "c"]},
        "network/network/sns",
    )[0].monthly_usd == pytest.approx(3 * 730 * 0.01)


def test_unknown_resource_type_is_an_error_not_a_zero() -> None:
    with pytest.raises(CostError, match="aws_rds_cluster .* is neither priced nor listed as free"):
        _price("aws_rds_cluster", {}, "data/db/cluster")


def test_every_synthesized_resource_type_is_priced_or_free(
    synthesized: dict[str, Synthesized],
) -> None:
    types = {
        t
        for s in synthesized.values()
        for doc in s.stacks.values()
        for t in doc.get("resource", {})
    }
    assert types <= set(PRICERS) | set(FREE), sorted(types - set(PRICERS) - set(FREE))
    assert not set(PRICERS) & set(FREE)


def test_production_profile_cuts_cost_by_far_more_than_30_percent(prod: Synthesized) -> None:
    model = CostModel(PRICES, load_usage("production"), chunk_mb=prod.config.chunk_mb)
    report = summarize(model.price_stacks(prod.stacks), baseline_items(model, load_baseline()))
    assert report["reduction_pct"] >= 30
    assert report["monthly_usd"] > 0 and report["baseline_monthly_usd"] > report["monthly_usd"]
    # every tag table sums to the total; the dashboard (CloudWatch dashboards take no tags,
    # $3.00 in the price table) is the one line without them
    assert report["by_tag"]["CostCenter"] == {
        "fin-data-platform": pytest.approx(report["monthly_usd"] - 3.00, abs=0.01),
        "(no tag)": 3.00,
    }
    for values in report["by_tag"].values():
        assert sum(values.values()) == pytest.approx(report["monthly_usd"], abs=0.05)
    assert "Name" not in report["by_tag"]
    assert [row["resource"].split(".")[0] for row in report["untagged"]] == [
        "observability: aws_cloudwatch_dashboard"
    ]
    assert sum(report["by_stack"].values()) == pytest.approx(report["monthly_usd"], abs=0.05)


def _profile(tmp_path: Path, old: str, new: str) -> Path:
    source = Path(__file__).resolve().parents[2] / "tooling" / "cost" / "profiles.toml"
    text = source.read_text()
    assert old in text
    path = tmp_path / "profiles.toml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_negative_missing_and_mistyped_usage_are_named(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="gb_per_day = -5: must be a positive number"):
        load_usage("production", _profile(tmp_path, "gb_per_day = 500", "gb_per_day = -5"))
    with pytest.raises(ProfileError, match="lacks gb_per_day"):
        load_usage("production", _profile(tmp_path, "gb_per_day = 500", ""))
    with pytest.raises(ProfileError, match="parquet_ratio = 'a lot'"):
        load_usage(
            "production", _profile(tmp_path, "parquet_ratio = 0.25", 'parquet_ratio = "a lot"')
        )
    with pytest.raises(ProfileError, match="no profile \\[weekend\\]"):
        load_usage("weekend")


def test_unknown_region_and_missing_price_are_named(tmp_path: Path) -> None:
    with pytest.raises(PricingError, match="not 'eu-west-1': add a price table for eu-west-1"):
        PriceTable.load(region="eu-west-1")
    with pytest.raises(PricingError, match="no price 'gpu_hour'"):
        PRICES["gpu_hour"]

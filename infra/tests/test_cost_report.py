"""The FinOps report (issue 13, "Price"): retention expiry from config to the lifecycle and
the model, the 36-month projection, the catalog and query resources priced, tag tables that
reconcile with the total, the unit cost, the price table's age, a real bill as the baseline,
and the charts. Every expected figure is computed by hand from the price table's list prices."""

from __future__ import annotations

import dataclasses
import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider

from envs import cost as entrypoint
from infra.config import ConfigError, load_config
from infra.constructs.bucket_lifecycle import BucketLifecycle, BucketLifecycleProps, Lifecycle
from infra.tests.conftest import REPO
from infra.tests.test_cost import USAGE
from tooling.cost.bill import BillError, load_bill
from tooling.cost.chart import comparison_chart, projection_chart
from tooling.cost.model import CostModel, LineItem, project, retention, summarize
from tooling.cost.prices import PriceTable

PRICES = PriceTable.load()
DEV = (REPO / "envs" / "dev" / "config.toml").read_text()
STANDARD, GLACIER = 0.023, 0.0036  # USD per GB-month (prices-us-east-2.toml)
# A raw file's requests: 20 PUTs at $0.005 and 20 GETs at $0.0004 per 1,000 (model.py).
REQUESTS_PER_OBJECT = 20 * 0.000005 + 20 * 0.0000004


# -- config: storage.expire_after_days ----------------------------------------------------------


def _config(tmp_path: Path, section: str) -> Any:
    path = tmp_path / "config.toml"
    path.write_text(DEV.replace("[storage.archive]", section + "\n[storage.archive]", 1))
    return load_config(path)


def test_expiry_is_optional_per_role(tmp_path: Path) -> None:
    assert load_config(REPO / "envs" / "dev" / "config.toml").expire_after_days == {}
    config = _config(tmp_path, "[storage.expire_after_days]\nraw = 400\nquarantine = 120\n")
    assert config.expire_after_days == {"raw": 400, "quarantine": 120}


@pytest.mark.parametrize(
    "section, message",
    [
        (
            "raw = 0",
            "storage.expire_after_days.raw: must be a whole number from 1 to 36500 \\(got 0\\)",
        ),
        ('raw = "1y"', "storage.expire_after_days.raw: must be a whole number from 1 to 36500"),
        ("logs = 30", "storage.expire_after_days.logs: not a bucket role"),
        ("artifacts = 400", "storage.expire_after_days.artifacts: .*must not expire"),
        (
            "raw = 90",
            "storage.expire_after_days.raw: must be more than storage.glacier_after_days \\(90\\)",
        ),
    ],
)
def test_bad_expiry_names_file_field_and_range(tmp_path: Path, section: str, message: str) -> None:
    with pytest.raises(ConfigError, match=f"config.toml: {message}"):
        _config(tmp_path, f"[storage.expire_after_days]\n{section}\n")


def test_expiry_of_a_bucket_that_stays_in_standard_may_be_short(tmp_path: Path) -> None:
    text = "[storage.expire_after_days]\nquarantine = 30\n"
    path = tmp_path / "config.toml"
    path.write_text(
        DEV.replace('quarantine = "GLACIER_IR"', 'quarantine = "STANDARD"', 1).replace(
            "[storage.archive]", text + "\n[storage.archive]", 1
        )
    )
    assert load_config(path).expire_after_days == {"quarantine": 30}


# -- the construct: an expiration only when configured -----------------------------------------


def _lifecycle_rule(tmp_path: Path, expire: int | None) -> dict[str, Any]:
    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "s")
    AwsProvider(stack, "aws", region="us-east-2")
    BucketLifecycle(
        stack,
        "raw",
        props=BucketLifecycleProps(
            bucket="b-dev-a1",
            lifecycle=Lifecycle(
                glacier_after_days=90,
                noncurrent_expire_days=30,
                abort_multipart_days=7,
                expire_after_days=expire,
            ),
        ),
    )
    app.synth()
    document = json.loads((tmp_path / "stacks" / "s" / "cdk.tf.json").read_text())
    (rule,) = document["resource"]["aws_s3_bucket_lifecycle_configuration"].values()
    return dict(rule["rule"][0])


def test_lifecycle_expires_current_objects_only_when_configured(tmp_path: Path) -> None:
    kept = _lifecycle_rule(tmp_path / "kept", None)
    assert "expiration" not in kept
    expiring = _lifecycle_rule(tmp_path / "expiring", 400)
    assert expiring["expiration"] == [{"days": 400}]
    assert {k: v for k, v in expiring.items() if k != "expiration"} == kept


# -- the model: expiry, projection ---------------------------------------------------------------


def _bucket_stack(
    role: str, transition: int | None = None, expire: int | None = None
) -> dict[str, Any]:
    rule: dict[str, Any] = {"transition": []}
    if transition is not None:
        rule["transition"] = [{"days": transition, "storage_class": "GLACIER"}]
    if expire is not None:
        rule["expiration"] = [{"days": expire}]
    return {
        "s": {
            "resource": {
                "aws_s3_bucket": {
                    "r": {"bucket": role, "//": {"metadata": {"path": f"data/{role}/bucket"}}}
                },
                "aws_s3_bucket_lifecycle_configuration": {
                    "l": {"bucket": "${aws_s3_bucket.r.id}", "rule": [rule]}
                },
            }
        }
    }


def _model(**usage: float) -> CostModel:
    return CostModel(PRICES, dataclasses.replace(USAGE, **usage), chunk_mb=250)


def test_expiry_caps_what_a_bucket_keeps() -> None:
    stacks = _bucket_stack("raw", transition=90, expire=180)
    items = {i.description: i.monthly_usd for i in _model().price_stacks(stacks)}
    # 300 GB a month; objects live 6 months: 3 months (900 GB) in Standard, 3 in Glacier
    assert items["raw: 900 GB Standard, expiring after 180 days"] == pytest.approx(900 * STANDARD)
    assert items["raw: 900 GB Glacier"] == pytest.approx(900 * GLACIER)
    assert retention(stacks) == {"raw": 180.0}
    assert retention(_bucket_stack("raw")) == {"raw": None}


def test_projection_grows_without_expiry_and_levels_off_with_it() -> None:
    kept = project(_model(), _bucket_stack("raw"), None, months=6)
    expiring = project(_model(), _bucket_stack("raw", expire=90), None, months=6)
    requests = 300 * REQUESTS_PER_OBJECT  # 300 files a month
    for month in range(1, 7):
        # month m: m months of 300 GB in Standard; with a 90-day expiry at most 3 of them
        assert kept[month - 1]["monthly_usd"] == pytest.approx(
            month * 300 * STANDARD + requests, abs=0.01
        )
        assert expiring[month - 1]["monthly_usd"] == pytest.approx(
            min(month, 3) * 300 * STANDARD + requests, abs=0.01
        )
    assert kept[-1]["cumulative_usd"] == pytest.approx(
        sum(m * 300 * STANDARD + requests for m in range(1, 7)), abs=0.05
    )
    assert [r["month"] for r in kept] == [1, 2, 3, 4, 5, 6]


# -- Glue Data Catalog, Athena, the query-results bucket ----------------------------------------


def test_catalog_workgroup_and_results_bucket_are_priced() -> None:
    stacks = _bucket_stack("query-results")
    stacks["s"]["resource"].update(
        {
            "aws_glue_catalog_database": {"db": {"name": "txn"}},
            "aws_glue_catalog_table": {"p": {"name": "processed"}, "q": {"name": "quarantine"}},
            "aws_athena_workgroup": {"wg": {"name": "txn"}},
        }
    )
    model = _model(
        athena_tb_scanned_per_month=2,
        athena_queries_per_month=3000,
        glue_requests_per_query=3,
        query_results_ratio=0.001,
    )
    items = model.price_stacks(stacks)
    by_service: dict[str, float] = {}
    for item in items:
        by_service[item.service] = by_service.get(item.service, 0) + item.monthly_usd
    assert by_service["Athena"] == pytest.approx(2 * 5.0)  # $5 per TB scanned
    # 3 catalog objects: within the free million; 9,000 requests at $1 per million
    assert by_service["Glue"] == pytest.approx(9_000 / 1e6)
    # results: 0.3 GB a month (0.1 % of 300 GB), 12 months in Standard; a PUT/GET set per query
    assert by_service["S3"] == pytest.approx(0.3 * 12 * STANDARD + 3000 * REQUESTS_PER_OBJECT)
    for key in ("athena_tb_scanned", "glue_catalog_request", "glue_catalog_object_month"):
        assert PRICES.sources[key].startswith(
            ("https://aws.amazon.com/athena/", "https://aws.amazon.com/glue/")
        )


# -- the report: tags reconcile, unit cost ---------------------------------------------------


def test_each_tag_table_sums_to_the_total_and_names_what_is_untagged() -> None:
    tags = {"CostCenter": "fin", "Name": "endpoint"}
    items = [
        LineItem("data", "aws_s3_bucket.raw", "S3", "raw", 100.0, {"CostCenter": "fin"}),
        LineItem("network", "aws_vpc_endpoint.s3", "VPC", "gateway", 0.0, tags),
        LineItem("obs", "aws_cloudwatch_dashboard.d", "CloudWatch", "dashboard", 3.0),
    ]
    report = summarize(items, [], raw_gb_per_month=206)
    assert report["by_tag"] == {"CostCenter": {"fin": 100.0, "(no tag)": 3.0}}  # no Name table
    assert sum(report["by_tag"]["CostCenter"].values()) == report["monthly_usd"] == 103.0
    (untagged,) = report["untagged"]
    assert untagged["resource"] == "obs: aws_cloudwatch_dashboard.d"
    assert "dashboards take no tags" in untagged["why"]
    assert report["usd_per_raw_gb"] == pytest.approx(0.5)


def test_price_table_age_warning() -> None:
    table = dataclasses.replace(PRICES, as_of="2026-11-01")
    assert table.age_warning(datetime.date(2027, 1, 30)) is None  # 90 days
    warning = table.age_warning(datetime.date(2027, 1, 31))
    assert warning is not None and "91 days old" in warning and "--refresh-prices" in warning


# -- a real bill ---------------------------------------------------------------------------------


def test_cost_explorer_export_is_averaged_per_month(tmp_path: Path) -> None:
    path = tmp_path / "ce.csv"
    path.write_text(
        "Service,S3($),EC2-Instances($),Lambda($),Total costs($)\n"
        "Service total,10400.00,400.00,60.00,10860.00\n"
        "2026-09-01,5100.00,200.00,30.00,5330.00\n"
        "2026-10-01,5300.00,200.00,30.00,5530.00\n"
    )
    assert load_bill(path) == {"S3": 5200.0, "EC2": 200.0, "Lambda": 30.0}


def test_cur_export_by_product_and_period(tmp_path: Path) -> None:
    path = tmp_path / "cur.csv"
    path.write_text(
        "bill/BillingPeriodStartDate,lineItem/ProductCode,lineItem/UnblendedCost\n"
        "2026-09-01T00:00:00Z,AmazonS3,100.5\n"
        "2026-09-01T00:00:00Z,AmazonS3,0.5\n"
        "2026-10-01T00:00:00Z,AmazonDynamoDB,40\n"
        "2026-10-01T00:00:00Z,AWSLambda,3\n"
    )
    assert load_bill(path) == {"S3": 50.5, "DynamoDB": 20.0, "Lambda": 1.5}


@pytest.mark.parametrize(
    "text, message",
    [
        ("Date,Amount\n2026-10-01,5\n", "neither a Cost Explorer export .* nor a CUR export"),
        ("lineItem/UnblendedCost\n5\n", "CUR export without a service column"),
        (
            "lineItem/ProductCode,lineItem/UnblendedCost\nAmazonS3,lots\n",
            "line 2, column 'lineItem/UnblendedCost': 'lots' is not a cost in USD",
        ),
        ("Service,S3($)\nService total,5\n", "no period rows"),
        ("", "empty"),
    ],
)
def test_a_malformed_bill_is_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bill.csv"
    path.write_text(text)
    with pytest.raises(BillError, match=f"^{path}: {message}"):
        load_bill(path)


def test_entrypoint_reports_a_bad_bill_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bill.csv"
    path.write_text("Date,Amount\n")
    assert entrypoint.main(["--env", "dev", "--baseline-bill", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cost: {path}: neither") and err.count("\n") == 1


# -- the charts --------------------------------------------------------------------------------


def test_charts_are_written_as_png_and_svg(tmp_path: Path) -> None:
    paths = comparison_chart(
        {"S3": 5000.0, "VPC": 200.0},
        {"S3": 2000.0, "SNS": 0.07, "VPC": 0.0},
        title="prod: $2,000.07/month",
        footer="profile production",
        before_label="legacy (modelled)",
        stem=tmp_path / "cost",
    )
    rows = [
        {"month": m, "monthly_usd": 10.0 * m, "s3_usd": 9.0 * m, "cumulative_usd": 0.0}
        for m in range(1, 37)
    ]
    paths += projection_chart(
        rows, title="projection", footer="f", stem=tmp_path / "projection", snapshot=12
    )
    assert [p.name for p in paths] == ["cost.png", "cost.svg", "projection.png", "projection.svg"]
    for path in paths[::2]:
        assert path.read_bytes().startswith(b"\x89PNG")
    svg = paths[1].read_text()
    assert "prod: $2,000.07/month" in svg or "2,000.07" in svg


# -- the entrypoint, end to end -------------------------------------------------------------


def test_report_files_say_what_they_assume(tmp_path: Path) -> None:
    assert entrypoint.main(["--env", "dev", "--out", str(tmp_path / "modelled")]) == 0
    report = json.loads((tmp_path / "modelled" / "cost.json").read_text())
    text = (tmp_path / "modelled" / "cost.md").read_text()
    assert "modelled, not billed" in text and "| gb_per_day | 500 |" in text
    assert report["usd_per_raw_gb"] == pytest.approx(report["monthly_usd"] / 15_000, abs=1e-4)
    assert [row["month"] for row in report["projection"]] == list(range(1, 37))
    twelfth = report["projection"][11]
    assert twelfth["monthly_usd"] == report["monthly_usd"]  # the snapshot is month 12
    assert twelfth["baseline_monthly_usd"] == report["baseline_monthly_usd"]
    for values in report["by_tag"].values():
        assert sum(values.values()) == pytest.approx(report["monthly_usd"], abs=0.05)
    for name in ("cost.png", "cost.svg", "projection.png", "projection.svg"):
        assert (tmp_path / "modelled" / name).stat().st_size > 1000
    bill = tmp_path / "ce.csv"
    bill.write_text("Service,S3($),Total costs($)\nService total,9000\n2026-10-01,9000,9000\n")
    out = tmp_path / "billed"
    assert entrypoint.main(["--env", "dev", "--out", str(out), "--baseline-bill", str(bill)]) == 0
    billed = json.loads((out / "cost.json").read_text())
    assert billed["baseline_monthly_usd"] == 9000.0 and not billed["baseline_is_modelled"]
    assert f"billed: {bill}" in (out / "cost.md").read_text()
    assert "baseline_monthly_usd" not in billed["projection"][0]  # a bill is not projected

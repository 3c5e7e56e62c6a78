"""--refresh-prices: the price table refreshed through the AWS Price List API, against a
stubbed client (botocore's Stubber: never the network), and a clear line without credentials."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from envs import cost as entrypoint
from tooling.cost import prices as prices_module
from tooling.cost.prices import PriceTable
from tooling.cost.refresh import RefreshError, pricing_client, refresh

TODAY = datetime.date(2026, 12, 3)
TABLE = PriceTable(
    as_of="2026-11-01",
    region="us-east-2",
    usd={"s3_standard_gb_month": 0.023, "athena_tb_scanned": 5.0, "gpu_hour": 2.0},
    sources={
        "s3_standard_gb_month": "https://aws.amazon.com/s3/pricing/",
        "athena_tb_scanned": "https://aws.amazon.com/athena/pricing/",
        "gpu_hour": "a price the refresh has no query for",
    },
)


def _product(*dimensions: tuple[str, str, str]) -> str:
    """A Price List entry with on-demand dimensions (beginRange, USD, description)."""
    return json.dumps(
        {
            "product": {"sku": "X"},
            "terms": {
                "OnDemand": {
                    "X.T": {
                        "priceDimensions": {
                            f"X.T.{i}": {
                                "beginRange": begin,
                                "unit": "GB-Mo",
                                "description": description,
                                "pricePerUnit": {"USD": usd},
                            }
                            for i, (begin, usd, description) in enumerate(dimensions)
                        }
                    }
                }
            },
        }
    )


def _expect(stubber: Stubber, service: str, usage_type: str, pages: list[list[str]]) -> None:
    for index, page in enumerate(pages):
        params: dict[str, Any] = {
            "ServiceCode": service,
            "Filters": [
                {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-east-2"},
                {"Type": "TERM_MATCH", "Field": "usagetype", "Value": usage_type},
            ],
            "FormatVersion": "aws_v1",
            "MaxResults": 100,
        }
        if index:
            params["NextToken"] = f"page{index}"
        response: dict[str, Any] = {"FormatVersion": "aws_v1", "PriceList": page}
        if index < len(pages) - 1:
            response["NextToken"] = f"page{index + 1}"
        stubber.add_response("get_products", response, params)


def _client() -> Any:
    return boto3.client(
        "pricing",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def test_refresh_takes_the_first_paid_tier_and_writes_the_same_format(tmp_path: Path) -> None:
    client = _client()
    with Stubber(client) as stubber:
        # S3 Standard over two pages: the first 50 TB at $0.0235, the next at $0.0225
        _expect(
            stubber,
            "AmazonS3",
            "USE2-TimedStorage-ByteHrs",
            [
                [_product(("51200", "0.0225", "next 450 TB"))],
                [_product(("0", "0.0235", "first 50 TB"))],
            ],
        )
        # Athena: a free dimension is not a price (the table has no free tiers)
        _expect(
            stubber,
            "AmazonAthena",
            "USE2-DataScannedInTB",
            [[_product(("0", "0.0000000000", "free"), ("0", "5.5", "per TB scanned"))]],
        )
        table, kept = refresh(TABLE, client, TODAY)
        stubber.assert_no_pending_responses()
    assert table.usd == {"s3_standard_gb_month": 0.0235, "athena_tb_scanned": 5.5, "gpu_hour": 2.0}
    assert kept == ["gpu_hour"]
    assert table.as_of == "2026-11-01"  # one price was not refreshed: the file's date stays
    assert table.sources["s3_standard_gb_month"] == (
        "AWS Price List API AmazonS3 USE2-TimedStorage-ByteHrs: first 50 TB (per GB-Mo), 2026-12-03"
    )
    assert table.sources["gpu_hour"] == "a price the refresh has no query for"
    path = tmp_path / "prices.toml"
    path.write_text(table.toml())
    assert PriceTable.load(path) == table  # the same format: the loader reads it back


def test_a_full_refresh_dates_the_table(tmp_path: Path) -> None:
    client = _client()
    only = PriceTable(
        "2026-01-01", "us-east-2", {"athena_tb_scanned": 5.0}, {"athena_tb_scanned": "x"}
    )
    with Stubber(client) as stubber:
        _expect(stubber, "AmazonAthena", "USE2-DataScannedInTB", [[_product(("0", "5", "TB"))]])
        table, kept = refresh(only, client, TODAY)
    assert (table.as_of, kept, table.usd) == ("2026-12-03", [], {"athena_tb_scanned": 5.0})
    assert table.age_warning(TODAY) is None and only.age_warning(TODAY) is not None


def test_an_unanswered_query_keeps_the_price_and_a_refusal_is_one_line() -> None:
    client = _client()
    only = PriceTable(
        "2026-11-01", "us-east-2", {"athena_tb_scanned": 5.0}, {"athena_tb_scanned": "x"}
    )
    with Stubber(client) as stubber:
        _expect(stubber, "AmazonAthena", "USE2-DataScannedInTB", [[]])
        table, kept = refresh(only, client, TODAY)
    assert table == only and kept == ["athena_tb_scanned"]
    with Stubber(client) as stubber:
        stubber.add_client_error("get_products", "AccessDeniedException", "not allowed")
        with pytest.raises(
            RefreshError, match="Price List API refused athena_tb_scanned .*not allowed"
        ):
            refresh(only, client, TODAY)


def _no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for variable in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
    ):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)


def test_without_credentials_one_line_says_how_to_provide_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _no_credentials(monkeypatch, tmp_path)
    with pytest.raises(RefreshError, match="no AWS credentials .*AWS_PROFILE"):
        pricing_client()
    before = prices_module.PRICE_FILE.read_text()
    assert entrypoint.main(["--env", "dev", "--refresh-prices"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cost: no AWS credentials") and err.count("\n") == 1
    assert prices_module.PRICE_FILE.read_text() == before  # the offline default is untouched

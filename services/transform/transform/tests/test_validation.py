"""Each contract rule, on one row at a time through the whole engine."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from transform.tests.helpers import GOOD, HEADER, quarantined, row, run, written_rows


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"amount": "10.123"}, "amount: more decimals than the currency's minor unit"),
        (
            {"amount": "100.5", "currency": "JPY"},
            "amount: more decimals than the currency's minor unit",
        ),
        ({"amount": "1,5"}, None),  # an unquoted comma: wrong field count
        ({"amount": "12.3.4"}, "amount: not a decimal number"),
        ({"amount": ""}, "amount: not a decimal number"),
        ({"currency": "ZZZ"}, "currency: not an ISO 4217 code"),
        ({"timestamp": "2024-05-01T10:00:00"}, "timestamp: not ISO 8601 with a UTC offset or Z"),
        ({"timestamp": "2024-02-30T10:00:00Z"}, "timestamp: not a real date and time"),
        ({"timestamp": "2024-05-01T25:00:00+01:00"}, "timestamp: not a real date and time"),
        ({"timestamp": "yesterday"}, "timestamp: not ISO 8601 with a UTC offset or Z"),
        ({"mcc": "541"}, "mcc: not 4 digits"),
        ({"country": "XX"}, "country: not an ISO 3166-1 alpha-2 code"),
        ({"channel": "PIGEON"}, "channel: not one of ATM, ECOM, MOTO, POS, RECURRING, TRANSFER"),
        ({"transaction_id": ""}, "transaction_id: missing or not 1-64 of [A-Za-z0-9_.:-]"),
        ({"account_id": "a" * 65}, "account_id: missing or not 1-64 of [A-Za-z0-9_.:-]"),
    ],
)
def test_a_bad_value_quarantines_the_row_with_its_reason(
    tmp_path: Path, overrides: dict[str, str], reason: str | None
) -> None:
    summary = run(
        f"{HEADER}\n{GOOD}\n{row(transaction_id='tx-2', **overrides) if 'transaction_id' not in overrides else row(**overrides)}\n",
        tmp_path,
    )
    assert (summary.rows_read, summary.rows_written, summary.rows_quarantined) == (2, 1, 1)
    (record,) = quarantined(tmp_path, summary)
    assert record["line_number"] == 3
    if reason is None:
        assert record["reasons"][0].startswith("wrong number of fields")
    else:
        assert reason in record["reasons"]


def test_values_are_normalized_and_typed(tmp_path: Path) -> None:
    line = row(
        timestamp=" 2024-05-01T23:30:00.25-02:00 ",
        amount="-7",
        currency="jpy",
        country="jp",
        channel="ecom",
    )
    summary = run(f"{HEADER}\n{line}\n", tmp_path)
    (written,) = written_rows(tmp_path, summary)
    assert written["timestamp"] == dt.datetime(2024, 5, 2, 1, 30, 0, 250000, tzinfo=dt.UTC)
    assert written["transaction_date"] == dt.date(2024, 5, 2)
    assert written["amount"] == Decimal("-7")
    assert (written["currency"], written["country"], written["channel"]) == ("JPY", "JP", "ECOM")
    assert written["source_object"] == "s3://raw/x.csv"
    assert written["ingest_id"] == "ing-1"
    assert summary.outputs == ["processed/bank/dt=2024-05-02/ing-1-c00000.parquet"]


def test_three_decimal_currency_keeps_exact_amount(tmp_path: Path) -> None:
    summary = run(f"{HEADER}\n{row(amount='1.005', currency='KWD')}\n", tmp_path)
    assert written_rows(tmp_path, summary)[0]["amount"] == Decimal("1.005")


def test_several_reasons_are_all_listed(tmp_path: Path) -> None:
    summary = run(f"{HEADER}\n{row(mcc='x', country='ZZ', currency='ABC')}\n", tmp_path)
    (record,) = quarantined(tmp_path, summary)
    assert set(record["reasons"]) == {
        "mcc: not 4 digits",
        "country: not an ISO 3166-1 alpha-2 code",
        "currency: not an ISO 4217 code",
    }
    assert record["raw_line"] == row(mcc="x", country="ZZ", currency="ABC")

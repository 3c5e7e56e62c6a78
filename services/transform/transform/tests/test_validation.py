"""Each contract rule, on one row at a time through the whole engine."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from transform.tests.helpers import GOOD, HEADER, quarantined, row, run, written_rows

NOT_ISO = "timestamp: not ISO 8601 with a UTC offset or Z"
OUTSIDE_YEARS = "timestamp: outside years 0001-9999 in UTC"
NO_MINOR_UNIT = (
    "currency: ISO 4217 code without a minor unit (metal, fund or test code), "
    "not a currency of payment"
)
NOT_ISO_4217 = "currency: not an ISO 4217 code"
NOT_DECIMAL = "amount: not a decimal number"
BAD_ID = "transaction_id: missing or not 1-64 of [A-Za-z0-9_.:-]"
BAD_CHANNEL = "channel: not one of ATM, ECOM, MOTO, POS, RECURRING, TRANSFER"


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
        # Outside years 0001-9999 once in UTC (Python cannot hold their dates).
        ({"timestamp": "0001-01-01T00:30:00+01:00"}, OUTSIDE_YEARS),
        ({"timestamp": "9999-12-31T23:59:59-14:00"}, OUTSIDE_YEARS),
        ({"timestamp": "9999-12-31 23:00:00-0100"}, OUTSIDE_YEARS),
        ({"timestamp": "0000-06-01T00:00:00Z"}, OUTSIDE_YEARS),
        # Offsets: HH 00-23, MM 00-59.
        ({"timestamp": "2024-05-01T10:00:00+00:60"}, NOT_ISO),
        ({"timestamp": "2024-05-01T10:00:00+05:99"}, NOT_ISO),
        ({"timestamp": "2024-05-01T10:00:00-00:60"}, NOT_ISO),
        ({"timestamp": "2024-05-01T10:00:00+0060"}, NOT_ISO),
        ({"timestamp": "2024-05-01T10:00:00+24:00"}, NOT_ISO),
        ({"timestamp": "2024-05-01T10:00:00+05"}, NOT_ISO),
        # Codes are ASCII letters: no Unicode case mapping makes one.
        ({"currency": "u\u017fd"}, NOT_ISO_4217),  # the long s upper-cases to S
        ({"country": "\u0131t"}, "country: not an ISO 3166-1 alpha-2 code"),  # dotless i
        ({"channel": "RECURR\u0131NG"}, BAD_CHANNEL),
        ({"channel": "TRAN\u017fFER"}, BAD_CHANNEL),
        # ISO 4217 codes, but without a minor unit.
        ({"currency": "XAU"}, NO_MINOR_UNIT),
        ({"currency": "XXX"}, NO_MINOR_UNIT),
        ({"currency": "xdr"}, NO_MINOR_UNIT),
        ({"currency": "XTS"}, NO_MINOR_UNIT),
        # Amounts: 18 significant integer digits at most, digits on both sides of a point.
        ({"amount": "1234567890123456789"}, NOT_DECIMAL),
        ({"amount": "0" * 40 + "1234567890123456789"}, NOT_DECIMAL),
        ({"amount": "1."}, NOT_DECIMAL),
        ({"amount": ".5"}, NOT_DECIMAL),
        ({"amount": "+-1"}, NOT_DECIMAL),
        # Only ASCII white space is trimmed (not U+00A0, U+2003).
        ({"transaction_id": "\u00a0tx-2"}, BAD_ID),
        ({"amount": "12.50\u2003"}, NOT_DECIMAL),
    ],
)
def test_a_bad_value_quarantines_the_row_with_its_reason(
    tmp_path: Path, overrides: dict[str, str], reason: str | None
) -> None:
    bad = row(**({"transaction_id": "tx-2"} | overrides))
    summary = run(f"{HEADER}\n{GOOD}\n{bad}\n", tmp_path)
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


def test_each_bad_code_gets_one_reason(tmp_path: Path) -> None:
    summary = run(
        f"{HEADER}\n{row(currency='XAU')}\n{row(transaction_id='tx-2', currency='XAB')}\n", tmp_path
    )
    assert [r["reasons"] for r in quarantined(tmp_path, summary)] == [
        [NO_MINOR_UNIT],
        [NOT_ISO_4217],
    ]


@pytest.mark.parametrize(
    ("amount", "value"),
    [
        ("0000000000000000001.00", Decimal("1.00")),
        ("0" * 40 + "1.00", Decimal("1.00")),
        ("-" + "0" * 40 + "999999999999999999.99", Decimal("-999999999999999999.99")),
        ("000", Decimal(0)),
        ("-0.00", Decimal(0)),
        ("+1", Decimal(1)),
    ],
)
def test_amounts_with_leading_zeros_and_signs(tmp_path: Path, amount: str, value: Decimal) -> None:
    summary = run(f"{HEADER}\n{row(amount=amount)}\n", tmp_path)
    assert summary.rows_written == 1
    assert written_rows(tmp_path, summary)[0]["amount"] == value


@pytest.mark.parametrize(
    ("timestamp", "utc"),
    [
        ("0001-01-01T00:00:00Z", dt.datetime(1, 1, 1, tzinfo=dt.UTC)),
        ("0001-01-01T01:00:00+01:00", dt.datetime(1, 1, 1, tzinfo=dt.UTC)),
        ("0000-12-31T23:30:00-01:00", dt.datetime(1, 1, 1, 0, 30, tzinfo=dt.UTC)),
        (
            "9999-12-31T23:59:59.999999Z",
            dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
        ),
        ("9999-12-31T22:59:59-01:00", dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)),
        ("2024-05-01T10:00:00+23:59", dt.datetime(2024, 4, 30, 10, 1, tzinfo=dt.UTC)),
        ("2024-05-01T10:00:00-2359", dt.datetime(2024, 5, 2, 9, 59, tzinfo=dt.UTC)),
    ],
)
def test_the_range_is_of_the_utc_value(tmp_path: Path, timestamp: str, utc: dt.datetime) -> None:
    summary = run(f"{HEADER}\n{row(timestamp=timestamp)}\n", tmp_path)
    (written,) = written_rows(tmp_path, summary)
    assert (written["timestamp"], written["transaction_date"]) == (utc, utc.date())


def test_out_of_range_and_impossible_timestamps_in_one_block(tmp_path: Path) -> None:
    # A day past the month's end sends the block's timestamps down the slower parse, which
    # must not crash on (or accept) an instant outside years 0001-9999.
    lines = [
        row(transaction_id="tx-1", timestamp="2024-02-30T10:00:00Z"),
        row(transaction_id="tx-2", timestamp="0001-01-01T00:30:00+01:00"),
        row(transaction_id="tx-3", timestamp="2024-05-01T10:00:00+05:99"),
        row(transaction_id="tx-4", timestamp="2024-12-31T23:59:60Z"),
        row(transaction_id="tx-5", timestamp="0000-12-31T23:30:00-01:00"),
    ]
    summary = run("\n".join([HEADER, *lines]) + "\n", tmp_path)
    assert [r["reasons"] for r in quarantined(tmp_path, summary)] == [
        ["timestamp: not a real date and time"],
        [OUTSIDE_YEARS],
        [NOT_ISO],
        ["timestamp: not a real date and time"],
    ]
    assert [w["transaction_id"] for w in written_rows(tmp_path, summary)] == ["tx-5"]


def test_ascii_white_space_around_values_is_trimmed(tmp_path: Path) -> None:
    line = row(
        transaction_id="\ttx-1\x0b",
        currency="\x0cusd ",
        amount='"\r\n12.50\r\n"',
        channel=" \t pos",
    )
    summary = run(f"{HEADER}\n{line}\n", tmp_path)
    (written,) = written_rows(tmp_path, summary)
    assert (written["transaction_id"], written["currency"], written["channel"]) == (
        "tx-1",
        "USD",
        "POS",
    )
    assert written["amount"] == Decimal("12.50")


def test_invalid_utf8_in_a_dropped_column_quarantines_the_row(tmp_path: Path) -> None:
    data = (
        f"{HEADER},note,memo\n{GOOD},caf\u00e9,ok\n".encode()
        + row(transaction_id="tx-2").encode()
        + b",caf\xe9,\xff\n"
        + row(transaction_id="tx-3").encode()
        + b",,\n"
    )
    summary = run(data, tmp_path)
    assert (summary.rows_written, summary.rows_quarantined) == (2, 1)
    (record,) = quarantined(tmp_path, summary)
    assert record["line_number"] == 3
    assert record["reasons"] == ["note: not valid UTF-8", "memo: not valid UTF-8"]
    assert [w["transaction_id"] for w in written_rows(tmp_path, summary)] == ["tx-1", "tx-3"]


def test_a_value_that_is_not_utf8_is_judged_as_an_empty_one(tmp_path: Path) -> None:
    not_utf8 = row(amount="AMOUNT", currency="CURRENCY").encode()
    not_utf8 = not_utf8.replace(b"AMOUNT", b"1\xff").replace(b"CURRENCY", b"\xffSD")
    summary = run(
        f"{HEADER}\n".encode()
        + not_utf8
        + b"\n"
        + row(transaction_id="tx-2", amount="", currency="").encode()
        + b"\n",
        tmp_path,
    )
    first, second = (record["reasons"] for record in quarantined(tmp_path, summary))
    assert first == [
        "amount: not valid UTF-8",
        "currency: not valid UTF-8",
        NOT_ISO_4217,
        NOT_DECIMAL,
    ]
    assert second == [NOT_ISO_4217, NOT_DECIMAL]

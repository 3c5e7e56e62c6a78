"""Vectorized validation and normalization of one batch of raw CSV rows.

Every rule is a pyarrow.compute expression over whole columns; Python touches only the rows
that fail (to list their reasons) and columns whose bytes are not valid UTF-8.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from pipeline_shared.contract import CHANNELS, COUNTRIES, CURRENCY_MINOR_UNITS, MAX_AMOUNT_SCALE

AMOUNT_TYPE = pa.decimal128(18 + MAX_AMOUNT_SCALE, MAX_AMOUNT_SCALE)
TIMESTAMP_TYPE = pa.timestamp("us", tz="UTC")

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
MCC_PATTERN = r"^\d{4}$"
AMOUNT_PATTERN = r"^[+-]?\d{1,18}(\.\d{1,18})?$"
_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|z|[+-]\d{2}:?\d{2})$"

CURRENCY_CODES = pa.array(sorted(CURRENCY_MINOR_UNITS))
CURRENCY_UNITS = pa.array(
    [CURRENCY_MINOR_UNITS[c] for c in sorted(CURRENCY_MINOR_UNITS)], pa.int32()
)
_COUNTRIES = pa.array(sorted(COUNTRIES))
_CHANNELS = pa.array(sorted(CHANNELS))

OUTPUT_SCHEMA = pa.schema(
    [
        ("transaction_id", pa.string()),
        ("account_id", pa.string()),
        ("timestamp", TIMESTAMP_TYPE),
        ("amount", AMOUNT_TYPE),
        ("currency", pa.string()),
        ("merchant_id", pa.string()),
        ("mcc", pa.string()),
        ("country", pa.string()),
        ("channel", pa.string()),
        ("transaction_date", pa.date32()),
    ]
)


@dataclass(frozen=True)
class ValidatedBatch:
    """Normalized rows (``OUTPUT_SCHEMA``, all rows), and which rows are bad and why."""

    rows: pa.Table
    bad: pa.BooleanArray
    reasons: list[list[str]]  # one list per bad row, in row order


def _utf8(column: pa.Array, name: str, problems: list[tuple[str, pa.Array]]) -> pa.Array:
    """Binary column to string; cells with invalid UTF-8 become null and are reported."""
    try:
        return column.cast(pa.string())
    except pa.ArrowInvalid:
        invalid = []
        for value in column.to_pylist():
            try:
                if value is not None:
                    value.decode("utf-8")
                invalid.append(False)
            except UnicodeDecodeError:
                invalid.append(True)
        mask = pa.array(invalid)
        problems.append((f"{name}: not valid UTF-8", mask))
        return pc.if_else(mask, pa.scalar(None, pa.binary()), column).cast(pa.string())


def parse_timestamps(text: pa.Array) -> pa.Array:
    """ISO 8601 strings (of the contract's shape, or null) to UTC timestamps; impossible dates
    and times become null. One cast when all are real; the slower checks only when not."""
    try:
        return text.cast(TIMESTAMP_TYPE)
    except pa.ArrowInvalid:
        pass
    wall_clock = pc.replace_substring(pc.utf8_slice_codeunits(text, 0, 19), " ", "T")
    real = pc.is_valid(pc.strptime(wall_clock, "%Y-%m-%dT%H:%M:%S", "s", error_is_null=True))
    candidates = pc.if_else(real, text, pa.scalar(None, pa.string()))
    try:
        return candidates.cast(TIMESTAMP_TYPE)
    except pa.ArrowInvalid:  # a value strptime let through (rare): settle it row by row
        parsed = []
        for value in candidates.to_pylist():
            try:
                parsed.append(
                    None if value is None else dt.datetime.fromisoformat(value).astimezone(dt.UTC)
                )
            except ValueError:
                parsed.append(None)
        return pa.array(parsed, TIMESTAMP_TYPE)


def amount_decimals(amount: pa.Array) -> pa.Array:
    """Digits after the decimal point of each (ASCII) amount; 0 without a point."""
    point = pc.find_substring(amount, ".")
    return pc.if_else(
        pc.less(point, 0), 0, pc.subtract(pc.subtract(pc.binary_length(amount), point), 1)
    )


def validate(batch: pa.RecordBatch) -> ValidatedBatch:
    """Check every contract rule on ``batch`` (binary columns named by the header)."""
    problems: list[tuple[str, pa.Array]] = []

    def text(name: str) -> pa.Array:
        return pc.utf8_trim_whitespace(_utf8(batch.column(name), name, problems))

    def rule(message: str, ok: pa.Array) -> None:
        problems.append((message, pc.invert(pc.fill_null(ok, False))))

    transaction_id, account_id = text("transaction_id"), text("account_id")
    merchant_id = text("merchant_id")
    # A lower-case "z" suffix is accepted; Arrow's cast reads only "Z".
    raw_timestamp = pc.replace_substring(text("timestamp"), "z", "Z")
    raw_amount = text("amount")
    currency, country = pc.utf8_upper(text("currency")), pc.utf8_upper(text("country"))
    channel, mcc = pc.utf8_upper(text("channel")), text("mcc")

    rule(
        "transaction_id: missing or not 1-64 of [A-Za-z0-9_.:-]",
        pc.match_substring_regex(transaction_id, ID_PATTERN),
    )
    rule(
        "account_id: missing or not 1-64 of [A-Za-z0-9_.:-]",
        pc.match_substring_regex(account_id, ID_PATTERN),
    )
    rule(
        "merchant_id: missing or not 1-64 of [A-Za-z0-9_.:-]",
        pc.match_substring_regex(merchant_id, ID_PATTERN),
    )

    timestamp_shaped = pc.fill_null(pc.match_substring_regex(raw_timestamp, _TIMESTAMP), False)
    timestamp = parse_timestamps(
        pc.if_else(timestamp_shaped, raw_timestamp, pa.scalar(None, pa.string()))
    )
    rule("timestamp: not ISO 8601 with a UTC offset or Z", timestamp_shaped)
    rule(
        "timestamp: not a real date and time",
        pc.or_(pc.invert(timestamp_shaped), pc.is_valid(timestamp)),
    )

    currency_index = pc.index_in(currency, value_set=CURRENCY_CODES)
    rule("currency: not an ISO 4217 code", pc.is_valid(currency_index))

    amount_shaped = pc.fill_null(pc.match_substring_regex(raw_amount, AMOUNT_PATTERN), False)
    rule("amount: not a decimal number", amount_shaped)
    decimals = amount_decimals(raw_amount)
    minor_units = pc.take(CURRENCY_UNITS, currency_index)
    rule(
        "amount: more decimals than the currency's minor unit",
        pc.or_(
            pc.invert(amount_shaped),
            pc.less_equal(decimals, pc.fill_null(minor_units, MAX_AMOUNT_SCALE)),
        ),
    )

    rule("mcc: not 4 digits", pc.match_substring_regex(mcc, MCC_PATTERN))
    rule("country: not an ISO 3166-1 alpha-2 code", pc.is_in(country, value_set=_COUNTRIES))
    rule(
        f"channel: not one of {', '.join(sorted(CHANNELS))}", pc.is_in(channel, value_set=_CHANNELS)
    )

    bad = problems[0][1]
    for _, mask in problems[1:]:
        bad = pc.or_(bad, mask)
    bad = pc.fill_null(bad, True)

    good_amounts = pc.if_else(pc.invert(bad), raw_amount, pa.scalar(None, pa.string()))
    rows = pa.Table.from_arrays(
        [
            transaction_id,
            account_id,
            timestamp,
            good_amounts.cast(AMOUNT_TYPE),
            currency,
            merchant_id,
            mcc,
            country,
            channel,
            pc.cast(timestamp, pa.date32()),
        ],
        schema=OUTPUT_SCHEMA,
    )
    return ValidatedBatch(rows=rows, bad=bad, reasons=_reasons(bad, problems))


def _reasons(bad: pa.BooleanArray, problems: list[tuple[str, pa.Array]]) -> list[list[str]]:
    bad_rows = pc.indices_nonzero(bad)
    if len(bad_rows) == 0:
        return []
    per_rule = [(message, pc.take(mask, bad_rows).to_pylist()) for message, mask in problems]
    return [[message for message, flags in per_rule if flags[i]] for i in range(len(bad_rows))]

"""Vectorized validation and normalization of one batch of raw CSV rows.

Every rule is a pyarrow.compute expression over whole columns; Python touches only the rows
that fail (to list their reasons) and columns whose bytes are not valid UTF-8.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from pipeline_shared.contract import (
    CHANNELS,
    CODES_WITHOUT_MINOR_UNIT,
    COUNTRIES,
    CURRENCY_MINOR_UNITS,
    MAX_AMOUNT_SCALE,
    REQUIRED_COLUMNS,
)

AMOUNT_TYPE = pa.decimal128(18 + MAX_AMOUNT_SCALE, MAX_AMOUNT_SCALE)
TIMESTAMP_TYPE = pa.timestamp("us", tz="UTC")

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
MCC_PATTERN = r"^\d{4}$"
# At most 18 significant integer digits (any number of leading zeros: Arrow's cast skips them).
AMOUNT_PATTERN = r"^[+-]?0*\d{1,18}(\.\d+)?$"
# +HH:MM, -HH:MM, +HHMM or -HHMM with HH 00-23 and MM 00-59 (Arrow's cast rejects the others).
OFFSET_PATTERN = r"[+-]([01]\d|2[0-3]):?[0-5]\d"
_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|z|" + OFFSET_PATTERN + r")$"
_WALL_CLOCK = "%Y-%m-%dT%H:%M:%S"
# The UTC instants Python (and Parquet readers) can hold as a date: years 0001-9999.
_FIRST_INSTANT = pa.scalar(dt.datetime(1, 1, 1, tzinfo=dt.UTC), TIMESTAMP_TYPE)
_LAST_INSTANT = pa.scalar(
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC), TIMESTAMP_TYPE
)

NOT_UTF8 = "{column}: not valid UTF-8"
NO_MINOR_UNIT = (
    "currency: ISO 4217 code without a minor unit (metal, fund or test code), "
    "not a currency of payment"
)
OUTSIDE_YEARS = "timestamp: outside years 0001-9999 in UTC"

CURRENCY_CODES = pa.array(sorted(CURRENCY_MINOR_UNITS))
CURRENCY_UNITS = pa.array(
    [CURRENCY_MINOR_UNITS[c] for c in sorted(CURRENCY_MINOR_UNITS)], pa.int32()
)
_COUNTRIES = pa.array(sorted(COUNTRIES))
_CHANNELS = pa.array(sorted(CHANNELS))
_CODES_WITHOUT_MINOR_UNIT = pa.array(sorted(CODES_WITHOUT_MINOR_UNIT))
_REQUIRED = frozenset(REQUIRED_COLUMNS)

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


def extra_columns(batch: pa.RecordBatch) -> list[str]:
    """The header's columns the contract does not name: checked for UTF-8, then dropped."""
    return [name for name in batch.schema.names if name not in _REQUIRED]


def as_utf8(column: pa.Array) -> tuple[pa.Array, pa.BooleanArray | None]:
    """A binary column as strings, and which cells are not valid UTF-8 (those become null).

    One cast when every cell is valid (the mask is then None); row by row only when not."""
    try:
        return column.cast(pa.string()), None
    except pa.ArrowInvalid:
        pass
    invalid = []
    for value in column.to_pylist():
        try:
            if value is not None:
                value.decode("utf-8")
            invalid.append(False)
        except UnicodeDecodeError:
            invalid.append(True)
    mask = pa.array(invalid, pa.bool_())
    return pc.if_else(mask, pa.scalar(None, pa.binary()), column).cast(pa.string()), mask


def _utf8(column: pa.Array, name: str, problems: list[tuple[str, pa.Array]]) -> pa.Array:
    """Binary column to string; cells with invalid UTF-8 become null and are reported."""
    text, invalid = as_utf8(column)
    if invalid is not None:
        problems.append((NOT_UTF8.format(column=name), invalid))
    return text


def in_year_range(timestamp: pa.Array) -> pa.BooleanArray:
    """Whether each UTC timestamp falls in years 0001-9999 (null stays null)."""
    return pc.and_(
        pc.greater_equal(timestamp, _FIRST_INSTANT), pc.less_equal(timestamp, _LAST_INSTANT)
    )


def parse_timestamps(text: pa.Array) -> pa.Array:
    """ISO 8601 strings (of the contract's shape, or null) to UTC timestamps; impossible dates
    and times become null. One cast when all are real; the slower checks only when not."""
    try:
        return text.cast(TIMESTAMP_TYPE)
    except pa.ArrowInvalid:
        pass
    wall_clock = pc.replace_substring(pc.utf8_slice_codeunits(text, 0, 19), " ", "T")
    # Arrow's strptime rolls a day past the month's end (02-30) or a second 60 over into the
    # next month or minute: a real date and time is one that reads back as written.
    parsed = pc.strptime(wall_clock, _WALL_CLOCK, "s", error_is_null=True)
    real = pc.fill_null(pc.equal(pc.strftime(parsed, _WALL_CLOCK), wall_clock), False)
    candidates = pc.if_else(real, text, pa.scalar(None, pa.string()))
    try:
        return candidates.cast(TIMESTAMP_TYPE)
    except pa.ArrowInvalid:  # not expected; settle it row by row with the same cast
        return pa.array([_cast_one(value) for value in candidates], TIMESTAMP_TYPE)


def _cast_one(value: pa.Scalar) -> pa.Scalar:
    try:
        return value.cast(TIMESTAMP_TYPE)
    except pa.ArrowInvalid:
        return pa.scalar(None, TIMESTAMP_TYPE)


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
        return pc.ascii_trim_whitespace(_utf8(batch.column(name), name, problems))

    def rule(message: str, ok: pa.Array) -> None:
        problems.append((message, pc.invert(pc.fill_null(ok, False))))

    transaction_id, account_id = text("transaction_id"), text("account_id")
    merchant_id = text("merchant_id")
    # A lower-case "z" suffix is accepted; Arrow's cast reads only "Z".
    raw_timestamp = pc.replace_substring(text("timestamp"), "z", "Z")
    raw_amount = text("amount")
    # ASCII upper-casing: a non-ASCII letter (the long s, the dotless i) never makes a code.
    currency, country = pc.ascii_upper(text("currency")), pc.ascii_upper(text("country"))
    channel, mcc = pc.ascii_upper(text("channel")), text("mcc")

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
    parsed = parse_timestamps(
        pc.if_else(timestamp_shaped, raw_timestamp, pa.scalar(None, pa.string()))
    )
    rule("timestamp: not ISO 8601 with a UTC offset or Z", timestamp_shaped)
    rule(
        "timestamp: not a real date and time",
        pc.or_(pc.invert(timestamp_shaped), pc.is_valid(parsed)),
    )
    in_range = pc.fill_null(in_year_range(parsed), True)  # null: reported above
    rule(OUTSIDE_YEARS, in_range)
    # Out of range, its date cannot be read back (Python's dates end at years 1 and 9999).
    timestamp = pc.if_else(in_range, parsed, pa.scalar(None, TIMESTAMP_TYPE))

    currency_index = pc.index_in(currency, value_set=CURRENCY_CODES)
    without_minor_unit = pc.is_in(currency, value_set=_CODES_WITHOUT_MINOR_UNIT)
    rule(NO_MINOR_UNIT, pc.invert(without_minor_unit))
    rule(
        "currency: not an ISO 4217 code",
        pc.or_(pc.is_valid(currency_index), without_minor_unit),
    )

    amount_shaped = pc.fill_null(pc.match_substring_regex(raw_amount, AMOUNT_PATTERN), False)
    rule("amount: not a decimal number", amount_shaped)
    decimals = amount_decimals(raw_amount)
    minor_units = pc.take(CURRENCY_UNITS, currency_index)
    rule(
        "amount: more decimals than the currency's minor unit",
        pc.or_kleene(  # Kleene: a null amount (not UTF-8) is not a decimal, not too precise
            pc.invert(amount_shaped),
            pc.less_equal(decimals, pc.fill_null(minor_units, MAX_AMOUNT_SCALE)),
        ),
    )

    rule("mcc: not 4 digits", pc.match_substring_regex(mcc, MCC_PATTERN))
    rule("country: not an ISO 3166-1 alpha-2 code", pc.is_in(country, value_set=_COUNTRIES))
    rule(
        f"channel: not one of {', '.join(sorted(CHANNELS))}", pc.is_in(channel, value_set=_CHANNELS)
    )
    for name in extra_columns(batch):  # dropped, but the contract wants UTF-8 in every field
        _utf8(batch.column(name), name, problems)

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

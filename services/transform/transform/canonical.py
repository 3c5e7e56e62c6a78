"""The fast path of validation: rows already in their normalized form.

Nearly every row of a real file is canonical: no surrounding white space, upper-case codes,
ASCII only, dropped columns valid UTF-8. For those, every rule is one pass over the raw bytes
(one UTF-8 cast per dropped column) and the normalized value is the raw value (strings are
viewed, not copied; timestamps and amounts are one cast each). The other rows, a fraction of
a percent, go through `validation.validate`, which trims, upper-cases and lists every reason.
A row is canonical only if `validate` would accept it unchanged, so the two paths give the
same output (tests/test_canonical.py holds them to it).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from pipeline_shared.contract import CHANNELS, COUNTRIES
from transform.validation import (
    AMOUNT_PATTERN,
    AMOUNT_TYPE,
    CURRENCY_CODES,
    CURRENCY_UNITS,
    ID_PATTERN,
    MCC_PATTERN,
    OFFSET_PATTERN,
    OUTPUT_SCHEMA,
    amount_decimals,
    as_utf8,
    extra_columns,
    in_year_range,
    parse_timestamps,
)

# Only the forms Arrow's ISO 8601 cast reads, with calendar-valid fields (so the cast rarely
# fails: only on a day past the month's end, such as 02-30). The years 0000, 0001 and 9999
# pass it, and an offset can move them out of 0001-9999 in UTC: the cast's range is checked.
_TIMESTAMP = (
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[T ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d"
    r"(\.\d{1,6})?(Z|" + OFFSET_PATTERN + r")$"
)

_CURRENCY_CODES = CURRENCY_CODES.cast(pa.binary())
_COUNTRIES = pa.array(sorted(COUNTRIES), pa.binary())
_CHANNELS = pa.array(sorted(CHANNELS), pa.binary())


def canonical_rows(batch: pa.RecordBatch) -> tuple[pa.Table, pa.BooleanArray]:
    """The batch's canonical rows, normalized (``OUTPUT_SCHEMA``), and the mask that picked them
    from ``batch`` (binary columns named by the header)."""

    def matches(name: str, pattern: str) -> pa.BooleanArray:
        return pc.match_substring_regex(batch.column(name), pattern)

    currency_index = pc.index_in(batch.column("currency"), value_set=_CURRENCY_CODES)
    amount = batch.column("amount")
    checks = [
        matches("transaction_id", ID_PATTERN),
        matches("account_id", ID_PATTERN),
        matches("merchant_id", ID_PATTERN),
        matches("mcc", MCC_PATTERN),
        matches("amount", AMOUNT_PATTERN),
        pc.is_valid(currency_index),
        pc.less_equal(amount_decimals(amount), pc.take(CURRENCY_UNITS, currency_index)),
        pc.is_in(batch.column("country"), value_set=_COUNTRIES),
        pc.is_in(batch.column("channel"), value_set=_CHANNELS),
        matches("timestamp", _TIMESTAMP),
    ]
    for name in extra_columns(batch):  # one cast each; row by row only if one fails
        _, invalid = as_utf8(batch.column(name))
        if invalid is not None:
            checks.append(pc.invert(invalid))
    mask = checks[0]
    for check in checks[1:]:
        mask = pc.and_(mask, check)
    mask = pc.fill_null(mask, False)
    rows = batch.filter(mask)
    timestamp = parse_timestamps(rows.column("timestamp").view(pa.string()))
    # A day past the month's end (02-30) passes the pattern, not the cast (null), and a year
    # 0001 or 9999 can fall outside 0001-9999 in UTC: such rows go to the full rules, which
    # give the reason.
    kept = pc.fill_null(in_year_range(timestamp), False)
    if not pc.all(kept).as_py():
        mask = pc.replace_with_mask(mask, mask, kept)
        rows, timestamp = rows.filter(kept), timestamp.filter(kept)

    def text(name: str) -> pa.Array:
        # ASCII by the checks above: a view of the bytes is valid UTF-8.
        return rows.column(name).view(pa.string())

    return (
        pa.Table.from_arrays(
            [
                text("transaction_id"),
                text("account_id"),
                timestamp,
                text("amount").cast(AMOUNT_TYPE),
                text("currency"),
                text("merchant_id"),
                text("mcc"),
                text("country"),
                text("channel"),
                timestamp.cast(pa.date32()),
            ],
            schema=OUTPUT_SCHEMA,
        ),
        mask,
    )

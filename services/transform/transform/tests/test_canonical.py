"""The fast path agrees with the full rules: a canonical row is one the full rules accept
unchanged, and its normalized values are the same whichever path made them."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.csv as pv
import pytest
from testkit.synthetic import write_transactions

from pipeline_shared.contract import REQUIRED_COLUMNS
from transform.canonical import canonical_rows
from transform.tests.helpers import GOOD, HEADER
from transform.validation import validate

FIELDS = HEADER.split(",")


def _row(**overrides: str) -> str:
    values = dict(zip(FIELDS, GOOD.split(","), strict=True)) | overrides
    return ",".join(values[f] for f in FIELDS)


def _batch(lines: list[str] | str) -> pa.RecordBatch:
    text = lines if isinstance(lines, str) else HEADER + "\n" + "\n".join(lines) + "\n"
    table = pv.read_csv(
        io.BytesIO(text.encode("utf-8", "surrogateescape")),
        convert_options=pv.ConvertOptions(
            column_types=dict.fromkeys(REQUIRED_COLUMNS, pa.binary()), check_utf8=False
        ),
        parse_options=pv.ParseOptions(invalid_row_handler=lambda row: "skip"),
    )
    batches = table.combine_chunks().to_batches()
    return batches[0] if batches else pa.RecordBatch.from_pylist([], schema=table.schema)


def _agree(batch: pa.RecordBatch) -> tuple[list[bool], list[bool]]:
    """(canonical, valid) per row, after checking that the two paths agree on canonical rows."""
    fast, mask = canonical_rows(batch)
    full = validate(batch)
    canonical, bad = mask.to_pylist(), full.bad.to_pylist()
    assert not any(c and b for c, b in zip(canonical, bad, strict=True))
    assert fast.to_pylist() == full.rows.filter(mask).to_pylist()
    assert fast.schema == full.rows.schema
    return canonical, [not b for b in bad]


CANONICAL = [
    GOOD,
    _row(timestamp="2024-02-29T10:00:00Z"),  # a leap day
    _row(timestamp="2024-05-01 23:59:59.123456+0200"),
    _row(timestamp="2024-05-01T00:00:00-05:30"),
    _row(amount="+12.5"),
    _row(amount="-0.01"),
    _row(amount="999999999999999999.99"),
    _row(amount="1000", currency="JPY"),
    _row(amount="1.005", currency="KWD"),
    _row(mcc="0001"),
    _row(transaction_id="A" + "b" * 63, account_id="a.b:c_d-e"),
]

VALID_NOT_CANONICAL = [
    _row(transaction_id=" tx-2 "),
    _row(currency="usd"),
    _row(country="us", channel="pos"),
    _row(timestamp="2024-05-01T10:00:00z"),
    _row(amount=" 12.50"),
]

INVALID = [
    _row(timestamp="2024-02-30T10:00:00Z"),
    _row(timestamp="2023-02-29T10:00:00Z"),
    _row(timestamp="2024-05-01T24:00:00Z"),
    _row(timestamp="2024-05-01T10:00:60Z"),
    _row(timestamp="2024-05-01T10:00:00.1234567Z"),
    _row(timestamp="2024-05-01T10:00:00"),
    _row(amount="12."),
    _row(amount="10.123"),
    _row(amount="1.5", currency="JPY"),
    _row(amount="1234567890123456789"),
    _row(currency="ZZZ"),
    _row(country="XX"),
    _row(channel="PIGEON"),
    _row(mcc="541"),
    _row(mcc="54111"),
    _row(account_id=""),
    _row(account_id="a" * 65),
    _row(merchant_id="m\u00e9"),
    _row(merchant_id="m-\udcff"),  # a byte that is not UTF-8
]


@pytest.mark.parametrize(
    ("lines", "canonical", "valid"),
    [(CANONICAL, True, True), (VALID_NOT_CANONICAL, False, True), (INVALID, False, False)],
    ids=["canonical", "valid-not-canonical", "invalid"],
)
def test_each_row_takes_the_path_its_form_calls_for(
    lines: list[str], canonical: bool, valid: bool
) -> None:
    is_canonical, is_valid = _agree(_batch(lines))
    assert is_canonical == [canonical] * len(lines)
    assert is_valid == [valid] * len(lines)


def test_generated_rows_agree_and_nearly_all_are_canonical() -> None:
    text = io.StringIO()
    generated = write_transactions(
        text, target_bytes=500_000, seed=5, defect_rate=0.05, duplicate_rate=0.01
    )
    canonical, valid = _agree(_batch(text.getvalue()))
    assert sum(valid) == generated.rows - sum(generated.defects.values())
    assert canonical == valid  # generated valid rows are all in normalized form


def test_an_empty_batch() -> None:
    fast, mask = canonical_rows(_batch([]))
    assert fast.num_rows == 0 and len(mask) == 0

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
from transform.tests.helpers import GOOD, HEADER, row
from transform.validation import validate


def _batch(lines: list[str] | str) -> pa.RecordBatch:
    text = lines if isinstance(lines, str) else HEADER + "\n" + "\n".join(lines) + "\n"
    table = pv.read_csv(
        io.BytesIO(text.encode("utf-8", "surrogateescape")),
        convert_options=pv.ConvertOptions(
            column_types=dict.fromkeys(REQUIRED_COLUMNS, pa.binary()), check_utf8=False
        ),
        parse_options=pv.ParseOptions(invalid_row_handler=lambda invalid: "skip"),
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
    row(timestamp="2024-02-29T10:00:00Z"),  # a leap day
    row(timestamp="2024-05-01 23:59:59.123456+0200"),
    row(timestamp="2024-05-01T00:00:00-05:30"),
    row(amount="+12.5"),
    row(amount="-0.01"),
    row(amount="999999999999999999.99"),
    row(amount="1000", currency="JPY"),
    row(amount="1.005", currency="KWD"),
    row(mcc="0001"),
    row(transaction_id="A" + "b" * 63, account_id="a.b:c_d-e"),
]

VALID_NOT_CANONICAL = [
    row(transaction_id=" tx-2 "),
    row(currency="usd"),
    row(country="us", channel="pos"),
    row(timestamp="2024-05-01T10:00:00z"),
    row(amount=" 12.50"),
]

INVALID = [
    row(timestamp="2024-02-30T10:00:00Z"),
    row(timestamp="2023-02-29T10:00:00Z"),
    row(timestamp="2024-05-01T24:00:00Z"),
    row(timestamp="2024-05-01T10:00:60Z"),
    row(timestamp="2024-05-01T10:00:00.1234567Z"),
    row(timestamp="2024-05-01T10:00:00"),
    row(amount="12."),
    row(amount="10.123"),
    row(amount="1.5", currency="JPY"),
    row(amount="1234567890123456789"),
    row(currency="ZZZ"),
    row(country="XX"),
    row(channel="PIGEON"),
    row(mcc="541"),
    row(mcc="54111"),
    row(account_id=""),
    row(account_id="a" * 65),
    row(merchant_id="m\u00e9"),
    row(merchant_id="m-\udcff"),  # a byte that is not UTF-8
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

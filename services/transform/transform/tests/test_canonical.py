"""The fast path agrees with the full rules: a canonical row is one the full rules accept
unchanged, and its normalized values are the same whichever path made them."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.csv as pv
import pytest
from testkit.synthetic import write_transactions

from pipeline_shared.contract import CODES_WITHOUT_MINOR_UNIT, REQUIRED_COLUMNS
from transform.canonical import canonical_rows
from transform.tests.helpers import GOOD, HEADER, row
from transform.validation import validate


def _batch(lines: list[str] | str, header: str = HEADER) -> pa.RecordBatch:
    """The rows as the engine hands them over: every header column binary, dropped ones too."""
    text = lines if isinstance(lines, str) else header + "\n" + "\n".join(lines) + "\n"
    names = text.split("\n", 1)[0].split(",")
    assert set(REQUIRED_COLUMNS) <= set(names)
    table = pv.read_csv(
        io.BytesIO(text.encode("utf-8", "surrogateescape")),
        convert_options=pv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.binary()), check_utf8=False
        ),
        parse_options=pv.ParseOptions(
            newlines_in_values=True, invalid_row_handler=lambda invalid: "skip"
        ),
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
    row(timestamp="2000-02-29T10:00:00Z"),  # divisible by 400
    row(timestamp="2024-05-01 23:59:59.123456+0200"),
    row(timestamp="2024-05-01T00:00:00-05:30"),
    row(amount="+12.5"),
    row(amount="-0.01"),
    row(amount="999999999999999999.99"),
    row(amount="1000", currency="JPY"),
    row(amount="1.005", currency="KWD"),
    row(mcc="0001"),
    row(transaction_id="A" + "b" * 63, account_id="a.b:c_d-e"),
    # The first and last instants of years 0001-9999 in UTC, however they are written.
    row(timestamp="0001-01-01T00:00:00Z"),
    row(timestamp="0001-01-01T01:00:00+01:00"),
    row(timestamp="0000-12-31T23:30:00-01:00"),
    row(timestamp="9999-12-31T23:59:59.999999Z"),
    row(timestamp="9999-12-31T22:59:59-01:00"),
    row(timestamp="2024-05-01T10:00:00+23:59"),
    row(timestamp="2024-05-01T10:00:00-2359"),
    # Leading zeros are not significant digits; signed zeros.
    row(amount="0000000000000000001.00"),
    row(amount="0" * 40 + "1.00"),
    row(amount="-" + "0" * 40 + "999999999999999999.99"),
    row(amount="000"),
    row(amount="-0.00"),
    row(amount="+1"),
]

VALID_NOT_CANONICAL = [
    row(transaction_id=" tx-2 "),
    row(currency="usd"),
    row(country="us", channel="pos"),
    row(timestamp="2024-05-01T10:00:00z"),
    row(amount=" 12.50"),
    row(amount='"\r\n12.50\t"', currency="\x0b usd\x0c"),  # ASCII white space, all six kinds
    row(currency="eur", country="\tus"),
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
    # Outside years 0001-9999 in UTC.
    row(timestamp="0001-01-01T00:30:00+01:00"),
    row(timestamp="9999-12-31T23:59:59-14:00"),
    row(timestamp="0000-06-01T00:00:00Z"),
    row(timestamp="0000-12-31T23:59:59Z"),
    row(timestamp="0000-02-29T00:00:00Z"),  # real (0000 is a leap year), but not in range
    row(timestamp="1900-02-29T00:00:00Z"),  # divisible by 100: no leap day
    # Offsets outside 00-23:00-59.
    row(timestamp="2024-05-01T10:00:00+00:60"),
    row(timestamp="2024-05-01T10:00:00+05:99"),
    row(timestamp="2024-05-01T10:00:00-00:60"),
    row(timestamp="2024-05-01T10:00:00+0060"),
    row(timestamp="2024-05-01T10:00:00+24:00"),
    row(timestamp="2024-12-31T23:59:60Z"),
    # Codes: ASCII letters only; ISO 4217 codes without a minor unit.
    row(currency="u\u017fd"),
    row(country="\u0131t"),
    row(channel="RECURR\u0131NG"),
    row(channel="TRAN\u017fFER"),
    *(row(currency=code) for code in sorted(CODES_WITHOUT_MINOR_UNIT)),
    row(currency="xts"),
    # Amounts: over 18 significant integer digits; a point needs digits on both sides.
    row(amount="0" * 40 + "1234567890123456789"),
    row(amount="1."),
    row(amount=".5"),
    row(amount="-.5"),
    # Only ASCII white space is trimmed.
    row(transaction_id="\u00a0tx-2"),
    row(amount="12.50\u2003"),
    row(country="\u3000US"),
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


def test_a_row_is_judged_alone_whatever_else_its_batch_holds() -> None:
    # A row that fails the one-cast parse (02-30) sends its whole batch down the slower parse:
    # every row must get the same verdict, reasons and values there as in a batch of its own.
    lines = CANONICAL + VALID_NOT_CANONICAL + INVALID
    together = validate(_batch(lines))
    reasons = iter(together.reasons)
    for i, (line, bad) in enumerate(zip(lines, together.bad.to_pylist(), strict=True)):
        alone = validate(_batch([line]))
        assert alone.bad.to_pylist() == [bad], line
        assert alone.reasons == ([next(reasons)] if bad else []), line
        if not bad:
            assert alone.rows.to_pylist() == together.rows.slice(i, 1).to_pylist(), line
        _agree(_batch([line]))


def test_dropped_columns_must_be_utf8_too() -> None:
    header = HEADER + ",note,memo"
    lines = [
        GOOD + ",caf\u00e9,",
        row(transaction_id="tx-2") + ",caf\udce9,ok",  # a Latin-1 byte: not UTF-8
        row(transaction_id="tx-3") + ",,\udcff",
        row(transaction_id="tx-4", currency="usd") + ",\udcff,\udcff",
        row(transaction_id="tx-5", currency="usd") + ",x,y",
    ]
    canonical, valid = _agree(_batch(lines, header))
    assert canonical == [True, False, False, False, False]
    assert valid == [True, False, False, False, True]
    assert validate(_batch(lines, header)).reasons == [
        ["note: not valid UTF-8"],
        ["memo: not valid UTF-8"],
        ["note: not valid UTF-8", "memo: not valid UTF-8"],
    ]
    # All valid: one cast per dropped column, and every row canonical.
    canonical, valid = _agree(_batch([GOOD + ",a,b", row(transaction_id="tx-2") + ",,"], header))
    assert canonical == valid == [True, True]

"""Whole-file behaviour: malformed CSV, encodings, empty input, quoting, huge fields, duplicates."""

from __future__ import annotations

import gzip
import io
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from testkit.synthetic import write_transactions

from finalize.cross_chunk import remove_cross_chunk_duplicates
from pipeline_shared.contract import FileRejected
from transform.engine import Limits, transform_stream
from transform.tests.helpers import CONTEXT, GOOD, HEADER, quarantined, run, written_rows


def test_header_only_file_writes_nothing_and_balances(tmp_path: Path) -> None:
    summary = run(HEADER + "\n", tmp_path)
    assert summary.rows_read == 0 and summary.outputs == [] and summary.quarantine_outputs == []
    assert summary.balanced


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\n\n", "empty"),
        (b"transaction_id,account_id\nx,y\n", r"lacks required column\(s\) timestamp, amount"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8"),
        (b"\x00\x01binary\n", "NUL bytes"),
        (b"\xff\xfe" + HEADER.encode("utf-16-le") + b"\n\x00", "NUL bytes"),
        (f"{HEADER},amount\n".encode(), "repeats a column name"),
    ],
)
def test_files_that_break_the_contract_are_rejected_whole(
    tmp_path: Path, data: bytes, message: str
) -> None:
    with pytest.raises(FileRejected, match=message):
        run(data, tmp_path)
    assert not any(tmp_path.rglob("*.parquet"))


def test_columns_in_any_order_with_bom_crlf_and_extra_columns(tmp_path: Path) -> None:
    fields = HEADER.split(",")
    values = GOOD.split(",")
    order = list(reversed(range(len(fields))))
    header = ",".join(["note"] + [fields[i] for i in order])
    row = ",".join(['"free, text"'] + [values[i] for i in order])
    summary = run(b"\xef\xbb\xbf" + f"{header}\r\n{row}\r\n".encode(), tmp_path)
    (written,) = written_rows(tmp_path, summary)
    assert written["transaction_id"] == "tx-1" and written["mcc"] == "5411"
    assert "note" not in written


def test_invalid_utf8_row_is_quarantined_and_the_rest_processed(tmp_path: Path) -> None:
    bad = GOOD.replace("m-1", "m-\xe9").encode("latin-1").replace(b"tx-1", b"tx-2")
    data = (
        f"{HEADER}\n{GOOD}\n".encode() + bad + b"\n" + GOOD.replace("tx-1", "tx-3").encode() + b"\n"
    )
    summary = run(data, tmp_path)
    assert (summary.rows_written, summary.rows_quarantined) == (2, 1)
    (record,) = quarantined(tmp_path, summary)
    assert record["line_number"] == 3
    assert "merchant_id: not valid UTF-8" in record["reasons"]


def test_wrong_field_counts_keep_their_line_numbers(tmp_path: Path) -> None:
    lines = [
        HEADER,
        GOOD,
        "only,three,fields",
        GOOD.replace("tx-1", "tx-2"),
        GOOD.replace("tx-1", "tx-3") + ",extra",
        GOOD.replace("tx-1", "tx-4").replace("USD", "ZZZ"),
    ]
    summary = run("\n".join(lines) + "\n", tmp_path)
    by_line = {r["line_number"]: r for r in quarantined(tmp_path, summary)}
    assert sorted(by_line) == [3, 5, 6]
    assert by_line[3]["raw_line"] == "only,three,fields"
    assert by_line[5]["reasons"] == ["wrong number of fields: expected 9, found 10"]
    assert by_line[6]["reasons"] == ["currency: not an ISO 4217 code"]
    assert summary.rows_written == 2 and summary.balanced


def test_quoted_fields_with_commas_quotes_and_newlines(tmp_path: Path) -> None:
    row = 'tx-9,acct-1,2024-05-01T10:00:00Z,12.50,USD,"m-1",5411,US,POS'
    multi = 'tx-8,acct-1,2024-05-01T10:00:00Z,12.50,USD,"m\n1",5411,US,POS'
    summary = run(f"{HEADER}\n{row}\n{multi}\n{GOOD}\n", tmp_path)
    assert summary.rows_written == 2
    (record,) = quarantined(tmp_path, summary)
    assert record["raw_line"] == 'tx-8,acct-1,2024-05-01T10:00:00Z,12.50,USD,"m\n1",5411,US,POS'
    assert "merchant_id: missing or not 1-64 of [A-Za-z0-9_.:-]" in record["reasons"]


def test_unterminated_quote_does_not_lose_rows_silently(tmp_path: Path) -> None:
    broken = 'tx-2,acct-1,2024-05-01T10:00:00Z,"12.50,USD,m-1,5411,US,POS'
    summary = run(f"{HEADER}\n{GOOD}\n{broken}\n{GOOD.replace('tx-1', 'tx-3')}\n", tmp_path)
    # The open quote swallows the rest of the file into one malformed record: it is quarantined.
    assert summary.rows_written == 1
    assert summary.rows_quarantined == 1
    assert summary.balanced


def test_over_long_line_is_quarantined_not_fatal(tmp_path: Path) -> None:
    huge = "tx-2,acct-1,2024-05-01T10:00:00Z,12.50,USD," + "m" * 5000 + ",5411,US,POS"
    summary = run(
        f"{HEADER}\n{GOOD}\n{huge}\n{GOOD.replace('tx-1', 'tx-3')}\n",
        tmp_path,
        max_record_bytes=1024,
        block_size=1 << 20,
    )
    assert summary.rows_written == 2
    (record,) = quarantined(tmp_path, summary)
    assert record["reasons"] == ["record longer than 1024 bytes"]
    assert record["line_number"] == 3 and record["raw_line"].startswith("tx-2,acct-1")


def test_huge_field_within_limits_is_validated_normally(tmp_path: Path) -> None:
    huge = "tx-2,acct-1,2024-05-01T10:00:00Z,12.50,USD," + "m" * 200_000 + ",5411,US,POS"
    summary = run(f"{HEADER}\n{huge}\n", tmp_path)
    (record,) = quarantined(tmp_path, summary)
    assert record["reasons"] == ["merchant_id: missing or not 1-64 of [A-Za-z0-9_.:-]"]


def test_duplicates_keep_the_first_row_across_batches(tmp_path: Path) -> None:
    rows = [GOOD.replace("tx-1", f"tx-{i}") for i in range(30_000)]
    rows.append(GOOD.replace("12.50", "99.99"))  # repeats tx-1, in a later parse block
    rows.append(GOOD.replace("tx-1", "tx-5"))
    summary = run(
        HEADER + "\n" + "\n".join(rows) + "\n",
        tmp_path,
        block_size=1 << 20,
        max_record_bytes=64 << 10,
    )
    assert summary.duplicates == 2 and summary.rows_written == 30_000
    amounts = {r["transaction_id"]: r["amount"] for r in written_rows(tmp_path, summary)}
    assert amounts["tx-1"] == Decimal("12.50")  # the first occurrence won
    assert summary.reasons["duplicate transaction_id (first occurrence kept)"] == 2


def test_first_occurrence_wins_whichever_validation_path_took_it(tmp_path: Path) -> None:
    # tx-1 first appears in a form only the full rules accept (lower case, padding); its
    # canonical repeats come later, in the same parse block and in a later one.
    first = GOOD.replace("USD", " usd ").replace("12.50", "1.00")
    rows = [first, GOOD.replace("12.50", "2.00")]
    rows += [GOOD.replace("tx-1", f"tx-{i}") for i in range(2, 30_000)]
    rows.append(GOOD.replace("12.50", "3.00"))
    summary = run(
        HEADER + "\n" + "\n".join(rows) + "\n",
        tmp_path,
        block_size=1 << 20,
        max_record_bytes=64 << 10,
    )
    assert (summary.rows_written, summary.duplicates) == (29_999, 2)
    written = written_rows(tmp_path, summary)
    (kept,) = (r for r in written if r["transaction_id"] == "tx-1")
    assert (kept["amount"], kept["currency"]) == (Decimal("1.00"), "USD")
    # Output keeps input order, the slowly validated row included.
    assert [r["transaction_id"] for r in written[:3]] == ["tx-1", "tx-2", "tx-3"]


def test_generated_file_balances_exactly(tmp_path: Path) -> None:
    text = io.StringIO()
    generated = write_transactions(
        text,
        target_bytes=3_000_000,
        seed=11,
        defect_rate=0.02,
        duplicate_rate=0.01,
        wrong_field_rate=0.005,
    )
    summary = run(text.getvalue(), tmp_path / "out", block_size=1 << 20, max_record_bytes=64 << 10)
    assert summary.rows_read == generated.rows
    assert summary.rows_written == generated.valid
    assert summary.duplicates == generated.duplicates
    assert summary.rows_quarantined == sum(generated.defects.values()) + generated.wrong_field_count
    assert summary.balanced
    assert len(written_rows(tmp_path / "out", summary)) == generated.valid


def test_blocks_checked_on_threads_give_the_same_outputs_as_one_at_a_time(
    tmp_path: Path,
) -> None:
    # Many blocks, each with defects, wrong field counts, over-long lines and repeats: the
    # order of rows, quarantine records, line numbers and parts must not depend on threads.
    text = io.StringIO()
    write_transactions(
        text,
        target_bytes=4_000_000,
        seed=5,
        defect_rate=0.03,
        duplicate_rate=0.02,
        wrong_field_rate=0.01,
    )
    long_line = "tx-long,acct-1,2024-05-01T10:00:00Z,1.00,USD," + "m" * 3000 + ",5411,US,POS"
    lines = text.getvalue().splitlines()
    for at in (1_000, 20_000, 40_000):
        lines.insert(at, long_line)
    data = "\n".join(lines) + "\n"
    outputs = {}
    for workers in (1, 2, 4):
        out = tmp_path / str(workers)
        summary = run(
            data,
            out,
            workers=workers,
            block_size=1 << 20,
            part_bytes=2 << 20,
            max_record_bytes=2048,
        )
        files = summary.outputs + summary.quarantine_outputs
        outputs[workers] = (summary, {key: (out / key).read_bytes() for key in files})
    one, *others = outputs.values()
    assert len(one[0].outputs) >= 2 and one[0].rows_quarantined > 100 and one[0].duplicates > 0
    assert one[0].reasons["record longer than 2048 bytes"] == 3
    for other in others:
        assert other == one


def test_parquet_layout_statistics_where_queries_prune(tmp_path: Path) -> None:
    rows = [GOOD.replace("tx-1", f"tx-{i}") for i in range(100)]
    summary = run(HEADER + "\n" + "\n".join(rows) + "\n", tmp_path)
    (key,) = summary.outputs
    parquet = pq.ParquetFile(tmp_path / key)
    group = parquet.metadata.row_group(0)
    stats = {
        group.column(i).path_in_schema: group.column(i).is_stats_set
        for i in range(group.num_columns)
    }
    assert {name for name, present in stats.items() if present} == {
        "timestamp",
        "transaction_date",
        "amount",
    }
    lineage = parquet.read(columns=["source_object", "ingest_id"])
    assert all(pa.types.is_dictionary(field.type) for field in lineage.schema)
    assert lineage.column("source_object").unique().to_pylist() == ["s3://raw/x.csv"]


def test_a_large_chunk_is_written_in_parts_and_finalize_settles_repeats_across_them(
    tmp_path: Path,
) -> None:
    # A gzip file is one chunk; held rows are written every part_bytes of input, so memory
    # follows the part. A repeat in a later part is for finalize's cross-output step.
    rows = [GOOD.replace("tx-1", f"tx-{i}") for i in range(60_000)]
    rows += [GOOD.replace("12.50", "9.99"), GOOD.replace("tx-1", "tx-7")]  # tx-1, tx-7 again
    data = gzip.compress((HEADER + "\n" + "\n".join(rows) + "\n").encode())
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
        summary = transform_stream(
            stream,  # type: ignore[arg-type]
            context=CONTEXT,
            out_dir=tmp_path,
            limits=Limits(block_size=1 << 20, max_record_bytes=64 << 10, part_bytes=1 << 20),
        )
    assert len(summary.outputs) >= 3 and summary.outputs[1].endswith("-p0001.parquet")
    assert (summary.rows_written, summary.duplicates) == (60_002, 0)  # not seen within a part

    store = {key: (tmp_path / key).read_bytes() for key in summary.outputs}
    result = {"chunk_index": 0, "outputs": summary.outputs, "rows_written": summary.rows_written}
    outcome = remove_cross_chunk_duplicates(
        [result],
        open_output=lambda key: io.BytesIO(store[key]),
        write=store.__setitem__,
        max_rows=10**6,
    )
    assert (outcome.checked, outcome.removed) == (True, 2)
    kept = pa.concat_tables(pq.read_table(pa.BufferReader(store[k])) for k in summary.outputs)
    assert kept.num_rows == 60_000
    (first,) = kept.filter(pc.equal(kept.column("transaction_id"), "tx-1")).to_pylist()
    assert first["amount"] == Decimal("12.50")  # the first part's row won


def test_gzip_input_through_the_engine(tmp_path: Path) -> None:
    data = gzip.compress(f"{HEADER}\n{GOOD}\n".encode())
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
        summary = transform_stream(stream, context=CONTEXT, out_dir=tmp_path)  # type: ignore[arg-type]
    assert summary.rows_written == 1

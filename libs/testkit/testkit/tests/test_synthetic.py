from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import pytest
from testkit.synthetic import generate_file, write_transactions

from pipeline_shared.contract import REQUIRED_COLUMNS


def test_same_seed_same_bytes_and_requested_size() -> None:
    first, second = io.StringIO(), io.StringIO()
    write_transactions(first, target_bytes=50_000, seed=5, defect_rate=0.1)
    write_transactions(second, target_bytes=50_000, seed=5, defect_rate=0.1)
    assert first.getvalue() == second.getvalue()
    assert 50_000 <= len(first.getvalue()) < 50_500


def test_counts_describe_what_was_written() -> None:
    out = io.StringIO()
    result = write_transactions(
        out,
        target_bytes=200_000,
        seed=1,
        defect_rate=0.05,
        duplicate_rate=0.05,
        wrong_field_rate=0.05,
    )
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert tuple(rows[0]) == REQUIRED_COLUMNS
    assert len(rows) - 1 == result.rows
    assert sum(1 for row in rows[1:] if len(row) == 2) == result.wrong_field_count
    ids = [row[0] for row in rows[1:]]
    assert len(ids) - len(set(ids)) == result.duplicates
    assert (
        result.rows
        == result.valid
        + result.duplicates
        + sum(result.defects.values())
        + result.wrong_field_count
    )


def test_gzip_files(tmp_path: Path) -> None:
    result = generate_file(tmp_path / "day.csv.gz", target_bytes=10_000)
    assert gzip.decompress(result.path.read_bytes()).startswith(b"transaction_id,")


def test_progress_is_told_every_character_written() -> None:
    out, told = io.StringIO(), list[int]()
    write_transactions(out, target_bytes=3_000_000, seed=2, on_write=told.append)
    header = len(out.getvalue().split("\n", 1)[0]) + 1  # written before the rows, not counted
    assert sum(told) == len(out.getvalue()) - header
    assert len(told) >= 2 and all(n > 0 for n in told)


def test_the_generator_is_quiet_when_piped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from testkit.synthetic import main

    assert main([str(tmp_path / "day.csv"), "--size-mb", "2"]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(str(tmp_path / "day.csv"))  # the summary only

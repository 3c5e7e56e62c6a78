from __future__ import annotations

import errno
import io
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from finalize.cross_chunk import CrossChunkResult, remove_cross_chunk_duplicates


def _parquet(ids: list[str], row_group_size: int | None = None) -> bytes:
    out = io.BytesIO()
    table = pa.table({"transaction_id": ids, "amount": list(range(len(ids)))})
    pq.write_table(table, out, row_group_size=row_group_size)
    return out.getvalue()


def _ids(store: dict[str, bytes]) -> dict[str, list[str]]:
    return {
        k: pq.read_table(pa.BufferReader(v)).column("transaction_id").to_pylist()
        for k, v in store.items()
    }


def test_later_chunks_lose_ids_an_earlier_chunk_has() -> None:
    store = {
        "c0.parquet": _parquet(["a", "b"]),
        "c1.parquet": _parquet(["c", "a", "d"]),
        "c2.parquet": _parquet(["b", "e", "c"]),
    }
    results = [
        {"chunk_index": 2, "outputs": ["c2.parquet"], "rows_written": 3},
        {"chunk_index": 0, "outputs": ["c0.parquet"], "rows_written": 2},
        {"chunk_index": 1, "outputs": ["c1.parquet"], "rows_written": 3},
    ]
    outcome = remove_cross_chunk_duplicates(
        results,
        open_output=lambda key: io.BytesIO(store[key]),
        write=store.__setitem__,
        max_rows=100,
    )
    assert outcome.checked and outcome.removed == 3
    assert _ids(store) == {"c0.parquet": ["a", "b"], "c1.parquet": ["c", "d"], "c2.parquet": ["e"]}
    assert pq.read_table(pa.BufferReader(store["c1.parquet"])).column("amount").to_pylist() == [
        0,
        2,
    ]


def test_single_chunk_and_oversized_files_are_left_alone() -> None:
    def fail(*_: object) -> Any:
        raise AssertionError("no I/O expected")

    one = [{"chunk_index": 0, "outputs": ["x"], "rows_written": 5}]
    assert remove_cross_chunk_duplicates(one, open_output=fail, write=fail, max_rows=10).checked
    two = [
        {"chunk_index": 0, "outputs": ["x"], "rows_written": 6},
        {"chunk_index": 1, "outputs": ["y"], "rows_written": 6},
    ]
    outcome = remove_cross_chunk_duplicates(two, open_output=fail, write=fail, max_rows=10)
    assert not outcome.checked and outcome.removed == 0


def _two_chunks(
    first: list[str], second: list[str], spill: Path, **options: Any
) -> tuple[CrossChunkResult, dict[str, bytes]]:
    """Run the check on two chunk outputs (row groups of 7 rows); the store as it ends."""
    store = {"c0": _parquet(first, 7), "c1": _parquet(second, 7)}
    results = [
        {"chunk_index": i, "outputs": [key], "rows_written": len(ids)}
        for i, (key, ids) in enumerate((("c0", first), ("c1", second)))
    ]
    outcome = remove_cross_chunk_duplicates(
        results,
        open_output=lambda key: io.BytesIO(store[key]),
        write=store.__setitem__,
        spill_dir=spill,
        **options,
    )
    return outcome, store


def test_buckets_and_row_groups_do_not_change_the_outcome(tmp_path: Path) -> None:
    # Many small buckets (spilled to disk), and outputs of several row groups: the same rows go.
    first = [f"tx-{i:05d}" for i in range(40)]
    second = [f"tx-{i:05d}" for i in range(30, 70)]  # 30-39 repeat chunk 0's
    outcome, store = _two_chunks(first, second, tmp_path, max_rows=1000, rows_per_bucket=8)
    assert (outcome.checked, outcome.removed, outcome.rewritten) == (True, 10, ("c1",))
    assert _ids(store) == {"c0": first, "c1": second[10:]}
    amounts = pq.read_table(pa.BufferReader(store["c1"])).column("amount").to_pylist()
    assert amounts == list(range(10, 40))  # the remaining rows, in order, values intact
    assert list(tmp_path.iterdir()) == []  # the spill is gone


def test_ids_too_alike_to_spread_are_reported_unchecked(tmp_path: Path) -> None:
    # Same first and last six bytes: every id lands in one bucket, which is over its bound.
    ids = [f"ACME00-{i:04d}-EU0001" for i in range(40)]
    outcome, _ = _two_chunks(ids[:20], ids[20:], tmp_path, max_rows=1000, rows_per_bucket=2)
    assert not outcome.checked and outcome.removed == 0
    assert list(tmp_path.iterdir()) == []


def test_a_full_local_disk_reports_unchecked_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(*_: object) -> Any:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pa.ipc, "new_stream", full_disk)
    outcome, store = _two_chunks(["a", "b"], ["b", "c"], tmp_path, max_rows=100)
    assert not outcome.checked
    assert _ids(store) == {"c0": ["a", "b"], "c1": ["b", "c"]}

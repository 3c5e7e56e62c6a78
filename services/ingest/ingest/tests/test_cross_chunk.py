from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ingest.cross_chunk import remove_cross_chunk_duplicates


def _parquet(ids: list[str]) -> bytes:
    out = io.BytesIO()
    pq.write_table(pa.table({"transaction_id": ids, "amount": list(range(len(ids)))}), out)
    return out.getvalue()


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
        results, read=store.__getitem__, write=store.__setitem__, max_rows=100
    )
    assert outcome.checked and outcome.removed == 3
    remaining = {
        k: pq.read_table(pa.BufferReader(v)).column("transaction_id").to_pylist()
        for k, v in store.items()
    }
    assert remaining == {"c0.parquet": ["a", "b"], "c1.parquet": ["c", "d"], "c2.parquet": ["e"]}
    assert pq.read_table(pa.BufferReader(store["c1.parquet"])).column("amount").to_pylist() == [
        0,
        2,
    ]


def test_single_chunk_and_oversized_files_are_left_alone() -> None:
    def fail(*_: object) -> Any:
        raise AssertionError("no I/O expected")

    one = [{"chunk_index": 0, "outputs": ["x"], "rows_written": 5}]
    assert remove_cross_chunk_duplicates(one, read=fail, write=fail, max_rows=10).checked
    two = [
        {"chunk_index": 0, "outputs": ["x"], "rows_written": 6},
        {"chunk_index": 1, "outputs": ["y"], "rows_written": 6},
    ]
    outcome = remove_cross_chunk_duplicates(two, read=fail, write=fail, max_rows=10)
    assert not outcome.checked and outcome.removed == 0

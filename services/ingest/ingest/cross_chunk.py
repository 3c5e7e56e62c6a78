"""Duplicates across chunks of one file: the first occurrence (lowest chunk) of a
transaction_id is kept, later ones are removed from their Parquet files and counted.

Each transform dedupes within its chunk; only finalize sees every chunk. The ids of the whole
file are held at once (about 40 bytes a row), so files above ``max_rows`` are not checked and
the summary says so rather than pretending.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ID = "transaction_id"


@dataclass(frozen=True)
class CrossChunkResult:
    checked: bool
    removed: int = 0
    rewritten: tuple[str, ...] = ()


def remove_cross_chunk_duplicates(
    results: Sequence[dict[str, Any]],
    *,
    read: Callable[[str], bytes],
    write: Callable[[str, bytes], None],
    max_rows: int,
) -> CrossChunkResult:
    if len(results) < 2:
        return CrossChunkResult(checked=True)
    if sum(int(r.get("rows_written", 0)) for r in results) > max_rows:
        return CrossChunkResult(checked=False)
    keys: list[str] = []
    parts: list[pa.Table] = []
    for result in sorted(results, key=lambda r: int(r["chunk_index"])):
        for key in result.get("outputs", []):
            ids = pq.read_table(pa.BufferReader(read(key)), columns=[ID]).column(ID)
            parts.append(
                pa.table(
                    {
                        ID: ids,
                        "chunk": pa.array([int(result["chunk_index"])] * len(ids), pa.int32()),
                        "file": pa.array([len(keys)] * len(ids), pa.int32()),
                        "row": pa.array(range(len(ids)), pa.int64()),
                    }
                )
            )
            keys.append(key)
    if not parts:
        return CrossChunkResult(checked=True)
    rows = pa.concat_tables(parts)
    first = rows.group_by(ID).aggregate([("chunk", "min")])
    joined = rows.join(first, keys=ID)
    later = joined.filter(pc.greater(joined.column("chunk"), joined.column("chunk_min")))
    if later.num_rows == 0:
        return CrossChunkResult(checked=True)
    rewritten = []
    for file_index in pc.unique(later.column("file")).to_pylist():
        drop = later.filter(pc.equal(later.column("file"), file_index)).column("row")
        key = keys[file_index]
        table = pq.read_table(pa.BufferReader(read(key)))
        keep = pc.invert(
            pc.is_in(pa.array(range(table.num_rows), pa.int64()), value_set=drop.combine_chunks())
        )
        out = io.BytesIO()
        pq.write_table(table.filter(keep), out, compression="zstd")
        write(key, out.getvalue())
        rewritten.append(key)
    return CrossChunkResult(checked=True, removed=later.num_rows, rewritten=tuple(rewritten))

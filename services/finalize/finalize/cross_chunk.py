"""Duplicates across the outputs of one file: the first occurrence of a transaction_id (in the
earliest output: chunks in order, each chunk's parts in order) is kept, later ones are removed
from their Parquet files and counted.

Each transform dedupes within each part of its chunk; only finalize sees every output. Memory
holds one bucket of ids at a time, never the file's: pass 1 reads each output's transaction_id
column and spills its rows to per-bucket Arrow files on local disk (~38 bytes a row); pass 2
settles each bucket; pass 3 rewrites, row group by row group, the outputs that lost rows. An
id's bucket comes from its first and last six bytes, so every output puts it in the same
bucket. Files above ``max_rows`` (local disk), or whose ids crowd one bucket (all alike at both
ends), are not checked, and the summary says so rather than pretending.
"""

from __future__ import annotations

import errno
import io
import math
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from pipeline_shared.duplicates import later_occurrences

ID = "transaction_id"
ROWS_PER_BUCKET = 500_000  # ~125 MB to settle (measured ~250 bytes a row at the peak)
# "file": the output's place in file order (a lower one holds earlier rows); "row": the row's.
_SPILL_SCHEMA = pa.schema([(ID, pa.string()), ("file", pa.int32()), ("row", pa.int64())])
# Every two-byte string, so that index_in gives a byte pair's value (0-65535).
_BYTE_PAIRS = pa.array([bytes((a, b)) for a in range(256) for b in range(256)], pa.binary())
_HASHED_PAIRS = ((0, 2), (2, 4), (4, 6), (-6, -4), (-4, -2), (-2, None))
_GOLDEN = pa.scalar(0x9E3779B97F4A7C15, pa.uint64())  # 2**64 / the golden ratio


@dataclass(frozen=True)
class CrossChunkResult:
    checked: bool
    removed: int = 0
    rewritten: tuple[str, ...] = ()


def remove_cross_chunk_duplicates(
    results: Sequence[dict[str, Any]],
    *,
    open_output: Callable[[str], BinaryIO],
    write: Callable[[str, bytes], None],
    max_rows: int,
    rows_per_bucket: int = ROWS_PER_BUCKET,
    spill_dir: Path | None = None,
) -> CrossChunkResult:
    if sum(len(r.get("outputs", [])) for r in results) < 2:
        return CrossChunkResult(checked=True)
    total = sum(int(r.get("rows_written", 0)) for r in results)
    if total > max_rows:
        return CrossChunkResult(checked=False)
    buckets = max(1, math.ceil(total / rows_per_bucket))
    with tempfile.TemporaryDirectory(dir=spill_dir) as tmp:
        try:
            keys = _spill_ids(results, open_output, Path(tmp), buckets)
        except OSError as error:
            if error.errno != errno.ENOSPC and "No space left" not in str(error):
                raise
            return CrossChunkResult(checked=False)  # the ids outgrew local disk
        later: list[pa.Table] = []
        for part in _read_buckets(Path(tmp), buckets):
            if part.num_rows > 4 * rows_per_bucket:
                return CrossChunkResult(checked=False)  # ids too alike to spread
            later.append(later_occurrences(part, key=ID, order="file"))
    drops = pa.concat_tables(later) if later else _SPILL_SCHEMA.empty_table()
    if drops.num_rows == 0:
        return CrossChunkResult(checked=True)
    rewritten = []
    for file_index in pc.unique(drops.column("file")).to_pylist():
        rows = drops.filter(pc.equal(drops.column("file"), file_index)).column("row")
        key = keys[file_index]
        with open_output(key) as source:
            data = _without_rows(source, rows.combine_chunks())
        write(key, data)
        rewritten.append(key)
    return CrossChunkResult(checked=True, removed=drops.num_rows, rewritten=tuple(rewritten))


def _spill_ids(
    results: Sequence[dict[str, Any]],
    open_output: Callable[[str], BinaryIO],
    directory: Path,
    buckets: int,
) -> list[str]:
    """Pass 1: every output's ids, with where they are, into the bucket files. Outputs are
    numbered in file order: by chunk, then as the chunk listed them (part by part)."""
    keys: list[str] = []
    with ExitStack() as stack:
        writers = [
            stack.enter_context(ipc.new_stream(str(directory / f"{b}.arrow"), _SPILL_SCHEMA))
            for b in range(buckets)
        ]
        for result in sorted(results, key=lambda r: int(r["chunk_index"])):
            for key in result.get("outputs", []):
                with open_output(key) as source:  # seekable: only the id column is read
                    ids = pq.read_table(source, columns=[ID]).column(ID)
                rows = pa.table(
                    [
                        ids,
                        _constant(len(ids), len(keys)),
                        _arange(len(ids)),
                    ],
                    schema=_SPILL_SCHEMA,
                )
                bucket = _bucket_of(ids, buckets)
                order = pc.sort_indices(bucket)
                rows, bucket = rows.take(order), bucket.take(order)
                start = 0
                for entry in pc.value_counts(bucket).to_pylist():  # in ascending bucket order
                    writers[entry["values"]].write_table(rows.slice(start, entry["counts"]))
                    start += entry["counts"]
                keys.append(key)
    return keys


def _read_buckets(directory: Path, buckets: int) -> Iterator[pa.Table]:
    for b in range(buckets):
        with ipc.open_stream(str(directory / f"{b}.arrow")) as reader:
            yield reader.read_all()


def _without_rows(data: BinaryIO, rows: pa.Array) -> bytes:
    """Pass 3: the Parquet file ``data`` less ``rows`` (row numbers), a row group at a time."""
    source = pq.ParquetFile(data)
    out = io.BytesIO()
    with pq.ParquetWriter(out, source.schema_arrow, compression="zstd") as writer:
        offset = 0
        for index in range(source.num_row_groups):
            group = source.read_row_group(index)
            numbers = pc.add(_arange(group.num_rows), offset)
            writer.write_table(group.filter(pc.invert(pc.is_in(numbers, value_set=rows))))
            offset += group.num_rows
    return out.getvalue()


def _bucket_of(ids: pa.ChunkedArray, buckets: int) -> pa.Array:
    """A bucket number per id from its first and last six bytes (missing bytes count as
    zeros), folded and mixed by Fibonacci hashing: the same id always lands in the same bucket,
    and ids that differ at either end (serial numbers, random prefixes or suffixes) spread."""
    raw = ids.combine_chunks().view(pa.binary())
    value = _u64(0)
    for start, end in _HASHED_PAIRS:
        pair = pc.fill_null(pc.index_in(pc.binary_slice(raw, start, end), value_set=_BYTE_PAIRS), 0)
        value = pc.add(pc.multiply(value, _u64(65_537)), pair.cast(pa.uint64()))  # wraps
    mixed = pc.shift_right(pc.multiply(value, _GOLDEN), _u64(32))  # high half of 64 bits
    return pc.shift_right(pc.multiply(mixed, _u64(buckets)), _u64(32))


def _u64(value: int) -> pa.Scalar:
    return pa.scalar(value, pa.uint64())


def _constant(length: int, value: int) -> pa.Array:
    return pc.fill_null(pa.nulls(length, pa.int32()), value)


def _arange(length: int) -> pa.Array:
    return pc.subtract(pc.cumulative_sum(_constant(length, 1).cast(pa.int64())), 1)

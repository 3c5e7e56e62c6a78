"""The transform of one chunk: stream CSV in, Parquet and quarantine out, nothing lost.

Blocks are parsed one after the other and checked on ``Limits.workers`` threads while the
parser reads ahead, then collected in order, so the outputs do not depend on the threads.
Valid rows are held (as Arrow) until they reach ``Limits.part_bytes``, then their duplicates
are settled and they are written as a part. Memory is bounded by the part size, whatever the chunk's: a .csv.gz file, which is one
chunk, is written in parts too; finalize settles duplicates across parts and chunks.
"""

from __future__ import annotations

import csv
import io
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from pipeline_shared.contract import MAX_HEADER_BYTES, FileRejected, read_header
from pipeline_shared.duplicates import later_occurrences
from pipeline_shared.outcomes import DUPLICATE, wrong_field_count
from transform.canonical import canonical_rows
from transform.models import ChunkSummary
from transform.outputs import PartitionedParquetWriter, QuarantineWriter
from transform.record_guard import RecordGuard, Replaced
from transform.validation import OUTPUT_SCHEMA, ValidatedBatch, validate

_RECORD = "record"  # a valid row's parsed-row number in the chunk: "first" for duplicates
_ROWS_SCHEMA = OUTPUT_SCHEMA.append(pa.field(_RECORD, pa.int64()))


@dataclass(frozen=True, kw_only=True)
class ChunkContext:
    source: str
    ingest_id: str
    chunk_index: int
    source_object: str
    chunk_start: int = 0


@dataclass(frozen=True, kw_only=True)
class Limits:
    block_size: int = 16 << 20
    # A longer record is quarantined; the parser needs every record inside one block.
    max_record_bytes: int = 1 << 20
    # Valid rows held (Arrow bytes, ~1.2x their CSV) before they are written as a part: a
    # 256 MiB chunk is one part; a larger (gzip) chunk is written in several.
    part_bytes: int = 384 << 20
    # Blocks checked at once, on threads (Arrow's kernels run without the GIL): the parser
    # reads ahead while earlier blocks are checked. 2 = the transform function's two vCPUs.
    workers: int = 2

    def __post_init__(self) -> None:
        # Arrow fails a read when a record straddles two block boundaries (measured: a record
        # up to one block plus one byte is read, wherever it starts).
        if self.block_size < self.max_record_bytes + 2:
            raise ValueError(
                f"the CSV block ({self.block_size} bytes) must be longer than the longest "
                f"record ({self.max_record_bytes} bytes) and its line end: raise "
                "CSV_BLOCK_BYTES or lower MAX_RECORD_BYTES"
            )


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes: fewer only at the end of the stream."""
    parts, left = [], size
    while left > 0 and (part := stream.read(left)):
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


class _Prepended(io.RawIOBase):
    """``head``, then the rest of ``stream``: the bytes the header check read past the header."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head, self._stream = head, stream

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self._head:
            head, self._head = self._head, b""
            return head
        return self._stream.read(-1 if size is None else size)


def transform_stream(
    stream: BinaryIO,
    *,
    context: ChunkContext,
    out_dir: Path,
    header_line: bytes | None = None,
    limits: Limits | None = None,
) -> ChunkSummary:
    """Process one chunk. ``header_line`` is given for chunks that start mid-file; otherwise the
    header is the stream's first line."""
    limits = limits or Limits()
    source: BinaryIO | _Prepended
    if header_line is not None:
        header = read_header(header_line, whole_file=True)
        source, consumed = stream, 0
    else:
        first = _read_exactly(stream, MAX_HEADER_BYTES + 1)
        header = read_header(first, whole_file=len(first) <= MAX_HEADER_BYTES)
        consumed = min(header.data_start, len(first))
        source = _Prepended(first[consumed:], stream)
    names = header.names
    guard = RecordGuard(
        source,
        max_record_bytes=limits.max_record_bytes,
        field_count=len(names),
        prefix=header.line,
    )
    # Arrow calls the handler from its read-ahead thread too (measured), a block ahead of the
    # batches: rows are handed over through a deque (atomic appends and pops) and quarantined
    # by record number, in the block they belong to.
    reported: deque[tuple[int, str, int, int]] = deque()
    guarded: list[tuple[int, Replaced]] = []  # quarantined once the guard reached the end

    def on_invalid_row(row: pv.InvalidRow) -> str:
        reported.append((row.number, row.text, row.expected_columns, row.actual_columns))
        return "skip"

    # The header line is parsed in the first block too: a long header (up to 64 KiB) gets a
    # block it fits in.
    block_size = max(limits.block_size, 2 * len(header.line))
    try:
        reader = pv.open_csv(
            guard,
            read_options=pv.ReadOptions(use_threads=False, block_size=block_size),
            parse_options=pv.ParseOptions(
                newlines_in_values=True, invalid_row_handler=on_invalid_row
            ),
            convert_options=pv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.binary()), check_utf8=False
            ),
        )
    except pa.ArrowInvalid as error:  # the header is checked first: not expected
        raise FileRejected(f"the file cannot be parsed as CSV: {error}") from None

    summary = ChunkSummary()
    quarantine = QuarantineWriter(
        out_dir,
        source=context.source,
        ingest_id=context.ingest_id,
        chunk_index=context.chunk_index,
        context={
            "source_object": context.source_object,
            "chunk_index": context.chunk_index,
            "chunk_start_byte": context.chunk_start,
        },
    )
    parquet = PartitionedParquetWriter(
        out_dir,
        source=context.source,
        ingest_id=context.ingest_id,
        chunk_index=context.chunk_index,
        source_object=context.source_object,
    )
    invalid_numbers: list[int] = []  # record numbers of rows the parser rejected, ascending
    pending: list[tuple[int, str, int, int]] = []  # reported, not yet quarantined, ascending

    def take_reported() -> tuple[int, ...]:
        """Move what the parser reported to ``pending``; the gaps of every rejected number so
        far (``_record_number``)."""
        taken = []
        while reported:
            taken.append(reported.popleft())
        if taken:
            pending.extend(taken)
            pending.sort()
            invalid_numbers.extend(number for number, *_ in taken)
            invalid_numbers.sort()
        return _gaps(invalid_numbers)

    def quarantine_invalid_rows(up_to: int | None) -> None:
        """Quarantine the pending rejected rows numbered up to ``up_to`` (None: all)."""
        count = len(pending) if up_to is None else bisect_right(pending, (up_to, chr(0x10FFFF)))
        rows = pending[:count]
        del pending[:count]
        for number, text, expected, actual in rows:
            replaced = guard.replacement(text)
            if replaced is not None:
                # Its reason may still change (an over-long record the file ends inside).
                guarded.append((number, replaced))
                continue
            quarantine_record(number, text, wrong_field_count(expected, actual))

    def quarantine_record(number: int, raw: str, reason: str) -> None:
        quarantine.write(line_number=number, raw_line=raw, reasons=[reason])
        summary.reasons[reason] += 1
        summary.rows_read += 1

    parsed_rows, good_parts = 0, list[pa.Table]()

    def write_part() -> None:
        # Duplicates are settled once the part is read: memory is bounded by the part.
        good = pa.concat_tables(good_parts) if good_parts else _ROWS_SCHEMA.empty_table()
        good_parts.clear()
        later = later_occurrences(
            good.select(["transaction_id", _RECORD]), key="transaction_id", order=_RECORD
        )
        summary.duplicates += later.num_rows
        summary.rows_written += good.num_rows - later.num_rows
        keep = (
            pc.invert(pc.is_in(good.column(_RECORD), value_set=later.column(_RECORD)))
            if later.num_rows
            else None
        )
        parquet.write(good.drop_columns([_RECORD]), keep)

    checking: deque[_InFlight] = deque()

    def collect() -> None:
        """Take the oldest block's check, in block order: quarantine, keep its rows, and write
        the held rows as a part once they reach ``part_bytes``."""
        block = checking.popleft()
        quarantine_invalid_rows(block.last_record)
        checked = block.checked.result()
        good_parts.append(_valid_rows(checked, block, quarantine=quarantine, summary=summary))
        if sum(part.nbytes for part in good_parts) >= limits.part_bytes:
            write_part()
            parquet.next_part()

    try:
        with _checker(limits.workers) as check:
            for batch in reader:
                gaps = take_reported()
                checking.append(
                    _InFlight(
                        batch=batch,
                        rows_before=parsed_rows,
                        gaps=gaps,
                        last_record=_record_number(parsed_rows + batch.num_rows - 1, gaps),
                        checked=check(batch),
                    )
                )
                summary.rows_read += batch.num_rows
                parsed_rows += batch.num_rows
                while len(checking) >= limits.workers:  # bounds the blocks held
                    collect()
            while checking:
                collect()
        take_reported()
        quarantine_invalid_rows(None)
        for number, replaced in guarded:
            quarantine_record(number, replaced.raw_line, replaced.reason)
        write_part()
    finally:
        parquet.close()
        quarantine.close()
    summary.rows_quarantined = quarantine.count
    summary.bytes_read = consumed + guard.bytes_read
    summary.end_state = guard.end_state.value
    summary.end_state_if_quoted = guard.end_state_if_quoted.value
    summary.outputs = parquet.keys
    summary.quarantine_outputs = [quarantine.key] if quarantine.written else []
    if summary.duplicates:
        summary.reasons[DUPLICATE] = summary.duplicates
    return summary


@dataclass(frozen=True)
class _Checked:
    """A block's rules applied: canonical rows normalized; the others through the full rules."""

    fast: pa.Table
    canonical: pa.BooleanArray
    others: pa.Array  # positions in the block of the rows that were not canonical
    validated: ValidatedBatch | None


@dataclass(frozen=True, kw_only=True)
class _InFlight:
    """A parsed block, its check running on a worker, and what it needs once collected."""

    batch: pa.RecordBatch
    rows_before: int
    gaps: tuple[int, ...]  # of every record number the parser rejected up to here
    last_record: int  # the record number of the block's last row
    checked: Future[_Checked]


@contextmanager
def _checker(workers: int) -> Iterator[Callable[[pa.RecordBatch], Future[_Checked]]]:
    """Starts a block's check: on one of ``workers`` threads, or (one worker) right here, so
    that a single-worker run uses one core."""
    if workers == 1:

        def now(batch: pa.RecordBatch) -> Future[_Checked]:
            done: Future[_Checked] = Future()
            done.set_result(_check(batch))
            return done

        yield now
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield lambda batch: pool.submit(_check, batch)


def _check(batch: pa.RecordBatch) -> _Checked:
    """Pure, so blocks can be checked on several threads."""
    fast, canonical = canonical_rows(batch)
    others = pc.indices_nonzero(pc.invert(canonical))
    validated = validate(batch.take(others)) if len(others) else None
    return _Checked(fast, canonical, others, validated)


def _valid_rows(
    checked: _Checked, block: _InFlight, *, quarantine: QuarantineWriter, summary: ChunkSummary
) -> pa.Table:
    """The block's valid rows, normalized, in block order, each with its parsed-row number in
    the chunk; the invalid ones are quarantined."""
    fast = checked.fast.append_column(
        _RECORD, _numbers(pc.indices_nonzero(checked.canonical), block.rows_before)
    )
    if checked.validated is None:
        return fast
    _quarantine_bad_rows(
        block.batch,
        checked.others,
        checked.validated,
        block.rows_before,
        block.gaps,
        quarantine,
        summary,
    )
    good = pc.invert(checked.validated.bad)
    slow = checked.validated.rows.filter(good).append_column(
        _RECORD, _numbers(checked.others.filter(good), block.rows_before)
    )
    if slow.num_rows == 0:
        return fast
    rows = pa.concat_tables([fast, slow])
    return rows.take(pc.sort_indices(rows.column(_RECORD)))


def _numbers(indices: pa.Array, rows_before: int) -> pa.Array:
    return pc.add(indices.cast(pa.int64()), rows_before)


def _quarantine_bad_rows(
    batch: pa.RecordBatch,
    positions: pa.Array,
    validated: ValidatedBatch,
    rows_before: int,
    gaps: tuple[int, ...],
    quarantine: QuarantineWriter,
    summary: ChunkSummary,
) -> None:
    """Quarantine the rows ``validated`` rejected; ``positions`` are their places in ``batch``."""
    bad = pc.indices_nonzero(validated.bad)
    if len(bad) == 0:
        return
    indices = pc.take(positions, bad)
    raw_rows = batch.take(indices).to_pylist()
    for index, reasons, fields in zip(
        indices.to_pylist(), validated.reasons, raw_rows, strict=True
    ):
        line_number = _record_number(rows_before + index, gaps)
        quarantine.write(line_number=line_number, raw_line=_render(fields), reasons=reasons)
        summary.reasons.update(reasons)


def _gaps(invalid_numbers: list[int]) -> tuple[int, ...]:
    """For ``_record_number``: each rejected number less the rejected ones before it."""
    return tuple(number - i for i, number in enumerate(invalid_numbers))


def _record_number(parsed_row: int, gaps: tuple[int, ...]) -> int:
    """The record number of the chunk's ``parsed_row``-th parsed row (from 0). It sits on the
    next record number not taken by a row the parser rejected (the header is record 1): shift
    by the rejected numbers at or below it (``gaps`` covers all of those)."""
    target = 2 + parsed_row
    return target + bisect_right(gaps, target)


def _render(fields: dict[str, bytes | None]) -> str:
    """A row as CSV text again (identical to the input for rows without quoting). The writer's
    line end is CR LF so that a field holding either is quoted (the minimal quoting quotes the
    line end's characters): a lone CR, a line end to a reader, must not be left bare."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(
        (value or b"").decode("utf-8", "replace") for value in fields.values()
    )
    return out.getvalue().removesuffix("\r\n")

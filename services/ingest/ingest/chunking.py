"""Split a CSV object into byte ranges that each start on a record boundary.

A tentative cut every ``chunk_bytes`` is moved forward to the next newline that ends a record.
A newline inside a quoted field does not end one, and whether a window starts inside quotes is
unknown, so both possibilities are tried: newline i ends a record iff the quotes before it in
the window, plus the unknown starting state, are even. The hypothesis whose lines parse as
records of the header's width wins; if neither does, the cut is dropped (two chunks become one,
which is always safe).

Every cut follows an LF, and it stays a guess: finalize proves each one from what the chunks
report, and reads the chunks around a wrong one again (pipeline_shared.chain).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from itertools import pairwise

from pipeline_shared.chain import ChunkEnd, check_tiling


def record_start_in(window: bytes, field_count: int, *, sample_records: int = 3) -> int | None:
    """Offset in ``window`` where a record starts, or None if it cannot be told."""
    newlines = [i for i, byte in enumerate(window) if byte == 0x0A]
    if not newlines:
        return None
    quotes_before = []
    count, last = 0, 0
    for position in newlines:
        count += window.count(b'"', last, position)
        quotes_before.append(count)
        last = position
    for inside_quotes_at_start in (0, 1):
        ends = [
            n
            for n, q in zip(newlines, quotes_before, strict=True)
            if (q + inside_quotes_at_start) % 2 == 0
        ]
        if len(ends) < 2:
            continue
        # Records between consecutive ends must be well-formed rows of the right width.
        records = [window[a + 1 : b + 1] for a, b in pairwise(ends)][:sample_records]
        if all(_is_row(record, field_count) for record in records):
            return ends[0] + 1
    return None


def _is_row(record: bytes, field_count: int) -> bool:
    try:
        rows = list(csv.reader(io.StringIO(record.decode("utf-8")), strict=True))
    except (UnicodeDecodeError, csv.Error):
        return False
    return len(rows) == 1 and len(rows[0]) == field_count


# The most chunks one file is cut into: the plan travels in the Step Functions state (256 KiB
# at most, with the chunk list twice after a regrouping); a larger file gets larger chunks.
# 1,000 chunks of a 100 GiB file keep every state under 100 KB (services/ingest/ingest/tests/
# test_state_size.py); at 1,600 the largest is 130 KB.
MAX_CHUNKS = 1000


def plan_chunks(
    *,
    size: int,
    data_start: int,
    chunk_bytes: int,
    field_count: int,
    read_window: Callable[[int, int], bytes],
    window_bytes: int = 64 << 10,
) -> list[tuple[int, int]]:
    """Byte ranges [start, end) covering the whole object; the first starts at 0 (header
    included), the others on record boundaries at or after ``data_start``. Chunks are about
    ``chunk_bytes``, or larger when the file would need more than ``MAX_CHUNKS``."""
    chunk_bytes = max(chunk_bytes, -(-size // MAX_CHUNKS))
    cuts = [0]
    tentative = max(chunk_bytes, data_start)
    while tentative < size:
        window = read_window(tentative - 1, min(size, tentative - 1 + window_bytes))
        # The window starts one byte early so a cut landing right after a newline is seen.
        offset = record_start_in(window, field_count)
        if offset is not None and tentative - 1 + offset < size:
            cuts.append(tentative - 1 + offset)
            tentative = cuts[-1] + chunk_bytes
        else:
            tentative += window_bytes
    ranges = list(zip(cuts, [*cuts[1:], size], strict=True))
    check_tiling(
        [
            ChunkEnd(index=i, start=start, end=end, end_state="", end_state_if_quoted="")
            for i, (start, end) in enumerate(ranges)
        ],
        size,
    )
    return ranges

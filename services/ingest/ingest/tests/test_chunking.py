from __future__ import annotations

import csv
import io
from itertools import pairwise

import pytest

from ingest.chunking import plan_chunks, record_start_in

HEADER = b"a,b,c\n"


def _plan(data: bytes, chunk_bytes: int, window: int = 64) -> list[tuple[int, int]]:
    return plan_chunks(
        size=len(data),
        data_start=len(HEADER),
        chunk_bytes=chunk_bytes,
        field_count=3,
        read_window=lambda start, end: data[start:end],
        window_bytes=window,
    )


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode())))


def test_chunks_cover_the_object_and_start_on_records() -> None:
    data = HEADER + b"".join(b"%d,xx,yyyy\n" % i for i in range(500))
    ranges = _plan(data, chunk_bytes=700)
    assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in pairwise(ranges))
    assert len(ranges) > 5
    rows = [row for start, end in ranges for row in _rows(data[start:end])]
    assert rows == _rows(data)  # no row split, lost or repeated


def test_a_cut_inside_a_quoted_multiline_field_moves_past_it() -> None:
    record = b'1,"line one\nline two\nline three",z\n'
    data = HEADER + record * 200
    ranges = _plan(data, chunk_bytes=len(HEADER) + 15)  # first cut lands inside the quotes
    for start, _ in ranges[1:]:
        assert data[start:].startswith(b'1,"line one')
    rows = [row for start, end in ranges for row in _rows(data[start:end])]
    assert rows == _rows(data)


def test_no_provable_boundary_means_no_cut() -> None:
    data = HEADER + b'1,"' + b"x\n" * 100 + b'",z\n'
    assert _plan(data, chunk_bytes=20, window=16) == [(0, len(data))]


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        (b"x\n1,2,3\n4,5,6\n7,8,9\n", 2),  # plain rows
        (b'a",b,c\n1,2,3\n4,5,6\n', 7),  # starts inside a quoted field that closes on line 1
        (b"no newline here", None),
    ],
)
def test_record_start_in_windows(window: bytes, expected: int | None) -> None:
    assert record_start_in(window, 3) == expected

"""The transform against the testkit oracle (docs/data-contract.md) on adversarial files.

Properties: the one-chunk path (transform.engine.transform_stream) and the chunked path
(transform.local_run.run_file: the ingest plan, every chunk, the chain check, cross-chunk
duplicates) must agree with the oracle on rejection, every record's outcome, the quarantined
rows' reasons, line numbers and raw_line, every written row's values, and the totals.

Profiles (tests/integrity/differential.py): "ci" by default (150 files per property,
derandomized); HYPOTHESIS_PROFILE=long for tests/integrity/long_run.py. Every disagreement
found so far has a named regression test below (a class the engine has not fixed yet is marked
xfail there and on the property, with what differs).
"""

from __future__ import annotations

import io
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given
from testkit.oracle import reference

from tests.integrity import differential as diff
from tests.integrity.differential import check_chunked, check_one_chunk, message
from transform.record_guard import RecordGuard

HEADER = b"transaction_id,account_id,timestamp,amount,currency,merchant_id,mcc,country,channel"
ROW = b"t1,a1,2024-05-01T10:00:00Z,1.00,USD,m1,5411,US,POS"


@given(diff.one_chunk_cases())
def test_one_chunk_path_agrees_with_the_oracle(case: tuple[int, int, bytes]) -> None:
    max_record_bytes, block_size, data = case
    diffs = check_one_chunk(data, max_record_bytes, block_size)
    assert not diffs, message(data, diffs, max_record_bytes=max_record_bytes, block_size=block_size)


@given(diff.chunked_cases())
def test_chunked_path_agrees_with_the_oracle(case: tuple[int, int, int, bytes]) -> None:
    max_record_bytes, block_size, chunk_bytes, data = case
    diffs = check_chunked(data, max_record_bytes, block_size, chunk_bytes)
    assert not diffs, message(
        data,
        diffs,
        max_record_bytes=max_record_bytes,
        block_size=block_size,
        chunk_bytes=chunk_bytes,
    )


# --------------------------------------------------------------------------------------------
# Named regressions: each disagreement found, as the minimal bytes and the oracle's expectation.
# Both paths are checked.


def _both(data: bytes, max_record_bytes: int = 1024, block_size: int = 2048) -> list[str]:
    found = [f"one chunk: {d}" for d in check_one_chunk(data, max_record_bytes, block_size)]
    for chunk_bytes in (1024, 4096):
        found += [
            f"chunked ({chunk_bytes}): {d}"
            for d in check_chunked(data, max_record_bytes, block_size, chunk_bytes)
        ]
    return found


def test_raw_line_quotes_a_lone_cr() -> None:
    # Found by the one-chunk property (fixed in 1851c6b). merchant_id is "m\r1" (quoted in the
    # file): the row is quarantined for its merchant_id; re-encoded as CSV the field must be
    # quoted again, or the CR would end the record. The engine wrote m\r1 unquoted.
    data = HEADER + b"\n" + ROW.replace(b"m1", b'"m\r1"') + b"\n"
    (outcome,) = reference(data).records
    assert outcome.raw_line == 't1,a1,2024-05-01T10:00:00Z,1.00,USD,"m\r1",5411,US,POS'
    assert _both(data) == []


def test_raw_line_quotes_a_lone_cr_with_white_space_around_it() -> None:
    data = HEADER + b"\n" + ROW.replace(b"m1", b'"\x0bm\r\r1\t"') + b"\n"
    (outcome,) = reference(data).records
    assert outcome.raw_line == 't1,a1,2024-05-01T10:00:00Z,1.00,USD,"\x0bm\r\r1\t",5411,US,POS'
    assert _both(data) == []


def test_header_name_with_a_tab_around_it() -> None:
    # Found by the chunked property, while the document said header names are trimmed of
    # "spaces" (the oracle read U+0020 only; the engine trimmed ASCII white space). The
    # document now says ASCII white space, like values: the file is read.
    data = HEADER.replace(b"mcc", b"\tmcc").replace(b"channel", b"channel\x0b") + b"\n" + ROW
    (outcome,) = reference(data).records
    assert outcome.outcome == "written"
    assert _both(data + b"\n") == []


def test_header_longer_than_the_block_size() -> None:
    # Found by hand (fixed in 1851c6b): a header longer than Limits.block_size failed Arrow's
    # parse ("Empty CSV file or block: cannot infer number of columns") and the valid file was
    # rejected. 3 KiB of header, 2 KiB blocks; the contract allows 64 KiB.
    header = HEADER + b"," + b"n" * 3000
    data = header + b"\n" + ROW + b",x\n"
    (outcome,) = reference(data).records
    assert outcome.outcome == "written"
    assert _both(data, max_record_bytes=1024, block_size=2048) == []


@pytest.mark.parametrize(
    ("before", "size", "rejected"),
    [
        (b"", 64 << 10, False),
        (b"", (64 << 10) + 1, True),
        (b"\xef\xbb\xbf", (64 << 10) - 3, False),
        (b"\xef\xbb\xbf", 64 << 10, True),  # the byte-order mark counts
        (b"\n\r\n", (64 << 10) - 3, False),
        (b"\n\r\n", (64 << 10) - 2, True),  # so do empty lines before the header
    ],
)
def test_header_ends_within_the_first_64_kib(before: bytes, size: int, rejected: bool) -> None:
    # A CONTRACT-QUESTION found by hand ("is over 64 KiB": did the mark count?), answered by
    # the document: the mark, the empty lines before it and the header's own bytes (its line
    # end not counted) add up to at most 65,536.
    header = HEADER + b"," + b"n" * (size - len(HEADER) - 1)
    data = before + header + b"\r\n" + ROW + b",x\n"
    assert bool(reference(data).rejected) == rejected
    assert check_one_chunk(data, 1024, 2048) == []


def test_a_parse_block_that_ends_between_cr_and_lf_inside_quotes() -> None:
    # Found by the long run (6,000 one-chunk files): Arrow parses each read as a block, and a
    # block ending in CR followed by one starting with LF lost the LF inside a quoted note
    # ("\r\n\r\n" read "\r\n\r"): the quarantined row's raw_line differed. The file is the
    # long run's, as it found it (record 242's note; a 2 KiB record limit, 6,151-byte blocks).
    data = (Path(__file__).parent / "cases" / "cr-lf-split-by-a-parse-block.csv").read_bytes()
    assert check_one_chunk(data, 2048, 6151) == []


def test_the_guard_never_hands_out_a_cr_whose_lf_comes_next() -> None:
    piece = b"a,b\n" + b'1,"x\r\n\r\ny"\r\n' * 50
    for size in range(2, 40):
        guard = RecordGuard(io.BytesIO(piece), max_record_bytes=1024, field_count=2)
        parts = []
        while part := bytes(guard.read(size)):
            parts.append(part)
        assert b"".join(parts) == piece
        assert not any(a.endswith(b"\r") and b.startswith(b"\n") for a, b in pairwise(parts))

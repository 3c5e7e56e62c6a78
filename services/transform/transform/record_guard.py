"""A byte stream that hands the CSV parser only records it can read, and says where the chunk
ended.

Arrow's parser fails a whole read on a record larger than its block, and on a record with the
wrong field count whose bytes are not UTF-8 (its invalid-row handler decodes the text). The
guard follows the reader's state across the stream (``pipeline_shared.records``, quote-aware,
so a line break inside a quoted field never splits a record) and replaces each such record,
in place, by a one-field placeholder line; the parser reports the placeholder as a
wrong-field-count row at the record's own number and the engine quarantines it with the
reason kept here. It also quarantines what no line end can close: a file that ends inside a
quoted field.

For the chain check (docs/data-contract.md) it reports the reader's state at the chunk's end,
both as read (from a record start) and as it would be had the chunk started inside a quoted
field; the second run stops as soon as both runs are in the same state at the same byte.
"""

from __future__ import annotations

import io
import os
import re
from bisect import bisect_right
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from pipeline_shared.outcomes import UNTERMINATED, over_long, wrong_field_count
from pipeline_shared.records import LINE_ENDS, State, scan, split_fields

RAW_HEAD_BYTES = 1024  # what a quarantined record keeps of its text


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass
class Replaced:
    """A record the parser never sees: why it is quarantined and the start of its text."""

    reason: str
    raw_line: str


class RecordGuard(io.RawIOBase):
    """Reads hand out whole guarded pieces of the source (about ``read_size`` each, ending at a
    record end) without copying them again."""

    def __init__(
        self,
        source: Readable,
        *,
        max_record_bytes: int,
        field_count: int,
        prefix: bytes = b"",
        read_size: int = 8 << 20,
    ) -> None:
        self._source = source
        self._max = max_record_bytes
        self._fields = field_count
        self._read_size = read_size
        self._pieces: deque[bytes | memoryview] = deque([prefix] if prefix else [])
        self._carry = b""  # the current, unfinished record: it starts at a record start
        self._carry_state = State.RECORD  # the reader's state at the carry's end
        self._skipping: State | None = None  # inside an over-long record: the state there
        self._eof = False
        # A marker no input can forge: the placeholder names its entry in ``replaced``.
        self._marker = b"\x00guard-" + os.urandom(6).hex().encode() + b"-"
        self._placeholder_pattern = re.compile(re.escape(self._marker.decode()) + r"(\d+)\x00")
        self.replaced: list[Replaced] = []
        self.bytes_read = 0
        self.end_state = State.RECORD
        self._if_quoted: State | None = State.QUOTED  # None once it agrees with the main run
        self.end_state_if_quoted = State.QUOTED

    def replacement(self, text: str) -> Replaced | None:
        """The record a parsed row's text stands for, if it is one of our placeholders."""
        match = self._placeholder_pattern.fullmatch(text)
        return None if match is None else self.replaced[int(match.group(1))]

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(bytes(part) for part in iter(lambda: self.read(1 << 30), b""))
        while not self._pieces and not self._eof:
            self._fill()
        if not self._pieces or size == 0:
            return b""
        piece = self._pieces[0]
        if size >= len(piece):
            return self._pieces.popleft()  # type: ignore[return-value]
        # Arrow parses each read as a block. A block that ends in CR followed by one that
        # starts with LF loses the LF, even inside a quoted field (found by the differential
        # tests: "\r\n\r\n" in a note came out "\r\n\r"): never cut between the two.
        if size > 1 and piece[size - 1] == 0x0D and piece[size] == 0x0A:
            size -= 1
        self._pieces[0] = piece[size:]
        return piece[:size]  # type: ignore[return-value]

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    # -- reading ---------------------------------------------------------------------------

    def _fill(self) -> None:
        data = self._source.read(self._read_size)
        if not data:
            self._finish()
            return
        self.bytes_read += len(data)
        if self._if_quoted is not None:
            self._if_quoted = scan(data, self._if_quoted)
        if self._skipping is not None:
            data = self._skip(data)
        if data:
            self._take(self._carry + data if self._carry else data)
        main = self._skipping if self._skipping is not None else self._carry_state
        if self._if_quoted is not None and self._if_quoted is main:
            self._if_quoted = None  # same state at the same byte: the runs agree from here

    def _take(self, buffer: bytes) -> None:
        """Queue the complete records of ``buffer`` (which starts at a record start), guarded;
        keep the unfinished one as the carry."""
        spans = _Spans(buffer, self._max)
        self._carry_state = scan(buffer, State.RECORD, spans.on_outside)
        complete = spans.record_start
        replacements = [
            (start, end, Replaced(over_long(self._max), _head(buffer[start:end])))
            for start, end in spans.long_records
        ]
        if complete and not buffer.isascii():  # rare: find the records that are not UTF-8
            replacements = self._check_utf8(buffer, complete, replacements)
        self._queue(buffer, complete, replacements)
        self._carry = buffer[complete:]
        if len(self._carry) > self._max:  # already too long, and not finished
            self._queue_placeholder(Replaced(over_long(self._max), _head(self._carry)), b"\n")
            self._skipping, self._carry = self._carry_state, b""

    def _skip(self, data: bytes) -> bytes:
        """Drop the over-long record's bytes up to its end; what follows it, if in ``data``."""
        ends: list[int] = []

        def on_outside(start: int, stop: int) -> None:
            if not ends:
                found = [
                    i
                    for i in (data.find(b"\n", start, stop), data.find(b"\r", start, stop))
                    if i >= 0
                ]
                if found:
                    ends.append(min(found))

        state = scan(data, self._skipping or State.QUOTED, on_outside)
        if not ends:
            self._skipping = state
            return b""
        self._skipping = None
        self._carry_state = State.RECORD
        return data[ends[0] + 1 :]

    def _finish(self) -> None:
        self._eof = True
        if self._skipping is not None:
            main = self._skipping
            if main is State.QUOTED:
                self.replaced[-1].reason = UNTERMINATED
        else:
            main = self._carry_state if self._carry else State.RECORD
            if self._carry:
                if main is State.QUOTED:
                    self._queue_placeholder(Replaced(UNTERMINATED, _head(self._carry)), b"")
                else:  # a last record without a line end
                    replacements = (
                        []
                        if self._carry.isascii()
                        else self._check_utf8(self._carry, len(self._carry), [])
                    )
                    self._queue(self._carry, len(self._carry), replacements)
            self._carry = b""
        self.end_state = main
        self.end_state_if_quoted = main if self._if_quoted is None else self._if_quoted

    # -- output ----------------------------------------------------------------------------

    def _queue(
        self, buffer: bytes, stop: int, replacements: list[tuple[int, int, Replaced]]
    ) -> None:
        """Queue ``buffer[:stop]`` with each replaced [start, end) swapped for its placeholder
        (copied only then)."""
        if not replacements:
            if stop:
                self._pieces.append(memoryview(buffer)[:stop])
            return
        position = 0
        for start, end, replaced in sorted(replacements, key=lambda r: r[0]):
            if start > position:
                self._pieces.append(memoryview(buffer)[position:start])
            self._queue_placeholder(replaced, b"")
            position = end
        if stop > position:
            self._pieces.append(memoryview(buffer)[position:stop])

    def _queue_placeholder(self, replaced: Replaced, line_end: bytes) -> None:
        self._pieces.append(self._marker + str(len(self.replaced)).encode() + b"\x00" + line_end)
        self.replaced.append(replaced)

    def _check_utf8(
        self, buffer: bytes, stop: int, replacements: list[tuple[int, int, Replaced]]
    ) -> list[tuple[int, int, Replaced]]:
        """Records of ``buffer[:stop]`` (not already replaced) whose bytes are not UTF-8 and
        whose field count is wrong: the parser could not report them. The others it reads,
        and the value rules say which field is not UTF-8."""
        spans = _record_spans(buffer, stop)
        starts = [start for start, _ in spans]
        taken = [(start, end) for start, end, _ in replacements]
        result = list(replacements)
        position = 0
        while position < stop:
            try:
                buffer[position:stop].decode("utf-8")
                break
            except UnicodeDecodeError as error:
                bad = position + error.start
            index = bisect_right(starts, bad) - 1
            start, end = spans[index]
            position = end + 1
            if any(s <= bad < e for s, e in taken):
                continue
            found = len(split_fields(buffer[start:end]))
            if found != self._fields:
                result.append(
                    (
                        start,
                        end,
                        Replaced(
                            wrong_field_count(self._fields, found),
                            buffer[start:end].decode("utf-8", "replace"),
                        ),
                    )
                )
        return result


def _head(record: bytes) -> str:
    return record[:RAW_HEAD_BYTES].decode("utf-8", "replace")


class _Spans:
    """Follows record ends through the outside-quotes stretches of one buffer: the records
    longer than the limit, and where the last complete record ends."""

    def __init__(self, buffer: bytes, limit: int) -> None:
        self._buffer = buffer
        self._limit = limit
        self.record_start = 0  # of the record being read
        self.long_records: list[tuple[int, int]] = []

    def on_outside(self, start: int, stop: int) -> None:
        data, limit = self._buffer, self._limit
        position = start
        while position < stop:
            window = min(stop, self.record_start + limit + 1)
            last = -1
            if window > position:
                last = max(data.rfind(b"\n", position, window), data.rfind(b"\r", position, window))
            if last >= 0:  # every record ending up to there is within the limit
                position = self.record_start = last + 1
                continue
            if window < stop or self.record_start + limit + 1 <= stop:
                # No line end within the limit: the record is too long; find its end.
                ends = [
                    i
                    for i in (data.find(b"\n", position, stop), data.find(b"\r", position, stop))
                    if i >= 0
                ]
                if not ends:
                    return
                end = min(ends)
                self.long_records.append((self.record_start, end))
                position = self.record_start = end + 1
                continue
            return


def _record_spans(buffer: bytes, stop: int) -> list[tuple[int, int]]:
    """Every record [start, end) of ``buffer[:stop]`` (line ends excluded; ``stop`` ends a
    record): the slow path, for the rare buffers with bytes that are not UTF-8."""
    positions: list[int] = []

    def collect(start: int, end: int) -> None:
        positions.extend(m.start() for m in _LINE_END.finditer(buffer, start, end))

    scan(buffer if stop == len(buffer) else buffer[:stop], State.RECORD, collect)
    spans, start = [], 0
    for end in positions:
        spans.append((start, end))
        start = end + 1
    if start < stop:
        spans.append((start, stop))
    return spans


_LINE_END = re.compile(b"[" + re.escape(LINE_ENDS) + b"]")

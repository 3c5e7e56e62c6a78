"""A byte stream that keeps over-long physical lines away from the CSV parser.

pyarrow fails a whole read when one row is larger than its block. This wrapper replaces any
physical line longer than ``max_line_bytes`` by a one-field placeholder line, which the parser
then reports as a wrong-field-count row *at the right record number*; the engine quarantines it
with the line's first bytes. It also prepends the header to chunks that start mid-file and
counts the bytes read.
"""

from __future__ import annotations

import io
from collections import deque
from typing import BinaryIO

PLACEHOLDER = b"\x00over-long-line\x00"


class LineGuard(io.RawIOBase):
    """Reads hand out whole guarded pieces of the source (about ``read_size`` each, ending at a
    line end) without copying them again: the guard costs one copy of the data."""

    def __init__(
        self,
        source: BinaryIO,
        *,
        max_line_bytes: int,
        prefix: bytes = b"",
        read_size: int = 8 << 20,
    ) -> None:
        self._source = source
        self._max = max_line_bytes
        self._read_size = read_size
        self._pieces: deque[bytes] = deque([prefix] if prefix else [])  # guarded, in order
        self._carry = b""  # the current, unfinished line
        self._skipping = False  # inside an over-long line, dropping bytes up to its newline
        self._eof = False
        self.bytes_read = 0
        self.long_line_heads: list[bytes] = []  # first bytes of each replaced line, in order

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(1 << 30), b""))
        while not self._pieces and not self._eof:
            self._fill()
        if not self._pieces or size == 0:
            return b""
        piece = self._pieces[0]
        if size >= len(piece):
            return self._pieces.popleft()
        self._pieces[0] = piece[size:]
        return piece[:size]

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _fill(self) -> None:
        data = self._source.read(self._read_size)
        if not data:
            self._eof = True
            if self._carry and not self._skipping:
                self._emit_lines(self._carry)
            self._carry = b""
            return
        self.bytes_read += len(data)
        if self._skipping:
            newline = data.find(b"\n")
            if newline < 0:
                return
            self._skipping = False
            data = data[newline + 1 :]
        cut = data.rfind(b"\n")
        if cut < 0:
            self._carry += data
        else:
            complete = b"".join((self._carry, memoryview(data)[: cut + 1]))
            self._carry = data[cut + 1 :]
            self._emit_lines(complete)
        if len(self._carry) > self._max:
            self._pieces.append(self._placeholder(self._carry))
            self._carry = b""
            self._skipping = True

    def _emit_lines(self, block: bytes) -> None:
        """Queue ``block``, with lines longer than the limit replaced (copied only then)."""
        limit, start, position = self._max, 0, 0
        parts: list[bytes | memoryview] = []
        while len(block) - position > limit:
            # The last newline within reach of the limit: if none, the line is too long.
            reach = block.rfind(b"\n", position, position + limit + 1)
            if reach >= 0:
                position = reach + 1
                continue
            newline = block.find(b"\n", position)
            end = len(block) if newline < 0 else newline + 1
            parts += [memoryview(block)[start:position], self._placeholder(block[position:end])]
            start = position = end
        if parts:
            parts.append(memoryview(block)[start:])
            block = b"".join(parts)
        if block:
            self._pieces.append(block)

    def _placeholder(self, line: bytes) -> bytes:
        """The line that stands for a too-long ``line``; its first bytes are kept."""
        self.long_line_heads.append(line[:1024])
        return PLACEHOLDER + b"\n"

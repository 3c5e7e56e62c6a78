"""A byte stream that keeps over-long physical lines away from the CSV parser.

pyarrow fails a whole read when one row is larger than its block. This wrapper replaces any
physical line longer than ``max_line_bytes`` by a one-field placeholder line, which the parser
then reports as a wrong-field-count row *at the right record number*; the engine quarantines it
with the line's first bytes. It also prepends the header to chunks that start mid-file and
counts the bytes read.
"""

from __future__ import annotations

import io
from typing import BinaryIO

PLACEHOLDER = b"\x00over-long-line\x00"


class LineGuard(io.RawIOBase):
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
        self._pending = bytearray(prefix)  # guarded bytes ready to hand out, from _offset on
        self._offset = 0
        self._carry = bytearray()  # the current, unfinished line
        self._skipping = False  # inside an over-long line, dropping bytes up to its newline
        self._eof = False
        self.bytes_read = 0
        self.long_line_heads: list[bytes] = []  # first bytes of each replaced line, in order

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._offset == len(self._pending):
            # Everything handed out: start a fresh buffer (never shift bytes in place).
            self._pending, self._offset = bytearray(), 0
            while not self._pending and not self._eof:
                self._fill()
        count = min(len(buffer), len(self._pending) - self._offset)
        buffer[:count] = memoryview(self._pending)[self._offset : self._offset + count]
        self._offset += count
        return count

    def _fill(self) -> None:
        data = self._source.read(self._read_size)
        if not data:
            self._eof = True
            if self._carry and not self._skipping:
                self._emit_lines(bytes(self._carry))
            self._carry.clear()
            return
        self.bytes_read += len(data)
        if self._skipping:
            newline = data.find(b"\n")
            if newline < 0:
                return
            self._skipping = False
            data = data[newline + 1 :]
        self._carry += data
        cut = self._carry.rfind(b"\n")
        if cut < 0:
            if len(self._carry) > self._max:
                self._replace_long_line(bytes(self._carry))
                self._carry.clear()
                self._skipping = True
            return
        complete, rest = bytes(self._carry[: cut + 1]), self._carry[cut + 1 :]
        self._carry = bytearray(rest)
        self._emit_lines(complete)
        if len(self._carry) > self._max:
            self._replace_long_line(bytes(self._carry))
            self._carry.clear()
            self._skipping = True

    def _emit_lines(self, block: bytes) -> None:
        """Copy ``block`` to the output, replacing lines longer than the limit."""
        limit, position = self._max, 0
        while position < len(block):
            # The last newline within reach of the limit: if none, the line is too long.
            reach = block.rfind(b"\n", position, position + limit + 1)
            if reach >= 0 or len(block) - position <= limit:
                end = len(block) if reach < 0 else reach + 1
                self._pending += block[position:end]
                position = end
                continue
            newline = block.find(b"\n", position)
            end = len(block) if newline < 0 else newline + 1
            self._replace_long_line(block[position:end])
            position = end

    def _replace_long_line(self, head: bytes) -> None:
        self.long_line_heads.append(head[:1024])
        self._pending += PLACEHOLDER + b"\n"

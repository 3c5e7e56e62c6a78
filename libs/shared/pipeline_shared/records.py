"""How bytes become CSV records (docs/data-contract.md, "Reading records"), as a state machine
that jumps from one significant byte to the next.

Arrow's CSV parser reads the fields of a chunk, but it cannot say where a chunk's records end
or start, nor hand over a record that is too long: the transform's record guard, the header
check and the chain check need that, and all three must agree with Arrow byte for byte. No
library exposes Arrow's (or any RFC 4180) reader state, so the machine is written here, once:

- ``RECORD``: at the start of a record; ``FIELD``: at the start of a field after a comma;
  ``UNQUOTED``: inside an unquoted field, or after a quoted field's closing quote (a ``"`` is
  then an ordinary byte); ``QUOTED``: inside a quoted field; ``QUOTE``: just after a ``"`` in
  a quoted field (it closes the field, unless the next byte is ``"`` too: an escaped quote).
- A record ends at CR or LF in any state but ``QUOTED`` (CR LF is a line end and an empty line,
  which readers skip).

Scanning costs one C-speed search per quoted field and per stretch without quotes: a file with
no quotes is scanned by ``bytes.find`` alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import Enum


class State(Enum):
    RECORD = "record"
    FIELD = "field"
    UNQUOTED = "unquoted"
    QUOTED = "quoted"
    QUOTE = "quote"


LINE_ENDS = b"\r\n"
# Outside quotes, a '"' opens a quoted field only at a field's start: after a comma or a line
# end (the start of a buffer is checked by the caller, who knows the state there).
_OPENING_QUOTE = re.compile(rb'(?<=[,\r\n])"')

# Called with [start, stop): a stretch read outside quotes, where every CR and LF ends a record.
OnOutside = Callable[[int, int], None]


def scan(data: bytes, state: State, on_outside: OnOutside | None = None) -> State:
    """The state after reading ``data`` from ``state``; ``on_outside`` sees every stretch
    read outside quoted fields, in order."""
    position, stop = 0, len(data)
    while position < stop:
        if state is State.QUOTED:
            quote = data.find(b'"', position)
            if quote < 0:
                return State.QUOTED
            position, state = quote + 1, State.QUOTE
            continue
        if state is State.QUOTE:
            if data[position] == 0x22:  # '""': an escaped quote, still inside
                position, state = position + 1, State.QUOTED
                continue
            state = State.UNQUOTED
        elif data[position] == 0x22 and state in (State.RECORD, State.FIELD):
            position, state = position + 1, State.QUOTED
            continue
        # Outside quotes, from ``position``: up to the next quote that opens a field.
        opening = _next_opening_quote(data, position)
        end = stop if opening < 0 else opening
        if on_outside is not None and end > position:
            on_outside(position, end)
        if opening >= 0:
            position, state = opening + 1, State.QUOTED
            continue
        return _state_after(data, position, stop, state)
    return state


def _next_opening_quote(data: bytes, position: int) -> int:
    first = data.find(b'"', position)
    if first < 0:
        return -1
    match = _OPENING_QUOTE.search(data, max(first, position + 1) if first == position else first)
    return -1 if match is None else match.start()


def _state_after(data: bytes, start: int, stop: int, state: State) -> State:
    """The state at ``stop`` after an outside stretch [start, stop) entered in ``state``."""
    if stop == start:
        return state
    last = data[stop - 1]
    if last in LINE_ENDS:
        return State.RECORD
    if last == 0x2C:  # ','
        return State.FIELD
    return State.UNQUOTED


def split_fields(record: bytes) -> list[bytes]:
    """The fields of one record (its bytes without the line end), unescaped. For the rare
    records the guard must look into itself; Arrow reads all the others."""
    fields: list[bytes] = []
    current = bytearray()
    state = State.RECORD
    for byte in record:
        if state is State.QUOTED:
            if byte == 0x22:
                state = State.QUOTE
            else:
                current.append(byte)
        elif state is State.QUOTE and byte == 0x22:
            current.append(byte)
            state = State.QUOTED
        elif byte == 0x2C:
            fields.append(bytes(current))
            current.clear()
            state = State.FIELD
        elif byte == 0x22 and state in (State.RECORD, State.FIELD):
            state = State.QUOTED
        else:
            current.append(byte)
            state = State.UNQUOTED
    fields.append(bytes(current))
    return fields


def first_record(data: bytes) -> tuple[int, int, State] | None:
    """Where the first record of ``data`` starts and ends (its line end excluded), after any
    empty lines, and the state at its end: ``RECORD`` if a line end closed it, ``QUOTED`` if
    ``data`` ends inside one of its quoted fields. None if ``data`` holds only line ends."""
    start = 0
    while start < len(data) and data[start] in LINE_ENDS:
        start += 1
    if start == len(data):
        return None
    ends: list[int] = []

    def on_outside(a: int, b: int) -> None:
        if not ends:
            for line_end in (data.find(b"\n", a, b), data.find(b"\r", a, b)):
                if line_end >= 0:
                    ends.append(line_end)

    state = State.RECORD
    position = start
    # Scan in growing steps so a header in a large buffer costs only its own length.
    step = 4096
    while position < len(data) and not ends:
        piece_end = min(len(data), position + step)
        state = scan_from(data, position, piece_end, state, on_outside)
        position, step = piece_end, step * 2
    if ends:
        return start, min(ends), State.RECORD
    return start, len(data), state


def scan_from(data: bytes, start: int, stop: int, state: State, on_outside: OnOutside) -> State:
    """``scan`` over ``data[start:stop]``, reporting stretches in ``data``'s offsets."""
    piece = data[start:stop]
    return scan(piece, state, lambda a, b: on_outside(start + a, start + b))

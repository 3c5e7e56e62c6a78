"""The chain check (docs/data-contract.md, "Chunks and the chain check"): proves that every cut
ingest guessed is a record boundary, from what the chunks report, before a file counts as done.

Ingest cuts a plain file just after LF bytes, guessing that no quoted field spans the cut. A
chunk reads from its start as if a record started there and reports the reader's state at its
last byte, both as read and as it would be had it started inside a quoted field (just after
an LF, the reader is in one of those two states). Chunk 0 starts at the file's start, which is
known; so walking the chunks in order gives the true state at every cut, and a cut is proven
when that state is "between records". The cuts that are not are removed: the chunks around
them are read again as one (``Regroup``), after which every cut left is proven by the same
walk. Pure: finalize (in Lambda) and the transform CLI (on a laptop) share it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from pipeline_shared.records import State

# The states a chunk reports (pipeline_shared.records.State values, as stored on its record).
RECORD, QUOTED = State.RECORD.value, State.QUOTED.value


@dataclass(frozen=True, kw_only=True)
class ChunkEnd:
    """What a transformed chunk reports for the check."""

    index: int
    start: int
    end: int
    end_state: str  # as read, from a record start
    end_state_if_quoted: str  # had it started inside a quoted field

    @classmethod
    def of(cls, record: Mapping[str, Any], index: int) -> ChunkEnd:
        """From a chunk record (the metadata table's, or the CLI's list of them)."""
        return cls(
            index=index,
            start=int(record["start"]),
            end=int(record["end"]),
            end_state=str(record.get("end_state", "")),
            end_state_if_quoted=str(record.get("end_state_if_quoted", "")),
        )


@dataclass(frozen=True, kw_only=True)
class Span:
    """A chunk of the corrected plan: it keeps the index of its first chunk."""

    index: int
    start: int
    end: int

    def to_dict(self) -> dict[str, int]:
        return {"index": self.index, "start": self.start, "end": self.end}


@dataclass(frozen=True, kw_only=True)
class Regroup:
    """Cuts that were not record boundaries: read ``rerun`` again; ``superseded`` chunks are
    inside them (their records and outputs go)."""

    rerun: tuple[Span, ...]
    superseded: tuple[int, ...]
    unproven_cuts: tuple[int, ...]  # byte offsets


@dataclass(frozen=True, kw_only=True)
class ChainCheck:
    proven: bool
    regroup: Regroup | None = None
    problem: str | None = None  # when the chunks cannot be checked at all


class ChainError(ValueError):
    """The chunks do not tile the object, or report a state no cut after an LF can have."""


def check_tiling(chunks: list[ChunkEnd], size: int) -> None:
    """The chunks cover [0, size) exactly, in index order: no gap, no overlap. (Indices are
    increasing, not always consecutive: a regrouped chunk keeps its first chunk's.)"""
    if not chunks:
        raise ChainError("no chunk reported")
    for before, after in pairwise(chunks):
        if before.index >= after.index:
            raise ChainError(f"chunk {after.index} follows chunk {before.index}")
    if chunks[0].start != 0:
        raise ChainError(f"chunk 0 starts at byte {chunks[0].start}, not 0")
    for before, after in pairwise(chunks):
        if before.end != after.start:
            kind = "gap" if before.end < after.start else "overlap"
            raise ChainError(
                f"a {kind} between chunk {before.index} (ends at byte {before.end}) and "
                f"chunk {after.index} (starts at byte {after.start})"
            )
    if chunks[-1].end != size:
        raise ChainError(f"the last chunk ends at byte {chunks[-1].end}, the object has {size}")


def check_chain(chunks: list[ChunkEnd], size: int) -> ChainCheck:
    """Walk the chunks from the file's start; ``chunks`` sorted by index."""
    try:
        check_tiling(chunks, size)
    except ChainError as error:
        return ChainCheck(proven=False, problem=f"the chunks do not tile the object: {error}")
    state = RECORD
    unproven: list[int] = []  # positions in ``chunks`` of the chunks whose start is not a record
    for position, chunk in enumerate(chunks):
        if state == RECORD:
            state = chunk.end_state
        elif state == QUOTED:
            state = chunk.end_state_if_quoted
        else:
            return ChainCheck(
                proven=False,
                problem=(
                    f"the reader is in state {state!r} at byte {chunk.start}, where chunk "
                    f"{chunk.index} starts: a cut must follow a line end"
                ),
            )
        if position + 1 < len(chunks) and state != RECORD:
            unproven.append(position + 1)
    if not unproven:
        return ChainCheck(proven=True)
    groups: list[list[ChunkEnd]] = []
    for position, chunk in enumerate(chunks):
        if position in unproven:
            groups[-1].append(chunk)
        else:
            groups.append([chunk])
    merged = [g for g in groups if len(g) > 1]
    return ChainCheck(
        proven=False,
        regroup=Regroup(
            rerun=tuple(Span(index=g[0].index, start=g[0].start, end=g[-1].end) for g in merged),
            superseded=tuple(c.index for g in merged for c in g[1:]),
            unproven_cuts=tuple(chunks[p].start for p in unproven),
        ),
    )

"""Typed inputs and outputs of a transform run."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True)
class ChunkTask:
    """One byte range of a raw object, as the ingest plan hands it to a Map iteration."""

    bucket: str
    key: str
    etag: str
    ingest_id: str
    source: str
    chunk_index: int
    start: int
    end: int
    header: str
    compression: str = "none"

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> ChunkTask:
        try:
            chunk = event["chunk"]
            task = cls(
                bucket=str(event["bucket"]),
                key=str(event["key"]),
                etag=str(event["etag"]),
                ingest_id=str(event["ingest_id"]),
                source=str(event["source"]),
                header=str(event["header"]),
                compression=str(event.get("compression", "none")),
                chunk_index=int(chunk["index"]),
                start=int(chunk["start"]),
                end=int(chunk["end"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"malformed transform event, missing or bad field: {error}") from None
        if not 0 <= task.start < task.end:
            raise ValueError(f"malformed transform event: empty byte range {task.start}-{task.end}")
        if task.compression not in ("none", "gzip"):
            raise ValueError(f"malformed transform event: unknown compression {task.compression!r}")
        return task


@dataclass(kw_only=True)
class ChunkSummary:
    """What one chunk produced: rows_read == rows_written + rows_quarantined + duplicates."""

    rows_read: int = 0
    rows_written: int = 0
    rows_quarantined: int = 0
    duplicates: int = 0
    bytes_read: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    outputs: list[str] = field(default_factory=list)
    quarantine_outputs: list[str] = field(default_factory=list)
    # The reader's state at the chunk's last byte, as read (from a record start), and had the
    # chunk started inside a quoted field: finalize's chain check (docs/data-contract.md).
    end_state: str = "record"
    end_state_if_quoted: str = "quoted"

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_written + self.rows_quarantined + self.duplicates

    def counts(self) -> dict[str, int]:
        return {
            "rows_read": self.rows_read,
            "rows_written": self.rows_written,
            "rows_quarantined": self.rows_quarantined,
            "duplicates": self.duplicates,
            "bytes_read": self.bytes_read,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.counts(),
            "reasons": dict(self.reasons.most_common()),
            "outputs": self.outputs,
            "quarantine_outputs": self.quarantine_outputs,
            "end_state": self.end_state,
            "end_state_if_quoted": self.end_state_if_quoted,
        }

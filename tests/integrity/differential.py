"""Differential checks: the transform (one chunk, and chunked as ingest plans it) against the
testkit oracle, on the same bytes. Shared by test_differential.py (CI) and long_run.py.

Every comparison returns a list of disagreements; each names the record (its number and start
byte in the file) and shows the file's bytes near it.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from testkit.hostile import hostile_files
from testkit.oracle import QUARANTINED, WRITTEN, Reference, reference

from pipeline_shared.contract import FileRejected
from transform.engine import ChunkContext, Limits, transform_stream
from transform.local_run import run_file

# --------------------------------------------------------------------------------------------
# Hypothesis profiles: "ci" (bounded, reproducible) and "long" (tests/integrity/long_run.py).

_SUPPRESS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=_SUPPRESS,
    print_blob=True,
)
settings.register_profile(
    "long",
    max_examples=int(os.environ.get("INTEGRITY_LONG_EXAMPLES", "5000")),
    deadline=None,
    derandomize=False,
    database=None,
    suppress_health_check=_SUPPRESS,
    print_blob=True,
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)

# Small record limits, so over-long records are cheap to make; blocks of at least twice that.
MAX_RECORD_BYTES = st.sampled_from([1024, 1500, 2048, 4096])
CHUNK_BYTES = st.one_of(st.integers(1 << 10, 8 << 10), st.integers(1 << 10, 64 << 10))


def block_sizes(max_record_bytes: int) -> st.SearchStrategy[int]:
    m = max_record_bytes
    return st.sampled_from([2 * m, 2 * m + 1, 3 * m + 7, 64 << 10])


def limits(max_record_bytes: int, block_size: int) -> Limits:
    if "max_record_bytes" not in {f.name for f in dataclasses.fields(Limits)}:
        raise AssertionError(
            "transform.engine.Limits has no max_record_bytes field (the engine rewrite renames "
            f"max_line_bytes): {[f.name for f in dataclasses.fields(Limits)]}"
        )
    return Limits(max_record_bytes=max_record_bytes, block_size=block_size)


# --------------------------------------------------------------------------------------------
# What the engine produced, read back from its outputs.


@dataclass
class Quarantined:
    chunk_index: int
    chunk_start_byte: int
    line_number: int
    raw_line: str
    reasons: tuple[str, ...]


@dataclass
class Written:
    path: str
    values: dict[str, Any]


@dataclass
class EngineView:
    rejected: str | None = None
    failed: str | None = None
    rows_read: int = 0
    rows_written: int = 0
    rows_quarantined: int = 0
    duplicates: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    quarantined: list[Quarantined] = field(default_factory=list)
    written: list[Written] = field(default_factory=list)
    schemas: dict[str, pa.Schema] = field(default_factory=dict)
    chunks: list[dict[str, int]] = field(default_factory=list)


def _read_outputs(
    view: EngineView, out_dir: Path, outputs: list[str], quarantine: list[str]
) -> None:
    for relative in outputs:
        table = pq.read_table(out_dir / relative)
        view.schemas[relative] = table.schema
        for values in table.to_pylist():
            view.written.append(Written(relative, values))
    for relative in quarantine:
        for line in (out_dir / relative).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            view.quarantined.append(
                Quarantined(
                    chunk_index=item["chunk_index"],
                    chunk_start_byte=item["chunk_start_byte"],
                    line_number=item["line_number"],
                    raw_line=item["raw_line"],
                    reasons=tuple(item["reasons"]),
                )
            )


CONTEXT = ChunkContext(source="s", ingest_id="i", chunk_index=0, source_object="s3://b/k")


def run_one_chunk(data: bytes, lim: Limits, out_dir: Path) -> EngineView:
    view = EngineView()
    try:
        summary = transform_stream(io.BytesIO(data), context=CONTEXT, out_dir=out_dir, limits=lim)
    except FileRejected as rejected:
        view.rejected = str(rejected) or "rejected"
        return view
    view.rows_read = summary.rows_read
    view.rows_written = summary.rows_written
    view.rows_quarantined = summary.rows_quarantined
    view.duplicates = summary.duplicates
    view.reasons = Counter(summary.reasons)
    _read_outputs(view, out_dir, list(summary.outputs), list(summary.quarantine_outputs))
    return view


def run_chunked(data: bytes, lim: Limits, chunk_bytes: int, work: Path) -> EngineView:
    path = work / "file.csv"
    path.write_bytes(data)
    out_dir = work / "out"
    summary = run_file(path, out_dir, chunk_bytes=chunk_bytes, limits=lim)
    view = EngineView(chunks=list(summary.get("chunks", [])))
    status = summary["status"]
    if status == "REJECTED":
        view.rejected = summary.get("reason") or "rejected"
        return view
    if status != "SUCCEEDED":
        view.failed = f"{status}: {summary.get('reason')}"
        return view
    view.rows_read = summary["rows_read"]
    view.rows_written = summary["rows_written"]
    view.rows_quarantined = summary["rows_quarantined"]
    view.duplicates = summary["duplicates"]
    view.reasons = Counter(summary.get("reasons", {}))
    _read_outputs(view, out_dir, summary["outputs"], summary["quarantine_outputs"])
    return view


# --------------------------------------------------------------------------------------------
# The comparison.


def near(data: bytes, start: int, before: int = 160, after: int = 320) -> str:
    lo, hi = max(0, start - before), min(len(data), start + after)
    return f"bytes {lo}..{hi} of {len(data)} (record at {start}): {data[lo:start]!r} | {data[start:hi]!r}"


def _record_label(ref: Reference, index: int, data: bytes) -> str:
    record = ref.records[index]
    return f"record {record.number} (oracle: {record.outcome} {record.reasons}); " + near(
        data, record.start
    )


OUTPUT_TYPES = {
    "transaction_id": pa.string(),
    "account_id": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "amount": pa.decimal128(22, 4),
    "currency": pa.string(),
    "merchant_id": pa.string(),
    "mcc": pa.string(),
    "country": pa.string(),
    "channel": pa.string(),
    "transaction_date": pa.date32(),
}


def _same_value(expected: Any, actual: Any) -> bool:
    if hasattr(expected, "as_tuple"):  # Decimal: the value and its exponent
        return actual is not None and str(expected) == str(actual)
    if hasattr(expected, "utcoffset") and hasattr(expected, "hour"):  # aware datetime
        return (
            actual is not None
            and actual.utcoffset() is not None
            and actual.utcoffset().total_seconds() == 0
            and expected == actual
        )
    return type(expected) is type(actual) and expected == actual


@dataclass(frozen=True)
class Diff:
    text: str

    def __str__(self) -> str:
        return self.text


def _first_difference(engine: str, expected: str | None) -> str:
    expected = expected or ""
    at = next(
        (k for k, (a, b) in enumerate(zip(engine, expected, strict=False)) if a != b),
        min(len(engine), len(expected)),
    )
    lo = max(0, at - 60)
    return (
        f"{engine[lo : at + 120]!r}, oracle {expected[lo : at + 120]!r} (from character {lo}; "
        f"lengths {len(engine)} and {len(expected)})"
    )


def compare(data: bytes, ref: Reference, view: EngineView) -> list[Diff]:
    """Every way the engine's result differs from the oracle's."""
    if view.failed:
        return [Diff(f"the engine failed the file: {view.failed}; chunks {view.chunks}")]
    if (ref.rejected is None) != (view.rejected is None):
        return [
            Diff(
                f"rejection differs: oracle {ref.rejected!r}, engine {view.rejected!r}; "
                + near(data, 0, 0, 400)
            )
        ]
    if ref.rejected:
        return []
    return _compare_records(data, ref, view)


def _compare_records(data: bytes, ref: Reference, view: EngineView) -> list[Diff]:
    diffs: list[Diff] = []

    def add(text: str) -> None:
        diffs.append(Diff(text))

    # Quarantined rows: each mapped to the oracle's record by chunk start and line number.
    starts = [r.start for r in ref.records]
    seen: dict[int, Quarantined] = {}
    for q in view.quarantined:
        first = next((k for k, s in enumerate(starts) if s >= q.chunk_start_byte), len(starts))
        index = first + q.line_number - 2
        if q.line_number < 2 or index >= len(ref.records):
            add(
                f"quarantined row with no oracle record: chunk {q.chunk_index} at "
                f"{q.chunk_start_byte}, line {q.line_number}, reasons {q.reasons}, raw_line "
                f"{q.raw_line[:200]!r}; " + near(data, q.chunk_start_byte)
            )
            continue
        if index in seen:
            add(f"quarantined twice: {_record_label(ref, index, data)}")
        seen[index] = q
        expected = ref.records[index]
        if expected.outcome != QUARANTINED:
            add(
                f"engine quarantined {q.reasons} (raw_line {q.raw_line[:200]!r}), oracle says "
                f"{expected.outcome}: {_record_label(ref, index, data)}"
            )
            continue
        if tuple(sorted(q.reasons)) != tuple(sorted(expected.reasons)):
            add(
                f"reasons differ: engine {sorted(q.reasons)}, oracle {sorted(expected.reasons)}: "
                + _record_label(ref, index, data)
            )
        if q.raw_line != expected.raw_line:
            add(
                f"raw_line differs: engine {_first_difference(q.raw_line, expected.raw_line)}: "
                + _record_label(ref, index, data)
            )
    for index, record in enumerate(ref.records):
        if record.outcome == QUARANTINED and index not in seen:
            add(f"not quarantined by the engine: {_record_label(ref, index, data)}")

    # Written rows, keyed by transaction_id (Parquet files are per date).
    by_id: dict[str, int] = {
        r.transaction_id: k
        for k, r in enumerate(ref.records)
        if r.outcome == WRITTEN and r.transaction_id is not None
    }
    written: dict[str, Written] = {}
    order: dict[str, list[int]] = {}
    for w in view.written:
        tid = str(w.values.get("transaction_id"))
        if tid in written:
            add(f"transaction_id {tid!r} written twice ({written[tid].path}, {w.path})")
            continue
        written[tid] = w
        if tid not in by_id:
            at = data.find(str(tid).encode())
            add(f"engine wrote {tid!r} {w.values}, the oracle does not: " + near(data, max(at, 0)))
            continue
        index = by_id[tid]
        order.setdefault(w.path, []).append(index)
        values = ref.records[index].values or {}
        for column, value in values.items():
            if not _same_value(value, w.values.get(column)):
                add(
                    f"{column} of {tid!r}: engine {w.values.get(column)!r}, oracle {value!r}: "
                    + _record_label(ref, index, data)
                )
        date = values.get("transaction_date")
        if date is not None and "dt=" in w.path and f"dt={date.isoformat()}" not in w.path:
            add(f"{tid!r} ({date}) written to {w.path}")
    for tid, index in by_id.items():
        if tid not in written:
            add(f"not written by the engine: {_record_label(ref, index, data)}")
    for path, indexes in order.items():
        if indexes != sorted(indexes):
            add(f"rows of {path} not in input order (oracle records {indexes[:20]})")
    for path, schema in view.schemas.items():
        for column, expected_type in OUTPUT_TYPES.items():
            index = schema.get_field_index(column)
            if index < 0 or not schema.field(index).type.equals(expected_type):
                actual = schema.field(index).type if index >= 0 else "missing"
                add(f"{path}: column {column} is {actual}, not {expected_type}")

    # Totals, the accounting identity, and the run summary's reasons.
    totals = ("rows_read", "rows_written", "rows_quarantined", "duplicates")
    for name in totals:
        if getattr(ref, name) != getattr(view, name):
            add(f"{name}: engine {getattr(view, name)}, oracle {getattr(ref, name)}")
    if view.rows_read != view.rows_written + view.rows_quarantined + view.duplicates:
        add(f"engine's accounting identity fails: {[getattr(view, n) for n in totals]}")
    if len(view.written) != view.rows_written:
        add(f"{len(view.written)} Parquet rows, but rows_written {view.rows_written}")
    if len(view.quarantined) != view.rows_quarantined:
        add(f"{len(view.quarantined)} quarantine lines, rows_quarantined {view.rows_quarantined}")
    expected_reasons: Counter[str] = Counter()
    for record in ref.records:
        if record.outcome != WRITTEN:
            expected_reasons.update(record.reasons)
    if +view.reasons != expected_reasons:
        add(f"summary reasons: engine {dict(view.reasons)}, oracle {dict(expected_reasons)}")
    return diffs


def message(data: bytes, diffs: list[Diff], **params: Any) -> str:
    shown = "\n  ".join(str(d)[:1500] for d in diffs[:8])
    more = f"\n  ... and {len(diffs) - 8} more" if len(diffs) > 8 else ""
    head = repr(data[:600]) + ("..." if len(data) > 600 else "")
    return (
        f"{len(diffs)} disagreement(s) with the oracle ({params}, {len(data)} bytes):\n  "
        f"{shown}{more}\nfile starts: {head}"
    )


# --------------------------------------------------------------------------------------------
# One check per path (used by the properties and the named regressions).


def check_one_chunk(data: bytes, max_record_bytes: int, block_size: int) -> list[Diff]:
    ref = reference(data, max_record_bytes=max_record_bytes)
    with tempfile.TemporaryDirectory() as tmp:
        view = run_one_chunk(data, limits(max_record_bytes, block_size), Path(tmp))
    return compare(data, ref, view)


def check_chunked(
    data: bytes, max_record_bytes: int, block_size: int, chunk_bytes: int
) -> list[Diff]:
    ref = reference(data, max_record_bytes=max_record_bytes)
    with tempfile.TemporaryDirectory() as tmp:
        view = run_chunked(data, limits(max_record_bytes, block_size), chunk_bytes, Path(tmp))
    return compare(data, ref, view)


@st.composite
def one_chunk_cases(draw: st.DrawFn) -> tuple[int, int, bytes]:
    m = draw(MAX_RECORD_BYTES)
    return m, draw(block_sizes(m)), draw(hostile_files(m))


# At most this many chunks per file in CI (each chunk writes its own Parquet and JSONL files,
# ~20 ms apiece): smaller chunks are drawn, and raised to len(file) / MAX_CHUNKS.
MAX_CHUNKS = int(os.environ.get("INTEGRITY_MAX_CHUNKS", "64" if PROFILE == "long" else "16"))


@st.composite
def chunked_cases(draw: st.DrawFn) -> tuple[int, int, int, bytes]:
    m = draw(MAX_RECORD_BYTES)
    block_size = draw(block_sizes(m))
    chunk_bytes = draw(CHUNK_BYTES)
    data = draw(hostile_files(m))
    if MAX_CHUNKS:
        chunk_bytes = max(chunk_bytes, -(-len(data) // MAX_CHUNKS))
    return m, block_size, chunk_bytes, data

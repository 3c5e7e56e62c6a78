"""A whole file on a laptop, the way Lambda processes it: the ingest plan, every chunk, the
chain check (with its regrouping) and the cross-chunk duplicate check, then finalize's totals.

The steps are the pipeline's own (ingest.chunking, transform.engine, pipeline_shared.chain,
finalize.run.add_up, finalize.cross_chunk), with the functions' defaults; only the storage
differs: the local file for S3, a directory for the output buckets, a list for the chunk records.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from finalize.cross_chunk import remove_cross_chunk_duplicates
from finalize.run import MAX_REGROUPS, add_up, balanced
from finalize.settings import CROSS_CHUNK_MAX_ROWS, MAX_CHUNK_BYTES
from ingest.chunking import plan_chunks
from ingest.settings import BOUNDARY_WINDOW_BYTES
from pipeline_shared.chain import ChunkEnd, Span, check_chain
from pipeline_shared.contract import MAX_HEADER_BYTES, FileRejected, read_header
from pipeline_shared.outcomes import UNTERMINATED
from transform.engine import ChunkContext, Limits, transform_stream


class FileRange(io.RawIOBase):
    """Bytes [start, end) of an open local file, as S3RangeReader gives a chunk to the engine
    (the benchmarks read chunks through it too)."""

    def __init__(
        self,
        handle: BinaryIO,
        start: int,
        end: int,
        *,
        owns_handle: bool = False,
        on_read: Callable[[int], None] | None = None,
    ) -> None:
        handle.seek(start)
        self._handle, self._left, self._owns = handle, end - start, owns_handle
        self._on_read = on_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._handle.read(min(len(buffer), self._left))
        buffer[: len(data)] = data
        self._left -= len(data)
        if self._on_read is not None:
            self._on_read(len(data))
        return len(data)

    def close(self) -> None:
        if self._owns:
            self._handle.close()
        super().close()


def run_file(
    path: Path,
    out: Path,
    *,
    chunk_bytes: int | None = None,
    limits: Limits | None = None,
    source: str = "local",
    max_chunk_bytes: int = MAX_CHUNK_BYTES.default,
    on_read: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Process ``path`` into ``out`` (processed/ and quarantine/); the run summary. Without
    ``chunk_bytes`` the file is one chunk; a .gz file always is (as in Lambda). ``on_read``
    is told each read's bytes of the file (compressed, for a .gz), for a progress display;
    a regrouped chunk is read again."""
    limits = limits or Limits()
    gzipped = path.suffix == ".gz"
    size = path.stat().st_size
    ingest_id = f"local-{path.stem}"
    try:
        header = _header(path, gzipped, size)
    except FileRejected as error:
        return {"status": "REJECTED", "reason": str(error)}
    if gzipped or chunk_bytes is None:
        spans = [Span(index=0, start=0, end=size)]
    else:
        with path.open("rb") as file:

            def window(start: int, end: int) -> bytes:
                file.seek(start)
                return file.read(end - start)

            ranges = plan_chunks(
                size=size,
                data_start=header.data_start,
                chunk_bytes=chunk_bytes,
                field_count=len(header.names),
                read_window=window,
                window_bytes=BOUNDARY_WINDOW_BYTES,
            )
        spans = [Span(index=i, start=start, end=end) for i, (start, end) in enumerate(ranges)]

    def transform(span: Span) -> dict[str, Any]:
        context = ChunkContext(
            source=source,
            ingest_id=ingest_id,
            chunk_index=span.index,
            source_object=str(path),
            chunk_start=span.start,
        )
        with _open_chunk(path, span, gzipped, on_read) as stream:
            try:
                summary = transform_stream(
                    stream,
                    context=context,
                    out_dir=out,
                    header_line=header.line if span.start > 0 else None,
                    limits=limits,
                )
            except (OSError, EOFError) as error:
                if not gzipped:
                    raise
                raise FileRejected(f"{path} is not a valid gzip file: {error}") from None
        return {"index": span.index, "start": span.start, "end": span.end, **summary.to_dict()}

    try:
        records = [transform(span) for span in spans]
    except FileRejected as error:
        return {"status": "REJECTED", "reason": str(error)}
    regroups = 0
    while True:
        chain = check_chain([ChunkEnd.of(r, int(r["index"])) for r in records], size)
        if chain.problem is not None:
            return _failed(out, records, chain.problem)
        if chain.regroup is None:
            break
        too_large = [s for s in chain.regroup.rerun if s.end - s.start > max_chunk_bytes]
        if regroups >= MAX_REGROUPS or too_large:
            return _failed(
                out,
                records,
                f"the chunk cuts at {list(chain.regroup.unproven_cuts)[:5]} cannot be proven",
            )
        regroups += 1
        involved = {s.index for s in chain.regroup.rerun} | set(chain.regroup.superseded)
        _delete_outputs(out, [r for r in records if r["index"] in involved])
        kept = [r for r in records if r["index"] not in involved]
        records = sorted(kept + [transform(s) for s in chain.regroup.rerun], key=_index)

    def write(key: str, data: bytes) -> None:
        (out / key).write_bytes(data)

    totals, reasons, cross_chunk = add_up(
        records,
        lambda results: remove_cross_chunk_duplicates(
            results,
            open_output=lambda key: (out / key).open("rb"),
            write=write,
            max_rows=CROSS_CHUNK_MAX_ROWS.default,
        ),
    )
    if not balanced(totals):
        return _failed(out, records, "rows read != rows written + quarantined + duplicates")
    return {
        "status": "SUCCEEDED",
        **totals,
        "reasons": dict(reasons.most_common()),
        "unterminated_quote": bool(reasons.get(UNTERMINATED)),
        "regrouped": regroups > 0,
        "cross_chunk_duplicates_checked": cross_chunk.checked,
        "chunks": [{"index": r["index"], "start": r["start"], "end": r["end"]} for r in records],
        "outputs": [key for r in records for key in r["outputs"]],
        "quarantine_outputs": [key for r in records for key in r["quarantine_outputs"]],
    }


def _header(path: Path, gzipped: bool, size: int) -> Any:
    try:
        with gzip.open(path, "rb") if gzipped else path.open("rb") as file:
            first = file.read(MAX_HEADER_BYTES + 1)
    except (OSError, EOFError) as error:
        if not gzipped:
            raise
        raise FileRejected(f"{path} is not a valid gzip file: {error}") from None
    return read_header(first, whole_file=len(first) <= MAX_HEADER_BYTES)


def _open_chunk(
    path: Path, span: Span, gzipped: bool, on_read: Callable[[int], None] | None
) -> BinaryIO:
    if gzipped:
        compressed = FileRange(path.open("rb"), 0, span.end, owns_handle=True, on_read=on_read)
        return _GzipOf(compressed)  # type: ignore[return-value]
    if span.start > 0:
        with path.open("rb") as file:
            file.seek(span.start - 1)
            if file.read(1) != b"\n":
                raise ValueError(
                    f"chunk {span.index} starts at byte {span.start}, which does not follow an "
                    "LF: the chunk plan is wrong"
                )
    return FileRange(  # type: ignore[return-value]
        path.open("rb"), span.start, span.end, owns_handle=True, on_read=on_read
    )


class _GzipOf(gzip.GzipFile):
    """Decompresses ``source`` and closes it when closed (a GzipFile leaves a file object it
    was given open)."""

    def __init__(self, source: FileRange) -> None:
        super().__init__(fileobj=source, mode="rb")
        self._source = source

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._source.close()


def _index(record: dict[str, Any]) -> int:
    return int(record["index"])


def _delete_outputs(out: Path, records: list[dict[str, Any]]) -> None:
    for record in records:
        for key in record["outputs"] + record["quarantine_outputs"]:
            (out / key).unlink(missing_ok=True)


def _failed(out: Path, records: list[dict[str, Any]], problem: str) -> dict[str, Any]:
    """Nothing of a failed file stays in ``out``."""
    _delete_outputs(out, records)
    return {"status": "FAILED", "problem": problem}

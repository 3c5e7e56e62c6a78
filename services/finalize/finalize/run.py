"""Close a run: prove the chunk cuts were record boundaries, add up the chunks' counts, prove
nothing was lost, record the file's outcome.

Everything is read from the chunk records in the metadata table, not from the Map's results:
the state Step Functions carries stays a few hundred bytes whatever the file (its 256 KiB
limit), and a regrouped run (some chunks read again) is added up from what is there now.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from finalize.cross_chunk import CrossChunkResult
from pipeline_shared.chain import ChunkEnd, check_chain
from pipeline_shared.keys import chunk_index_of
from pipeline_shared.metadata import FAILED, REGISTERED, SUCCEEDED, MetadataTable
from pipeline_shared.observability import MetricUnit, logger, metrics
from pipeline_shared.outcomes import DUPLICATE, UNTERMINATED

COUNTS = ("rows_read", "rows_written", "rows_quarantined", "duplicates", "bytes_read")
# A succeeded file's rows, as its outputs hold them, for the dashboard and the quarantine-rate
# alarm. The transform publishes the same names per chunk run (service "transform"), where a
# regrouped chunk, read twice, counts twice and cross-chunk duplicates count as written.
FILE_ROW_METRICS = {
    "RowsRead": "rows_read",
    "RowsWritten": "rows_written",
    "RowsQuarantined": "rows_quarantined",
    "DuplicateRows": "duplicates",
}
RERUN = "RERUN"  # the workflow reads the regrouped chunks again, then finalizes again
MAX_REGROUPS = 1  # a second broken chain is a bug, not a guess: the file fails


def finalize_run(
    plan: dict[str, Any],
    *,
    table: MetadataTable,
    dedupe: Callable[[list[dict[str, Any]]], CrossChunkResult],
    withdraw: Callable[[list[dict[str, Any]]], int],
    max_chunk_bytes: int,
) -> dict[str, Any]:
    """The run summary notify turns into a message (or, when a cut was not a record boundary,
    the chunks to read again); the file record gets the same totals."""
    records = sorted(
        (dict(r, index=chunk_index_of(str(r["sk"]))) for r in table.chunks(plan["ingest_id"])),
        key=lambda r: int(r["index"]),
    )
    file_key = {"bucket": plan["bucket"], "key": plan["key"], "etag": plan["etag"]}
    file_record = table.get_file(**file_key) or {}
    problem = _unfinished(records)
    chain = None
    if problem is None:
        chain = check_chain([ChunkEnd.of(r, int(r["index"])) for r in records], int(plan["size"]))
        problem = chain.problem
    if problem is None and chain is not None and chain.regroup is not None:
        regroup = chain.regroup
        regroups = int(file_record.get("regroups", 0))
        too_large = [s for s in regroup.rerun if s.end - s.start > max_chunk_bytes]
        if regroups >= MAX_REGROUPS:
            problem = (
                f"the chunk cuts at bytes {list(regroup.unproven_cuts)[:5]} are still not record "
                "boundaries after the chunks were read again as one"
            )
        elif too_large:
            span = too_large[0]
            problem = (
                f"bytes {span.start}-{span.end} hold one quoted field or record too large for "
                f"one function ({span.end - span.start} bytes, limit {max_chunk_bytes}): the file "
                "cannot be split; check it for an unclosed quote"
            )
        else:
            return _regroup(plan, records, regroup, table=table, withdraw=withdraw)
    if problem is not None:
        return _failed(plan, records, problem, table=table, withdraw=withdraw)

    totals, reasons, cross_chunk = add_up(records, dedupe)
    if not balanced(totals):
        return _failed(
            plan,
            records,
            "rows read != rows written + quarantined + duplicates",
            table=table,
            withdraw=withdraw,
            totals=totals,
        )
    table.update_file(
        **file_key,
        values={
            "status": SUCCEEDED,
            **totals,
            "chunk_count": len(records),
            "reasons": dict(reasons),
            "cross_chunk_duplicates_checked": cross_chunk.checked,
        },
    )
    metrics.add_metric(name="FilesSucceeded", unit=MetricUnit.Count, value=1)
    for metric, count in FILE_ROW_METRICS.items():
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=totals[count])
    return {
        **_summary(plan, records, SUCCEEDED),
        **totals,
        "reasons": dict(reasons.most_common(10)),
        "reason_kinds": len(reasons),
        "unterminated_quote": bool(reasons.get(UNTERMINATED)),
        "regrouped": int(file_record.get("regroups", 0)) > 0,
        "cross_chunk_duplicates_checked": cross_chunk.checked,
    }


def add_up(
    records: list[dict[str, Any]], dedupe: Callable[[list[dict[str, Any]]], CrossChunkResult]
) -> tuple[dict[str, int], Counter[str], CrossChunkResult]:
    """The file's totals and reasons from its chunk records (``index``, the counts, ``reasons``,
    ``outputs``), after removing the ids an earlier chunk already wrote."""
    totals = {name: sum(int(r.get(name, 0)) for r in records) for name in COUNTS}
    reasons: Counter[str] = Counter()
    for record in records:
        reasons.update({str(k): int(v) for k, v in (record.get("reasons") or {}).items()})
    cross_chunk = dedupe(
        [
            {
                "chunk_index": r["index"],
                "outputs": list(r.get("outputs") or []),
                "rows_written": int(r.get("rows_written", 0)),
            }
            for r in records
        ]
    )
    if cross_chunk.removed:
        totals["rows_written"] -= cross_chunk.removed
        totals["duplicates"] += cross_chunk.removed
        reasons[DUPLICATE] += cross_chunk.removed
    return totals, reasons, cross_chunk


def balanced(totals: dict[str, int]) -> bool:
    return totals["rows_read"] == (
        totals["rows_written"] + totals["rows_quarantined"] + totals["duplicates"]
    )


def _unfinished(records: list[dict[str, Any]]) -> str | None:
    if not records:
        return "no chunk record: the chunks never ran"
    unfinished = [r for r in records if r.get("status") != SUCCEEDED]
    if unfinished:
        first = unfinished[0]
        return f"chunk {first['index']} is {first.get('status')}, not SUCCEEDED"
    return None


def _summary(plan: dict[str, Any], records: list[dict[str, Any]], status: str) -> dict[str, Any]:
    """What every summary says: bounded, whatever the file's size (no output lists)."""
    return {
        "status": status,
        "ingest_id": plan["ingest_id"],
        "bucket": plan["bucket"],
        "key": plan["key"],
        "source": plan["source"],
        "chunks": len(records),
        "output_files": sum(len(r.get("outputs") or []) for r in records),
        "quarantine_files": sum(len(r.get("quarantine_outputs") or []) for r in records),
    }


def _regroup(
    plan: dict[str, Any],
    records: list[dict[str, Any]],
    regroup: Any,
    *,
    table: MetadataTable,
    withdraw: Callable[[list[dict[str, Any]]], int],
) -> dict[str, Any]:
    """Withdraw what the chunks around the unproven cuts published, drop the records of the
    chunks they absorb, and hand the regrouped chunks back to the workflow."""
    involved = {s.index for s in regroup.rerun} | set(regroup.superseded)
    withdrawn = withdraw([r for r in records if r["index"] in involved])
    for index in regroup.superseded:
        table.delete_chunk(ingest_id=plan["ingest_id"], index=index)
    table.update_file(
        bucket=plan["bucket"],
        key=plan["key"],
        etag=plan["etag"],
        values={"regroups": 1, "chunk_count": len(records) - len(regroup.superseded)},
    )
    metrics.add_metric(name="ChunksRegrouped", unit=MetricUnit.Count, value=len(involved))
    logger.warning(
        "chunk cuts were not record boundaries: reading the chunks around them again",
        extra={"cuts": list(regroup.unproven_cuts)[:20], "withdrawn": withdrawn},
    )
    return {
        "status": RERUN,
        "plan": {**plan, "chunks": [span.to_dict() for span in regroup.rerun]},
        "unproven_cuts": len(regroup.unproven_cuts),
    }


def _failed(
    plan: dict[str, Any],
    records: list[dict[str, Any]],
    problem: str,
    *,
    table: MetadataTable,
    withdraw: Callable[[list[dict[str, Any]]], int],
    totals: dict[str, int] | None = None,
) -> dict[str, Any]:
    """The file fails: nothing of it stays published."""
    withdrawn = withdraw(records)
    table.update_file(
        bucket=plan["bucket"],
        key=plan["key"],
        etag=plan["etag"],
        values={"status": FAILED, "reason": problem, **(totals or {})},
    )
    metrics.add_metric(name="FilesFailed", unit=MetricUnit.Count, value=1)
    return {
        **_summary(plan, records, FAILED),
        **(totals or {}),
        "problem": problem,
        "outputs_withdrawn": withdrawn,
    }


def failed_file(state: dict[str, Any]) -> tuple[str, str, str] | None:
    """(bucket, key, etag) of the file a failed execution was processing, from its plan or,
    if ingest itself failed, from the trigger event."""
    plan = (state.get("plan") or {}).get("value") or {}
    obj = (state.get("detail") or {}).get("object") or {}
    bucket = plan.get("bucket") or (state.get("detail") or {}).get("bucket", {}).get("name")
    key = plan.get("key") or obj.get("key")
    etag = str(plan.get("etag") or obj.get("etag") or "").strip('"')
    return (bucket, key, etag) if bucket and key and etag else None


def record_failure(
    state: dict[str, Any], *, table: MetadataTable, withdraw: Callable[[str], int]
) -> dict[str, Any]:
    """Mark the file FAILED, so that a new upload or a replayed event processes it again, and
    withdraw the outputs its chunks published: a failed file leaves no partial data behind.
    A file this execution did not register (a duplicate, a rejection) keeps its status and
    outputs; withdrawing again (a retried failure path) is harmless."""
    error = state.get("error") or {}
    reason = f"{error.get('Error', 'unknown error')}: {error.get('Cause', '')}"[:1000]
    target = failed_file(state)
    if target is None:
        return {"recorded": False, "reason": "the failed state names no file"}
    bucket, key, etag = target
    record = table.get_file(bucket=bucket, key=key, etag=etag)
    status = record and record.get("status")
    if record is None or status not in (REGISTERED, FAILED):
        return {"recorded": False, "reason": f"file status is {status}, left as is"}
    if status == REGISTERED:
        table.update_file(
            bucket=bucket, key=key, etag=etag, values={"status": FAILED, "reason": reason}
        )
        metrics.add_metric(name="FilesFailed", unit=MetricUnit.Count, value=1)
    withdrawn = withdraw(str(record["ingest_id"]))
    return {
        "recorded": status == REGISTERED,
        "status": FAILED,
        "bucket": bucket,
        "key": key,
        "outputs_withdrawn": withdrawn,
    }

"""Close a run: add up the chunks' counts, prove nothing was lost, record the file's outcome."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from ingest.cross_chunk import CrossChunkResult
from pipeline_shared.metadata import FAILED, REGISTERED, SUCCEEDED, MetadataTable
from pipeline_shared.observability import MetricUnit, metrics

COUNTS = ("rows_read", "rows_written", "rows_quarantined", "duplicates", "bytes_read")


DUPLICATE = "duplicate transaction_id (first occurrence kept)"


def finalize_run(
    plan: dict[str, Any],
    results: list[dict[str, Any]],
    *,
    table: MetadataTable,
    dedupe: Callable[[list[dict[str, Any]]], CrossChunkResult],
) -> dict[str, Any]:
    """The run summary notify turns into a message; the file record gets the same totals."""
    totals = {name: sum(int(r.get(name, 0)) for r in results) for name in COUNTS}
    reasons: Counter[str] = Counter()
    for result in results:
        reasons.update(result.get("reasons", {}))
    cross_chunk = dedupe(results)
    if cross_chunk.removed:
        totals["rows_written"] -= cross_chunk.removed
        totals["duplicates"] += cross_chunk.removed
        reasons[DUPLICATE] += cross_chunk.removed
    balanced = (
        totals["rows_read"]
        == totals["rows_written"] + totals["rows_quarantined"] + totals["duplicates"]
    )
    complete = len(results) == len(plan.get("chunks", results))
    status = SUCCEEDED if balanced and complete else FAILED
    problem = None
    if not complete:
        problem = f"{len(results)} of {len(plan['chunks'])} chunks reported"
    elif not balanced:
        problem = "rows read != rows written + quarantined + duplicates"
    table.update_file(
        bucket=plan["bucket"],
        key=plan["key"],
        etag=plan["etag"],
        values={
            "status": status,
            **totals,
            "reasons": dict(reasons),
            "cross_chunk_duplicates_checked": cross_chunk.checked,
            **({"reason": problem} if problem else {}),
        },
    )
    metrics.add_metric(
        name="FilesSucceeded" if status == SUCCEEDED else "FilesFailed",
        unit=MetricUnit.Count,
        value=1,
    )
    return {
        "status": status,
        "problem": problem,
        "ingest_id": plan["ingest_id"],
        "bucket": plan["bucket"],
        "key": plan["key"],
        "source": plan["source"],
        "chunks": len(results),
        **totals,
        "reasons": dict(reasons.most_common(10)),
        "cross_chunk_duplicates_checked": cross_chunk.checked,
        "outputs": sorted({o for r in results for o in r.get("outputs", [])}),
        "quarantine_outputs": sorted({o for r in results for o in r.get("quarantine_outputs", [])}),
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

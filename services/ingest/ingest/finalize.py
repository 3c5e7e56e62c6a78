"""Close a run: add up the chunks' counts, prove nothing was lost, record the file's outcome."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pipeline_shared.metadata import FAILED, SUCCEEDED, MetadataTable
from pipeline_shared.observability import MetricUnit, metrics

COUNTS = ("rows_read", "rows_written", "rows_quarantined", "duplicates", "bytes_read")


def finalize_run(
    plan: dict[str, Any], results: list[dict[str, Any]], *, table: MetadataTable
) -> dict[str, Any]:
    """The run summary notify turns into a message; the file record gets the same totals."""
    totals = {name: sum(int(r.get(name, 0)) for r in results) for name in COUNTS}
    reasons: Counter[str] = Counter()
    for result in results:
        reasons.update(result.get("reasons", {}))
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
        "outputs": sorted({o for r in results for o in r.get("outputs", [])}),
        "quarantine_outputs": sorted({o for r in results for o in r.get("quarantine_outputs", [])}),
    }

"""The pipeline-health dashboard: one screen that says whether files are flowing, how fast,
what failed and what needs a person, top row first."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from infra.constructs.cloudwatch import (
    GRID_WIDTH,
    Dashboard,
    DashboardProps,
    GraphWidget,
    SingleValueWidget,
    TextWidget,
)
from infra.constructs.pipeline_metrics import PipelineMetrics

PERCENTILES = ("p50", "p95", "p99")
THIRD = GRID_WIDTH // 3  # three widgets a row


@dataclass(frozen=True, kw_only=True)
class HealthDashboardProps:
    name: str
    """The dashboard's name, made by the stack (``naming.name(..., kind="dashboard")``)."""
    region: str
    """The region the metrics are read from."""
    environment: str
    """Shown in the heading with ``suffix``, so a screenshot says which deployment it shows."""
    suffix: str
    metrics: PipelineMetrics
    """The metrics drawn; the alarms watch the same ones."""
    runbook: str
    """Where the heading sends a reader for what to do about each alarm."""


class HealthDashboard(Dashboard):
    """A ``Dashboard`` with the pipeline's fixed layout. It is the dashboard itself rather than
    a construct around one, so the resource keeps its Terraform address (``<stack>/<id>/dashboard``).
    """

    def __init__(self, scope: Construct, id: str, *, props: HealthDashboardProps) -> None:
        super().__init__(scope, id, props=DashboardProps(name=props.name, region=props.region))
        m = props.metrics
        self.add_widgets(
            TextWidget(
                markdown=f"# Transaction pipeline ({props.environment}, {props.suffix})\nExecutions, latency, errors, volume and throttles. Alarms page through the alert topic; what to do about each: {props.runbook}."
            )
        )
        self.add_widgets(
            SingleValueWidget(
                title="Executions (5 min)",
                metrics=[
                    m.states("ExecutionsStarted"),
                    m.states("ExecutionsSucceeded"),
                    m.states("ExecutionsFailed"),
                ],
                width=THIRD,
            ),
            SingleValueWidget(
                title="Rows (5 min)",
                metrics=[
                    m.app("RowsRead", "finalize"),
                    m.app("RowsWritten", "finalize"),
                    m.app("RowsQuarantined", "finalize"),
                ],
                width=THIRD,
            ),
            SingleValueWidget(
                title="Needs a person (0 when healthy)",
                metrics=[
                    m.app("FilesFailed", "finalize", label="files failed"),
                    m.states("ExecutionsTimedOut"),
                    m.dead_letters,
                ],
                width=THIRD,
            ),
        )
        self.add_widgets(
            GraphWidget(
                title="File latency end to end (ms)",
                left=[m.states("ExecutionTime", p, p) for p in PERCENTILES],
                width=THIRD,
            ),
            GraphWidget(
                title="Chunk latency (ms)",
                left=[m.app("ChunkLatency", "transform", p, f"chunk {p}") for p in PERCENTILES],
                width=THIRD,
            ),
            GraphWidget(
                title="Executions",
                left=[m.states("ExecutionsStarted"), m.states("ExecutionsSucceeded")],
                right=[
                    m.states("ExecutionsFailed"),
                    m.states("ExecutionsTimedOut"),
                    m.states("ExecutionThrottled"),
                ],
                width=THIRD,
            ),
        )
        self.add_widgets(
            GraphWidget(
                title="Lambda error rate (%)",
                left=[m.error_rate(f) for f in m.functions],
                width=THIRD,
            ),
            GraphWidget(
                title="Lambda throttles",
                left=[m.function("Throttles", f) for f in m.functions],
                width=THIRD,
            ),
            GraphWidget(
                title="DynamoDB throttles",
                left=[m.table(t) for t in ("ReadThrottleEvents", "WriteThrottleEvents")],
                width=THIRD,
            ),
        )
        self.add_widgets(
            GraphWidget(
                title="Data volume (bytes)",
                left=[m.app("BytesProcessed", "transform", label="bytes processed")],
                width=THIRD,
            ),
            GraphWidget(
                title="Rows",
                left=[m.app("RowsWritten", "finalize"), m.app("DuplicateRows", "finalize")],
                right=[m.app("RowsQuarantined", "finalize")],
                width=THIRD,
            ),
            GraphWidget(
                title="Files",
                left=[
                    m.app("FilesAccepted", "ingest"),
                    m.app("FilesRejected", "ingest"),
                    m.app("FilesDuplicate", "ingest"),
                ],
                right=[m.app("FilesFailed", "finalize")],
                width=THIRD,
            ),
        )

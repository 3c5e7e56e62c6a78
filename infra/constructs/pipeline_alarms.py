"""The alarms that page through the alert topic: failed, timed-out and slow executions, a
high quarantine rate, throttling, dead letters, and each function's errors and throttles.
Every alarm's description ends with the runbook section that says what to do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from constructs import Construct

from infra.constructs.cloudwatch import MetricAlarm, MetricAlarmProps, Plottable
from infra.constructs.pipeline_metrics import PipelineMetrics


@dataclass(frozen=True, kw_only=True)
class PipelineAlarmsProps:
    metrics: PipelineMetrics
    """The metrics watched; the health dashboard draws the same ones."""
    topic_arn: str
    """The alert topic told when an alarm fires and when it clears."""
    alarm_name: Callable[[str], str]
    """An alarm's deployed name from its id, made by the stack's naming."""
    runbook: str
    """The runbook file; each alarm links to its section (its id, or a shared one)."""
    redrive_command: str
    """How an operator replays dead-lettered events, quoted in the dead-letter alarm."""
    failed_executions: int
    """Failed executions in five minutes that page (config ``alarm_failed_executions``)."""
    latency_p95_ms: int
    """The p95 end-to-end file latency SLA (config ``alarm_latency_p95_ms``)."""
    quarantine_rate_pct: int
    """Share of rows quarantined that pages (config ``alarm_quarantine_rate_pct``)."""
    error_rate_pct: int
    """A function's error rate that pages (config ``alarm_error_rate_pct``)."""


class PipelineAlarms(Construct):
    """Makes its alarms in ``scope``, beside itself, not under itself: Terraform addresses
    are made from construct paths, and one more path segment would rename every deployed
    alarm, so Terraform would destroy and recreate them all. ``alarms`` holds them by id."""

    def __init__(self, scope: Construct, id: str, *, props: PipelineAlarmsProps) -> None:
        super().__init__(scope, id)
        self._scope, self._props = scope, props
        self.alarms: dict[str, MetricAlarm] = {}
        m = props.metrics
        self._alarm(
            "executions-failed",
            "Pipeline executions failed: a file was not processed",
            m.states("ExecutionsFailed"),
            props.failed_executions,
        )
        self._alarm(
            "executions-timed-out",
            "Pipeline executions timed out",
            m.states("ExecutionsTimedOut"),
            1,
        )
        self._alarm(
            "file-latency-p95",
            "p95 end-to-end file latency over the SLA",
            m.states("ExecutionTime", "p95"),
            props.latency_p95_ms,
        )
        self._alarm(
            "quarantine-rate",
            "Share of rows quarantined is high: check the source's files",
            m.quarantine_rate,
            props.quarantine_rate_pct,
        )
        self._alarm(
            "dynamodb-throttles", "Metadata table throttled", m.table("WriteThrottleEvents"), 1
        )
        self._alarm(
            "trigger-dlq",
            "New-file events could not start the workflow: after fixing the cause, "
            + props.redrive_command,
            m.dead_letters,
            1,
        )
        for function in m.functions:
            self._alarm(
                f"{function}-errors",
                f"{function} error rate over {props.error_rate_pct}%",
                m.error_rate(function),
                props.error_rate_pct,
                runbook="lambda-errors",
            )
            self._alarm(
                f"{function}-throttles",
                f"{function} throttled",
                m.function("Throttles", function),
                1,
                runbook="lambda-throttles",
            )

    def _alarm(
        self,
        id: str,
        description: str,
        metric: Plottable,
        threshold: float,
        runbook: str | None = None,
    ) -> None:
        props = self._props
        self.alarms[id] = MetricAlarm(
            self._scope,
            id,
            props=MetricAlarmProps(
                name=props.alarm_name(id),
                description=f"{description}. Runbook: {props.runbook}#{runbook or id}",
                metric=metric,
                threshold=threshold,
                actions=[props.topic_arn],
            ),
        )

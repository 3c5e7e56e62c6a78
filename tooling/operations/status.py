"""One environment's health in a few calls: its alarms, its executions over a recent window,
and the events its trigger could not deliver. The terminal's view of the dashboard, for
people and for scripts (docs/operations.md)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from infra.config import EnvironmentConfig
from infra.exports import PipelineExport
from tooling.operations.aws import EnvironmentAws

PROBLEM_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED", "STUCK")


@dataclass(frozen=True)
class AlarmState:
    name: str
    state: str  # OK | ALARM | INSUFFICIENT_DATA
    reason: str
    since: dt.datetime


@dataclass(frozen=True)
class ExecutionProblem:
    name: str
    status: str
    started: dt.datetime


@dataclass
class Health:
    since: dt.datetime
    alarms: list[AlarmState] = field(default_factory=list)
    executions: Counter[str] = field(default_factory=Counter)
    problems: list[ExecutionProblem] = field(default_factory=list)
    dead_letters: int = 0

    @property
    def firing(self) -> list[AlarmState]:
        return [a for a in self.alarms if a.state == "ALARM"]

    @property
    def healthy(self) -> bool:
        return not self.firing and not self.problems and self.dead_letters == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "healthy": self.healthy,
            "since": self.since.isoformat(),
            "alarms": {a.name: a.state for a in self.alarms},
            "firing": [{"name": a.name, "reason": a.reason} for a in self.firing],
            "executions": dict(self.executions),
            "problems": [
                {"name": p.name, "status": p.status, "started": p.started.isoformat()}
                for p in self.problems
            ],
            "dead_letters": self.dead_letters,
        }


def read_health(
    *,
    cloudwatch: Any,
    sfn: Any,
    sqs: Any,
    alarm_suffix: str,
    state_machine: str,
    queue_url: str,
    since: dt.datetime,
    now: dt.datetime,
    stuck_after: dt.timedelta,
) -> Health:
    """``alarm_suffix``: what every alarm of the environment ends with (``-<env>-<suffix>``).
    An execution still running ``stuck_after`` its start counts as a problem (``STUCK``):
    every task has a timeout, so a run that long is waiting on something that will not come."""
    health = Health(since=since)
    for page in cloudwatch.get_paginator("describe_alarms").paginate():
        for alarm in page["MetricAlarms"]:
            if alarm["AlarmName"].endswith(alarm_suffix):
                health.alarms.append(
                    AlarmState(
                        alarm["AlarmName"],
                        alarm["StateValue"],
                        alarm.get("StateReason", ""),
                        alarm["StateUpdatedTimestamp"],
                    )
                )
    health.alarms.sort(key=lambda a: (a.state != "ALARM", a.name))
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine)
    for page in pages:  # newest first
        recent = [e for e in page["executions"] if e["startDate"] >= since]
        for execution in recent:
            status, started = execution["status"], execution["startDate"]
            health.executions[status] += 1
            if status == "RUNNING" and now - started > stuck_after:
                status = "STUCK"
            if status in PROBLEM_STATUSES:
                health.problems.append(ExecutionProblem(execution["name"], status, started))
        if len(recent) < len(page["executions"]):
            break
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    health.dead_letters = int(attributes["ApproximateNumberOfMessages"])
    return health


def environment_health(
    aws: EnvironmentAws,
    config: EnvironmentConfig,
    *,
    window: dt.timedelta,
    stuck_after: dt.timedelta,
) -> Health:
    """``read_health`` for a deployed environment, its names derived as its stacks derive them."""
    exports = aws.deployed_exports(config, PipelineExport.STATE_MACHINE_ARN)
    now = dt.datetime.now(dt.UTC)
    return read_health(
        cloudwatch=aws.client("cloudwatch"),
        sfn=aws.client("stepfunctions"),
        sqs=aws.client("sqs"),
        alarm_suffix=f"-{config.naming.tail}",
        state_machine=exports[PipelineExport.STATE_MACHINE_ARN],
        queue_url=aws.trigger_dlq_url(config),
        since=now - window,
        now=now,
        stuck_after=stuck_after,
    )

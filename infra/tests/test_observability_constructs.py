"""The dashboard and alarms keep the Terraform addresses they had when the stack built them
inline: ``HealthDashboard`` is the dashboard construct and ``PipelineAlarms`` makes its alarms
beside itself, so no construct path (and no deployed alarm) changed in the move."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import FUNCTIONS
from infra.naming import ENVIRONMENTS
from infra.tests.conftest import Synthesized

ALARMS = (
    "executions-failed",
    "executions-timed-out",
    "file-latency-p95",
    "quarantine-rate",
    "dynamodb-throttles",
    "trigger-dlq",
    *(f"{f}-{kind}" for f in FUNCTIONS for kind in ("errors", "throttles")),
)


def _paths(synthesized: Synthesized, resource_type: str) -> dict[str, dict[str, Any]]:
    resources = synthesized.resources(resource_type, "observability")
    return {body["//"]["metadata"]["path"]: body for body in resources.values()}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_alarms_sit_directly_under_the_stack(synthesized: dict[str, Synthesized], env: str) -> None:
    alarms = _paths(synthesized[env], "aws_cloudwatch_metric_alarm")
    assert set(alarms) == {f"observability/{id}/alarm" for id in ALARMS}
    naming = synthesized[env].config.naming
    for id in ALARMS:
        assert alarms[f"observability/{id}/alarm"]["alarm_name"] == naming.name(id, kind="alarm")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_dashboard_keeps_its_address(synthesized: dict[str, Synthesized], env: str) -> None:
    assert set(_paths(synthesized[env], "aws_cloudwatch_dashboard")) == {
        "observability/dashboard/dashboard"
    }

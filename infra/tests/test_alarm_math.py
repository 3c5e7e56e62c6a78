"""Rates in alarms and on the dashboard use the metric math form CloudWatch documents for a
division that may have nothing to divide by, ``IF(d > 0, 100 * n / d, 0)`` (issue 11, #12;
infra/constructs/pipeline_metrics.py cites the page), not ``MAX([d, 1])``."""

from __future__ import annotations

import json
import re

import pytest

from infra.config import FUNCTIONS
from infra.naming import ENVIRONMENTS
from infra.tests.conftest import Synthesized

RATE = re.compile(r"^IF\((\w+) > 0, 100 \* (\w+) / (\w+), 0\)$")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_rate_alarms_divide_only_when_there_is_something_to_divide_by(
    synthesized: dict[str, Synthesized], env: str
) -> None:
    alarms = synthesized[env].resources("aws_cloudwatch_metric_alarm", "observability")
    rates = {}
    for alarm in alarms.values():
        if "metric_query" not in alarm:
            continue
        metrics = {q["id"]: q["metric"] for q in alarm["metric_query"] if "metric" in q}
        (expression,) = (q for q in alarm["metric_query"] if q.get("return_data"))
        found = RATE.match(expression["expression"])
        assert found, (alarm["alarm_name"], expression["expression"])
        denominator, numerator, divisor = found.groups()
        assert denominator == divisor and {numerator, divisor} == set(metrics)
        rates[alarm["alarm_name"]] = (
            metrics[numerator]["metric_name"],
            metrics[divisor]["metric_name"],
        )
    suffix = f"{env}-{synthesized[env].config.suffix}"
    assert rates == {
        **{f"{f}-errors-{suffix}": ("Errors", "Invocations") for f in FUNCTIONS},
        f"quarantine-rate-{suffix}": ("RowsQuarantined", "RowsRead"),
    }


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_dashboard_draws_the_same_rates(synthesized: dict[str, Synthesized], env: str) -> None:
    (dashboard,) = synthesized[env].resources("aws_cloudwatch_dashboard").values()
    body = json.loads(dashboard["dashboard_body"])
    expressions = [
        row[0]["expression"]
        for widget in body["widgets"]
        for row in widget["properties"].get("metrics", [])
        if isinstance(row[0], dict) and "expression" in row[0]
    ]
    assert len(expressions) == len(FUNCTIONS)  # the error-rate graph
    for expression in expressions:
        assert RATE.match(expression), expression
    assert "MAX([" not in json.dumps(synthesized[env].stacks["observability"])

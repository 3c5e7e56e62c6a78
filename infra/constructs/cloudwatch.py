"""An L2-style API for CloudWatch dashboards and alarms, shaped like AWS CDK's: typed
``Metric``s, ``GraphWidget`` / ``SingleValueWidget`` / ``TextWidget``, rows added with
``Dashboard.add_widgets``, rendered to the dashboard body JSON; and ``MetricAlarm``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
)
from constructs import Construct

GRID_WIDTH = 24


@dataclass(frozen=True, kw_only=True)
class Metric:
    namespace: str
    metric_name: str
    dimensions: Mapping[str, str] = field(default_factory=dict)
    statistic: str = "Sum"
    period_s: int = 300
    label: str | None = None

    def render(self, region: str) -> list[Any]:
        row: list[Any] = [self.namespace, self.metric_name]
        for key, value in self.dimensions.items():
            row += [key, value]
        options: dict[str, Any] = {
            "stat": self.statistic,
            "period": self.period_s,
            "region": region,
        }
        if self.label:
            options["label"] = self.label
        return [*row, options]


@dataclass(frozen=True, kw_only=True)
class MathExpression:
    """A metric math expression over named metrics (``using``), e.g. an error rate."""

    expression: str
    using: Mapping[str, Metric]
    label: str
    period_s: int = 300


Plottable = Metric | MathExpression


def _render_metrics(items: Sequence[Plottable], region: str, axis: str) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for index, item in enumerate(items):
        if isinstance(item, Metric):
            row = item.render(region)
            if axis == "right":
                row[-1]["yAxis"] = "right"
            rows.append(row)
        else:
            for name, metric in item.using.items():
                row = metric.render(region)
                row[-1] |= {"id": f"{name}{index}", "visible": False}
                rows.append(row)
            expression = item.expression
            for name in item.using:
                expression = expression.replace(name, f"{name}{index}")
            rows.append(
                [
                    {
                        "expression": expression,
                        "label": item.label,
                        "id": f"e{index}",
                        "period": item.period_s,
                        "region": region,
                        **({"yAxis": "right"} if axis == "right" else {}),
                    }
                ]
            )
    return rows


@dataclass(frozen=True, kw_only=True)
class GraphWidget:
    title: str
    left: Sequence[Plottable] = ()
    right: Sequence[Plottable] = ()
    width: int = 6
    height: int = 6
    stacked: bool = False

    def render(self, region: str) -> dict[str, Any]:
        return {
            "type": "metric",
            "properties": {
                "title": self.title,
                "view": "timeSeries",
                "stacked": self.stacked,
                "region": region,
                "metrics": _render_metrics(self.left, region, "left")
                + _render_metrics(self.right, region, "right"),
            },
        }


@dataclass(frozen=True, kw_only=True)
class SingleValueWidget:
    title: str
    metrics: Sequence[Plottable]
    width: int = 6
    height: int = 3

    def render(self, region: str) -> dict[str, Any]:
        return {
            "type": "metric",
            "properties": {
                "title": self.title,
                "view": "singleValue",
                "region": region,
                "metrics": _render_metrics(self.metrics, region, "left"),
            },
        }


@dataclass(frozen=True, kw_only=True)
class TextWidget:
    markdown: str
    width: int = 24
    height: int = 2

    def render(self, region: str) -> dict[str, Any]:
        return {"type": "text", "properties": {"markdown": self.markdown}}


Widget = GraphWidget | SingleValueWidget | TextWidget


@dataclass(frozen=True, kw_only=True)
class DashboardProps:
    name: str
    """The dashboard's name, made by the stack (``naming.name(..., kind="dashboard")``)."""
    region: str
    """The region every widget and metric reads from: a dashboard body names it per widget."""


class Dashboard(Construct):
    """Widgets laid out in rows: each ``add_widgets`` call starts a new row (wrapping at 24)."""

    def __init__(self, scope: Construct, id: str, *, props: DashboardProps) -> None:
        super().__init__(scope, id)
        self._region = props.region
        self._rows: list[list[Widget]] = []
        self.resource = CloudwatchDashboard(
            self, "dashboard", dashboard_name=props.name, dashboard_body="{}"
        )

    def add_widgets(self, *widgets: Widget) -> Dashboard:
        for widget in widgets:
            if not 1 <= widget.width <= GRID_WIDTH:
                raise ValueError(f"widget {getattr(widget, 'title', 'text')!r}: width must be 1-24")
        self._rows.append(list(widgets))
        self.resource.dashboard_body = json.dumps(self.body())
        return self

    def body(self) -> dict[str, Any]:
        placed, y = [], 0
        for row in self._rows:
            x, row_height = 0, 0
            for widget in row:
                if x + widget.width > GRID_WIDTH:
                    x, y = 0, y + row_height
                    row_height = 0
                placed.append(
                    {
                        **widget.render(self._region),
                        "x": x,
                        "y": y,
                        "width": widget.width,
                        "height": widget.height,
                    }
                )
                x += widget.width
                row_height = max(row_height, widget.height)
            y += row_height
        return {"widgets": placed}


@dataclass(frozen=True, kw_only=True)
class MetricAlarmProps:
    name: str
    """The alarm's name, made by the stack (``naming.name(..., kind="alarm")``)."""
    description: str
    """What went wrong and where the runbook says what to do: the page a person receives."""
    metric: Plottable
    """A metric, or a math expression whose ``using`` metrics become the alarm's queries."""
    threshold: float
    comparison: str = "GreaterThanOrEqualToThreshold"
    evaluation_periods: int = 1
    actions: Sequence[str] = ()
    """Topic ARNs told when the alarm fires and again when it clears (alarm and OK actions)."""


class MetricAlarm(Construct):
    """An alarm on one metric or expression; missing data counts as healthy (nothing ran)."""

    def __init__(self, scope: Construct, id: str, *, props: MetricAlarmProps) -> None:
        super().__init__(scope, id)
        metric = props.metric
        common: dict[str, Any] = {
            "alarm_name": props.name,
            "alarm_description": props.description,
            "comparison_operator": props.comparison,
            "threshold": props.threshold,
            "evaluation_periods": props.evaluation_periods,
            "treat_missing_data": "notBreaching",
            "alarm_actions": list(props.actions),
            "ok_actions": list(props.actions),
        }
        if isinstance(metric, Metric):
            self.alarm = CloudwatchMetricAlarm(
                self,
                "alarm",
                namespace=metric.namespace,
                metric_name=metric.metric_name,
                dimensions=dict(metric.dimensions),
                period=metric.period_s,
                **(
                    {"extended_statistic": metric.statistic}
                    if metric.statistic.startswith("p")
                    else {"statistic": metric.statistic}
                ),
                **common,
            )
        else:
            queries = [
                CloudwatchMetricAlarmMetricQuery(
                    id=name,
                    metric=CloudwatchMetricAlarmMetricQueryMetric(
                        namespace=m.namespace,
                        metric_name=m.metric_name,
                        dimensions=dict(m.dimensions),
                        period=m.period_s,
                        stat=m.statistic,
                    ),
                    return_data=False,
                )
                for name, m in metric.using.items()
            ]
            queries.append(
                CloudwatchMetricAlarmMetricQuery(
                    id="e1", expression=metric.expression, label=metric.label, return_data=True
                )
            )
            self.alarm = CloudwatchMetricAlarm(self, "alarm", metric_query=queries, **common)

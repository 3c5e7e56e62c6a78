"""The deployed pipeline-health dashboard, drawn outside the console: its body from
GetDashboard, each widget's metrics and metric-math expressions from GetMetricData over a time
window, rendered widget by widget to a PNG (graphs as lines, single values as numbers, text as
text), an HTML page (the PNG and a table of every widget's numbers) and the numbers as JSON.

The body is read as CloudWatch reads it ("Dashboard body structure and syntax",
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html):
a metric row is ``[namespace, name, dim, value, ..., {options}]`` (``"."`` repeats the row
before's entry) or ``[{"expression": ...}]``; a row's options hold ``stat``, ``period``,
``label``, ``id``, ``visible`` and ``yAxis``.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from infra.config import EnvironmentConfig
from tooling.operations.aws import EnvironmentAws

DEFAULT_PERIOD_S = 300
MAX_QUERIES = 500  # GetMetricData's limit per request; one widget asks for far fewer
PNG, HTML, DATA = "dashboard.png", "index.html", "dashboard.json"


class DashboardError(RuntimeError):
    """The dashboard could not be read: not deployed, or a body this reader cannot follow."""


def dashboard_name(config: EnvironmentConfig) -> str:
    """As infra/stacks/observability_stack.py names it."""
    return config.naming.name("pipeline-health", kind="dashboard")


def console_url(region: str, name: str) -> str:
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#dashboards/dashboard/{name}"
    )


@dataclass
class Series:
    label: str
    stat: str
    axis: str  # left | right
    timestamps: list[dt.datetime] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    @property
    def latest(self) -> float | None:
        """What a single-value widget shows: the most recent datapoint."""
        return self.values[-1] if self.values else None

    @property
    def total(self) -> float | None:
        """The window's sum, for a count (``Sum``); None for a statistic that does not add up."""
        if self.stat != "Sum" or not self.values:
            return None
        return sum(self.values)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "stat": self.stat,
            "axis": self.axis,
            "latest": self.latest,
            "total": self.total,
            "max": max(self.values) if self.values else None,
            "points": [
                [t.isoformat(), v] for t, v in zip(self.timestamps, self.values, strict=True)
            ],
        }


@dataclass
class Panel:
    """One widget, placed on the 24-column grid, with its data."""

    kind: str  # text | singleValue | timeSeries
    title: str
    x: int
    y: int
    width: int
    height: int
    markdown: str = ""
    series: list[Series] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "grid": {"x": self.x, "y": self.y, "width": self.width, "height": self.height},
            "markdown": self.markdown,
            "series": [s.to_dict() for s in self.series],
        }


@dataclass(frozen=True)
class Window:
    start: dt.datetime
    end: dt.datetime


@dataclass
class Rendered:
    name: str
    window: Window
    panels: list[Panel]
    png: Path
    html: Path
    data: Path
    console_url: str | None


# -- the body's queries --------------------------------------------------------------------


def widget_queries(properties: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Series]]:
    """A metric widget's GetMetricData queries, and a series for each one that is drawn."""
    queries: list[dict[str, Any]] = []
    shown: list[Series] = []
    previous: list[Any] = []
    widget_stat = properties.get("stat", "Average")
    widget_period = int(properties.get("period", DEFAULT_PERIOD_S))
    for index, row in enumerate(properties.get("metrics", [])):
        options = row[-1] if row and isinstance(row[-1], dict) else {}
        parts = row[:-1] if options else list(row)
        query_id = options.get("id") or f"m{index}"
        visible = options.get("visible", True) is not False
        period = int(options.get("period", widget_period))
        axis = options.get("yAxis", "left")
        if "expression" in options:
            query: dict[str, Any] = {"Id": query_id, "Expression": options["expression"]}
            query |= {"Period": period, "ReturnData": visible}
            label, stat = options.get("label", query_id), "expression"
        else:
            if any(p == "..." for p in parts):
                raise DashboardError(f"metric row {row!r}: '...' rows are not supported")
            parts = [
                previous[i] if p == "." and i < len(previous) else p for i, p in enumerate(parts)
            ]
            previous = parts
            if len(parts) < 2 or len(parts) % 2:
                raise DashboardError(f"metric row {row!r} is not [namespace, name, dims...]")
            namespace, name, *pairs = parts
            dimensions = [
                {"Name": pairs[i], "Value": pairs[i + 1]} for i in range(0, len(pairs), 2)
            ]
            stat = options.get("stat", widget_stat)
            label = options.get("label") or f"{name} {stat}"
            metric = {"Namespace": namespace, "MetricName": name, "Dimensions": dimensions}
            query = {
                "Id": query_id,
                "MetricStat": {"Metric": metric, "Period": period, "Stat": stat},
                "ReturnData": visible,
            }
        query["Label"] = label
        queries.append(query)
        if visible:
            shown.append(Series(label=str(label), stat=stat, axis=axis))
    return queries, shown


def read_panels(cloudwatch: Any, body: dict[str, Any], window: Window) -> list[Panel]:
    panels: list[Panel] = []
    for widget in body.get("widgets", []):
        properties = widget.get("properties", {})
        x, y, width, height = (
            int(widget.get(key, default))
            for key, default in (("x", 0), ("y", 0), ("width", 6), ("height", 6))
        )
        if widget.get("type") == "text":
            panels.append(
                Panel(
                    kind="text",
                    title="",
                    markdown=properties.get("markdown", ""),
                    x=x,
                    y=y,
                    width=width,
                    height=height,
                )
            )
            continue
        if widget.get("type") != "metric":
            continue  # alarm, log and explorer widgets: not drawn here
        view = "singleValue" if properties.get("view") == "singleValue" else "timeSeries"
        queries, shown = widget_queries(properties)
        panel = Panel(
            kind=view,
            title=properties.get("title", ""),
            series=shown,
            x=x,
            y=y,
            width=width,
            height=height,
        )
        results = _metric_data(cloudwatch, queries, window)
        ids = [q["Id"] for q in queries if q["ReturnData"]]
        for query_id, series in zip(ids, shown, strict=True):
            points = sorted(results.get(query_id, {}).items())
            series.timestamps = [t for t, _ in points]
            series.values = [v for _, v in points]
        panels.append(panel)
    return panels


def _metric_data(
    cloudwatch: Any, queries: Sequence[dict[str, Any]], window: Window
) -> dict[str, dict[dt.datetime, float]]:
    found: dict[str, dict[dt.datetime, float]] = {}
    for start in range(0, len(queries), MAX_QUERIES):
        request = {
            "MetricDataQueries": list(queries[start : start + MAX_QUERIES]),
            "StartTime": window.start,
            "EndTime": window.end,
            "ScanBy": "TimestampAscending",
        }
        while True:
            answer = cloudwatch.get_metric_data(**request)
            for result in answer["MetricDataResults"]:
                points = found.setdefault(result["Id"], {})
                for stamp, value in zip(result["Timestamps"], result["Values"], strict=True):
                    points[stamp] = float(value)
            if not answer.get("NextToken"):
                break
            request["NextToken"] = answer["NextToken"]
    return found


def window_ending(
    now: dt.datetime, since: dt.timedelta, period_s: int = DEFAULT_PERIOD_S
) -> Window:
    """``since`` back from ``now``, on period boundaries, as CloudWatch aligns datapoints."""
    epoch = int(now.timestamp())
    end = epoch - epoch % period_s + period_s
    start = int((now - since).timestamp())
    start -= start % period_s
    return Window(dt.datetime.fromtimestamp(start, dt.UTC), dt.datetime.fromtimestamp(end, dt.UTC))


# -- drawing --------------------------------------------------------------------------------

UNIT_INCHES = 0.62  # one grid row; 24 columns make 18 inches
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def number(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.2f} M"
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}"


def compact(value: float) -> str:
    """An axis tick: 950, 12.5K, 1.2M."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def graph_range(panels: Sequence[Panel], window: Window) -> Window:
    """The time axis every graph shares: the window, or, when all the data sits in the last
    part of it (a local sample day, a new environment), from 30 minutes before the first
    datapoint, so the points are not crowded against the right edge."""
    stamps = [t for p in panels if p.kind == "timeSeries" for s in p.series for t in s.timestamps]
    if not stamps:
        return window
    start = max(window.start, min(stamps) - dt.timedelta(minutes=30))
    return (
        window
        if start - window.start < (window.end - window.start) / 4
        else Window(start, window.end)
    )


def _plain(markdown: str) -> tuple[str, str]:
    """A text widget's heading and body, markdown marks removed."""
    lines = [line.strip() for line in markdown.splitlines() if line.strip()]
    heading = re.sub(r"^#+\s*", "", lines[0]) if lines else ""
    return heading, " ".join(lines[1:])


def render_png(panels: Sequence[Panel], path: Path, *, title: str, window: Window) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    shown = graph_range(panels, window)
    rows = max((p.y + p.height for p in panels), default=1)
    head = 1.0  # a band for the title and the window
    fig = plt.figure(figsize=(24 * 0.75, (rows + head) * UNIT_INCHES), dpi=110)
    total = rows + head
    fig.text(0.01, 1 - 0.45 / total, title, fontsize=15, weight="bold", va="center")
    fig.text(
        0.99,
        1 - 0.45 / total,
        f"{window.start:%Y-%m-%d %H:%M} to {window.end:%H:%M} UTC"
        + (f"; graphs from {shown.start:%H:%M}, no datapoint before" if shown != window else ""),
        fontsize=11,
        ha="right",
        va="center",
        color="#555555",
    )
    # Room for tick labels: a left axis's inside the widget, a right axis's before the next.
    pad_left, pad_right, pad_top, pad_bottom = 0.032, 0.03, 0.55, 0.75  # figure widths / rows
    for panel in panels:
        left = panel.x / 24 + (pad_left if panel.kind == "timeSeries" else 0.008)
        width = panel.width / 24 - (pad_left if panel.kind == "timeSeries" else 0.008) - pad_right
        top = 1 - (head + panel.y) / total
        bottom = 1 - (head + panel.y + panel.height) / total
        if panel.kind == "text":
            heading, text = _plain(panel.markdown)
            fig.text(left, top - 0.35 / total, heading, fontsize=13, weight="bold", va="top")
            fig.text(left, top - 1.1 / total, text, fontsize=10, va="top", wrap=True)
            continue
        below = pad_bottom if panel.kind == "timeSeries" else 0.2
        frame = fig.add_axes(
            (left, bottom + below / total, width, (panel.height - pad_top - below) / total)
        )
        frame.set_title(panel.title, fontsize=11, loc="left", weight="bold")
        if panel.kind == "singleValue":
            _single_values(frame, panel)
        else:
            _graph(frame, panel, shown, mdates)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def _single_values(frame: Any, panel: Panel) -> None:
    frame.set_xticks([])
    frame.set_yticks([])
    for side in frame.spines.values():
        side.set_color("#dddddd")
    count = max(len(panel.series), 1)
    for index, series in enumerate(panel.series):
        center = (index + 0.5) / count
        frame.text(
            center, 0.72, series.label, ha="center", va="center", fontsize=10, color="#444444"
        )
        frame.text(
            center,
            0.42,
            number(series.latest),
            ha="center",
            va="center",
            fontsize=22,
            weight="bold",
        )
        if series.total is not None:
            frame.text(
                center,
                0.13,
                f"window total {number(series.total)}",
                ha="center",
                va="center",
                fontsize=9,
                color="#666666",
            )
        if series.latest is None:
            frame.text(center, 0.13, "no data", ha="center", va="center", fontsize=9, color="#888")
    if not panel.series:
        frame.text(0.5, 0.5, "no metrics", ha="center", va="center", color="#888888")


def _graph(frame: Any, panel: Panel, window: Window, mdates: Any) -> None:
    from matplotlib import ticker

    right = frame.twinx() if any(s.axis == "right" for s in panel.series) else None
    drawn = 0
    for index, series in enumerate(panel.series):
        axis = right if series.axis == "right" and right is not None else frame
        color = COLORS[index % len(COLORS)]
        label = f"{series.label}{' (right)' if series.axis == 'right' else ''}"
        if series.values:
            label += f": {number(series.latest)}" + (
                f" (window total {number(series.total)})"
                if series.total is not None and len(series.values) > 1
                else ""
            )
            axis.plot(
                series.timestamps,
                series.values,
                marker="o",
                markersize=5,
                lw=1.6,
                color=color,
                label=label,
            )
            drawn += 1
        else:
            axis.plot([], [], color=color, label=f"{label}: no data")
    frame.set_xlim(window.start, window.end)
    frame.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=dt.UTC))
    frame.tick_params(labelsize=8)
    frame.grid(True, color="#eeeeee")
    for axis, side in ((frame, "left"), (right, "right")):
        if axis is not None:
            peak = max((v for s in panel.series if s.axis == side for v in s.values), default=0)
            axis.set_ylim(0, None if peak > 0 else 1)  # all zero: 0 at the bottom, not mid-air
            axis.tick_params(labelsize=8)
            axis.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: compact(v)))
    if drawn == 0:
        frame.text(
            0.5, 0.5, "no data in the window", transform=frame.transAxes, ha="center", color="#888"
        )
        for axis in (frame, right):
            if axis is not None:
                axis.set_yticks([])
    handles, labels = frame.get_legend_handles_labels()
    if right is not None:
        more = right.get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    frame.legend(handles, labels, fontsize=7.5, loc="upper left", framealpha=0.8)


def render_html(
    panels: Sequence[Panel], path: Path, *, title: str, window: Window, url: str | None
) -> None:
    e = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{e(title)}</title>",
        "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;"
        "margin:0 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}"
        "td:first-child,th:first-child{text-align:left}img{max-width:100%}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        f"<p>{window.start:%Y-%m-%d %H:%M} to {window.end:%Y-%m-%d %H:%M} UTC",
        f" &middot; <a href='{e(url)}'>open in the CloudWatch console</a>" if url else "",
        "</p>",
        f"<img src='{PNG}' alt='the dashboard, widget by widget'>",
    ]
    for panel in panels:
        if panel.kind == "text":
            heading, text = _plain(panel.markdown)
            parts.append(f"<h2>{e(heading)}</h2><p>{e(text)}</p>")
            continue
        parts.append(f"<h2>{e(panel.title)}</h2>")
        parts.append(
            "<table><tr><th>series</th><th>stat</th><th>latest</th><th>window total</th>"
            "<th>max</th><th>datapoints</th></tr>"
        )
        for s in panel.series:
            peak = max(s.values) if s.values else None
            parts.append(
                f"<tr><td>{e(s.label)}</td><td>{e(s.stat)}</td><td>{number(s.latest)}</td>"
                f"<td>{number(s.total)}</td><td>{number(peak)}</td><td>{len(s.values)}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    path.write_text("\n".join(parts))


# -- the deployed dashboard -----------------------------------------------------------------


def read_body(cloudwatch: Any, name: str, where: str) -> dict[str, Any]:
    try:
        answer = cloudwatch.get_dashboard(DashboardName=name)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in (
            "ResourceNotFound",
            "ResourceNotFoundException",
        ):
            raise DashboardError(f"no dashboard {name} in {where}: deploy it first") from None
        raise
    body: dict[str, Any] = json.loads(answer["DashboardBody"])
    return body


def render_dashboard(
    aws: EnvironmentAws,
    config: EnvironmentConfig,
    *,
    since: dt.timedelta,
    out: Path,
    now: dt.datetime | None = None,
) -> Rendered:
    name = dashboard_name(config)
    cloudwatch = aws.client("cloudwatch")
    where = "the local emulator" if aws.endpoint else f"{config.region}"
    body = read_body(cloudwatch, name, where)
    window = window_ending(now or dt.datetime.now(dt.UTC), since)
    panels = read_panels(cloudwatch, body, window)
    url = None if config.is_emulated else console_url(config.region, name)
    title = f"{name} ({config.environment}, {config.suffix})"
    out.mkdir(parents=True, exist_ok=True)
    rendered = Rendered(name, window, panels, out / PNG, out / HTML, out / DATA, url)
    render_png(panels, rendered.png, title=title, window=window)
    render_html(panels, rendered.html, title=title, window=window, url=url)
    rendered.data.write_text(
        json.dumps(
            {
                "dashboard": name,
                "start": window.start.isoformat(),
                "end": window.end.isoformat(),
                "console_url": url,
                "widgets": [p.to_dict() for p in panels],
            },
            indent=2,
        )
    )
    return rendered

"""The dashboard reader and renderer, on the real dashboard body (HealthDashboard, as the
observability stack builds it) against moto with metrics published as the emulator does, and
on a stubbed CloudWatch for what moto cannot answer."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

import infra  # noqa: F401  (provider stand-in first)
from tooling.emulator import metrics as emulator_metrics
from tooling.operations import dashboard

NOW = dt.datetime(2024, 5, 1, 12, 2, 30, tzinfo=dt.UTC)
FUNCTIONS = {"ingest": "ingest-local-t", "transform": "transform-local-t"}
STATE_MACHINE = "arn:aws:states:us-east-2:123456789012:stateMachine:pipeline-local-t"
NAME = "pipeline-health-local-t"


def _body() -> dict[str, Any]:
    from cdktf import App, TerraformStack

    from infra.constructs.health_dashboard import HealthDashboard, HealthDashboardProps
    from infra.constructs.pipeline_metrics import PipelineMetrics

    stack = TerraformStack(App(), "observability")
    built = HealthDashboard(
        stack,
        "dashboard",
        props=HealthDashboardProps(
            name=NAME,
            region="us-east-2",
            environment="local",
            suffix="t",
            metrics=PipelineMetrics(
                state_machine_arn=STATE_MACHINE,
                function_names=FUNCTIONS,
                table_name="metadata-local-t",
                app_namespace="DataPipeline-local",
                dead_letter_queue_name="trigger-dlq-local-t",
            ),
            runbook="docs/operations.md",
        ),
    )
    return built.body()


def _emf(at: dt.datetime, service: str, **values: Any) -> dict[str, Any]:
    """An EMF document, written out as the specification shows one."""
    return {
        "_aws": {
            "Timestamp": int(at.timestamp() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": "DataPipeline-local",
                    "Dimensions": [["service"]],
                    "Metrics": [{"Name": name} for name in values],
                }
            ],
        },
        "service": service,
        **values,
    }


@pytest.fixture
def cloudwatch(aws_credentials: None) -> Iterator[Any]:
    with mock_aws():
        emulator_metrics.moto_reads_what_the_dashboard_asks()
        client = boto3.client("cloudwatch", region_name="us-east-2")
        client.put_dashboard(DashboardName=NAME, DashboardBody=json.dumps(_body()))
        first, second = NOW - dt.timedelta(minutes=40), NOW - dt.timedelta(minutes=1)
        data = [
            *emulator_metrics.emf_metric_data(
                _emf(
                    first,
                    "finalize",
                    RowsRead=1000,
                    RowsWritten=940,
                    RowsQuarantined=40,
                    DuplicateRows=20,
                )
            ),
            *emulator_metrics.emf_metric_data(
                _emf(
                    second,
                    "finalize",
                    RowsRead=500,
                    RowsWritten=495,
                    RowsQuarantined=5,
                    DuplicateRows=0,
                )
            ),
            *emulator_metrics.emf_metric_data(
                _emf(first, "transform", ChunkLatency=[float(v) for v in range(10, 110)])
            ),
        ]
        for at, error in ((first, False), (first, True), (second, False), (second, False)):
            data += emulator_metrics.lambda_metric_data(
                FUNCTIONS["transform"], duration_ms=120.0, error=error, at=at
            )
        emulator_metrics.publish(client, data)
        yield client


def _panel(panels: list[dashboard.Panel], title: str) -> dashboard.Panel:
    return next(p for p in panels if p.title == title)


def _series(panel: dashboard.Panel, label: str) -> dashboard.Series:
    return next(s for s in panel.series if s.label == label)


def test_every_widget_reads_its_numbers(cloudwatch: Any) -> None:
    body = dashboard.read_body(cloudwatch, NAME, "moto")
    window = dashboard.window_ending(NOW, dt.timedelta(hours=3))
    panels = dashboard.read_panels(cloudwatch, body, window)
    assert [p.kind for p in panels][:4] == ["text", "singleValue", "singleValue", "singleValue"]
    rows = _panel(panels, "Rows (5 min)")
    assert [(s.label, s.total, s.latest) for s in rows.series] == [
        ("RowsRead", 1500, 500),
        ("RowsWritten", 1435, 495),
        ("RowsQuarantined", 45, 5),
    ]
    chunk = _panel(panels, "Chunk latency (ms)")
    assert [(s.label, s.values) for s in chunk.series] == [
        ("chunk p50", [59.0]),
        ("chunk p95", [104.0]),
        ("chunk p99", [108.0]),
    ]
    error_rate = _panel(panels, "Lambda error rate (%)")
    # Only the expressions are drawn; their errors/invocations inputs are hidden.
    assert [s.label for s in error_rate.series] == ["ingest error %", "transform error %"]
    assert _series(error_rate, "transform error %").values == [50.0, 0.0]
    assert _series(error_rate, "ingest error %").values == []
    files = _panel(panels, "Files")
    assert [s.axis for s in files.series] == ["left", "left", "left", "right"]
    assert all(s.values == [] for s in _panel(panels, "Executions").series)  # nothing published


def test_the_picture_page_and_numbers_are_written(cloudwatch: Any, tmp_path: Path) -> None:
    from infra.config import load_config
    from tooling.operations.aws import EnvironmentAws

    config = load_config(Path("envs/local/config.toml"), suffix="t")
    assert dashboard.dashboard_name(config) == NAME

    class Moto(EnvironmentAws):
        def client(self, service: str) -> Any:
            return cloudwatch

    rendered = dashboard.render_dashboard(
        Moto(config.region, "http://emulator"),
        config,
        since=dt.timedelta(hours=3),
        out=tmp_path,
        now=NOW,
    )
    assert rendered.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert rendered.console_url is None  # the emulator has no console
    page = rendered.html.read_text()
    assert "<img src='dashboard.png'" in page and "Rows (5 min)" in page
    assert "<td>RowsRead</td><td>Sum</td><td>500</td><td>1,500</td>" in page
    numbers = json.loads(rendered.data.read_text())
    rows = next(w for w in numbers["widgets"] if w["title"] == "Rows")
    assert {s["label"]: s["total"] for s in rows["series"]} == {
        "RowsWritten": 1435,
        "DuplicateRows": 20,
        "RowsQuarantined": 45,
    }


def test_a_real_environment_gets_its_console_url() -> None:
    assert dashboard.console_url("eu-west-1", "pipeline-health-prod-p01") == (
        "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1"
        "#dashboards/dashboard/pipeline-health-prod-p01"
    )


def test_a_missing_dashboard_is_named(aws_credentials: None) -> None:
    client = boto3.client("cloudwatch", region_name="us-east-2")
    with Stubber(client) as stub:
        stub.add_client_error(
            "get_dashboard",
            service_error_code="ResourceNotFound",
            service_message="Dashboard does not exist",
            http_status_code=404,
        )
        with pytest.raises(dashboard.DashboardError, match=f"no dashboard {NAME} in us-east-2"):
            dashboard.read_body(client, NAME, "us-east-2")


def test_queries_follow_the_body_syntax_and_pages_are_followed(aws_credentials: None) -> None:
    properties = {
        "view": "timeSeries",
        "stat": "Maximum",
        "period": 60,
        "metrics": [
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "a"],
            [".", ".", ".", "b", {"label": "queue b", "yAxis": "right", "stat": "Sum"}],
            [{"expression": "m0 + m1", "label": "both", "id": "e1"}],
        ],
    }
    queries, shown = dashboard.widget_queries(properties)
    assert queries[1]["MetricStat"] == {
        "Metric": {
            "Namespace": "AWS/SQS",
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": "b"}],
        },
        "Period": 60,
        "Stat": "Sum",
    }
    assert queries[0]["MetricStat"]["Stat"] == "Maximum"
    assert queries[2] == {
        "Id": "e1",
        "Expression": "m0 + m1",
        "Period": 60,
        "ReturnData": True,
        "Label": "both",
    }
    assert [(s.label, s.axis) for s in shown] == [
        ("ApproximateNumberOfMessagesVisible Maximum", "left"),
        ("queue b", "right"),
        ("both", "left"),
    ]
    window = dashboard.window_ending(NOW, dt.timedelta(hours=1), 60)
    client = boto3.client("cloudwatch", region_name="us-east-2")
    stamps = [window.start + dt.timedelta(minutes=i) for i in range(3)]
    with Stubber(client) as stub:
        request = {
            "MetricDataQueries": queries,
            "StartTime": window.start,
            "EndTime": window.end,
            "ScanBy": "TimestampAscending",
        }
        first = [{"Id": "m0", "Timestamps": stamps[:2], "Values": [1.0, 2.0]}]
        stub.add_response(
            "get_metric_data", {"MetricDataResults": first, "NextToken": "n"}, request
        )
        rest = [
            {"Id": "m0", "Timestamps": stamps[2:], "Values": [3.0]},
            {"Id": "e1", "Timestamps": stamps, "Values": [4.0, 5.0, 6.0]},
        ]
        stub.add_response(
            "get_metric_data", {"MetricDataResults": rest}, request | {"NextToken": "n"}
        )
        (panel,) = dashboard.read_panels(
            client, {"widgets": [{"type": "metric", "properties": properties}]}, window
        )
    assert [s.values for s in panel.series] == [[1.0, 2.0, 3.0], [], [4.0, 5.0, 6.0]]


def test_the_window_ends_on_period_boundaries() -> None:
    window = dashboard.window_ending(NOW, dt.timedelta(hours=3))
    assert window.start == dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.UTC)
    assert window.end == dt.datetime(2024, 5, 1, 12, 5, tzinfo=dt.UTC)


def test_graphs_start_near_the_data_when_it_all_comes_late() -> None:
    window = dashboard.window_ending(NOW, dt.timedelta(hours=3))
    late = dashboard.Series("a", "Sum", "left", [NOW - dt.timedelta(minutes=10)], [1.0])
    panel = dashboard.Panel(kind="timeSeries", title="t", x=0, y=0, width=8, height=6)
    panel.series = [late]
    assert dashboard.graph_range([panel], window).start == NOW - dt.timedelta(minutes=40)
    late.timestamps = [window.start + dt.timedelta(minutes=20)]  # early data: the whole window
    assert dashboard.graph_range([panel], window) == window
    assert [dashboard.compact(v) for v in (950, 12_500, 1_230_000, 0.5)] == [
        "950",
        "12.5K",
        "1.23M",
        "0.5",
    ]

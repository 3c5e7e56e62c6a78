"""EMF documents to PutMetricData, Lambda's own metrics, the batching, and the GetMetricData
moto answers once patched. The EMF documents are written out here by hand, as the
specification shows them, not produced by Powertools."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tooling.emulator import metrics

STAMP_MS = 1_714_521_600_000  # 2024-05-01T00:00:00Z
AT = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)


def _powertools_like() -> dict[str, Any]:
    return {
        "_aws": {
            "Timestamp": STAMP_MS,
            "CloudWatchMetrics": [
                {
                    "Namespace": "DataPipeline-local",
                    "Dimensions": [["service"]],
                    "Metrics": [
                        {"Name": "RowsRead", "Unit": "Count"},
                        {"Name": "ChunkLatency", "Unit": "Milliseconds"},
                    ],
                }
            ],
        },
        "service": "transform",
        "RowsRead": 1200,
        "ChunkLatency": [35.5, 41.0],
        "function_request_id": "not a metric",
    }


def test_a_document_becomes_one_datum_per_metric_and_dimension_set() -> None:
    data = metrics.emf_metric_data(_powertools_like())
    assert data == [
        (
            "DataPipeline-local",
            {
                "MetricName": "RowsRead",
                "Timestamp": AT,
                "Values": [1200],
                "Unit": "Count",
                "Dimensions": [{"Name": "service", "Value": "transform"}],
            },
        ),
        (
            "DataPipeline-local",
            {
                "MetricName": "ChunkLatency",
                "Timestamp": AT,
                "Values": [35.5, 41.0],
                "Unit": "Milliseconds",
                "Dimensions": [{"Name": "service", "Value": "transform"}],
            },
        ),
    ]


def test_several_directives_and_dimension_sets() -> None:
    document = {
        "_aws": {
            "Timestamp": STAMP_MS + 1500,
            "CloudWatchMetrics": [
                {
                    "Namespace": "A",
                    "Dimensions": [["source", "stage"], ["stage"], []],
                    "Metrics": [{"Name": "Latency", "Unit": "Seconds", "StorageResolution": 1}],
                },
                {"Namespace": "B", "Dimensions": [], "Metrics": [{"Name": "Files"}]},
            ],
        },
        "source": "wire",
        "stage": "prod",
        "Latency": 2,
        "Files": 3,
    }
    data = metrics.emf_metric_data(document)
    assert [(ns, d["MetricName"], d["Dimensions"]) for ns, d in data] == [
        ("A", "Latency", [{"Name": "source", "Value": "wire"}, {"Name": "stage", "Value": "prod"}]),
        ("A", "Latency", [{"Name": "stage", "Value": "prod"}]),
        ("A", "Latency", []),
        ("B", "Files", []),
    ]
    assert data[0][1]["StorageResolution"] == 1 and "Unit" not in data[3][1]
    assert data[0][1]["Timestamp"] == AT + dt.timedelta(milliseconds=1500)


@pytest.mark.parametrize(
    "document",
    [
        {"RowsRead": 1},  # no _aws
        {"_aws": {"CloudWatchMetrics": []}, "x": 1},  # no Timestamp
        {"_aws": {"Timestamp": "yesterday", "CloudWatchMetrics": []}},
        {"_aws": {"Timestamp": STAMP_MS, "CloudWatchMetrics": {"Namespace": "A"}}},
    ],
)
def test_what_is_not_an_emf_document_extracts_nothing(document: dict[str, Any]) -> None:
    assert metrics.emf_metric_data(document) == []


def test_a_metric_or_dimension_set_without_a_valid_member_is_skipped() -> None:
    document = {
        "_aws": {
            "Timestamp": STAMP_MS,
            "CloudWatchMetrics": [
                {
                    "Namespace": "A",
                    "Dimensions": [["missing"], ["service"], ["count"]],
                    "Metrics": [{"Name": "Text"}, {"Name": "Absent"}, {"Name": "Good"}],
                }
            ],
        },
        "service": "ingest",
        "count": 3,  # a dimension's value must be a string
        "Text": "12",  # a metric's value must be a number
        "Good": 1,
    }
    data = metrics.emf_metric_data(document)
    assert [(d["MetricName"], d["Dimensions"]) for _, d in data] == [
        ("Good", [{"Name": "service", "Value": "ingest"}])
    ]


def test_documents_are_found_among_log_lines() -> None:
    output = "\n".join(
        [
            json.dumps({"level": "INFO", "message": "chunk done"}),
            "a plain line",
            json.dumps(_powertools_like()),
            '{"_aws": broken',
        ]
    )
    assert list(metrics.emf_documents(output)) == [_powertools_like()]


def test_lambda_reports_an_invocation() -> None:
    data = metrics.lambda_metric_data("ingest-local-x", duration_ms=12.3456, error=True, at=AT)
    assert {d["MetricName"]: d.get("Value") for _, d in data} == {
        "Invocations": 1,
        "Errors": 1,
        "Throttles": 0,
        "Duration": 12.346,
    }
    assert {ns for ns, _ in data} == {"AWS/Lambda"}
    assert all(
        d["Dimensions"] == [{"Name": "FunctionName", "Value": "ingest-local-x"}] for _, d in data
    )


def test_batches_keep_to_put_metric_data_limits() -> None:
    one = {"MetricName": "M", "Timestamp": AT, "Value": 1}
    many = [("A", dict(one, MetricName=f"M{i}")) for i in range(2500)] + [
        ("B", dict(one, Values=list(range(400))))
    ]
    requests = list(metrics.batches(many))
    assert [(ns, len(batch)) for ns, batch in requests] == [
        ("A", 1000),
        ("A", 1000),
        ("A", 500),
        ("B", 3),
    ]
    assert [len(d["Values"]) for d in requests[-1][1]] == [150, 150, 100]
    big = [("C", dict(one, MetricName="x" * 200, Values=[1.123456789] * 150)) for _ in range(1000)]
    sizes = [len(json.dumps(b, default=str).encode()) for _, b in metrics.batches(big)]
    assert len(sizes) > 1 and max(sizes) <= metrics.MAX_REQUEST_BYTES


def _query(stat: str, id: str = "m") -> dict[str, Any]:
    return {
        "Id": id,
        "MetricStat": {
            "Metric": {
                "Namespace": "DataPipeline-local",
                "MetricName": "ChunkLatency",
                "Dimensions": [{"Name": "service", "Value": "transform"}],
            },
            "Period": 300,
            "Stat": stat,
        },
    }


def test_published_metrics_read_back_with_percentiles_and_math(aws_credentials: None) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    stamp = int(now.timestamp() * 1000)
    latencies = [float(v) for v in range(1, 101)]  # 1..100 ms
    document = _powertools_like() | {"ChunkLatency": latencies}
    document["_aws"] = dict(document["_aws"], Timestamp=stamp)
    with mock_aws():
        metrics.moto_reads_what_the_dashboard_asks()
        cloudwatch = boto3.client("cloudwatch", region_name="us-east-2")
        assert metrics.publish(cloudwatch, metrics.emf_metric_data(document)) == 1
        answer = cloudwatch.get_metric_data(
            MetricDataQueries=[
                _query("p50", "p50"),
                _query("p99", "p99"),
                _query("Sum", "total") | {"ReturnData": False},
                _query("SampleCount", "n") | {"ReturnData": False},
                {"Id": "avg", "Expression": "IF(n > 0, total / n, 0)", "Label": "mean"},
            ],
            StartTime=now - dt.timedelta(minutes=10),
            EndTime=now + dt.timedelta(minutes=5),
        )
    values = {r["Id"]: r["Values"] for r in answer["MetricDataResults"]}
    assert values == {"p50": [50.0], "p99": [99.0], "avg": [50.5]}


def test_moto_still_lacks_percentiles_and_math() -> None:
    """Fails once moto answers either itself: then drop that half of the patch."""
    from moto.cloudwatch.models import MetricDatum, Statistics

    metrics.moto_reads_what_the_dashboard_asks()
    stats = Statistics(["p95"], AT)
    stats.metric_data = [MetricDatum("A", "M", 1.0, [], AT)]
    assert metrics.MOTO_ORIGINALS["statistic"](stats, "p95") is None
    results = [{"id": "a", "values": [2.0], "timestamps": [AT]}]
    assert metrics.MOTO_ORIGINALS["expression"]("a * 2", results) == ([], [])


def test_math_evaluates_per_timestamp() -> None:
    t1, t2, t3 = AT, AT + dt.timedelta(minutes=5), AT + dt.timedelta(minutes=10)
    series = {"e": {t1: 1.0, t2: 0.0, t3: 2.0}, "i": {t1: 4.0, t2: 0.0}}
    assert metrics.evaluate("IF(i > 0, 100 * e / i, 0)", series) == {t1: 25.0, t2: 0.0}
    assert metrics.evaluate("(e + 1) * -2", series) == {t1: -4.0, t2: -2.0, t3: -6.0}
    assert metrics.evaluate("e / i", series) == {t1: 0.25}  # no value where i is 0
    with pytest.raises(metrics.MathError):
        metrics.evaluate("FOO(e)", series)


HANDLER = """
import json, time
def handler(event, context):
    print(json.dumps({"level": "INFO", "message": "working"}))
    print(json.dumps({
        "_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [
            {"Namespace": "Local", "Dimensions": [["service"]],
             "Metrics": [{"Name": "RowsRead", "Unit": "Count"}]}]},
        "service": "transform", "RowsRead": event["rows"]}))
    if event.get("fail"):
        raise ValueError("bad")
    return {"ok": True}
"""


def test_the_runner_publishes_what_the_handler_printed(
    tmp_path: Path, aws_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The emulator's own default region is not the function's: the metrics go to the latter.
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    from tooling.emulator import server
    from tooling.emulator.handler_runner import HandlerRunner

    wsgi = server.wsgi_server(0)
    thread = threading.Thread(target=wsgi.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{wsgi.server_port}"
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", HANDLER)
    function = SimpleNamespace(
        code_bytes=package.getvalue(),
        account_id="123456789012",
        region="us-east-2",
        layers=[],
        role="arn:aws:iam::123456789012:role/transform-local-x",
        function_name="transform-local-x",
        function_arn="arn:aws:lambda:us-east-2:123456789012:function:transform-local-x",
        memory_size=128,
        timeout=30,
        environment_vars={},
        handler="app.handler",
    )
    runner = HandlerRunner(endpoint=url, work_dir=tmp_path)
    started = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    try:
        assert runner(function, {"rows": 7})[1] is False  # type: ignore[arg-type]
        assert runner(function, {"rows": 5, "fail": True})[1] is True  # type: ignore[arg-type]
        cloudwatch = boto3.client("cloudwatch", endpoint_url=url, region_name="us-east-2")

        def total(namespace: str, name: str, dimension: tuple[str, str]) -> float:
            answer = cloudwatch.get_metric_data(
                MetricDataQueries=[
                    {
                        "Id": "m",
                        "MetricStat": {
                            "Metric": {
                                "Namespace": namespace,
                                "MetricName": name,
                                "Dimensions": [{"Name": dimension[0], "Value": dimension[1]}],
                            },
                            "Period": 3600,
                            "Stat": "Sum",
                        },
                    }
                ],
                StartTime=started,
                EndTime=started + dt.timedelta(hours=1),
            )
            return float(sum(answer["MetricDataResults"][0]["Values"]))

        assert total("Local", "RowsRead", ("service", "transform")) == 12
        function_name = ("FunctionName", "transform-local-x")
        assert total("AWS/Lambda", "Invocations", function_name) == 2
        assert total("AWS/Lambda", "Errors", function_name) == 1
        assert total("AWS/Lambda", "Duration", function_name) > 0
    finally:
        wsgi.shutdown()
        thread.join()

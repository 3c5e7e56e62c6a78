"""The dashboard entrypoint (envs/dashboard.py): its help, its window, its one-line failures
(moto); and the deploy's closing lines that point to it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from rich.console import Console

from envs import dashboard, deploy

REGION = "us-east-2"  # envs/dev/config.toml
NAME = "pipeline-health-dev-d01"


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dashboard, "console", Console(stderr=True, width=240))
    monkeypatch.setattr(deploy, "console", Console(stderr=True, width=240))


@pytest.fixture
def mocked(aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto, and nothing of dev deployed in it."""
    monkeypatch.delenv("PIPELINE_ENV_SUFFIX", raising=False)
    with mock_aws():
        yield


def test_the_deploy_ends_with_the_dashboard_and_a_query(
    capsys: pytest.CaptureFixture[str],
) -> None:
    deploy.print_next_steps("local")
    lines = capsys.readouterr().err.splitlines()
    assert lines[1] == "  ./pants run envs/local:dashboard"
    assert lines[2].startswith(
        '  ./pants run envs/local:query -- "SELECT dt, currency, sum(amount)'
    )
    assert "FROM processed WHERE source IN (" in lines[2] and lines[2].endswith('"')


def test_help_says_what_it_writes_and_how_it_ends(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        dashboard.parse_args(["--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    for words in ("--since", "--out", "dashboard.png", "index.html", "console URL", "Exit status"):
        assert words in text


@pytest.mark.parametrize(("text", "hours"), [("90m", 1.5), ("3h", 3), ("2d", 48)])
def test_the_window_is_minutes_hours_or_days(text: str, hours: float) -> None:
    assert dashboard.duration(text) == dt.timedelta(hours=hours)


@pytest.mark.parametrize("since", ["3", "1m", "30d"])
def test_a_window_it_cannot_read_is_refused(since: str) -> None:
    with pytest.raises(SystemExit) as done:
        dashboard.parse_args(["--env", "dev", "--since", since])
    assert done.value.code == 2


def test_not_deployed_is_one_line_and_exit_2(
    mocked: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert dashboard.main(["--env", "dev", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"dashboard failed: no dashboard {NAME} in {REGION}: deploy it first"


def test_no_credentials_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # none cached by an earlier test
    assert dashboard.main(["--env", "dev", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "dashboard failed: Unable to locate credentials"


def test_a_deployed_dashboard_is_rendered_with_its_console_url(
    mocked: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    body = {
        "widgets": [
            {
                "type": "text",
                "x": 0,
                "y": 0,
                "width": 24,
                "height": 2,
                "properties": {"markdown": "# dev"},
            },
            {
                "type": "metric",
                "x": 0,
                "y": 2,
                "width": 8,
                "height": 6,
                "properties": {
                    "title": "Files",
                    "view": "timeSeries",
                    "metrics": [
                        ["DataPipeline-dev", "FilesAccepted", "service", "ingest", {"stat": "Sum"}]
                    ],
                },
            },
        ]
    }
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    cloudwatch.put_dashboard(DashboardName=NAME, DashboardBody=json.dumps(body))
    cloudwatch.put_metric_data(
        Namespace="DataPipeline-dev",
        MetricData=[
            {
                "MetricName": "FilesAccepted",
                "Dimensions": [{"Name": "service", "Value": "ingest"}],
                "Value": 3,
                "Timestamp": dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20),
            }
        ],
    )
    assert dashboard.main(["--env", "dev", "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert f"{NAME}: 2 widgets, 1 of 1 series with data" in err
    assert (
        f"console: https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}#dashboards/dashboard/{NAME}"
        in err
    )
    numbers = json.loads((tmp_path / "dashboard.json").read_text())
    assert numbers["widgets"][1]["series"][0]["total"] == 3
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000

"""The status entrypoint: exit codes a script can rely on, and what it says (moto)."""

from __future__ import annotations

import json

import boto3
import pytest
from rich.console import Console

from envs import status
from envs.tests.conftest import DevEnvironment

REGION = "us-east-2"


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(status, "console", Console(stderr=True, width=240))


def test_a_healthy_environment_exits_0_with_its_findings_as_json(
    dev_environment: DevEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    sfn.start_execution(stateMachineArn=dev_environment.state_machine, name="today")
    assert status.main(["--env", "dev", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["healthy"] is True and found["executions"] == {"RUNNING": 1}


def test_a_dead_letter_needs_attention(
    dev_environment: DevEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    dev_environment.dead_letters("{}")
    assert status.main(["--env", "dev"]) == 1
    err = capsys.readouterr().err
    assert "dev (d01): needs attention" in err
    assert "dead letters (events that started nothing): 1" in err


def test_an_environment_not_deployed_exits_2(
    mocked: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert status.main(["--env", "dev"]) == 2
    assert "is dev (d01) deployed" in " ".join(capsys.readouterr().err.split())


def test_the_window_is_checked(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        status.parse_args(["--env", "dev", "--hours", "0"])
    assert exit_.value.code == 2 and "--hours must be above 0" in capsys.readouterr().err

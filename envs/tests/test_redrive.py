"""The redrive entrypoint: its arguments, its errors, and a re-drive through it (moto)."""

from __future__ import annotations

import json

import pytest
from rich.console import Console

from envs import redrive
from envs.tests.conftest import DevEnvironment
from tooling.operations.events import object_created_event

REGION = "us-east-2"
EVENT = object_created_event(
    "txn-raw-dev-d01", "raw/a/2024/05/01/x.csv", {"ETag": '"e"', "ContentLength": 1}, REGION
)


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redrive, "console", Console(stderr=True, width=240))  # fewer wraps


def test_it_takes_keys_or_dead_letters_not_both(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--env", "dev"], ["--env", "dev", "--dead-letters", "raw/a/2024/05/01/x.csv"]):
        with pytest.raises(SystemExit) as exit_:
            redrive.parse_args(argv)
        assert exit_.value.code == 2
        assert "give raw object keys, or --dead-letters" in capsys.readouterr().err


def test_an_environment_not_deployed_is_a_clear_error(
    mocked: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert redrive.main(["--env", "dev", "--dead-letters"]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "Parameter Store has no 'pipeline/state_machine_arn' under /pipeline/dev/d01/" in err
    assert "is dev (d01) deployed, in us-east-2?" in err


def test_dead_letters_are_redriven(
    dev_environment: DevEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    dev_environment.dead_letters(json.dumps(EVENT), "junk")
    assert redrive.main(["--env", "dev", "--dead-letters"]) == 1  # the junk letter needs a person
    executions = dev_environment.executions()
    assert len(executions) == 1 and executions[0]["name"].startswith("redrive-")
    assert "body is not JSON" in capsys.readouterr().err


def test_a_dry_run_prints_the_events_it_would_start(
    dev_environment: DevEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    dev_environment.dead_letters(json.dumps(EVENT))
    assert redrive.main(["--env", "dev", "--dead-letters", "--dry-run"]) == 0
    (printed,) = capsys.readouterr().out.splitlines()
    assert json.loads(printed) == EVENT
    assert dev_environment.executions() == []

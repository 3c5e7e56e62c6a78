"""The emulator's client side (tooling/emulator/control.py): its log, its readiness file, and a
tool built without the server (a real environment's) saying so in one line."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from tooling.emulator import control as emulator


def test_no_readiness_file_is_no_emulator(tmp_path: Path) -> None:
    assert emulator.running(tmp_path) is None


def test_an_emulator_that_does_not_answer_is_not_running(tmp_path: Path) -> None:
    (tmp_path / emulator.INFO_FILE).write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": 1}))
    assert emulator.running(tmp_path) is None


def test_stopping_no_emulator_says_so_and_forgets_its_file(tmp_path: Path) -> None:
    (tmp_path / emulator.INFO_FILE).write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": 1}))
    assert emulator.stop(tmp_path) is False
    assert not (tmp_path / emulator.INFO_FILE).exists()


def test_a_tool_built_without_the_server_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name == emulator.SERVER_MODULE else find_spec(name, *args),
    )
    with pytest.raises(RuntimeError) as raised:
        emulator.start(tmp_path / "state")
    message = str(raised.value)
    assert "\n" not in message
    assert "without the local AWS emulator" in message
    assert "./pants run envs/local:deploy" in message
    assert not (tmp_path / "state").exists()  # nothing started, nothing written


def test_control_imports_neither_moto_nor_werkzeug() -> None:
    """What a real environment's operator tools import of the emulator (build-support/macros.py
    leaves the server out of them): checked on the module's source, whatever this process has
    already imported."""
    source = Path(emulator.__file__).read_text()
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert imports
    assert not [
        line for line in imports if "moto" in line or "werkzeug" in line or "server" in line
    ]


def test_recent_calls_are_the_last_lines_of_the_log(tmp_path: Path) -> None:
    lines = [f'127.0.0.1 - - "POST / DynamoDB_20120810.Call{i}" 200 0.001s' for i in range(50)]
    (tmp_path / emulator.LOG_FILE).write_text("\n".join(lines) + "\n")
    report = emulator.recent_calls(tmp_path, count=3).splitlines()
    assert report[0].startswith("the emulator's last 3 calls")
    assert report[1:] == lines[-3:]


def test_recent_calls_say_when_there_is_no_log(tmp_path: Path) -> None:
    assert "no emulator log" in emulator.recent_calls(tmp_path)


def test_a_new_emulator_starts_a_new_log_and_keeps_the_last(tmp_path: Path) -> None:
    (tmp_path / emulator.LOG_FILE).write_text("the last emulator's calls\n")
    log = emulator.fresh_log(tmp_path)
    assert not log.exists()
    assert (tmp_path / emulator.PREVIOUS_LOG_FILE).read_text() == "the last emulator's calls\n"


def test_server_errors_are_the_calls_answered_5xx(tmp_path: Path) -> None:
    lines = [
        '2026-11-26 03:41:54,277 INFO "POST / DynamoDB_20120810.DescribeTable" 200 0.002s',
        '2026-11-26 03:41:54,278 INFO "PUT /backup/plans/p/selections" 500 0.010s',
        '2026-11-26 03:41:54,279 INFO "GET /b?policy=" 404 0.003s',
        "2026-11-26 03:41:54,280 ERROR Error on request: 500 in a traceback line",
    ]
    (tmp_path / emulator.LOG_FILE).write_text("\n".join(lines) + "\n")
    assert emulator.server_errors(tmp_path) == [lines[1]]

"""The client side of the local AWS emulator: find, start and stop the one a state directory
holds, and read its log. The serving side (moto, our shims and layers, werkzeug) is
tooling/emulator/server.py, started here as a subprocess (``python -m tooling.emulator.server``).

This module imports neither moto nor werkzeug, on purpose: the operator tools of a real
environment (envs/prod:status, :redrive, :deploy, ...) import it to tell a local environment's
endpoint, and must not ship the emulator (moto, werkzeug, flask, cfn-lint, sympy: tens of MB).
Only the envs/local targets depend on the server (build-support/macros.py).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

SERVER_MODULE = "tooling.emulator.server"
INFO_FILE = "emulator.json"
LOG_FILE = "emulator.log"
PREVIOUS_LOG_FILE = "emulator.previous.log"


@dataclass(frozen=True)
class Emulator:
    url: str
    pid: int

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=2) as response:
                response.read()  # all of it: a connection closed with an answer unread is reset
                return True
        except OSError:
            return False


def recent_calls(state_dir: Path, count: int = 20) -> str:
    """The log's last ``count`` lines: the calls that led up to a failure, for its report."""
    log = state_dir / LOG_FILE
    if not log.is_file():
        return f"(no emulator log at {log})"
    with log.open("rb") as handle:
        handle.seek(max(0, log.stat().st_size - 400 * count))  # S3 paths make long lines
        lines = handle.read().decode(errors="replace").splitlines()[-count:]
    return f"the emulator's last {len(lines)} calls ({log}):\n" + "\n".join(lines)


_SERVER_ERROR = re.compile(r'" 5\d\d [\d.]+s$')


def server_errors(state_dir: Path) -> list[str]:
    """The calls this emulator answered with a 5xx: moto failing on something, which an SDK may
    have retried away unseen (a deploy that succeeds can still hide one)."""
    log = state_dir / LOG_FILE
    lines = log.read_text(errors="replace").splitlines() if log.is_file() else []
    return [line for line in lines if _SERVER_ERROR.search(line)]


def running(state_dir: Path) -> Emulator | None:
    info = state_dir / INFO_FILE
    if not info.is_file():
        return None
    data = json.loads(info.read_text())
    emulator = Emulator(url=data["url"], pid=int(data["pid"]))
    return emulator if emulator.healthy() else None


def fresh_log(state_dir: Path) -> Path:
    """A new emulator's log; the one before it is kept beside it as PREVIOUS_LOG_FILE."""
    log = state_dir / LOG_FILE
    if log.is_file():
        log.replace(state_dir / PREVIOUS_LOG_FILE)
    return log


def start(state_dir: Path, *, timeout_s: float = 60.0) -> Emulator:
    """A running emulator for ``state_dir``: the existing one, or a new detached one."""
    existing = running(state_dir)
    if existing:
        return existing
    if importlib.util.find_spec(SERVER_MODULE) is None:  # a real environment's tool
        raise RuntimeError(
            "this tool was built without the local AWS emulator: "
            "use ./pants run envs/local:deploy"
        )
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / INFO_FILE).unlink(missing_ok=True)
    log = fresh_log(state_dir).open("ab")
    process = subprocess.Popen(  # - this interpreter, our own module
        [sys.executable, "-m", SERVER_MODULE, "serve", "--state-dir", str(state_dir)],
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the local AWS emulator exited ({process.returncode}): see {state_dir / LOG_FILE}"
            )
        emulator = running(state_dir)
        if emulator:
            return emulator
        time.sleep(0.2)  # polling the emulator's readiness file and health endpoint
    process.terminate()
    raise RuntimeError(
        f"the local AWS emulator did not start within {timeout_s:.0f} s: see {state_dir / LOG_FILE}"
    )


def stop(state_dir: Path) -> bool:
    emulator = running(state_dir)
    (state_dir / INFO_FILE).unlink(missing_ok=True)
    if emulator is None:
        return False
    os.kill(emulator.pid, signal.SIGTERM)
    return True

"""The local AWS emulator: moto's application in a background process of our own, with the
shims (shims.py) and our layers in front of it (middleware.py).

    python -m tooling.emulator.server serve --port 0 --state-dir DIR    (started by the deploy tool)

It runs detached so that ``envs/local:deploy`` can return and ``envs/local:destroy`` (or the
next deploy, for changed-only redeploys) finds the same emulator through ``DIR/emulator.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tooling.emulator.call_report import CALLS_FILE, CallRecorder
from tooling.emulator.middleware import AnsweredRetries, AwsLimits, CallLog, describe

if TYPE_CHECKING:
    from werkzeug.serving import BaseWSGIServer

INFO_FILE = "emulator.json"
LOG_FILE = "emulator.log"
PREVIOUS_LOG_FILE = "emulator.previous.log"
LOG = logging.getLogger("emulator")


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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wsgi_server(port: int, calls: Path | None = None) -> BaseWSGIServer:
    """moto's application behind our layers (tooling/emulator/middleware.py: the call log, answered
    retries, AWS's limits) on werkzeug's threaded server, as moto's own ThreadedMotoServer runs
    it; a connection the client drops (before the answer, or leaving part of it unread: a range
    read that moves on) is logged, where werkzeug says nothing."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    class Handler(MotoRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            """CallLog logs each call, with more than werkzeug knows."""

        def connection_dropped(
            self, error: BaseException, environ: dict[str, Any] | None = None
        ) -> None:
            call = describe(environ) if environ else getattr(self, "requestline", "")
            LOG.info('"%s" the client dropped the connection: %r', call, error)

    moto = DomainDispatcherApplication(create_backend_app)
    app: CallLog | CallRecorder = CallLog(AnsweredRetries(AwsLimits(moto, LOG), LOG), LOG)
    if calls is not None:  # each function's and the state machine's calls, by role
        app = CallRecorder(app, calls)
    return make_server("127.0.0.1", port, app, threaded=True, request_handler=Handler)


def serve(port: int, state_dir: Path) -> None:
    """Run moto with the pipeline's shims until SIGTERM; write DIR/emulator.json once ready."""
    port = port or _free_port()
    os.environ["MOTO_PORT"] = str(port)  # Step Functions tasks call back into this server
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"  # AWS-managed policies can be attached
    from moto.core.config import default_user_config

    from tooling.emulator import shims
    from tooling.emulator.handler_runner import HandlerRunner

    default_user_config["stepfunctions"] = {"execute_state_machine": True}
    url = f"http://127.0.0.1:{port}"
    shims.install_all(HandlerRunner(endpoint=url, work_dir=state_dir / "lambda-code"))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    (state_dir / CALLS_FILE).unlink(missing_ok=True)  # a new emulator holds nothing before it
    server = wsgi_server(port, state_dir / CALLS_FILE)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    (state_dir / INFO_FILE).write_text(json.dumps({"url": url, "pid": os.getpid()}))
    stopped.wait()
    server.shutdown()


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
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / INFO_FILE).unlink(missing_ok=True)
    log = fresh_log(state_dir).open("ab")
    process = subprocess.Popen(  # - this interpreter, our own module
        [sys.executable, "-m", "tooling.emulator.server", "serve", "--state-dir", str(state_dir)],
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="emulator")
    sub = parser.add_subparsers(dest="command", required=True)
    serve_cmd = sub.add_parser("serve")
    serve_cmd.add_argument("--port", type=int, default=0)
    serve_cmd.add_argument("--state-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    serve(args.port, args.state_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

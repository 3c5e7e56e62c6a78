"""The local AWS emulator: moto's application in a background process of our own, with the
shims (shims.py) and our layers in front of it (middleware.py). The serving side only: finding,
starting and stopping it is tooling/emulator/control.py, which imports no moto.

    python -m tooling.emulator.server serve --port 0 --state-dir DIR    (started by control.start)

It runs detached so that ``envs/local:deploy`` can return and ``envs/local:destroy`` (or the
next deploy, for changed-only redeploys) finds the same emulator through ``DIR/emulator.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tooling.emulator.call_report import CALLS_FILE, CallRecorder
from tooling.emulator.control import INFO_FILE
from tooling.emulator.control import start as start  # infra/tests/test_release.py uses these
from tooling.emulator.control import stop as stop
from tooling.emulator.middleware import AnsweredRetries, AwsLimits, CallLog, describe

if TYPE_CHECKING:
    from werkzeug.serving import BaseWSGIServer

LOG = logging.getLogger("emulator")


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

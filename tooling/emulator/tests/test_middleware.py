from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from tooling.emulator.middleware import AnsweredRetries, CallLog, describe

LOG = logging.getLogger("test")


class Backend:
    """A WSGI app that counts the calls it runs and answers with the given statuses in turn."""

    def __init__(self, *statuses: str) -> None:
        self.statuses, self.calls = list(statuses), 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        self.calls += 1
        start_response(self.statuses[min(self.calls, len(self.statuses)) - 1], [("X-N", "1")])
        return [f"answer {self.calls}".encode()]


def _call(
    app: Any, method: str = "POST", invocation: str | None = "id-1", attempt: int = 1
) -> tuple[str, bytes]:
    environ: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": "/"}
    if invocation:
        environ["HTTP_AMZ_SDK_INVOCATION_ID"] = invocation
        environ["HTTP_AMZ_SDK_REQUEST"] = f"attempt={attempt}; max=3"
    seen: list[str] = []
    body = b"".join(app(environ, lambda status, headers, *exc: seen.append(status)))
    return seen[0], body


def test_a_retry_after_success_is_answered_without_running_again() -> None:
    backend = Backend("201 Created")
    app = AnsweredRetries(backend, LOG)
    assert _call(app) == ("201 Created", b"answer 1")
    assert _call(app, attempt=2) == ("201 Created", b"answer 1")
    assert backend.calls == 1


def test_a_retry_after_an_error_runs_again() -> None:
    backend = Backend("500 Internal Server Error", "200 OK")
    app = AnsweredRetries(backend, LOG)
    assert _call(app)[0].startswith("500")
    assert _call(app, attempt=2) == ("200 OK", b"answer 2")
    assert backend.calls == 2


def test_reads_other_calls_and_calls_without_an_id_always_run() -> None:
    backend = Backend("200 OK")
    app = AnsweredRetries(backend, LOG)
    _call(app, method="GET")
    _call(app, method="GET", attempt=2)
    _call(app, invocation="id-2")
    _call(app, invocation=None)
    _call(app, invocation=None)
    assert backend.calls == 5


def test_only_the_newest_answers_are_kept() -> None:
    backend = Backend("200 OK")
    app = AnsweredRetries(backend, LOG, max_bytes=len(b"answer 1"))  # room for one
    _call(app, invocation="a")
    _call(app, invocation="b")
    _call(app, invocation="b", attempt=2)  # "b" is kept: answered
    assert backend.calls == 2
    _call(app, invocation="a", attempt=2)  # "a" was forgotten: runs again
    assert backend.calls == 3


def test_large_answers_are_not_kept() -> None:
    backend = Backend("200 OK")
    app = AnsweredRetries(backend, LOG, max_body=3)
    _call(app)
    _call(app, attempt=2)
    assert backend.calls == 2


def test_the_log_line_names_the_call_status_and_retry(caplog: Any) -> None:
    app = CallLog(Backend("409 Conflict"), LOG)
    with caplog.at_level(logging.INFO, logger="test"):
        _call(app, attempt=3)
    assert caplog.records[0].getMessage().startswith('"POST / attempt=3" 409 ')


def test_describe_names_the_target_and_query() -> None:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "QUERY_STRING": "x=1",
        "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.DeleteTable",
        "HTTP_AMZ_SDK_REQUEST": "attempt=1; max=3",
    }
    assert describe(environ) == "POST /?x=1 DynamoDB_20120810.DeleteTable"

"""The WSGI layers the emulator puts in front of moto's application."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
App = Callable[[Environ, StartResponse], Iterable[bytes]]

INVOCATION_ID = "HTTP_AMZ_SDK_INVOCATION_ID"  # one id per SDK call, the same for its retries
ATTEMPT = "HTTP_AMZ_SDK_REQUEST"  # "attempt=2; max=3"


class CallLog:
    """One line per call: method, path, ``X-Amz-Target`` (for the JSON APIs the path is only
    ``/``), the SDK's attempt when it is a retry, status and seconds: what a failed deploy's
    AWS call needs to be traced."""

    def __init__(self, app: App, logger: logging.Logger) -> None:
        self.app, self.logger = app, logger

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        started = time.monotonic()
        status: list[str] = []

        def recording(line: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            status.append(line.split(" ", 1)[0])
            return start_response(line, headers, *exc_info)

        try:
            return self.app(environ, recording)
        finally:
            self.logger.info(
                '"%s" %s %.3fs',
                describe(environ),
                status[0] if status else "-",
                time.monotonic() - started,
            )


def describe(environ: Environ) -> str:
    call = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}"
    if environ.get("QUERY_STRING"):
        call += f"?{environ['QUERY_STRING']}"
    target = environ.get("HTTP_X_AMZ_TARGET")
    attempt = environ.get(ATTEMPT, "").split(";", 1)[0]
    return " ".join(
        [
            call,
            *([target] if target else []),
            *([attempt] if attempt not in ("", "attempt=1") else []),
        ]
    )


class AnsweredRetries:
    """A retry of a call the emulator already answered with success gets that answer again.

    An SDK retries a call whose answer it did not get (a connection that broke after the
    emulator answered) under the same ``amz-sdk-invocation-id``. Run a second time, a create
    answers "already exists" and a delete "not found", and the deploy fails over a call that
    succeeded. Only answers to calls that change something (not GET or HEAD) are kept: the
    newest, up to ``max_bytes`` in all and ``max_body`` each; a retry after an error runs
    again, as the SDK meant it to."""

    def __init__(
        self,
        app: App,
        logger: logging.Logger,
        *,
        max_bytes: int = 64 << 20,
        max_body: int = 1 << 20,
    ) -> None:
        self.app, self.logger = app, logger
        self.max_bytes, self.max_body = max_bytes, max_body
        self._answers: OrderedDict[str, tuple[str, list[tuple[str, str]], bytes]] = OrderedDict()
        self._kept_bytes = 0
        self._lock = threading.Lock()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        invocation = environ.get(INVOCATION_ID)
        if not invocation or environ["REQUEST_METHOD"] in ("GET", "HEAD"):
            return self.app(environ, start_response)
        with self._lock:
            answered = self._answers.get(invocation)
        if answered is not None:
            status, headers, body = answered
            self.logger.warning(
                '"%s" retried after the emulator answered %s: the same answer again',
                describe(environ),
                status.split(" ", 1)[0],
            )
            start_response(status, headers)
            return [body]
        captured: list[tuple[str, list[tuple[str, str]]]] = []

        def capturing(line: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            captured.append((line, list(headers)))
            return start_response(line, headers, *exc_info)

        result = self.app(environ, capturing)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if captured and captured[-1][0].startswith("2") and len(body) <= self.max_body:
            with self._lock:
                self._answers[invocation] = (*captured[-1], body)
                self._kept_bytes += len(body)
                while self._kept_bytes > self.max_bytes:
                    self._kept_bytes -= len(self._answers.popitem(last=False)[1][2])
        return [body]

"""The WSGI layers the emulator puts in front of moto's application: a call log, answered
retries, and AWS's limits (AwsLimits, with the rules in limits.py)."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import threading
import time
import urllib.parse
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from html import escape
from http import HTTPStatus
from typing import Any
from xml.etree import ElementTree

from tooling.emulator import limits

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
        answered = AnsweredStatus(start_response)
        try:
            return self.app(environ, answered)
        finally:
            self.logger.info(
                '"%s" %s %.3fs',
                describe(environ),
                answered.code or "-",
                time.monotonic() - started,
            )


class AnsweredStatus:
    """A ``start_response`` that remembers the status code the application answered with
    (0 until it answers), for the layers that log or record each call."""

    def __init__(self, start_response: StartResponse) -> None:
        self._start_response = start_response
        self.code = 0

    def __call__(self, line: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
        self.code = int(line.split(" ", 1)[0])
        return self._start_response(line, headers, *exc_info)


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


RolePolicies = Callable[[str, str, str], dict[str, str]]  # (access key, role, region) -> policies
_CREDENTIAL = re.compile(
    r"Credential=(?P<key>[^/,\s]+)/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/"
)
_LAMBDA_INVOKE = re.compile(r"^/2015-03-31/functions/[^/]+/invocations/?$")
_LAMBDA_INVOKE_ASYNC = re.compile(r"^/2014-11-13/functions/[^/]+/invoke-async/?$")
_QUERY_TAG = re.compile(r"^(?P<where>(?:.*\.)?Tags?(?:\.member)?\.\d+)\.(?P<part>Key|Value)$")
# Top-level request members that hold a resource's tags, in the JSON protocols.
_JSON_TAG_MEMBERS = ("Tags", "tags", "TagList", "BackupVaultTags", "BackupPlanTags")
DEFAULT_ACCOUNT = "123456789012"  # moto's, for an access key that names none


class AwsLimits:
    """Refuses, as AWS would, what AWS's documented limits forbid and moto lets through
    (tooling/emulator/limits.py: each limit, its source, its error): Step Functions execution input,
    Lambda invocation payloads, SNS subjects and messages, S3 bucket names, SSM parameter
    names, tag keys and values wherever tags are set, IAM policy sizes. A refusal is answered
    in the service's own error format and logged; everything else reaches moto unchanged.

    ``role_policies`` gives a role's inline policies (the 10,240-character quota counts them
    all); by default moto's IAM backend in this process holds them."""

    def __init__(
        self, app: App, logger: logging.Logger, *, role_policies: RolePolicies | None = None
    ) -> None:
        self.app, self.logger = app, logger
        self.role_policies = role_policies or moto_role_policies

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        credential = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        if credential is None:
            return self.app(environ, start_response)
        call = _Call(environ, credential)
        if call.reads_body:
            call.body = _read_body(environ)
        refusal = self.check(call)
        if refusal is None:
            return self.app(environ, start_response)
        self.logger.warning(
            '"%s" refused as AWS would: %s %s', describe(environ), refusal.code, refusal.message
        )
        status, headers, body = call.error_answer(refusal)
        start_response(status, headers)
        return [body]

    def check(self, call: _Call) -> limits.Refusal | None:
        if call.service == "lambda" and call.method == "POST":
            if _LAMBDA_INVOKE.match(call.path):
                return limits.lambda_invoke_request(
                    call.body, call.header("X_AMZ_INVOCATION_TYPE") or "RequestResponse"
                )
            if _LAMBDA_INVOKE_ASYNC.match(call.path):
                return limits.lambda_invoke_request(call.body, "Event")
        if call.service == "s3":
            return self._s3(call)
        params = call.params()
        refusal = limits.tags(
            call.tags(params), service=call.service, query_protocol=call.protocol == "query"
        )
        if refusal is not None:
            return refusal
        op = call.operation
        if call.service == "states" and op in ("StartExecution", "StartSyncExecution"):
            return limits.sfn_execution_input(_text(params.get("input")))
        if call.service == "sns" and op == "Publish":
            return limits.sns_publish(_text(params.get("Subject")), _text(params.get("Message")))
        if call.service == "sns" and op == "PublishBatch":
            entries = "PublishBatchRequestEntries.member."
            for n in sorted({k.split(".")[2] for k in params if k.startswith(entries)}):
                entry = f"{entries}{n}."
                refusal = limits.sns_publish(
                    _text(params.get(entry + "Subject")), _text(params.get(entry + "Message"))
                )
                if refusal is not None:
                    return refusal
        if call.service == "ssm" and op == "PutParameter":
            return limits.ssm_parameter_name(
                _text(params.get("Name")) or "", region=call.region, account=call.account
            )
        if call.service == "iam":
            return self._iam(call, op, params)
        return None

    def _s3(self, call: _Call) -> limits.Refusal | None:
        bucket, _, key = call.path.lstrip("/").partition("/")
        subresources = set(call.query) - {"x-id"}
        if call.method == "PUT" and bucket and not key and not subresources:
            return limits.s3_create_bucket(bucket)  # CreateBucket (path-style addressing)
        found: list[limits.Tag] = []
        header = call.header("X_AMZ_TAGGING")
        if header is not None and call.method in ("PUT", "POST"):
            found += [
                limits.Tag(k, v, "x-amz-tagging")
                for k, v in urllib.parse.parse_qsl(header, keep_blank_values=True)
            ]
        if call.method == "PUT" and "tagging" in call.query:
            found += _xml_tags(call.body)
        return limits.tags(found, service="s3", query_protocol=False)

    def _iam(self, call: _Call, op: str, params: dict[str, Any]) -> limits.Refusal | None:
        if op == "PutRolePolicy":
            role, name = _text(params.get("RoleName")) or "", _text(params.get("PolicyName"))
            existing = self.role_policies(call.access_key, role, call.region)
            documents = [d for n, d in existing.items() if n != name]
            return limits.iam_role_inline_policies(
                role, [*documents, _text(params.get("PolicyDocument")) or ""]
            )
        if op in ("CreatePolicy", "CreatePolicyVersion"):
            return limits.iam_managed_policy(_text(params.get("PolicyDocument")) or "")
        if op == "CreateRole":
            return limits.iam_trust_policy(_text(params.get("AssumeRolePolicyDocument")) or "")
        if op == "UpdateAssumeRolePolicy":
            return limits.iam_trust_policy(_text(params.get("PolicyDocument")) or "")
        return None


class _Call:
    """What AwsLimits needs of a request: who it is for and what it carries."""

    def __init__(self, environ: Environ, credential: re.Match[str]) -> None:
        self.environ = environ
        self.service, self.region = credential["service"], credential["region"]
        self.access_key = credential["key"]
        self.method = environ["REQUEST_METHOD"]
        self.path = environ.get("PATH_INFO", "")
        self.query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        content_type = environ.get("CONTENT_TYPE", "")
        if target:
            self.protocol, self.operation = "json", target.rsplit(".", 1)[-1]
        elif "x-www-form-urlencoded" in content_type and self.service != "s3":
            self.protocol, self.operation = "query", ""  # the Action, once the body is read
        else:
            self.protocol, self.operation = ("s3" if self.service == "s3" else "rest-json"), ""
        self.body = b""

    @property
    def account(self) -> str:
        return self.access_key if re.fullmatch(r"\d{12}", self.access_key) else DEFAULT_ACCOUNT

    @property
    def reads_body(self) -> bool:
        if self.method not in ("POST", "PUT", "PATCH"):
            return False
        if self.service == "s3":  # never an object's bytes: only a tag set
            return self.method == "PUT" and "tagging" in self.query
        return True

    def header(self, name: str) -> str | None:
        value = self.environ.get(f"HTTP_{name}")
        return None if value is None else str(value)

    def params(self) -> dict[str, Any]:
        """The request's members: a JSON body's top level, or a query form's fields."""
        if self.protocol == "query":
            form = dict(urllib.parse.parse_qsl(self.body.decode(errors="replace"), True))
            self.operation = form.get("Action", "")
            return form
        if _LAMBDA_INVOKE.match(self.path) or _LAMBDA_INVOKE_ASYNC.match(self.path):
            return {}  # the function's event, not the request's members
        try:
            parsed = json.loads(self.body or b"{}")
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}

    def tags(self, params: dict[str, Any]) -> list[limits.Tag]:
        if self.protocol == "query":
            grouped: dict[str, dict[str, str]] = {}
            for name, value in params.items():
                match = _QUERY_TAG.match(name)
                if match:
                    grouped.setdefault(match["where"], {})[match["part"]] = str(value)
            return [
                limits.Tag(parts.get("Key", ""), parts.get("Value", ""), where)
                for where, parts in grouped.items()
            ]
        found = []
        for member in _JSON_TAG_MEMBERS:
            value = params.get(member)
            if isinstance(value, dict):
                found += [limits.Tag(str(k), str(v), member) for k, v in value.items()]
            elif isinstance(value, list):
                for index, item in enumerate(value, 1):
                    if isinstance(item, dict):
                        key = item.get("Key", item.get("key", item.get("TagKey", "")))
                        val = item.get("Value", item.get("value", item.get("TagValue", "")))
                        found.append(limits.Tag(str(key), str(val or ""), f"{member}.{index}"))
        return found

    def error_answer(self, refusal: limits.Refusal) -> tuple[str, list[tuple[str, str]], bytes]:
        """The refusal as this service's protocol spells an error."""
        status = f"{refusal.status} {HTTPStatus(refusal.status).phrase}"
        request_id = str(uuid.uuid4())
        message = escape(refusal.message)
        if self.protocol == "json":
            body = json.dumps({"__type": refusal.code, "message": refusal.message}).encode()
            headers = [("Content-Type", "application/x-amz-json-1.1")]
        elif self.protocol == "rest-json":
            body = json.dumps({"Type": "User", "message": refusal.message}).encode()
            headers = [("Content-Type", "application/json")]
        elif self.protocol == "s3":
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>'
                f"{refusal.code}</Code><Message>{message}</Message>"
                f"<RequestId>{request_id}</RequestId></Error>"
            ).encode()
            headers = [("Content-Type", "application/xml")]
        elif self.service == "ec2":
            body = (
                f"<Response><Errors><Error><Code>{refusal.code}</Code><Message>{message}"
                f"</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
            ).encode()
            headers = [("Content-Type", "text/xml")]
        else:
            body = (
                f"<ErrorResponse><Error><Type>Sender</Type><Code>{refusal.code}</Code>"
                f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId>"
                "</ErrorResponse>"
            ).encode()
            headers = [("Content-Type", "text/xml")]
        headers += [
            ("x-amzn-ErrorType", refusal.code),
            ("x-amzn-RequestId", request_id),
            ("Content-Length", str(len(body))),
        ]
        return status, headers, body


def _read_body(environ: Environ) -> bytes:
    """The whole body, put back for the application behind this layer to read again."""
    length = environ.get("CONTENT_LENGTH")
    stream = environ["wsgi.input"]
    if length:
        body = bytes(stream.read(int(length)))
    elif environ.get("wsgi.input_terminated"):
        body = bytes(stream.read())
    else:
        return b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    if "aws-chunked" in environ.get("HTTP_CONTENT_ENCODING", ""):
        return decode_aws_chunked(body)
    return body


def decode_aws_chunked(body: bytes) -> bytes:
    """The payload of an ``aws-chunked`` body: ``<hex size>[;chunk-signature=...]\\r\\n<data>\\r\\n``
    chunks up to a zero-size one (trailing checksum headers after it)."""
    data, position = bytearray(), 0
    while position < len(body):
        line_end = body.index(b"\r\n", position)
        size = int(body[position:line_end].split(b";", 1)[0], 16)
        if size == 0:
            break
        data += body[line_end + 2 : line_end + 2 + size]
        position = line_end + 2 + size + 2
    return bytes(data)


def _xml_tags(body: bytes) -> list[limits.Tag]:
    """The Key/Value pairs of an S3 ``<Tagging><TagSet><Tag>`` document."""
    try:
        root = ElementTree.fromstring(body)  # noqa: S314 (an SDK's request, on loopback)
    except ElementTree.ParseError:
        return []
    found = []
    for index, element in enumerate(e for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "Tag"):
        parts = {child.tag.rsplit("}", 1)[-1]: child.text or "" for child in element}
        found.append(limits.Tag(parts.get("Key", ""), parts.get("Value", ""), f"Tag.{index + 1}"))
    return found


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def moto_role_policies(access_key: str, role: str, region: str) -> dict[str, str]:
    """The inline policies moto holds for ``role`` (none if there is no such role: moto
    answers that call itself)."""
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import get_account_id_from, iam_backends
    from moto.utilities.utils import get_partition

    account = os.environ.get("MOTO_ACCOUNT_ID") or get_account_id_from(access_key)
    try:
        found = iam_backends[account][get_partition(region)].get_role(role)
    except NotFoundException:
        return {}
    return {str(name): str(document) for name, document in found.policies.items()}

"""Least privilege, proven from real calls (issue 11): every AWS call a function or the state
machine makes in a local run, held against the IAM policies of the role it runs under.

Attribution. The handler runner gives each function its role's own access key
(credentials.py, ``role_access_key``: ``LOCALROLE`` + the role's name; moto accepts any key),
and moto's Step Functions calls its tasks' services with the fixed key ``ak``
(moto/stepfunctions/parser/asl/utils/boto_client.py), which stands for the state machine's
role; the sample day starts each execution with the event rule target's role, as EventBridge
does (tooling/deploy/sample_day.py). ``CallRecorder`` (a WSGI layer of the emulator) writes one JSON line per such call to
``<state dir>/CALLS_FILE``: who, service, method, path, query, target and the request members
that name a resource. Calls with any other key (Terraform, the operator tools, the tests) are
not recorded.

Evaluation. ``requests`` turns a call into the IAM requests AWS authorizes for it (action and
resource ARN; a DynamoDB transaction is one request per item; an S3 call on an SSE-KMS bucket,
a DynamoDB call on a table with a customer managed key and an SNS publish to an encrypted
topic also need the caller's KMS permission on the key, as each service documents).
``evaluate`` is IAM's policy logic for identity policies: an explicit Deny wins, else an Allow
whose Action and Resource match (``*``/``?`` wildcards, case-insensitive actions), else an
implicit deny; ``NotAction``/``NotResource`` are honoured; a statement with a Condition is
matched only if every operator is one this module evaluates (``StringEquals``, ``StringLike``,
``ArnEquals``, ``ArnLike``, ``Bool``) against the request context, and otherwise never allows
(a conservative reading: it can only add denials). ``report`` gives calls seen, allowed,
denied, and each granted (action, resource) no allowed request used.
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.constructs.grants import LOG_DELIVERY_ACTIONS
from tooling.emulator.credentials import ROLE_KEY_PREFIX
from tooling.emulator.middleware import AnsweredStatus, App, Environ, StartResponse

CALLS_FILE = "calls.jsonl"
STATE_MACHINE_KEY = "ak"  # moto's Step Functions task clients
STATE_MACHINE = "<state machine>"
DEFAULT_ACCOUNT = "123456789012"


_CREDENTIAL = re.compile(
    r"Credential=(?P<key>[^/,\s]+)/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/"
)
# Request members that name the resource a call acts on (JSON and query protocols).
_RESOURCE_MEMBERS = (
    "TableName",
    "IndexName",
    "TransactItems",
    "RequestItems",
    "TopicArn",
    "TargetArn",
    "stateMachineArn",
    "executionArn",
    "QueueUrl",
    "Name",
    "Names",
    "Namespace",
    "Action",
)


def role_of_key(access_key: str) -> str | None:
    if access_key.startswith(ROLE_KEY_PREFIX):
        return access_key[len(ROLE_KEY_PREFIX) :]
    if access_key == STATE_MACHINE_KEY:
        return STATE_MACHINE
    return None


# -- recording ------------------------------------------------------------------------------


class CallRecorder:
    """Writes each attributable call (a function's or the state machine's) to ``path``."""

    def __init__(self, app: App, path: Path) -> None:
        self.app, self.path = app, path
        self._lock = threading.Lock()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        credential = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        principal = role_of_key(credential["key"]) if credential else None
        if credential is None or principal is None:
            return self.app(environ, start_response)
        record: dict[str, Any] = {
            "principal": principal,
            "service": credential["service"],
            "region": credential["region"],
            "method": environ["REQUEST_METHOD"],
            "path": urllib.parse.unquote(environ.get("PATH_INFO", "")),
            "query": dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", ""), True)),
            "target": environ.get("HTTP_X_AMZ_TARGET", ""),
            "copy_source": environ.get("HTTP_X_AMZ_COPY_SOURCE", ""),
            "params": _resource_params(environ, credential["service"]),
        }
        answered = AnsweredStatus(start_response)
        try:
            return self.app(environ, answered)
        finally:
            record["status"] = answered.code
            with self._lock, self.path.open("a") as out:
                out.write(json.dumps(record, sort_keys=True) + "\n")


def _resource_params(environ: Environ, service: str) -> dict[str, Any]:
    """The members of a JSON or query request that name resources (never an S3 body, except
    a DeleteObjects key list)."""
    from tooling.emulator.middleware import _read_body

    method = environ["REQUEST_METHOD"]
    query = environ.get("QUERY_STRING", "")
    if method not in ("POST", "PUT"):
        return {}
    if service == "s3":
        if method == "POST" and re.search(r"(^|&)delete(=|&|$)", query):
            listed = _read_body(environ).decode(errors="replace")
            return {"Keys": re.findall(r"<Key>([^<]*)</Key>", listed)}
        return {}
    if service == "lambda":
        return {}  # the path names the function; the body is the function's event
    body = _read_body(environ)
    if "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
        form = dict(urllib.parse.parse_qsl(body.decode(errors="replace"), True))
        return {k: v for k, v in form.items() if k in _RESOURCE_MEMBERS}
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        return {}
    if not isinstance(parsed, dict):
        return {}
    kept = {k: v for k, v in parsed.items() if k in _RESOURCE_MEMBERS}
    if "TransactItems" in kept:  # each item's operation and table only
        kept["TransactItems"] = [
            {op: {"TableName": body.get("TableName", "")} for op, body in item.items()}
            for item in kept["TransactItems"]
            if isinstance(item, dict)
        ]
    if isinstance(kept.get("RequestItems"), dict):
        kept["RequestItems"] = {
            table: (
                sorted({next(iter(r), "") for r in ops if isinstance(r, dict)})
                if isinstance(ops, list)
                else []
            )
            for table, ops in kept["RequestItems"].items()
        }
    return kept


def read_calls(state_dir: Path) -> list[dict[str, Any]]:
    path = state_dir / CALLS_FILE
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# -- calls to IAM requests ------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    action: str
    resource: str


class UnmappedCall(ValueError):
    """A call whose IAM action this module does not know: add it to ``requests``."""


# Operations that need no IAM permission.
_UNAUTHORIZED = {("sts", "GetCallerIdentity")}
_TRANSACT_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}
_BATCH_WRITE = {"PutRequest": "dynamodb:PutItem", "DeleteRequest": "dynamodb:DeleteItem"}


def requests(
    call: Mapping[str, Any],
    *,
    account: str = DEFAULT_ACCOUNT,
    keys: Mapping[str, str] | None = None,
) -> list[Request]:
    """The IAM requests AWS authorizes for one recorded call. ``keys``: the KMS key ARN that
    encrypts each bucket, table or topic ARN (``arn:aws:s3:::b``, ``...:table/t``, a topic)."""
    keys = keys or {}
    service, region = str(call["service"]), str(call["region"])
    found = _requests(call, service, region, account)
    implied: list[Request] = []
    for request in found:
        implied += _kms_needed(request, keys)
    return found + implied


def _requests(call: Mapping[str, Any], service: str, region: str, account: str) -> list[Request]:
    params: Mapping[str, Any] = call.get("params") or {}
    if service == "s3":
        return _s3(call)
    if service == "lambda":
        match = re.match(r"^/20\d\d-\d\d-\d\d/functions/(?P<name>[^/]+)/invoc", call["path"])
        if match is None:
            raise UnmappedCall(f"lambda {call['method']} {call['path']}")
        name = match["name"]
        arn = (
            name
            if name.startswith("arn:")
            else f"arn:aws:lambda:{region}:{account}:function:{name}"
        )
        qualifier = call.get("query", {}).get("Qualifier")
        return [Request("lambda:InvokeFunction", f"{arn}:{qualifier}" if qualifier else arn)]
    operation = str(call.get("target", "")).rsplit(".", 1)[-1] or str(params.get("Action", ""))
    if (service, operation) in _UNAUTHORIZED:
        return []
    if service == "dynamodb":
        return _dynamodb(operation, params, region, account)
    if service == "sns" and operation == "Publish":
        return [Request("sns:Publish", str(params.get("TopicArn") or params.get("TargetArn")))]
    if service == "states" and operation in ("StartExecution", "StartSyncExecution"):
        return [Request(f"states:{operation}", str(params.get("stateMachineArn")))]
    if service == "monitoring" and operation == "PutMetricData":
        return [Request("cloudwatch:PutMetricData", "*")]
    raise UnmappedCall(f"{service} {operation or call['method'] + ' ' + call['path']}")


def _table_arn(table: str, region: str, account: str, index: str | None = None) -> str:
    arn = (
        table if table.startswith("arn:") else f"arn:aws:dynamodb:{region}:{account}:table/{table}"
    )
    return f"{arn}/index/{index}" if index else arn


def _dynamodb(
    operation: str, params: Mapping[str, Any], region: str, account: str
) -> list[Request]:
    if operation == "TransactWriteItems" or operation == "TransactGetItems":
        found = []
        for item in params.get("TransactItems", []):
            for op, body in item.items():
                table = _table_arn(str(body.get("TableName", "")), region, account)
                found.append(Request(_TRANSACT_ACTIONS[op], table))
        return found
    if operation == "BatchWriteItem":
        return [
            Request(_BATCH_WRITE[op], _table_arn(table, region, account))
            for table, ops in params.get("RequestItems", {}).items()
            for op in ops
        ]
    if operation == "BatchGetItem":
        return [
            Request("dynamodb:BatchGetItem", _table_arn(table, region, account))
            for table in params.get("RequestItems", {})
        ]
    table = str(params.get("TableName", ""))
    if not table:
        raise UnmappedCall(f"dynamodb {operation} without a TableName")
    index = params.get("IndexName") if operation in ("Query", "Scan") else None
    return [Request(f"dynamodb:{operation}", _table_arn(table, region, account, index))]


def _s3(call: Mapping[str, Any]) -> list[Request]:
    method = str(call["method"])
    bucket, _, key = str(call["path"]).lstrip("/").partition("/")
    query: Mapping[str, str] = call.get("query") or {}
    sub = set(query) - {"x-id"}
    bucket_arn = f"arn:aws:s3:::{bucket}"
    obj = f"{bucket_arn}/{key}"
    if not key:
        if method in ("GET", "HEAD") and not sub - {
            "list-type",
            "prefix",
            "delimiter",
            "continuation-token",
            "max-keys",
            "start-after",
            "encoding-type",
        }:
            return [Request("s3:ListBucket", bucket_arn)]
        if method == "GET" and "versions" in sub:
            return [Request("s3:ListBucketVersions", bucket_arn)]
        if method == "GET" and "uploads" in sub:
            return [Request("s3:ListBucketMultipartUploads", bucket_arn)]
        if method == "POST" and "delete" in sub:
            keys = (call.get("params") or {}).get("Keys", [])
            return [Request("s3:DeleteObject", f"{bucket_arn}/{k}") for k in keys]
        raise UnmappedCall(f"s3 {method} bucket ?{'&'.join(sorted(sub))}")
    if "uploadId" in sub:
        if method == "DELETE":
            return [Request("s3:AbortMultipartUpload", obj)]
        if method == "GET":
            return [Request("s3:ListMultipartUploadParts", obj)]
        return [Request("s3:PutObject", obj)]  # UploadPart, CompleteMultipartUpload
    if "tagging" in sub:
        verb = {"GET": "Get", "PUT": "Put", "DELETE": "Delete"}[method]
        return [Request(f"s3:{verb}ObjectTagging", obj)]
    if method in ("GET", "HEAD"):
        return [Request("s3:GetObjectVersion" if "versionId" in sub else "s3:GetObject", obj)]
    if method == "PUT" or (method == "POST" and "uploads" in sub):
        found = [Request("s3:PutObject", obj)]
        source = str(call.get("copy_source") or "")
        if source:
            source = urllib.parse.unquote(source.split("?", 1)[0]).lstrip("/")
            found.append(Request("s3:GetObject", f"arn:aws:s3:::{source}"))
        return found
    if method == "DELETE":
        return [Request("s3:DeleteObjectVersion" if "versionId" in sub else "s3:DeleteObject", obj)]
    raise UnmappedCall(f"s3 {method} object ?{'&'.join(sorted(sub))}")


# The caller's KMS permissions each service needs on a customer managed key:
# S3 SSE-KMS: "Permissions" in https://docs.aws.amazon.com/AmazonS3/latest/userguide/
#   UsingKMSEncryption.html (PutObject: kms:GenerateDataKey; GetObject/HeadObject: kms:Decrypt;
#   a multipart upload: both).
# SNS, a publisher to an encrypted topic: kms:GenerateDataKey and kms:Decrypt
#   (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
# DynamoDB, a customer managed table key: the caller's kms:Decrypt when DynamoDB fetches the
#   table key for it ("How Amazon DynamoDB uses AWS KMS", https://docs.aws.amazon.com/kms/
#   latest/developerguide/services-dynamodb.html: "Decrypt ... calls on behalf of the user").
_KMS_FOR = {
    "s3:GetObject": ("kms:Decrypt",),
    "s3:GetObjectVersion": ("kms:Decrypt",),
    "s3:PutObject": ("kms:GenerateDataKey", "kms:Decrypt"),
    "sns:Publish": ("kms:GenerateDataKey", "kms:Decrypt"),
}


def _kms_needed(request: Request, keys: Mapping[str, str]) -> list[Request]:
    if request.action.startswith("dynamodb:"):
        table = request.resource.split("/index/", 1)[0]
        key = keys.get(table)
        return [Request("kms:Decrypt", key)] if key else []
    actions = _KMS_FOR.get(request.action, ())
    if not actions:
        return []
    owner = (
        "arn:aws:s3:::" + request.resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
        if request.resource.startswith("arn:aws:s3:::")
        else request.resource
    )
    key = keys.get(owner)
    return [Request(action, key) for action in actions] if key else []


# -- evaluation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    allowed: bool
    explicit_deny: bool
    statements: tuple[tuple[int, int], ...] = ()  # (policy index, statement index) that allow


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [s for s in _as_list(policy.get("Statement", [])) if isinstance(s, Mapping)]


def _action_matches(patterns: Sequence[str], action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in patterns)


def _resource_matches(patterns: Sequence[str], resource: str) -> bool:
    return any(p == "*" or fnmatch.fnmatchcase(resource, p.replace("[", "[[]")) for p in patterns)


_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda actual, expected: actual == expected,
    "StringLike": lambda actual, expected: fnmatch.fnmatchcase(actual, expected),
    "ArnEquals": lambda actual, expected: actual == expected,
    "ArnLike": lambda actual, expected: fnmatch.fnmatchcase(actual, expected),
    "Bool": lambda actual, expected: actual.lower() == str(expected).lower(),
}


def _conditions_hold(conditions: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    for operator, pairs in conditions.items():
        test = _OPERATORS.get(operator)
        if test is None:
            return False  # not evaluated here: never allows, so never hides a denial
        for key, expected in pairs.items():
            actual = context.get(key)
            if actual is None or not any(test(actual, str(e)) for e in _as_list(expected)):
                return False
    return True


def _statement_matches(
    statement: Mapping[str, Any], request: Request, context: Mapping[str, str]
) -> bool:
    if "Action" in statement:
        if not _action_matches(_as_list(statement["Action"]), request.action):
            return False
    elif "NotAction" in statement:
        if _action_matches(_as_list(statement["NotAction"]), request.action):
            return False
    else:
        return False
    if "Resource" in statement:
        if not _resource_matches(_as_list(statement["Resource"]), request.resource):
            return False
    elif "NotResource" in statement:
        if _resource_matches(_as_list(statement["NotResource"]), request.resource):
            return False
    else:
        return False
    return _conditions_hold(statement.get("Condition", {}), context)


def evaluate(
    policies: Sequence[Mapping[str, Any]],
    request: Request,
    context: Mapping[str, str] | None = None,
) -> Decision:
    """IAM's decision for one request under a principal's identity policies."""
    context = context or {}
    allowing: list[tuple[int, int]] = []
    for p, policy in enumerate(policies):
        for s, statement in enumerate(_statements(policy)):
            if not _statement_matches(statement, request, context):
                continue
            if statement.get("Effect") == "Deny":
                return Decision(False, True)
            if statement.get("Effect") == "Allow":
                allowing.append((p, s))
    return Decision(bool(allowing), False, tuple(allowing))


# -- the report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """One granted (action, resource pattern) of one principal's policies."""

    principal: str
    action: str
    resource: str


@dataclass
class PrincipalReport:
    principal: str
    calls: int = 0
    requests: Counter[str] = field(default_factory=Counter)
    allowed: int = 0
    denied: list[str] = field(default_factory=list)
    unused: list[Grant] = field(default_factory=list)


@dataclass
class CallReport:
    principals: dict[str, PrincipalReport]
    unmapped: list[str]

    @property
    def calls(self) -> int:
        return sum(p.calls for p in self.principals.values())

    @property
    def allowed(self) -> int:
        return sum(p.allowed for p in self.principals.values())

    @property
    def denied(self) -> list[str]:
        return [d for p in self.principals.values() for d in p.denied]

    @property
    def unused(self) -> list[Grant]:
        return [g for p in self.principals.values() for g in p.unused]

    def render(self) -> str:
        lines = [
            f"calls seen {self.calls}, IAM requests allowed {self.allowed}, "
            f"denied {len(self.denied)}, unmapped calls {len(self.unmapped)}, "
            f"granted actions never used {len(self.unused)}"
        ]
        for name, p in sorted(self.principals.items()):
            lines.append(f"{name}: {p.calls} calls, {p.allowed} allowed, {len(p.denied)} denied")
            lines += [f"  used    {action} x{n}" for action, n in sorted(p.requests.items())]
            lines += [f"  DENIED  {d}" for d in p.denied]
            lines += [f"  unused  {g.action} on {g.resource}" for g in p.unused]
        lines += [f"unmapped: {u}" for u in self.unmapped]
        return "\n".join(lines)


def _grants(
    principal: str, policies: Sequence[Mapping[str, Any]]
) -> dict[tuple[int, int], list[Grant]]:
    found: dict[tuple[int, int], list[Grant]] = {}
    for p, policy in enumerate(policies):
        for s, statement in enumerate(_statements(policy)):
            if statement.get("Effect") != "Allow" or "Action" not in statement:
                continue
            found[(p, s)] = [
                Grant(principal, str(action), str(resource))
                for action in _as_list(statement["Action"])
                for resource in _as_list(statement.get("Resource", "*"))
            ]
    return found


def report(
    calls: Iterable[Mapping[str, Any]],
    policies: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    account: str = DEFAULT_ACCOUNT,
    keys: Mapping[str, str] | None = None,
    context: Mapping[str, str] | None = None,
) -> CallReport:
    """``policies``: each principal's identity policies (role name, or STATE_MACHINE)."""
    principals = {name: PrincipalReport(name) for name in policies}
    used: set[Grant] = set()
    unmapped: list[str] = []
    for call in calls:
        name = str(call["principal"])
        entry = principals.setdefault(name, PrincipalReport(name))
        entry.calls += 1
        try:
            wanted = requests(call, account=account, keys=keys)
        except UnmappedCall as error:
            unmapped.append(f"{name}: {error}")
            continue
        held = policies.get(name, ())
        grants = _grants(name, held)
        for request in wanted:
            entry.requests[request.action] += 1
            decision = evaluate(held, request, context)
            if not decision.allowed:
                entry.denied.append(f"{name}: {request.action} on {request.resource}")
                continue
            entry.allowed += 1
            for where in decision.statements:
                used |= {
                    g
                    for g in grants.get(where, [])
                    if _action_matches([g.action], request.action)
                    and _resource_matches([g.resource], request.resource)
                }
    for name, held in policies.items():
        for grants_of in _grants(name, held).values():
            principals[name].unused += [
                g for g in grants_of if g not in used and g not in principals[name].unused
            ]
    return CallReport(principals, unmapped)


# -- granted, never used in a local run: the path that needs each --------------------------

# (role name prefix, action, resource pattern fragment or "") -> the path that needs it. A
# grant no local run uses and no entry explains fails the end-to-end test.
LAMBDA_SERVICE = (
    "used by the Lambda service for the function, not by its code: "
    "the emulator runs handlers without it"
)
NEEDED_BY: tuple[tuple[str, str, str, str], ...] = (
    *(
        (service, action, "", f"{LAMBDA_SERVICE} ({what})")
        for service in ("ingest", "transform", "finalize", "notify")
        for action, what in (
            ("logs:CreateLogStream", "the function's log group"),
            ("logs:PutLogEvents", "the function's log group"),
            ("xray:PutTraceSegments", "active tracing"),
            ("xray:PutTelemetryRecords", "active tracing"),
            ("ec2:CreateNetworkInterface", "the function's VPC network interfaces"),
            ("ec2:DescribeNetworkInterfaces", "the function's VPC network interfaces"),
            ("ec2:DescribeSubnets", "the function's VPC network interfaces"),
            ("ec2:DeleteNetworkInterface", "the function's VPC network interfaces"),
            ("ec2:AssignPrivateIpAddresses", "the function's VPC network interfaces"),
            ("ec2:UnassignPrivateIpAddresses", "the function's VPC network interfaces"),
        )
    ),
    (
        "transform",
        "s3:DeleteObject",
        "",
        "failure path: a chunk whose run was failed while it uploaded takes its outputs back "
        "(services/transform chunk_job.py)",
    ),
    (
        "transform",
        "s3:AbortMultipartUpload",
        "",
        "failure path: an upload that fails part-way is aborted (multipart writes)",
    ),
    (
        "transform",
        "dynamodb:ConditionCheckItem",
        "",
        "a chunk record written only while its file is REGISTERED (a transaction's check)",
    ),
    (
        "finalize",
        "s3:DeleteObject",
        "",
        "failure path: a failed or released file's outputs are withdrawn (finalize/run.py)",
    ),
    (
        "finalize",
        "s3:AbortMultipartUpload",
        "",
        "failure path: a regrouped chunk's upload that fails part-way is aborted",
    ),
    (
        "finalize",
        "s3:PutObject",
        "",
        "the Regroup path: a wrong cut's chunks are rewritten (a sample-day file regroups)",
    ),
    (
        "finalize",
        "s3:GetObject",
        "",
        "the Regroup path: a wrong cut's outputs are read back",
    ),
    (
        STATE_MACHINE,
        "lambda:InvokeFunction",
        ":*",
        "a qualified invocation (version or alias): the definition invokes unqualified "
        "ARNs, so no path needs it; kept as Step Functions' documented pair (function, function:*)",
    ),
    *(
        (
            STATE_MACHINE,
            action,
            "",
            "used by Step Functions itself when the state machine is created or updated with "
            "logging (CreateStateMachine checks log delivery; not emulated)",
        )
        for action in LOG_DELIVERY_ACTIONS
    ),
    *(
        (STATE_MACHINE, action, "", "used by Step Functions for active tracing (not emulated)")
        for action in (
            "xray:PutTraceSegments",
            "xray:PutTelemetryRecords",
            "xray:GetSamplingRules",
            "xray:GetSamplingTargets",
        )
    ),
    *(
        (
            service,
            "kms:Encrypt",
            "",
            "no path: S3 SSE-KMS writes need kms:GenerateDataKey, SNS and DynamoDB no "
            "kms:Encrypt; granted by references.KeyRef.grant_encrypt_decrypt (finding)",
        )
        for service in ("ingest", "transform", "finalize", STATE_MACHINE)
    ),
    (
        "ingest",
        "kms:GenerateDataKey",
        "",
        "no local path: ingest writes no object; granted with the table (TableRef.grant_items: "
        "DynamoDB's example key policy gives table users kms:GenerateDataKey*) (finding)",
    ),
    *(
        (
            "vpc-flow-logs-role",
            action,
            "",
            "used by VPC Flow Logs delivering to its log group (not emulated)",
        )
        for action in (
            "logs:CreateLogStream",
            "logs:DescribeLogStreams",
            "logs:PutLogEvents",
            "logs:DescribeLogGroups",
        )
    ),
)


def needed_by(grant: Grant) -> str | None:
    """The path that needs a grant no local run used, or None if nothing explains it."""
    for prefix, action, fragment, path in NEEDED_BY:
        if (
            grant.principal.startswith(prefix)
            and grant.action == action
            and (not fragment or grant.resource.endswith(fragment))
        ):
            return path
    return None


def from_emulator(
    endpoint: str, region: str, *, tail: str, state_machine_arn: str
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str]]:
    """The deployed environment's role policies (role name -> documents; the state machine's
    role under STATE_MACHINE) and which KMS key encrypts each bucket, table and topic."""
    import boto3
    from botocore.exceptions import ClientError

    def client(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    iam = client("iam")
    policies: dict[str, list[dict[str, Any]]] = {}
    for role in iam.list_roles()["Roles"]:
        name = role["RoleName"]
        if not name.endswith(tail):
            continue
        documents = []
        for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            document = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
            documents.append(json.loads(document) if isinstance(document, str) else document)
        for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
            version = iam.get_policy_version(
                PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"]
            )["PolicyVersion"]["Document"]
            documents.append(json.loads(version) if isinstance(version, str) else version)
        policies[name] = documents
    machine = client("stepfunctions").describe_state_machine(stateMachineArn=state_machine_arn)
    # The state machine's role acts only as the state machine: its calls are recorded so.
    policies[STATE_MACHINE] = policies.pop(machine["roleArn"].rsplit("/", 1)[-1])
    keys: dict[str, str] = {}
    s3 = client("s3")
    for bucket in s3.list_buckets()["Buckets"]:
        try:
            rules = s3.get_bucket_encryption(Bucket=bucket["Name"])[
                "ServerSideEncryptionConfiguration"
            ]["Rules"]
        except ClientError:  # no encryption configured
            rules = []
        for rule in rules:
            default = rule.get("ApplyServerSideEncryptionByDefault", {})
            if default.get("SSEAlgorithm") == "aws:kms" and default.get("KMSMasterKeyID"):
                keys[f"arn:aws:s3:::{bucket['Name']}"] = default["KMSMasterKeyID"]
    dynamodb = client("dynamodb")
    for table in dynamodb.list_tables()["TableNames"]:
        described = dynamodb.describe_table(TableName=table)["Table"]
        key = described.get("SSEDescription", {}).get("KMSMasterKeyArn")
        if key:
            keys[described["TableArn"]] = key
    sns = client("sns")
    for topic in sns.list_topics()["Topics"]:
        attributes = sns.get_topic_attributes(TopicArn=topic["TopicArn"])["Attributes"]
        if attributes.get("KmsMasterKeyId"):
            keys[topic["TopicArn"]] = attributes["KmsMasterKeyId"]
    return policies, keys

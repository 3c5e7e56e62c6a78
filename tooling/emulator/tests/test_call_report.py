"""The call report's evaluator on hand-made policies (allowed, denied, unused), the mapping
of recorded calls to IAM requests, and the recorder on the emulator's server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tooling.emulator import call_report, server
from tooling.emulator.call_report import Grant, Request, evaluate, report, requests
from tooling.emulator.credentials import role_access_key

ACCOUNT = "123456789012"
TABLE = f"arn:aws:dynamodb:us-east-2:{ACCOUNT}:table/meta"
KEY = f"arn:aws:kms:us-east-2:{ACCOUNT}:key/k1"


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


READER = _policy(
    {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::raw/raw/*"},
    {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": KEY},
    {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": TABLE},
)


def _s3_get(key: str, principal: str = "reader") -> dict[str, Any]:
    return {
        "principal": principal,
        "service": "s3",
        "region": "us-east-2",
        "method": "GET",
        "path": f"/raw/{key}",
        "query": {},
    }


def _dynamodb(operation: str, **params: Any) -> dict[str, Any]:
    return {
        "principal": "reader",
        "service": "dynamodb",
        "region": "us-east-2",
        "method": "POST",
        "path": "/",
        "query": {},
        "target": f"DynamoDB_20120810.{operation}",
        "params": params,
    }


def test_a_call_the_policy_grants_is_allowed() -> None:
    decision = evaluate([READER], Request("s3:GetObject", "arn:aws:s3:::raw/raw/a.csv"))
    assert decision.allowed and not decision.explicit_deny and decision.statements == ((0, 0),)
    # Actions match case-insensitively, as IAM's do.
    assert evaluate([READER], Request("S3:getobject", "arn:aws:s3:::raw/raw/a.csv")).allowed


def test_a_call_outside_the_grant_is_denied() -> None:
    assert not evaluate([READER], Request("s3:GetObject", "arn:aws:s3:::raw/other/a")).allowed
    assert not evaluate([READER], Request("s3:PutObject", "arn:aws:s3:::raw/raw/a")).allowed
    assert not evaluate([READER], Request("dynamodb:Query", TABLE)).allowed


def test_an_explicit_deny_wins_and_not_resource_is_honoured() -> None:
    deny = _policy(
        {"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::raw/raw/public/*"}
    )
    decision = evaluate([READER, deny], Request("s3:GetObject", "arn:aws:s3:::raw/raw/a.csv"))
    assert not decision.allowed and decision.explicit_deny
    assert evaluate(
        [READER, deny], Request("s3:GetObject", "arn:aws:s3:::raw/raw/public/a")
    ).allowed


def test_a_condition_allows_only_when_it_holds_and_unknown_operators_never_allow() -> None:
    conditional = _policy(
        {
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": "*",
            "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:events:*:*:rule/r"}},
        },
        {
            "Effect": "Allow",
            "Action": "sqs:DeleteMessage",
            "Resource": "*",
            "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
        },
    )
    send = Request("sqs:SendMessage", "arn:aws:sqs:us-east-2:1:q")
    assert evaluate([conditional], send, {"aws:SourceArn": "arn:aws:events:x:1:rule/r"}).allowed
    assert not evaluate([conditional], send, {"aws:SourceArn": "arn:aws:events:x:1:rule/z"}).allowed
    assert not evaluate([conditional], send).allowed  # the key is absent: no match
    delete = Request("sqs:DeleteMessage", "arn:aws:sqs:us-east-2:1:q")
    assert not evaluate([conditional], delete, {"aws:CurrentTime": "2030-01-01"}).allowed


def test_the_report_counts_allowed_denied_and_unused_grants() -> None:
    calls = [
        _s3_get("raw/a.csv"),
        _s3_get("other/b.csv"),  # outside the grant
        _dynamodb("GetItem", TableName="meta"),
    ]
    result = report(calls, {"reader": [READER]}, keys={"arn:aws:s3:::raw": KEY})
    assert result.calls == 3 and result.unmapped == []
    # GetObject and its kms:Decrypt (an SSE-KMS bucket), the other's kms:Decrypt, GetItem.
    assert result.allowed == 4
    # The object outside the grant is denied; its kms:Decrypt is allowed (and counted).
    assert result.denied == ["reader: s3:GetObject on arn:aws:s3:::raw/other/b.csv"]
    assert result.unused == [Grant("reader", "dynamodb:PutItem", TABLE)]
    text = result.render()
    assert "denied 1" in text and "unused  dynamodb:PutItem" in text


def test_a_transaction_is_one_request_per_item() -> None:
    call = _dynamodb(
        "TransactWriteItems",
        TransactItems=[{"Put": {"TableName": "meta"}}, {"ConditionCheck": {"TableName": "meta"}}],
    )
    assert requests(call) == [
        Request("dynamodb:PutItem", TABLE),
        Request("dynamodb:ConditionCheckItem", TABLE),
    ]
    result = report([call], {"reader": [READER]})
    assert result.denied == [f"reader: dynamodb:ConditionCheckItem on {TABLE}"]


def test_kms_permission_is_needed_where_the_resource_is_encrypted_with_a_key() -> None:
    put = {**_s3_get("raw/a"), "method": "PUT"}
    keys = {"arn:aws:s3:::raw": KEY, TABLE: KEY}
    assert requests(put, keys=keys) == [
        Request("s3:PutObject", "arn:aws:s3:::raw/raw/a"),
        Request("kms:GenerateDataKey", KEY),
        Request("kms:Decrypt", KEY),
    ]
    assert requests(put) == [Request("s3:PutObject", "arn:aws:s3:::raw/raw/a")]
    assert requests(_dynamodb("Query", TableName="meta"), keys=keys) == [
        Request("dynamodb:Query", TABLE),
        Request("kms:Decrypt", KEY),
    ]


@pytest.mark.parametrize(
    ("method", "path", "query", "expected"),
    [
        ("HEAD", "/b/k", {}, "s3:GetObject"),
        ("DELETE", "/b/k", {}, "s3:DeleteObject"),
        ("POST", "/b/k", {"uploads": ""}, "s3:PutObject"),
        ("PUT", "/b/k", {"partNumber": "1", "uploadId": "u"}, "s3:PutObject"),
        ("DELETE", "/b/k", {"uploadId": "u"}, "s3:AbortMultipartUpload"),
        ("GET", "/b", {"list-type": "2", "prefix": "p"}, "s3:ListBucket"),
    ],
)
def test_s3_calls_map_to_their_iam_actions(
    method: str, path: str, query: dict[str, str], expected: str
) -> None:
    call = {"service": "s3", "region": "us-east-2", "method": method, "path": path, "query": query}
    assert [r.action for r in requests(call)] == [expected]


def test_a_lambda_invocation_and_an_sns_publish() -> None:
    invoke = {
        "service": "lambda",
        "region": "us-east-2",
        "method": "POST",
        "path": "/2015-03-31/functions/ingest-local-x/invocations",
    }
    assert requests(invoke) == [
        Request(
            "lambda:InvokeFunction", f"arn:aws:lambda:us-east-2:{ACCOUNT}:function:ingest-local-x"
        )
    ]
    topic = f"arn:aws:sns:us-east-2:{ACCOUNT}:alerts"
    publish = {
        "service": "sns",
        "region": "us-east-2",
        "method": "POST",
        "path": "/",
        "params": {"Action": "Publish", "TopicArn": topic},
    }
    assert requests(publish) == [Request("sns:Publish", topic)]


def test_an_unknown_call_is_reported_not_passed() -> None:
    call = _dynamodb("DeleteTable")
    result = report([call], {"reader": [READER]})
    assert result.unmapped and result.allowed == 0


def test_each_unused_grant_needs_a_named_path() -> None:
    assert call_report.needed_by(Grant("transform-role-x", "s3:DeleteObject", "arn:aws:s3:::p/*"))
    assert (
        call_report.needed_by(Grant("ingest-role-x", "s3:DeleteObject", "arn:aws:s3:::p/*")) is None
    )


def test_role_keys_round_trip() -> None:
    assert call_report.role_of_key(role_access_key("ingest-role-local-e2e")) == (
        "ingest-role-local-e2e"
    )
    assert call_report.role_of_key("ak") == call_report.STATE_MACHINE
    assert call_report.role_of_key("test") is None


@pytest.fixture
def recording_server(aws_credentials: None, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    calls = tmp_path / call_report.CALLS_FILE
    wsgi = server.wsgi_server(0, calls)
    thread = threading.Thread(target=wsgi.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{wsgi.server_port}", calls
    wsgi.shutdown()
    thread.join()


def test_the_recorder_keeps_a_roles_calls_and_no_one_elses(
    recording_server: tuple[str, Path],
) -> None:
    endpoint, calls = recording_server

    def client(service: str, key: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name="us-east-2",
            aws_access_key_id=key,
            aws_secret_access_key="x",
        )

    client("s3", "test").create_bucket(
        Bucket="raw", CreateBucketConfiguration={"LocationConstraint": "us-east-2"}
    )
    role = client("s3", role_access_key("reader"))
    role.put_object(Bucket="raw", Key="raw/a.csv", Body=b"x")
    role.get_object(Bucket="raw", Key="raw/a.csv")["Body"].read()
    client("dynamodb", role_access_key("reader")).list_tables()
    recorded = call_report.read_calls(calls.parent)
    assert [(c["principal"], c["method"], c["path"]) for c in recorded[:2]] == [
        ("reader", "PUT", "/raw/raw/a.csv"),
        ("reader", "GET", "/raw/raw/a.csv"),
    ]
    assert recorded[2]["target"] == "DynamoDB_20120810.ListTables"
    result = report(recorded[:2], {"reader": [READER]})
    assert result.denied == ["reader: s3:PutObject on arn:aws:s3:::raw/raw/a.csv"]
    assert result.allowed == 1

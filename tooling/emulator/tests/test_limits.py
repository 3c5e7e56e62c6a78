"""AWS's documented limits, enforced by the emulator where moto does not (limits.py, the
AwsLimits layer in middleware.py): each through the real server with an SDK client, at the
limit (accepted) and just past it (refused with AWS's error code); then the layer's reading of
requests on a fake application. (test_moto_limits.py: the gaps, open in moto alone, and the
limits moto enforces itself.)"""

from __future__ import annotations

import io
import json
import logging
import threading
import urllib.parse
import zipfile
from collections.abc import Iterable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.awslambda.models import LambdaFunction

from tooling.emulator import limits, server, shims
from tooling.emulator.middleware import AwsLimits, decode_aws_chunked

REGION = "us-east-2"
ROLE_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_DEFAULT_REGION", REGION),
        ):
            patch.setenv(name, value)
        wsgi = server.wsgi_server(0)
        thread = threading.Thread(target=wsgi.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{wsgi.server_port}"
        wsgi.shutdown()
        thread.join()


def client(endpoint: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def refused(call: Any, *args: Any, **kwargs: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    error = raised.value.response
    return (
        error["Error"]["Code"],
        error["ResponseMetadata"]["HTTPStatusCode"],
        error["Error"]["Message"],
    )


def policy(padding: int) -> str:
    """A pretty-printed policy document of POLICY_BASE + padding characters as IAM counts them
    (no white space)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::b/" + "x" * padding,
                }
            ],
        },
        indent=4,
    )


POLICY_BASE = 110


# Step Functions: StartExecution input (256 KiB, UTF-8 bytes)


def test_an_execution_input_over_256_kib_is_refused(endpoint: str) -> None:
    sfn = client(endpoint, "stepfunctions")
    arn = sfn.create_state_machine(
        name="limits",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        roleArn="arn:aws:iam::123456789012:role/r",
    )["stateMachineArn"]
    at_limit = json.dumps({"v": "x" * (limits.SFN_PAYLOAD_MAX_BYTES - 9)})
    assert len(at_limit.encode()) == limits.SFN_PAYLOAD_MAX_BYTES
    sfn.start_execution(stateMachineArn=arn, name="at-limit", input=at_limit)
    # Characters are not bytes: 87,380 three-byte characters and 9 more are 262,149 bytes.
    over = json.dumps({"v": "€" * 87_380}, ensure_ascii=False)
    assert len(over) < limits.SFN_PAYLOAD_MAX_BYTES < len(over.encode())
    code, status, message = refused(
        sfn.start_execution, stateMachineArn=arn, name="over", input=over
    )
    assert (code, status) == ("ValidationException", 400) and "'input'" in message


# Lambda: Invoke request (6 MB synchronous, 1 MB asynchronous) and response (6 MB)


def test_an_invocation_payload_over_6_mb_is_refused(endpoint: str) -> None:
    lam = client(endpoint, "lambda")
    payload = json.dumps({"v": "x" * limits.LAMBDA_SYNC_REQUEST_MAX_BYTES})
    code, status, _ = refused(lam.invoke, FunctionName="no-matter", Payload=payload)
    assert (code, status) == ("RequestTooLargeException", 413)
    event = json.dumps({"v": "x" * limits.LAMBDA_ASYNC_REQUEST_MAX_BYTES})
    code, status, _ = refused(
        lam.invoke, FunctionName="no-matter", Payload=event, InvocationType="Event"
    )
    assert (code, status) == ("RequestTooLargeException", 413)


@pytest.fixture
def function(endpoint: str) -> Iterator[tuple[Any, list[Any]]]:
    """A function whose handler returns whatever the test queues (moto's own invocation)."""
    results: list[Any] = []
    saved = LambdaFunction._invoke_lambda
    shims.lambda_runs_real_handlers(lambda fn, event: (json.dumps(results.pop(0)), False, ""))
    iam, lam = client(endpoint, "iam"), client(endpoint, "lambda")
    role = iam.create_role(RoleName="limits-fn", AssumeRolePolicyDocument=ROLE_TRUST)["Role"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("h.py", "def handler(e, c): return 1\n")
    lam.create_function(
        FunctionName="limits-fn",
        Runtime="python3.12",
        Role=role["Arn"],
        Handler="h.handler",
        Code={"ZipFile": code.getvalue()},
    )
    yield lam, results
    LambdaFunction._invoke_lambda = saved  # type: ignore[method-assign]


def test_moto_still_refuses_a_response_over_6_mb(function: tuple[Any, list[Any]]) -> None:
    """The response limit moto enforces itself (at 6,000,000 bytes, inside AWS's 6,291,556):
    this holds it there."""
    lam, results = function
    results += [{"v": "x" * 5_000_000}, {"v": "x" * limits.LAMBDA_SYNC_RESPONSE_MAX_BYTES}]
    assert "FunctionError" not in lam.invoke(FunctionName="limits-fn", Payload="{}")
    answer = lam.invoke(FunctionName="limits-fn", Payload="{}")
    assert answer["FunctionError"] == "Unhandled"
    assert json.loads(answer["Payload"].read())["errorType"] == "Function.ResponseSizeTooLarge"


# SNS Publish: Subject (printable ASCII, no leading space, 1-99 characters), Message (256 KiB)


@pytest.fixture(scope="module")
def topic(endpoint: str) -> str:
    return str(client(endpoint, "sns").create_topic(Name="limits")["TopicArn"])


@pytest.mark.parametrize(
    "subject",
    ["x" * 100, "é" + "x" * 10, "two\nlines", "tab\there", "\x07bell", " leading space", ""],
    ids=["100 chars", "non-ASCII", "line break", "tab", "control", "leading space", "empty"],
)
def test_a_subject_sns_refuses_is_refused(endpoint: str, topic: str, subject: str) -> None:
    code, status, message = refused(
        client(endpoint, "sns").publish, TopicArn=topic, Message="m", Subject=subject
    )
    assert (code, status) == ("InvalidParameter", 400) and "Subject" in message


def test_a_subject_of_99_printable_ascii_characters_is_published(endpoint: str, topic: str) -> None:
    sns = client(endpoint, "sns")
    for subject in ("x" * 99, "[prod] WARNING pipeline: a-b_c.csv: 1 rows, ~2 (#3) {ok}?!", "1"):
        assert sns.publish(TopicArn=topic, Message="m", Subject=subject)["MessageId"]


def test_a_message_over_256_kib_is_refused(endpoint: str, topic: str) -> None:
    sns = client(endpoint, "sns")
    assert sns.publish(TopicArn=topic, Message="x" * limits.SNS_MESSAGE_MAX_BYTES)["MessageId"]
    over = "€" * 87_382  # fewer characters than moto's limit, more bytes than AWS's
    code, status, message = refused(sns.publish, TopicArn=topic, Message=over)
    assert (code, status) == ("InvalidParameter", 400) and "Message too long" in message


# S3 CreateBucket: the general purpose bucket naming rules


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "a" * 64,
        "Upper-case",
        "under_score",
        "-starts-with-hyphen",
        "ends-with-dot.",
        "two..periods",
        "192.168.5.4",
        "xn--punycode",
        "sthree-bucket",
        "amzn-s3-demo-bucket",
        "alias-s3alias",
        "lambda--ol-s3",
        "region.mrap",
        "tables--table-s3",
    ],
)
def test_a_bucket_name_s3_refuses_is_refused(endpoint: str, name: str) -> None:
    code, status, _ = refused(
        client(endpoint, "s3").create_bucket,
        Bucket=name,
        CreateBucketConfiguration={"LocationConstraint": REGION},
    )
    assert (code, status) == ("InvalidBucketName", 400)


def test_a_directory_bucket_suffix_is_reserved() -> None:
    """(An SDK sends a "--x-s3" name to S3 Express endpoints: checked on the rule alone.)"""
    refusal = limits.s3_create_bucket("dir--use2-az1--x-s3")
    assert refusal is not None and "must not end with '--x-s3'" in refusal.message


def test_the_bucket_names_the_stacks_use_are_created(endpoint: str) -> None:
    s3 = client(endpoint, "s3")
    for name in ("abc", "a" * 63, "txn-raw-local-loc", "fin-transactions-raw-prod-use2", "a.b-c.1"):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})


# SSM PutParameter: characters, fully qualified, 15 levels, 1011 characters with the ARN


def test_a_parameter_name_ssm_refuses_is_refused(endpoint: str) -> None:
    ssm = client(endpoint, "ssm")

    def put(name: str) -> tuple[str, int, str]:
        return refused(ssm.put_parameter, Name=name, Value="v", Type="String")

    assert put("has space/inside")[0] == "ValidationException"
    assert put("/has space/inside")[0] == "ValidationException"
    assert put("/star*")[0] == "ValidationException"
    assert put("not/fully/qualified")[:2] == ("ValidationException", 400)
    assert put("/" + "/".join(["l"] * 16))[:2] == ("HierarchyLevelLimitExceededException", 400)
    arn_prefix = len(f"arn:aws:ssm:{REGION}:123456789012:parameter")
    assert put("/" + "n" * (limits.SSM_NAME_MAX_WITH_ARN - arn_prefix))[0] == "ValidationException"


def test_the_parameter_names_the_stacks_use_are_put(endpoint: str) -> None:
    ssm = client(endpoint, "ssm")
    arn_prefix = len(f"arn:aws:ssm:{REGION}:123456789012:parameter")
    for name in (
        "/pipeline/local/loc/data/raw_bucket_name",
        "plain_name-1.2",
        "/" + "/".join(["l"] * 15),
        "/" + "n" * (limits.SSM_NAME_MAX_WITH_ARN - arn_prefix - 1),
    ):
        ssm.put_parameter(Name=name, Value="v", Type="String")


# Tags: keys 1-128 characters, values 0-256, no "aws:" key, wherever tags are set


def test_tags_over_their_limits_are_refused_in_every_protocol(endpoint: str) -> None:
    long_value, long_key = "v" * (limits.TAG_VALUE_MAX_CHARS + 1), "k" * (
        limits.TAG_KEY_MAX_CHARS + 1
    )
    s3 = client(endpoint, "s3")
    s3.create_bucket(Bucket="tagged", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_tagging(Bucket="tagged", Tagging={"TagSet": [{"Key": "k", "Value": "v" * 256}]})
    assert refused(
        s3.put_bucket_tagging,
        Bucket="tagged",
        Tagging={"TagSet": [{"Key": "k", "Value": long_value}]},
    )[:2] == ("InvalidTag", 400)
    assert refused(s3.put_object, Bucket="tagged", Key="o", Body=b"x", Tagging=f"{long_key}=v")[
        0
    ] == ("InvalidTag")
    iam = client(endpoint, "iam")  # query protocol
    assert refused(
        iam.create_role,
        RoleName="tagged",
        AssumeRolePolicyDocument=ROLE_TRUST,
        Tags=[{"Key": "Owner", "Value": long_value}],
    )[:2] == ("ValidationError", 400)
    dynamodb = client(endpoint, "dynamodb")  # JSON protocol, a list of Key/Value
    assert refused(
        dynamodb.create_table,
        TableName="tagged",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=[{"Key": long_key, "Value": "v"}],
    )[:2] == ("ValidationException", 400)
    kms = client(endpoint, "kms")  # TagKey/TagValue
    assert refused(kms.create_key, Tags=[{"TagKey": "k", "TagValue": long_value}])[0] == (
        "ValidationException"
    )
    logs = client(endpoint, "logs")  # a map
    assert refused(logs.create_log_group, logGroupName="tagged", tags={"k": long_value})[0] == (
        "ValidationException"
    )
    sns = client(endpoint, "sns")
    assert refused(sns.create_topic, Name="tagged", Tags=[{"Key": "aws:reserved", "Value": "v"}])[
        0
    ] == ("ValidationError")
    lam = client(endpoint, "lambda")  # REST JSON
    assert refused(
        lam.tag_resource,
        Resource="arn:aws:lambda:us-east-2:123456789012:function:f",
        Tags={"k": long_value},
    )[:2] == ("ValidationException", 400)
    ec2 = client(endpoint, "ec2")
    assert refused(
        ec2.create_vpc,
        CidrBlock="10.0.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "k", "Value": long_value}]}],
    )[0] == ("InvalidParameterValue")


def test_tags_at_their_limits_are_set(endpoint: str) -> None:
    tags = [{"Key": "k" * limits.TAG_KEY_MAX_CHARS, "Value": "v" * limits.TAG_VALUE_MAX_CHARS}]
    client(endpoint, "iam").create_role(
        RoleName="tagged-at-limit", AssumeRolePolicyDocument=ROLE_TRUST, Tags=tags
    )
    client(endpoint, "sns").create_topic(Name="tagged-at-limit", Tags=tags)
    client(endpoint, "ssm").put_parameter(
        Name="/tagged/at-limit", Value="v", Type="String", Tags=[{"Key": "Owner", "Value": ""}]
    )


# IAM: a role's inline policies 10,240 characters together, a managed policy 6,144, a trust
# policy 2,048; white space is not counted


def test_a_roles_inline_policies_are_limited_together(endpoint: str) -> None:
    iam = client(endpoint, "iam")
    iam.create_role(RoleName="inline", AssumeRolePolicyDocument=ROLE_TRUST)
    half = policy(5_100)
    assert limits.policy_size(half) == POLICY_BASE + 5_100 < len(half)
    iam.put_role_policy(RoleName="inline", PolicyName="one", PolicyDocument=half)
    iam.put_role_policy(RoleName="inline", PolicyName="one", PolicyDocument=half)  # replaced
    code, status, message = refused(
        iam.put_role_policy, RoleName="inline", PolicyName="two", PolicyDocument=half
    )
    assert (code, status) == ("LimitExceeded", 409)
    assert message.startswith("Maximum policy size of 10240 bytes exceeded for role inline")
    rest = limits.IAM_ROLE_INLINE_POLICIES_MAX_CHARS - limits.policy_size(half) - POLICY_BASE
    iam.put_role_policy(RoleName="inline", PolicyName="two", PolicyDocument=policy(rest))


def test_a_managed_policy_over_6144_characters_is_refused(endpoint: str) -> None:
    iam = client(endpoint, "iam")
    at_limit = policy(limits.IAM_MANAGED_POLICY_MAX_CHARS - POLICY_BASE)
    assert limits.policy_size(at_limit) == limits.IAM_MANAGED_POLICY_MAX_CHARS < len(at_limit)
    arn = iam.create_policy(PolicyName="at-limit", PolicyDocument=at_limit)["Policy"]["Arn"]
    over = policy(limits.IAM_MANAGED_POLICY_MAX_CHARS - POLICY_BASE + 1)
    code, status, message = refused(iam.create_policy, PolicyName="over", PolicyDocument=over)
    assert (code, status, message.split(" (")[0]) == (
        "LimitExceeded",
        409,
        "Cannot exceed quota for PolicySize: 6144",
    )
    assert refused(iam.create_policy_version, PolicyArn=arn, PolicyDocument=over)[0] == (
        "LimitExceeded"
    )


def test_a_trust_policy_over_2048_characters_is_refused(endpoint: str) -> None:
    iam = client(endpoint, "iam")
    trust = json.loads(ROLE_TRUST)
    trust["Statement"][0]["Condition"] = {"StringEquals": {"aws:SourceAccount": "1" * 2_000}}
    code, status, _ = refused(
        iam.create_role, RoleName="big-trust", AssumeRolePolicyDocument=json.dumps(trust)
    )
    assert (code, status) == ("LimitExceeded", 409)


# The layer's reading of requests, on a fake application


class Recorder:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        length = environ.get("CONTENT_LENGTH")
        self.bodies.append(environ["wsgi.input"].read(int(length)) if length else b"")
        start_response("200 OK", [])
        return [b"ok"]


def _environ(method: str, path: str, body: bytes, service: str, **extra: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": extra.pop("QUERY_STRING", ""),
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 Credential=AKID/20261202/{REGION}/{service}/"
        "aws4_request, SignedHeaders=host, Signature=0",
        **extra,
    }


def _call(app: AwsLimits, environ: dict[str, Any]) -> str:
    seen: list[str] = []
    b"".join(app(environ, lambda status, headers, *exc: seen.append(status)))
    return seen[0]


def test_the_application_reads_the_body_the_layer_read() -> None:
    backend = Recorder()
    app = AwsLimits(backend, logging.getLogger("test"), role_policies=lambda *_: {})
    body = b"Action=Publish&TopicArn=t&Message=m&Subject=fine"
    environ = _environ("POST", "/", body, "sns", CONTENT_TYPE="application/x-www-form-urlencoded")
    assert _call(app, environ) == "200 OK" and backend.bodies == [body]


def test_an_objects_bytes_are_never_read() -> None:
    class Unreadable(io.BytesIO):
        def read(self, *args: Any) -> bytes:
            raise AssertionError("the layer read an object's body")

    app = AwsLimits(lambda e, s: (s("200 OK", []), [b""])[1], logging.getLogger("test"))
    environ = _environ("PUT", "/bucket/key", b"", "s3", HTTP_X_AMZ_TAGGING="a=1&b=2")
    environ["wsgi.input"], environ["CONTENT_LENGTH"] = Unreadable(), "10"
    assert _call(app, environ) == "200 OK"


def test_an_aws_chunked_tag_set_is_read_as_its_payload() -> None:
    xml = (
        b'<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>k</Key>'
        b"<Value>" + b"v" * 257 + b"</Value></Tag></TagSet></Tagging>"
    )
    chunked = b"%x;chunk-signature=0\r\n%s\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n" % (
        len(xml),
        xml,
    )
    assert decode_aws_chunked(chunked) == xml
    app = AwsLimits(Recorder(), logging.getLogger("test"))
    environ = _environ(
        "PUT", "/bucket", chunked, "s3", QUERY_STRING="tagging", HTTP_CONTENT_ENCODING="aws-chunked"
    )
    assert _call(app, environ).startswith("400")


def test_a_lambda_event_is_not_read_for_tags() -> None:
    """An invocation's payload is the function's event: its "Tags" are data, not tags."""
    app = AwsLimits(Recorder(), logging.getLogger("test"))
    event = json.dumps({"Tags": {"k": "v" * 1_000}}).encode()
    environ = _environ("POST", "/2015-03-31/functions/f/invocations", event, "lambda")
    assert _call(app, environ) == "200 OK"


def test_a_role_policy_counts_the_roles_other_inline_policies() -> None:
    existing = {"one": policy(9_000), "replaced": policy(5_000)}
    app = AwsLimits(Recorder(), logging.getLogger("test"), role_policies=lambda *_: existing)

    def put(name: str, padding: int) -> str:
        form = {"Action": "PutRolePolicy", "RoleName": "r", "PolicyName": name}
        body = urllib.parse.urlencode({**form, "PolicyDocument": policy(padding)}).encode()
        ctype = "application/x-www-form-urlencoded"
        return _call(app, _environ("POST", "/", body, "iam", CONTENT_TYPE=ctype))

    room = limits.IAM_ROLE_INLINE_POLICIES_MAX_CHARS - limits.policy_size(existing["one"])
    assert put("replaced", room - POLICY_BASE) == "200 OK"  # the old "replaced" is not counted
    assert put("replaced", room - POLICY_BASE + 1).startswith("409")
    assert put("new", 0).startswith("409")


def test_each_entry_of_a_batch_publish_is_checked(endpoint: str, topic: str) -> None:
    sns = client(endpoint, "sns")
    entries = [{"Id": "1", "Message": "m", "Subject": "fine"}]
    assert sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)["Successful"]
    entries.append({"Id": "2", "Message": "m", "Subject": "x" * 100})
    code, _, _ = refused(sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=entries)
    assert code == "InvalidParameter"

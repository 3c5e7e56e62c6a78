from __future__ import annotations

import http.client
import json
import logging
import threading
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError

from tooling.emulator import server as emulator

CREATE_TABLE = json.dumps(
    {
        "TableName": "t-local-x",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
)


@pytest.fixture
def server(aws_credentials: None) -> Iterator[tuple[str, int]]:
    wsgi = emulator.wsgi_server(0)
    thread = threading.Thread(target=wsgi.serve_forever, daemon=True)
    thread.start()
    yield "127.0.0.1", wsgi.server_port
    wsgi.shutdown()
    thread.join()


def _create_table(server: tuple[str, int], attempt: int) -> tuple[int, bytes]:
    """What the SDK sends when it retries: the same invocation id, the next attempt."""
    connection = http.client.HTTPConnection(*server, timeout=10)
    connection.request(
        "POST",
        "/",
        body=CREATE_TABLE,
        headers={
            "X-Amz-Target": "DynamoDB_20120810.CreateTable",
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20261126/us-east-2/dynamodb/"
            "aws4_request, SignedHeaders=host, Signature=0",
            "amz-sdk-invocation-id": "6f1c2c4e-0000-4000-8000-000000000001",
            "amz-sdk-request": f"attempt={attempt}; max=3",
        },
    )
    response = connection.getresponse()
    answer = response.status, response.read()
    connection.close()
    return answer


def test_the_log_names_each_json_call_and_its_status(
    server: tuple[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    dynamodb = boto3.client(
        "dynamodb", region_name="us-east-2", endpoint_url=f"http://{server[0]}:{server[1]}"
    )
    with caplog.at_level(logging.INFO, logger="emulator"):
        dynamodb.list_tables()
        with pytest.raises(ClientError):
            dynamodb.delete_table(TableName="t-local-missing")
    lines = [record.getMessage() for record in caplog.records]
    assert any('"POST / DynamoDB_20120810.ListTables" 200' in line for line in lines), lines
    assert any('"POST / DynamoDB_20120810.DeleteTable" 400' in line for line in lines), lines


def test_a_retry_of_an_answered_create_gets_the_same_answer(
    server: tuple[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    """Run twice, the retry would fail "Table already exists" (ResourceInUseException)."""
    with caplog.at_level(logging.INFO, logger="emulator"):
        first = _create_table(server, attempt=1)
        retry = _create_table(server, attempt=2)
    assert first[0] == 200
    assert retry == first
    lines = [record.getMessage() for record in caplog.records]
    assert any("CreateTable attempt=2" in line and "same answer" in line for line in lines), lines

from __future__ import annotations

import logging
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import MotoRequestHandler

from infra.local import emulator


@pytest.fixture
def server(aws_credentials: None) -> Iterator[str]:
    saved = MotoRequestHandler.log_request
    emulator.name_operations_in_log()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    yield f"http://{host}:{port}"
    moto.stop()
    MotoRequestHandler.log_request = saved  # type: ignore[method-assign]


def test_the_log_names_each_json_call_and_its_status(
    server: str, caplog: pytest.LogCaptureFixture
) -> None:
    dynamodb = boto3.client("dynamodb", region_name="us-east-2", endpoint_url=server)
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        dynamodb.list_tables()
        with pytest.raises(ClientError):
            dynamodb.delete_table(TableName="t-local-x")
    lines = [record.getMessage() for record in caplog.records]
    assert any('"POST / DynamoDB_20120810.ListTables" 200' in line for line in lines), lines
    assert any('"POST / DynamoDB_20120810.DeleteTable" 400' in line for line in lines), lines

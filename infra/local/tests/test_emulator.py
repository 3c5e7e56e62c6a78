from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

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


def test_recent_calls_are_the_last_lines_of_the_log(tmp_path: Path) -> None:
    lines = [f'127.0.0.1 - - "POST / DynamoDB_20120810.Call{i}" 200 0.001s' for i in range(50)]
    (tmp_path / emulator.LOG_FILE).write_text("\n".join(lines) + "\n")
    report = emulator.recent_calls(tmp_path, count=3).splitlines()
    assert report[0].startswith("the emulator's last 3 calls")
    assert report[1:] == lines[-3:]


def test_recent_calls_say_when_there_is_no_log(tmp_path: Path) -> None:
    assert "no emulator log" in emulator.recent_calls(tmp_path)

"""The handlers' X-Ray tracing (pipeline_shared.observability.lambda_entry), observed the way
X-Ray would: a decorated handler run as in Lambda (LAMBDA_TASK_ROOT and a trace header set)
sends its subsegments as UDP datagrams to the daemon address, here a socket of the test's."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from pipeline_shared import observability

HANDLER = f"""
from types import SimpleNamespace

import boto3
from botocore.stub import Stubber

from {observability.__name__} import lambda_entry

s3 = boto3.client("s3", region_name="us-east-2", aws_access_key_id="x", aws_secret_access_key="x")


@lambda_entry
def lambda_handler(event, context):
    with Stubber(s3) as stub:
        stub.add_response("head_bucket", {{}})
        s3.head_bucket(Bucket="raw")
    return {{"ok": True}}


print(lambda_handler({{}}, SimpleNamespace(
    function_name="ingest-dev-d01", memory_limit_in_mb=256, aws_request_id="req-1",
    invoked_function_arn="arn:aws:lambda:us-east-2:123456789012:function:ingest-dev-d01",
)))
"""
TRACE_HEADER = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


def _run(tmp_path: Path, **env: str) -> list[dict[str, Any]]:
    """The documents the handler's run sent to the (test's) X-Ray daemon address."""
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    daemon.settimeout(2)
    script = tmp_path / "handler.py"
    script.write_text(HANDLER)
    variables = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),  # this test's sources
        "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{daemon.getsockname()[1]}",
        "POWERTOOLS_SERVICE_NAME": "ingest",
        "POWERTOOLS_METRICS_NAMESPACE": "Pipeline/dev-d01",
        **env,
    }
    run = subprocess.run(
        [sys.executable, str(script)], env=variables, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "'ok': True" in run.stdout
    documents = []
    try:
        while True:
            header, body = daemon.recv(65536).decode().split("\n", 1)
            assert json.loads(header)["format"] == "json"
            documents.append(json.loads(body))
    except TimeoutError:
        return documents
    finally:
        daemon.close()


def test_in_lambda_the_handler_and_its_aws_calls_are_traced(tmp_path: Path) -> None:
    documents = _run(tmp_path, LAMBDA_TASK_ROOT="/var/task", _X_AMZN_TRACE_ID=TRACE_HEADER)
    names = {str(d["name"]) for d in documents}
    assert "## lambda_handler" in names
    handler = next(d for d in documents if d["name"] == "## lambda_handler")
    assert handler["trace_id"] == "1-5759e988-bd862e3fe1be46a994272793"
    # botocore is patched: the S3 call is a subsegment of its own, named for its service.
    calls = [s for d in documents for s in [d, *d.get("subsegments", [])]]
    s3 = [c for c in calls if c.get("name") == "s3"]
    assert s3 and s3[0]["namespace"] == "aws", calls
    assert s3[0]["aws"]["operation"] == "HeadBucket"


def test_outside_lambda_nothing_is_sent(tmp_path: Path) -> None:
    assert _run(tmp_path, _X_AMZN_TRACE_ID=TRACE_HEADER) == []

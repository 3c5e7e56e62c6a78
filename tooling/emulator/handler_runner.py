"""Run a deployed function's real handler, as Lambda would, for the local emulator.

The function's package and layers (the bytes moto stored at deploy) are unpacked once per
content hash; each invocation runs the handler in a fresh CPython 3.12 subprocess with the
function's environment, pointed at the emulator. Layers must be built for this machine's
architecture (envs/local uses libs/shared:layer-host).

What CloudWatch would make of an invocation, moto does not: the runner publishes it
(tooling/emulator/metrics.py). The EMF documents the handler prints (Powertools Metrics) and
Lambda's own ``AWS/Lambda`` metrics become PutMetricData calls to the emulator, with the
emulator's operator credentials: in AWS the Lambda service publishes them, not the function's
role, so the call report holds none of them against it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import boto3
from moto.awslambda.models import LambdaFunction
from moto.awslambda.utils import get_backend

from tooling.emulator import metrics
from tooling.emulator.credentials import role_access_key

LOG = logging.getLogger("emulator")

RUNNER = r"""
import json, sys, time, traceback, uuid
code_dir, layer_dirs, handler = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
sys.path[:0] = [code_dir, *layer_dirs]
import importlib
module_name, function_name = handler.rsplit(".", 1)
event = json.load(sys.stdin)

class Context:
    function_name = "%(name)s"
    function_version = "$LATEST"
    invoked_function_arn = "%(arn)s"
    memory_limit_in_mb = %(memory)d
    aws_request_id = str(uuid.uuid4())
    log_group_name = "/aws/lambda/%(name)s"
    log_stream_name = "local"
    _deadline = time.time() + %(timeout)d
    def get_remaining_time_in_millis(self):
        return int(max(self._deadline - time.time(), 0) * 1000)

try:
    result = getattr(importlib.import_module(module_name), function_name)(event, Context())
    out = {"ok": True, "result": result}
except Exception as error:
    out = {"ok": False, "result": {"errorType": type(error).__name__, "errorMessage": str(error),
           "stackTrace": traceback.format_exc().splitlines()}}
sys.stdout.write("\n__LAMBDA_RESULT__" + json.dumps(out, default=str))
"""


class HandlerRunner:
    def __init__(self, *, endpoint: str, work_dir: Path, python: str | None = None) -> None:
        self.endpoint = endpoint
        self.work_dir = work_dir
        self.python: str = python or str(getattr(sys, "_base_executable", None) or sys.executable)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._cloudwatch: dict[str, Any] = {}

    def cloudwatch(self, region: str) -> Any:
        """The emulator's CloudWatch in the function's region: where AWS keeps its metrics."""
        with self._lock:
            if region not in self._cloudwatch:
                self._cloudwatch[region] = boto3.client(
                    "cloudwatch",
                    endpoint_url=self.endpoint,
                    region_name=region,
                    aws_access_key_id="test",
                    aws_secret_access_key="test",  # (the emulator's dummy credentials)
                )
            return self._cloudwatch[region]

    def publish_metrics(
        self, function: LambdaFunction, output: str, *, duration_ms: float, error: bool
    ) -> None:
        """The invocation's EMF metrics and Lambda's, in CloudWatch; a failure is logged, and
        the invocation's answer stands (metrics are not on its path in AWS either)."""
        data = [d for doc in metrics.emf_documents(output) for d in metrics.emf_metric_data(doc)]
        data += metrics.lambda_metric_data(
            function.function_name, duration_ms=duration_ms, error=error, at=dt.datetime.now(dt.UTC)
        )
        try:
            metrics.publish(self.cloudwatch(function.region), data)
        except Exception as failure:  # any: logged, never the invocation's
            LOG.warning("metrics of %s not published: %r", function.function_name, failure)

    def _unpack(self, data: bytes) -> Path:
        """Unpack once per content; concurrent invocations (a Map) wait for the first."""
        target = self.work_dir / hashlib.sha256(data).hexdigest()[:16]
        with self._lock:
            if not target.is_dir():
                partial = Path(tempfile.mkdtemp(dir=self.work_dir, prefix=".unpacking-"))
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    archive.extractall(partial)
                partial.rename(target)
        return target

    def __call__(self, function: LambdaFunction, event: Any) -> tuple[str, bool, str]:
        code_dir = self._unpack(function.code_bytes)
        backend = get_backend(function.account_id, function.region)
        layer_dirs = []
        for layer in function.layers:
            version = backend.layers_versions_by_arn(layer["Arn"])
            if version is not None:
                layer_dirs.append(str(self._unpack(version.code_bytes) / "python"))
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/tmp"),
            "AWS_ENDPOINT_URL": self.endpoint,
            # The function's own role, recoverable from the key: the call report
            # (tooling/emulator/call_report.py) holds each call against that role's policies.
            "AWS_ACCESS_KEY_ID": role_access_key(function.role.rsplit("/", 1)[-1]),
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": function.region,
            "AWS_REGION": function.region,
            "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
            "TMPDIR": tempfile.gettempdir(),
            **{k: str(v) for k, v in function.environment_vars.items()},
        }
        script = RUNNER % {
            "name": function.function_name,
            "arn": function.function_arn,
            "memory": int(function.memory_size or 128),
            "timeout": int(function.timeout or 3),
        }
        payload = event if isinstance(event, str) else json.dumps(event or {})
        started = time.monotonic()
        completed = subprocess.run(  # - our own interpreter and script
            [
                self.python,
                "-I",
                "-c",
                script,
                str(code_dir),
                json.dumps(layer_dirs),
                str(function.handler),
            ],
            input=payload,
            capture_output=True,
            text=True,
            env=env,
            timeout=int(function.timeout or 3) + 60,
            check=False,
        )
        duration_ms = (time.monotonic() - started) * 1000
        logs = completed.stderr[-4000:]
        marker = completed.stdout.rfind("__LAMBDA_RESULT__")
        printed = completed.stdout[: max(marker, 0)] if marker >= 0 else completed.stdout
        if marker < 0:
            self.publish_metrics(function, printed, duration_ms=duration_ms, error=True)
            error = {
                "errorType": "Runtime.ExitError",
                "errorMessage": f"exit {completed.returncode}: {logs[-1000:]}",
            }
            return json.dumps(error), True, logs
        outcome = json.loads(completed.stdout[marker + len("__LAMBDA_RESULT__") :])
        self.publish_metrics(function, printed, duration_ms=duration_ms, error=not outcome["ok"])
        return json.dumps(outcome["result"]), not outcome["ok"], logs

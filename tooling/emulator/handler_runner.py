"""Run a deployed function's real handler, as Lambda would, for the local emulator.

The function's package and layers (the bytes moto stored at deploy) are unpacked once per
content hash; each invocation runs the handler in a fresh CPython 3.12 subprocess with the
function's environment, pointed at the emulator. Layers must be built for this machine's
architecture (envs/local uses libs/shared:layer-host).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Any

from moto.awslambda.models import LambdaFunction
from moto.awslambda.utils import get_backend

from tooling.emulator.call_report import role_access_key

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
        logs = completed.stderr[-4000:]
        marker = completed.stdout.rfind("__LAMBDA_RESULT__")
        if marker < 0:
            error = {
                "errorType": "Runtime.ExitError",
                "errorMessage": f"exit {completed.returncode}: {logs[-1000:]}",
            }
            return json.dumps(error), True, logs
        outcome = json.loads(completed.stdout[marker + len("__LAMBDA_RESULT__") :])
        return json.dumps(outcome["result"]), not outcome["ok"], logs

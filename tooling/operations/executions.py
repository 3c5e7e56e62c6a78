"""Starting pipeline executions and reading what became of the file each one processed."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

COUNTS = ("rows_read", "rows_written", "rows_quarantined", "duplicates", "chunks")


@dataclass(frozen=True)
class FileResult:
    """The file's outcome (``SUCCEEDED``, ``FAILED``, ``rejected``, ``duplicate``), or the
    execution's own status when it ended before deciding one (e.g. ``TIMED_OUT``)."""

    status: str
    counts: dict[str, int] = field(default_factory=dict)
    regrouped: bool = False  # a guessed chunk cut was wrong, and the chunks were read again


def start_execution(sfn: Any, state_machine: str, name: str, event: dict[str, Any]) -> str:
    """Start an execution called ``name``; if one of that name exists, its ARN (so a retried
    start cannot run a file twice: Step Functions keeps names unique for 90 days)."""
    try:
        response = sfn.start_execution(
            stateMachineArn=state_machine, name=name, input=json.dumps(event)
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise
        return execution_arn(state_machine, name)
    return str(response["executionArn"])


def execution_arn(state_machine: str, name: str) -> str:
    """arn:...:stateMachine:<machine> -> arn:...:execution:<machine>:<name>."""
    return state_machine.replace(":stateMachine:", ":execution:", 1) + f":{name}"


def wait_for(sfn: Any, arn: str, *, timeout_s: float, poll_s: float = 0.25) -> FileResult:
    deadline = time.monotonic() + timeout_s
    while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        if time.monotonic() > deadline:
            raise TimeoutError(f"execution {arn} still running after {timeout_s:.0f} s")
        time.sleep(poll_s)  # polling the execution's status
    output = json.loads(described.get("output") or "{}")
    summary = (output.get("summary") or {}).get("value") or {}
    plan = (output.get("plan") or {}).get("value") or {}
    return FileResult(
        status=str(summary.get("status") or plan.get("status") or described["status"]),
        counts={name: int(summary.get(name, 0)) for name in COUNTS},
        regrouped=bool(summary.get("regrouped")),
    )

"""The record of the last successful deploy of each stack of an environment.

Written only after a stack applied successfully, one stack at a time: a failed deploy leaves
the record of what did succeed, and re-running resumes from the failed stack. Local and
remote-state environments keep it beside their state (a file, or an object in the state bucket).
"""

from __future__ import annotations

import datetime as dt
import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any


class DeployRecord(ABC):
    @abstractmethod
    def load(self) -> dict[str, Any]:
        """stack name -> {"fingerprint", "deployed_at", "outputs", "inputs"} (mark_deployed)"""

    @abstractmethod
    def save(self, stacks: dict[str, Any]) -> None: ...

    def fingerprint(self, stack: str) -> str | None:
        entry = self.load().get(stack)
        return None if entry is None else str(entry["fingerprint"])

    def mark_deployed(
        self,
        stack: str,
        fingerprint: str,
        *,
        outputs: dict[str, str] | None = None,
        inputs: dict[str, str | None] | None = None,
    ) -> dict[str, Any]:
        """Record a successful apply: the stack's fingerprint, a digest of each value it
        exports (``outputs``) and of each upstream value it read (``inputs``, as
        ``<stack>/<name>``); the entry written."""
        stacks = self.load()
        entry: dict[str, Any] = {
            "fingerprint": fingerprint,
            "deployed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        if outputs is not None:
            entry["outputs"] = outputs
        if inputs is not None:
            entry["inputs"] = inputs
        stacks[stack] = entry
        self.save(stacks)
        return entry

    def forget(self, stack: str) -> None:
        stacks = self.load()
        stacks.pop(stack, None)
        self.save(stacks)


class FileRecord(DeployRecord):
    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, Any]:
        if not self.path.is_file():
            return {}
        try:
            return dict(json.loads(self.path.read_text()))
        except ValueError:
            raise ValueError(
                f"deploy record {self.path} is not JSON: delete it to redeploy every stack"
            ) from None

    def save(self, stacks: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps(stacks, indent=2, sort_keys=True))
        partial.replace(self.path)


class S3Record(DeployRecord):
    """For environments with remote state: s3://<state bucket>/<key>."""

    def __init__(self, bucket: str, key: str, region: str) -> None:
        import boto3

        self.bucket, self.key = bucket, key
        self._s3 = boto3.client("s3", region_name=region)

    def load(self) -> dict[str, Any]:
        try:
            body = self._s3.get_object(Bucket=self.bucket, Key=self.key)["Body"].read()
        except self._s3.exceptions.NoSuchKey:
            return {}
        return dict(json.loads(body))

    def save(self, stacks: dict[str, Any]) -> None:
        self._s3.put_object(
            Bucket=self.bucket,
            Key=self.key,
            Body=json.dumps(stacks, indent=2).encode(),
            ServerSideEncryption="AES256",
        )

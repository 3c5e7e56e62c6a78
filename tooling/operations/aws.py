"""boto3 clients for one deployed environment: its region, and the local emulator's endpoint
and dummy credentials when there is one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3

from infra.config import EnvironmentConfig
from infra.exports import StackExport
from tooling.emulator import control as emulator


@dataclass(frozen=True)
class DeployedExports:
    """The values the stacks exported (infra/exports.py), as Parameter Store holds them."""

    by_key: Mapping[str, str]  # <stack>/<name> -> value

    def __getitem__(self, export: StackExport) -> str:
        return self.by_key[export.key]

    def __contains__(self, export: StackExport) -> bool:
        return export.key in self.by_key


@dataclass(frozen=True)
class EnvironmentAws:
    region: str
    endpoint: str | None = None  # the local emulator; None: AWS and the default credential chain

    @classmethod
    def of(cls, config: EnvironmentConfig) -> EnvironmentAws:
        """AWS for a real environment; for envs/local, its running emulator."""
        if not config.is_emulated:
            return cls(config.region)
        running = emulator.running(config.local_state_dir.resolve())
        if running is None:
            raise RuntimeError(
                "the local emulator is not running: deploy first (./pants run envs/local:deploy)"
            )
        return cls(config.region, running.url)

    def client(self, service: str) -> Any:
        if self.endpoint is None:
            return boto3.client(service, region_name=self.region)
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",  # noqa: S106  (the emulator's dummy credentials)
        )

    def deployed_exports(
        self, config: EnvironmentConfig, *required: StackExport
    ) -> DeployedExports:
        """The stacks' exported values, with a clear error if one of ``required`` is missing:
        the environment is not deployed, or not in this account and region."""
        exports = DeployedExports(self._parameters(config))
        missing = [export.key for export in required if export not in exports]
        if missing:
            raise RuntimeError(
                f"Parameter Store has no {missing[0]!r} under {config.naming.ssm_path('')}: "
                f"is {config.environment} ({config.suffix}) deployed, in {config.region}?"
            )
        return exports

    def trigger_dlq_url(self, config: EnvironmentConfig) -> str:
        """The queue that keeps the events the workflow's trigger could not deliver."""
        queue = config.naming.trigger_dead_letter_queue
        return str(self.client("sqs").get_queue_url(QueueName=queue)["QueueUrl"])

    def _parameters(self, config: EnvironmentConfig) -> dict[str, str]:
        """The environment's parameters, keyed ``<stack>/<name>``."""
        ssm = self.client("ssm")
        prefix = config.naming.ssm_path("")
        values: dict[str, str] = {}
        pages = ssm.get_paginator("get_parameters_by_path").paginate(Path=prefix, Recursive=True)
        for page in pages:
            for parameter in page["Parameters"]:
                values[parameter["Name"][len(prefix) :]] = parameter["Value"]
        return values

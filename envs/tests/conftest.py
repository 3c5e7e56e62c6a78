"""The dev environment as moto holds it, for the operator entrypoints' tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws
from testkit.credentials import aws_credentials

__all__ = ["DevEnvironment", "aws_credentials", "dev_environment", "mocked"]

REGION = "us-east-2"  # envs/dev/config.toml
EXPORTS = "/pipeline/dev/d01"


@dataclass(frozen=True)
class DevEnvironment:
    state_machine: str
    queue_url: str

    def dead_letters(self, *bodies: str) -> None:
        sqs = boto3.client("sqs", region_name=REGION)
        for body in bodies:
            sqs.send_message(QueueUrl=self.queue_url, MessageBody=body)

    def executions(self) -> list[dict[str, Any]]:
        sfn = boto3.client("stepfunctions", region_name=REGION)
        return list(sfn.list_executions(stateMachineArn=self.state_machine)["executions"])


@pytest.fixture
def mocked(aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto, and nothing of dev deployed in it."""
    monkeypatch.delenv("PIPELINE_ENV_SUFFIX", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def dev_environment(mocked: None) -> DevEnvironment:
    """What the dev stacks leave for the tools to find: exports, the workflow, the DLQ."""
    ssm, sfn, sqs, iam = (
        boto3.client(s, region_name=REGION) for s in ("ssm", "stepfunctions", "sqs", "iam")
    )
    role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    machine = sfn.create_state_machine(name="pipeline-dev-d01", definition=definition, roleArn=role)
    for name, value in {
        "pipeline/state_machine_arn": machine["stateMachineArn"],
        "data/raw_bucket_name": "txn-raw-dev-d01",
        "data/metadata_table_name": "pipeline-metadata-dev-d01",
        "pipeline/finalize_function_name": "finalize-dev-d01",
    }.items():
        ssm.put_parameter(Name=f"{EXPORTS}/{name}", Value=value, Type="String")
    queue = sqs.create_queue(QueueName="trigger-dlq-dev-d01")["QueueUrl"]
    return DevEnvironment(str(machine["stateMachineArn"]), str(queue))

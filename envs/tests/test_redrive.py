"""The redrive entrypoint: its arguments, its errors, and a re-drive through it (moto)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from rich.console import Console

from envs import redrive
from infra.ops.events import object_created_event

REGION = "us-east-2"  # envs/dev/config.toml
EXPORTS = "/pipeline/dev/d01"


@pytest.fixture
def mocked(aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("PIPELINE_ENV_SUFFIX", raising=False)
    monkeypatch.setattr(redrive, "console", Console(stderr=True, width=240))  # fewer wraps
    with mock_aws():
        yield


def _deploy(dead_letters: list[str]) -> str:
    """What the dev stacks leave for redrive to find: exports, the workflow, the DLQ."""
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
    for body in dead_letters:
        sqs.send_message(QueueUrl=queue, MessageBody=body)
    return str(machine["stateMachineArn"])


def test_it_takes_keys_or_dead_letters_not_both(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--env", "dev"], ["--env", "dev", "--dead-letters", "raw/a/2024/05/01/x.csv"]):
        with pytest.raises(SystemExit) as exit_:
            redrive.parse_args(argv)
        assert exit_.value.code == 2
        assert "give raw object keys, or --dead-letters" in capsys.readouterr().err


def test_an_environment_not_deployed_is_a_clear_error(
    mocked: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert redrive.main(["--env", "dev", "--dead-letters"]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "Parameter Store has no 'pipeline/state_machine_arn' under /pipeline/dev/d01/" in err
    assert "is dev (d01) deployed, in us-east-2?" in err


def test_dead_letters_are_redriven(mocked: None, capsys: pytest.CaptureFixture[str]) -> None:
    event = object_created_event(
        "txn-raw-dev-d01", "raw/a/2024/05/01/x.csv", {"ETag": '"e"', "ContentLength": 1}, REGION
    )
    machine = _deploy([json.dumps(event), "junk"])
    assert redrive.main(["--env", "dev", "--dead-letters"]) == 1  # the junk letter needs a person
    executions = boto3.client("stepfunctions", region_name=REGION).list_executions(
        stateMachineArn=machine
    )["executions"]
    assert len(executions) == 1 and executions[0]["name"].startswith("redrive-")
    assert "body is not JSON" in capsys.readouterr().err

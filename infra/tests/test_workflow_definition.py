"""The state machine definition, read as the ASL dict the stack deploys."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.constructs.asl import Choice, StateMachineDefinition, Succeed, Task
from infra.tests.conftest import Synthesized


@pytest.fixture(scope="module")
def definition(prod: Synthesized) -> dict[str, Any]:
    (machine,) = prod.resources("aws_sfn_state_machine").values()
    document: dict[str, Any] = json.loads(machine["definition"])
    return document


def test_flow_ingest_map_finalize_notify(definition: dict[str, Any]) -> None:
    states = definition["States"]
    assert definition["StartAt"] == "Ingest"
    assert states["Ingest"]["Next"] == "Accepted?"
    assert states["Accepted?"]["Choices"][0] == {
        "Variable": "$.plan.value.status",
        "StringEquals": "accepted",
        "Next": "TransformChunks",
    }
    assert states["Accepted?"]["Default"] == "DescribeSkipped"
    assert (
        states["TransformChunks"]["Type"] == "Map"
        and states["TransformChunks"]["MaxConcurrency"] == 40
    )
    assert states["TransformChunks"]["Next"] == "Finalize"
    assert states["TransformChunks"]["ResultPath"] is None  # the chunk records hold the results
    assert states["Finalize"]["Parameters"]["Payload"] == {"plan.$": "$.plan.value"}
    assert [states[s]["Next"] for s in ("Finalize", "Describe", "Publish")] == [
        "ChainProven?",
        "Publish",
        "Done",
    ]
    assert states["Publish"]["Resource"] == "arn:aws:states:::sns:publish"


def test_an_unproven_cut_loops_back_to_the_map_with_the_regrouped_plan(
    definition: dict[str, Any],
) -> None:
    states = definition["States"]
    assert states["ChainProven?"]["Choices"] == [
        {"Variable": "$.summary.value.status", "StringEquals": "RERUN", "Next": "Regroup"}
    ]
    assert states["ChainProven?"]["Default"] == "Describe"
    assert states["Regroup"] == {
        "Type": "Pass",
        "Parameters": {"value.$": "$.summary.value.plan"},
        "ResultPath": "$.plan",
        "Next": "TransformChunks",
    }


def test_every_task_retries_with_exponential_backoff_and_full_jitter(
    definition: dict[str, Any],
) -> None:
    tasks = {name: s for name, s in definition["States"].items() if s["Type"] == "Task"}
    tasks |= definition["States"]["TransformChunks"]["ItemProcessor"]["States"]
    assert len(tasks) >= 10
    for name, task in tasks.items():
        assert task["Retry"], name
        for retry in task["Retry"]:
            assert (
                retry["BackoffRate"] >= 2
                and retry["JitterStrategy"] == "FULL"
                and retry["MaxDelaySeconds"] <= 300
            ), name
    lambda_errors = tasks["Ingest"]["Retry"][0]["ErrorEquals"]
    assert "Lambda.TooManyRequestsException" in lambda_errors
    assert tasks["Transform"]["Retry"][1]["ErrorEquals"] == ["RetriesExhausted"]


def test_failures_are_caught_recorded_and_alerted(definition: dict[str, Any]) -> None:
    states = definition["States"]
    for name in ("Ingest", "TransformChunks", "Finalize", "Describe", "DescribeSkipped"):
        assert states[name]["Catch"] == [
            {"ErrorEquals": ["States.ALL"], "Next": "RecordFailure", "ResultPath": "$.error"}
        ]
    assert states["RecordFailure"]["Next"] == "DescribeFailure"
    assert states["DescribeFailure"]["Next"] == "PublishFailure"
    assert states["PublishFailure"]["Next"] == "Failed" and states["Failed"]["Type"] == "Fail"


def test_the_builder_rejects_two_states_with_one_name() -> None:
    first = Succeed("Same")
    choice = (
        Choice("Pick")
        .when({"Variable": "$.x", "BooleanEquals": True}, first)
        .otherwise(Succeed("Same"))
    )
    with pytest.raises(ValueError, match="two different states are named 'Same'"):
        StateMachineDefinition(choice).render()


def test_lambda_task_replacing_its_input_keeps_only_the_payload() -> None:
    task = Task.invoke_lambda(
        "T", function_arn="arn", payload="$", result_path="$", timeout_seconds=10
    )
    rendered = task.render()
    assert rendered["OutputPath"] == "$.Payload" and "ResultSelector" not in rendered

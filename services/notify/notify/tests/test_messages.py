from __future__ import annotations

import json
from typing import Any

import pytest

from notify.messages import SUBJECT_LIMIT, Message, compose

SUMMARY: dict[str, Any] = {
    "status": "SUCCEEDED",
    "ingest_id": "ing-1",
    "bucket": "raw-prod-a1",
    "key": "raw/bank/2024/05/01/day.csv",
    "source": "bank",
    "chunks": 3,
    "rows_read": 1000,
    "rows_written": 990,
    "rows_quarantined": 7,
    "duplicates": 3,
    "reasons": {"currency: not an ISO 4217 code": 5, "mcc: not 4 digits": 2},
    "output_files": 1,
}


def _compose(event: dict[str, Any]) -> Message:
    return compose(
        event,
        environment="prod",
        quarantine_bucket="quarantine-prod-a1",
        processed_bucket="processed-prod-a1",
    )


def test_success_with_quarantine_is_a_warning_with_counts_and_locations() -> None:
    message = _compose(SUMMARY)
    assert message.severity == "warning"
    assert message.subject == "[prod] WARNING pipeline: day.csv: 990 rows written, 7 quarantined"
    assert "Rows read: 1000, written: 990, quarantined: 7, duplicates: 3" in message.body
    assert "s3://quarantine-prod-a1/quarantine/bank/ing-1/" in message.body
    assert "currency: not an ISO 4217 code" in message.body


def test_clean_success_is_info() -> None:
    message = _compose(SUMMARY | {"rows_quarantined": 0, "rows_written": 997, "reasons": {}})
    assert message.severity == "info" and "Quarantine" not in message.body


def test_failure_names_error_cause_and_where_to_look() -> None:
    cause = json.dumps(
        {"errorType": "RetriesExhausted", "errorMessage": "gave up after 5 attempts"}
    )
    state = {
        "plan": {
            "value": {"bucket": "raw", "key": "raw/bank/2024/05/01/day.csv", "ingest_id": "ing-9"}
        },
        "error": {"Error": "RetriesExhausted", "Cause": cause},
    }
    event = {"failure": state, "execution": "arn:aws:states:us-east-2:1:execution:sm:run-1"}
    message = _compose(event)
    assert message.severity == "critical"
    assert "RetriesExhausted: gave up after 5 attempts" in message.body
    assert "arn:aws:states:us-east-2:1:execution:sm:run-1" in message.body
    assert message.subject.startswith("[prod] CRITICAL pipeline: run failed: day.csv")
    assert "Partial outputs: may remain" in message.body  # RecordFailure did not report
    assert "./pants run envs/prod:redrive -- raw/bank/2024/05/01/day.csv" in message.body


def test_failure_says_what_became_of_published_outputs() -> None:
    state: dict[str, Any] = {
        "plan": {"value": {"bucket": "raw", "key": "raw/bank/2024/05/01/day.csv"}},
        "error": {"Error": "States.TaskFailed", "Cause": "boom"},
        "recorded": {"recorded": True, "status": "FAILED", "outputs_withdrawn": 12},
    }
    assert "12 files withdrawn" in _compose({"failure": state}).body
    state["recorded"] = None
    state["recordError"] = {"Error": "Lambda.Unknown", "Cause": "AccessDenied on DeleteObjects"}
    body = _compose({"failure": state}).body
    assert "may remain" in body and "AccessDenied on DeleteObjects" in body


def test_rejection_and_duplicate() -> None:
    rejected = _compose(
        {
            "status": "rejected",
            "bucket": "raw",
            "key": "raw/x/2024/01/01/a.csv",
            "reason": "the header row lacks x",
        }
    )
    assert "Reason: the header row lacks x" in rejected.body and rejected.severity == "warning"
    duplicate = _compose(
        {
            "status": "duplicate",
            "bucket": "raw",
            "key": "k",
            "etag": "e",
            "previous_status": "SUCCEEDED",
        }
    )
    assert duplicate.severity == "info" and "nothing was processed again" in duplicate.body


def test_long_subjects_fit_sns_limit() -> None:
    message = _compose(SUMMARY | {"key": "raw/bank/2024/05/01/" + "x" * 300 + ".csv"})
    assert len(message.subject) == SUBJECT_LIMIT < 100  # SNS: "less than 100 characters"
    assert message.subject.endswith("xxx...") and message.subject.isascii()


def test_unknown_event_is_an_error() -> None:
    with pytest.raises(ValueError, match="cannot describe"):
        _compose({"status": "weird"})


def test_failure_before_a_plan_names_the_file_from_the_trigger_event() -> None:
    state = {
        "detail": {"bucket": {"name": "raw"}, "object": {"key": "raw/b/2024/05/01/x.csv"}},
        "error": {"Error": "Lambda.Unknown", "Cause": "boom"},
    }
    message = _compose({"failure": state})
    assert (
        "File: s3://raw/raw/b/2024/05/01/x.csv" in message.body
        and "Ingest id: not assigned" in message.body
    )


def test_unbalanced_run_is_critical() -> None:
    message = _compose(
        SUMMARY
        | {"status": "FAILED", "problem": "rows read != rows written + quarantined + duplicates"}
    )
    assert message.severity == "critical" and "rows read != rows written" in message.body


@pytest.mark.parametrize("cause", ["0", "null", '["a list"]', '"a string"', "not json"])
def test_a_cause_that_is_not_a_lambda_error_object_is_shown_as_it_is(cause: str) -> None:
    """A cause that parses as JSON but not as an object crashed DescribeFailure: no alert."""
    state = {"plan": {"value": {"key": "raw/b/2024/05/01/x.csv"}}, "error": {"Cause": cause}}
    assert f"Cause: {cause}" in _compose({"failure": state}).body

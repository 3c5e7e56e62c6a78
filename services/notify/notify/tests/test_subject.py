"""The SNS subject (issue 10): whatever the key, environment or headline, the subject is one
SNS accepts, so the alert of a file already SUCCEEDED is never lost to a refused Publish.

SNS Publish, Subject (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html): "less
than 100 characters long", no line breaks or control characters, and (the page's earlier
wording, which SNS enforces) ASCII text that begins with a letter, number or punctuation mark.
The emulator enforces the same rule (tooling/emulator/limits.py, sns_subject_problem); its tests
hold these subjects to that function itself (tooling/emulator/tests/test_notify_subjects.py).
"""

from __future__ import annotations

import string
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from notify.messages import (
    FALLBACK_SUBJECT,
    MESSAGE_LIMIT_BYTES,
    SUBJECT_LIMIT,
    Message,
    compose,
    message_body,
    subject_line,
)

PRINTABLE_ASCII = set(string.printable) - set("\t\n\r\x0b\x0c")  # 0x20-0x7E
# Every code point, lone surrogates too (a JSON event can carry "\\ud800").
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=()))


def sns_accepts(subject: str) -> bool:
    return (
        0 < len(subject) < 100
        and set(subject) <= PRINTABLE_ASCII
        and subject[0] != " "  # a letter, number or punctuation mark
    )


def _compose(event: dict[str, Any], environment: str = "prod") -> Message:
    return compose(
        event,
        environment=environment,
        quarantine_bucket="quarantine-prod-a1",
        processed_bucket="processed-prod-a1",
    )


def _events(key: str, count: int, text: str) -> list[dict[str, Any]]:
    """One event of each kind notify describes, for a file at ``key``."""
    file = {"bucket": "raw-prod-a1", "key": key, "etag": "e", "source": "bank"}
    return [
        file
        | {
            "status": "SUCCEEDED",
            "ingest_id": "ing-1",
            "rows_read": count,
            "rows_written": count,
            "rows_quarantined": count,
            "duplicates": 0,
            "reasons": {text: count},
        },
        file | {"status": "rejected", "reason": text},
        file | {"status": "duplicate", "previous_status": "SUCCEEDED"},
        {"status": "FAILED", "problem": text} | file,
        {
            "failure": {
                "plan": {"value": file},
                "error": {"Error": text, "Cause": text * 3},
                "recorded": None,
            },
            "execution": text,
        },
        {
            "failure": {
                "detail": {"bucket": {"name": "raw"}, "object": {"key": key}},
                "error": {"Error": "Lambda.Unknown", "Cause": text},
            }
        },
    ]


@settings(max_examples=300, deadline=None)
@given(text=ANY_TEXT)
@example("")
@example(" \t\n\r\x00\x1b\x7f\u2028\u200b")
@example("é" * 200)
@example("x" * 99)
@example("x" * 100)
def test_any_text_becomes_a_subject_sns_accepts(text: str) -> None:
    subject = subject_line(text)
    assert sns_accepts(subject), repr(subject)
    assert len(subject) <= SUBJECT_LIMIT


@settings(max_examples=200, deadline=None)
@given(
    key=st.text(alphabet=st.characters(exclude_categories=()), max_size=1100),
    environment=st.text(alphabet=st.characters(exclude_categories=()), max_size=300),
    count=st.integers(min_value=0, max_value=10**15),
    text=st.text(alphabet=st.characters(exclude_categories=()), max_size=500),
)
@example(key="raw/bank/2024/05/01/Überweisungen-März-ÄÖÜ.csv", environment="prod", count=7, text="")
@example(key="raw/bank/2024/05/01/выписка.csv", environment="prod", count=7, text="")
@example(key="raw/a/2024/05/01/two\nlines\r\x07.csv", environment="dev\n", count=1, text="\x00")
@example(key="raw/b/2024/05/01/" + "x" * 1000 + ".csv", environment="p" * 200, count=0, text="")
def test_every_alert_has_a_subject_sns_accepts(
    key: str, environment: str, count: int, text: str
) -> None:
    for event in _events(key, count, text):
        message = _compose(event, environment)
        assert sns_accepts(message.subject), (event.get("status"), repr(message.subject))
        assert len(message.body.encode()) <= MESSAGE_LIMIT_BYTES


def test_non_ascii_file_names_are_spelled_in_ascii_and_the_body_keeps_the_key() -> None:
    key = "raw/bank/2024/05/01/Überweisungen-März-Straße-Ærø-Łódź.csv"
    message = _compose(_events(key, 3, "")[1])
    assert message.subject == (
        "[prod] WARNING pipeline: file rejected: Uberweisungen-Marz-Strasse-AEro-Lodz.csv"
    )
    assert key in message.body
    cyrillic = _compose(_events("raw/bank/2024/05/01/выписка.csv", 3, "")[1]).subject
    assert cyrillic == "[prod] WARNING pipeline: file rejected: ???????.csv"


def test_line_breaks_and_control_characters_become_single_spaces() -> None:
    assert subject_line("a\r\nb\t\tc\x00\x1bd\u2028e") == "a b c d e"
    assert subject_line("\n  leading and trailing  \n") == "leading and trailing"


def test_a_cut_subject_ends_in_three_dots_within_99_characters() -> None:
    subject = subject_line("x" * 99)
    assert subject == "x" * 99
    cut = subject_line("y" * 100)
    assert cut == "y" * 96 + "..." and len(cut) == SUBJECT_LIMIT == 99


def test_a_subject_of_nothing_printable_is_never_empty() -> None:
    assert subject_line("") == subject_line(" \n\t\x00") == FALLBACK_SUBJECT


def test_the_old_subject_was_refused_by_sns() -> None:
    """Issue 10: exactly 100 characters, the last "…" (not ASCII): two reasons to refuse it."""
    old = "[prod] WARNING pipeline: " + "x" * 74 + "…"
    assert len(old) == 100 and not sns_accepts(old)


def test_a_body_over_256_kb_is_cut_to_fit() -> None:
    body = message_body(["€" * 100_000, "end"])  # 300,004 bytes
    assert len(body.encode()) <= MESSAGE_LIMIT_BYTES and body.endswith("256 KB]\n")
    assert message_body(["fits"]) == "fits\n"

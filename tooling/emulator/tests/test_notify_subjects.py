"""The alerts' subjects (services/notify) against the exact rule the emulator's SNS enforces
(limits.sns_subject_problem, applied by AwsLimits to every Publish): a subject the emulator
refuses would be refused by SNS, after the file is SUCCEEDED. The property-based test of the
same rule, over arbitrary text, is services/notify/notify/tests/test_subject.py."""

from __future__ import annotations

import random
from typing import Any

import pytest

from notify.messages import compose, subject_line
from tooling.emulator import limits

HOSTILE = [
    "",
    "x" * 99,
    "x" * 100,
    "x" * 5_000,
    "Überweisungen-März-Straße-Ærø-Łódź.csv",
    "выписка-за-май.csv",
    "日本語のファイル.csv",
    "emoji-\U0001f4b8-\U0001f600.csv",
    "two\nlines\r\n.csv",
    "tab\tand\x00nul\x1bescape\x7fdel.csv",
    "\u2028line-separator\u200bzero-width\ufeffbom.csv",
    "   leading-spaces.csv",
    "\u2026ellipsis\u2013dash\u2014\u201cquotes\u201d.csv",
    "\ud800lone-surrogate.csv",
]


def _random_texts(count: int) -> list[str]:
    rng = random.Random(11)  # noqa: S311 (test data)
    alphabet = [chr(c) for c in (*range(0, 0x250), *range(0x2000, 0x2070), 0x3000, 0xFEFF)]
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300))) for _ in range(count)]


def _events(name: str) -> list[dict[str, Any]]:
    key = f"raw/bank/2024/05/01/{name}"
    file = {"bucket": "raw", "key": key, "etag": "e", "source": "bank"}
    counts = {"rows_read": 10**12, "rows_written": 10**12, "rows_quarantined": 10**12}
    return [
        file | counts | {"status": "SUCCEEDED", "ingest_id": "i", "duplicates": 0},
        file | {"status": "rejected", "reason": name},
        file | {"status": "duplicate", "previous_status": "SUCCEEDED"},
        file | {"status": "FAILED", "problem": name},
        {"failure": {"plan": {"value": file}, "error": {"Error": name, "Cause": name}}},
    ]


@pytest.mark.parametrize("environment", ["prod", "local", "staging-" + "é" * 120])
def test_every_alert_subject_passes_the_emulators_sns_rule(environment: str) -> None:
    for name in [*HOSTILE, *_random_texts(200)]:
        for event in _events(name):
            message = compose(
                event, environment=environment, quarantine_bucket="q", processed_bucket="p"
            )
            assert limits.sns_subject_problem(message.subject) is None, repr(message.subject)
            assert limits.sns_publish(message.subject, message.body) is None


def test_the_rule_refuses_what_notify_used_to_send() -> None:
    old = "[prod] WARNING pipeline: " + "x" * 74 + "…"
    assert limits.sns_subject_problem(old) is not None
    assert limits.sns_subject_problem(subject_line(old)) is None

"""Compose the SNS message for a run: what happened, to which file, the counts, where to look.

Pure functions of the Step Functions state, so every case is unit-tested without AWS.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Any

# SNS Publish, Subject: "less than 100 characters long", with no line breaks or control
# characters (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html); earlier editions of
# the same page, and SNS itself, also require ASCII text that begins with a letter, number or
# punctuation mark. A subject that breaks any of these fails the Publish state after the file
# is already SUCCEEDED. So: printable ASCII only, at most 99 characters, never empty.
SUBJECT_LIMIT = 99
# SNS Publish, Message: "at most 256 KB in size (262,144 bytes, not 262,144 characters)".
MESSAGE_LIMIT_BYTES = 262_144
ELLIPSIS = "..."
FALLBACK_SUBJECT = "pipeline alert"
# Letters NFKD does not reduce to ASCII, spelled as ASCII; anything else non-ASCII becomes "?".
_ASCII_SPELLING = str.maketrans(
    {
        "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
        "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th",
        "\u0131": "i",  # dotless i
        "\u2026": "...",  # ellipsis
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212", "-"),  # hyphens, dashes, minus
        **dict.fromkeys("\u2018\u2019\u201a\u2032", "'"),  # single quotation marks, prime
        **dict.fromkeys("\u201c\u201d\u201e\u00ab\u00bb\u2033", '"'),  # double ones, guillemets
    }
)  # fmt: skip


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    severity: str  # "info" | "warning" | "critical"


def compose(
    event: dict[str, Any], *, environment: str, quarantine_bucket: str, processed_bucket: str
) -> Message:
    kind = event.get("status")
    if "failure" in event:
        return _failure(event["failure"], environment, execution=event.get("execution"))
    if kind == "FAILED":  # finalize found the counts did not add up
        return _failure(
            {
                "plan": {"value": event},
                "error": {"Error": "FAILED", "Cause": event.get("problem", "")},
            },
            environment,
        )
    if kind == "rejected":
        return _rejected(event, environment)
    if kind == "duplicate":
        return _message(
            environment,
            "info",
            f"duplicate event ignored: {_file(event)}",
            [
                f"File: s3://{event.get('bucket')}/{event.get('key')} (etag {event.get('etag')})",
                f"It was already registered (status {event.get('previous_status')}); nothing was processed again.",
            ],
        )
    if kind == "SUCCEEDED":
        return _succeeded(event, environment, quarantine_bucket, processed_bucket)
    raise ValueError(
        f"notify cannot describe an event with status {kind!r}: {json.dumps(event)[:300]}"
    )


def _file(event: dict[str, Any]) -> str:
    return str(event.get("key") or event.get("plan", {}).get("key") or "unknown file")


def _message(environment: str, severity: str, headline: str, lines: list[str]) -> Message:
    subject = subject_line(f"[{environment}] {severity.upper()} pipeline: {headline}")
    return Message(subject=subject, body=message_body(lines), severity=severity)


def subject_line(text: str) -> str:
    """``text`` as a subject SNS accepts: non-ASCII letters spelled in ASCII where they can be
    (é -> e, ß -> ss) and "?" otherwise, every control character and run of white space one
    space, at most SUBJECT_LIMIT characters (cut ones end in "..."), never empty. The body
    keeps the exact key."""
    spelled = unicodedata.normalize("NFKD", text.translate(_ASCII_SPELLING))
    chars = []
    for char in spelled:
        if " " <= char <= "~":
            chars.append(char)
        elif unicodedata.category(char) == "Mn":
            continue  # the accent NFKD split off its letter
        elif char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
            chars.append(" ")  # line breaks, tabs, control and format characters
        else:
            chars.append("?")
    subject = " ".join("".join(chars).split())
    if len(subject) > SUBJECT_LIMIT:
        subject = subject[: SUBJECT_LIMIT - len(ELLIPSIS)].rstrip() + ELLIPSIS
    return subject or FALLBACK_SUBJECT


def message_body(lines: list[str]) -> str:
    """The lines as the message: UTF-8 text, cut (it never is in practice: every line is
    bounded) to what SNS accepts."""
    encoded = ("\n".join(lines) + "\n").encode(errors="replace")  # a lone surrogate: "?"
    body = encoded.decode()
    if len(encoded) <= MESSAGE_LIMIT_BYTES:
        return body
    note = "\n[message cut to fit SNS's 256 KB]\n"
    kept = encoded[: MESSAGE_LIMIT_BYTES - len(note.encode())].decode(errors="ignore")
    return kept + note


def _succeeded(
    event: dict[str, Any], environment: str, quarantine_bucket: str, processed_bucket: str
) -> Message:
    quarantined = int(event.get("rows_quarantined", 0))
    severity = "warning" if quarantined else "info"
    lines = [
        f"File: s3://{event['bucket']}/{event['key']}",
        f"Ingest id: {event['ingest_id']} ({event.get('chunks', 1)} chunk(s))",
        f"Rows read: {event['rows_read']}, written: {event['rows_written']}, "
        f"quarantined: {quarantined}, duplicates: {event['duplicates']}",
        f"Output: s3://{processed_bucket}/processed/{event['source']}/ ({event.get('output_files', 0)} Parquet file(s))",
    ]
    if event.get("unterminated_quote"):
        severity = "warning"
        lines.append(
            "Unclosed quote: the file ends inside a quoted field. The record where it opens was "
            "quarantined with everything after it (see its raw_line); fix the quote and upload "
            "the file again."
        )
    if event.get("regrouped"):
        lines.append(
            "Some chunk cuts fell inside quoted fields: those chunks were read again as one "
            "(checked, nothing lost)."
        )
    if quarantined:
        lines.append(
            f"Quarantine: s3://{quarantine_bucket}/quarantine/{event['source']}/{event['ingest_id']}/"
        )
    if event.get("reasons"):
        lines.append("Top reasons:")
        lines += [f"  {count:>8}  {reason}" for reason, count in event["reasons"].items()]
    headline = f"{event['key'].rsplit('/', 1)[-1]}: {event['rows_written']} rows written"
    if quarantined:
        headline += f", {quarantined} quarantined"
    return _message(environment, severity, headline, lines)


def _rejected(event: dict[str, Any], environment: str) -> Message:
    return _message(
        environment,
        "warning",
        f"file rejected: {_file(event).rsplit('/', 1)[-1]}",
        [
            f"File: s3://{event.get('bucket')}/{event.get('key')}",
            f"Reason: {event.get('reason')}",
            "Nothing was written. Fix the file and upload it again under the same key.",
        ],
    )


def _failure(state: dict[str, Any], environment: str, *, execution: str | None = None) -> Message:
    """``state`` is the failed execution's state: the trigger event, maybe a plan, the error."""
    error = state.get("error") or {}
    cause = error.get("Cause", "")
    try:  # Lambda errors arrive as a JSON string with errorMessage/errorType
        parsed = json.loads(cause)
    except (TypeError, ValueError):
        parsed = None
    if isinstance(parsed, dict):  # any other cause ("0", "null", a list) is shown as it is
        cause = f"{parsed.get('errorType', '')}: {parsed.get('errorMessage', cause)}"
    detail = state.get("detail") or {}
    plan = (state.get("plan") or {}).get("value") or {
        "bucket": (detail.get("bucket") or {}).get("name"),
        "key": (detail.get("object") or {}).get("key"),
    }
    return _message(
        environment,
        "critical",
        f"run failed: {_file(plan).rsplit('/', 1)[-1]}",
        [
            f"File: s3://{plan.get('bucket')}/{plan.get('key')}",
            f"Ingest id: {plan.get('ingest_id', 'not assigned')}",
            f"Error: {error.get('Error', 'FAILED')}",
            f"Cause: {str(cause)[:2000]}",
            f"Execution: {execution or 'see the state machine executions'}",
            _withdrawal(state),
            "Where to look: the execution's history in Step Functions, then the failing task's log group.",
            f"Retry, once the cause is fixed: ./pants run envs/{environment}:redrive -- {plan.get('key')} "
            "(or upload the file again). Runbook: docs/operations.md#executions-failed",
        ],
    )


def _withdrawal(state: dict[str, Any]) -> str:
    """What became of the outputs the run had already published (RecordFailure's result)."""
    recorded = state.get("recorded") or {}
    if "outputs_withdrawn" in recorded:
        return (
            f"Partial outputs: {recorded['outputs_withdrawn']} files withdrawn; nothing of this "
            "file is left in processed/ or quarantine/."
        )
    problem = (state.get("recordError") or {}).get("Cause") or "not recorded"
    return f"Partial outputs: may remain in processed/ and quarantine/ ({str(problem)[:300]})."

"""The hostile files of issue 10, each through the three paths a file can take: the CLI as one
chunk, the CLI cut into 1 MiB chunks as ingest cuts it, and the Lambda path on moto (ingest,
every chunk, finalize with its Regroup loop). Every path must give the same, right outcome.

Expectations are counted from how each file is built, not from the code under test; the
property-based tests in tests/integrity hold the engine to the independent oracle."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from testkit.aws import Resources

import finalize.handler
import ingest.handler
import transform.handler
from ingest.tests.lambda_path import object_created, run_workflow
from transform.cli import main as cli

HEADER = "transaction_id,account_id,timestamp,amount,currency,merchant_id,mcc,country,channel,note"
CSV_LOOKING = "fake-{n:06d},acct-9,2024-05-01T10:00:00Z,1.00,USD,m-9,5411,US,POS,x"


def good(n: int, note: str = "ok", **values: str) -> str:
    row = {
        "transaction_id": f"tx-{n}",
        "account_id": "acct-1",
        "timestamp": "2024-05-01T10:00:00Z",
        "amount": "1.00",
        "currency": "USD",
        "merchant_id": "m-1",
        "mcc": "5411",
        "country": "US",
        "channel": "POS",
    } | values
    return ",".join([*row.values(), note])


@dataclass(frozen=True)
class Case:
    data: bytes
    read: int
    written: int
    quarantined: int
    reasons: dict[str, int]  # reasons that must be counted (others may be too)


def _rows(count: int, start: int = 0) -> str:
    return "".join(good(n) + "\n" for n in range(start, start + count))


def quoted_notes_holding_csv_lines() -> Case:
    """A quoted note of a few hundred KB of CSV-looking lines: chunk cuts land inside it."""
    rng = random.Random(10)  # noqa: S311 (test data, not secrets)
    lines, written = [HEADER], 0
    while sum(len(line) + 1 for line in lines) < 6_000_000:
        if rng.random() < 0.003:
            note = "\n".join(CSV_LOOKING.format(n=rng.randrange(10**6)) for _ in range(3000))
            lines.append(good(written, f'"{note}"'))
        else:
            lines.append(good(written))
        written += 1
    return Case(("\n".join(lines) + "\n").encode(), written, written, 0, {})


def long_line_closing_the_quote() -> Case:
    data = f'{HEADER}\n{good(0, "\"start\n" + "y" * 1_200_000 + "\"")}\n{_rows(1000, 1)}'
    return Case(data.encode(), 1001, 1000, 1, {"record longer than 1048576 bytes": 1})


def long_line_inside_the_quotes() -> Case:
    note = '"start\n' + "y" * 1_200_000 + '\nend"'
    data = f"{HEADER}\n{good(0, note)}\n{_rows(1000, 1)}"
    return Case(data.encode(), 1001, 1000, 1, {"record longer than 1048576 bytes": 1})


def long_line_opening_the_quote() -> Case:
    note = '"' + "y" * 1_200_000 + '\nend"'
    data = f"{HEADER}\n{good(0, note)}\n{_rows(1000, 1)}"
    return Case(data.encode(), 1001, 1000, 1, {"record longer than 1048576 bytes": 1})


def unterminated_quote_in_the_last_column() -> Case:
    data = f'{HEADER}\n{good(0)}\n{good(1, "\"oops")}\n{_rows(1000, 2)}'
    return Case(data.encode(), 2, 1, 1, {"unterminated quoted field: the file ends inside it": 1})


def timestamps_outside_years_1_to_9999() -> Case:
    rows = [
        good(0, timestamp="0001-01-01T00:30:00+01:00"),
        good(1, timestamp="9999-12-31T23:59:59-14:00"),
        good(2),
    ]
    data = f"{HEADER}\n" + "\n".join(rows) + "\n"
    return Case(data.encode(), 3, 1, 2, {"timestamp: outside years 0001-9999 in UTC": 2})


def cr_only_line_ends() -> Case:
    data = HEADER + "\r" + "".join(good(n) + "\r" for n in range(500))
    return Case(data.encode(), 500, 500, 0, {})


def offsets_with_60_minutes_or_more() -> Case:
    offsets = ["+00:60", "+05:99", "-00:60", "+0060"]
    rows = [good(n, timestamp=f"2024-05-01T10:00:00{o}") for n, o in enumerate(offsets)]
    data = f"{HEADER}\n" + "\n".join([*rows, good(9)]) + "\n"
    return Case(data.encode(), 5, 1, 4, {"timestamp: not ISO 8601 with a UTC offset or Z": 4})


def non_ascii_code_look_alikes() -> Case:
    rows = [
        good(0, currency="u\u017fd"),  # long s
        good(1, country="\u0131t"),  # dotless i
        good(2, channel="RECURR\u0131NG"),
        good(3, channel="TRAN\u017fFER"),
        good(4),
    ]
    data = f"{HEADER}\n" + "\n".join(rows) + "\n"
    return Case(data.encode(), 5, 1, 4, {})


def invalid_utf8_in_a_dropped_column() -> Case:
    data = f"{HEADER}\n{good(0)}\n".encode() + good(1, "caf\xe9").encode("latin-1") + b"\n"
    return Case(data, 2, 1, 1, {"note: not valid UTF-8": 1})


def blank_lines_before_the_header() -> Case:
    data = f"\n\r\n\n{HEADER}\n{_rows(3)}"
    return Case(data.encode(), 3, 3, 0, {})


def amount_with_leading_zeros() -> Case:
    data = f"{HEADER}\n{good(0, amount='0000000000000000001.00')}\n"
    return Case(data.encode(), 1, 1, 0, {})


def codes_without_a_minor_unit() -> Case:
    rows = [good(n, currency=code) for n, code in enumerate(["XAU", "XXX", "XDR", "XTS"])]
    data = f"{HEADER}\n" + "\n".join(rows) + "\n"
    reason = (
        "currency: ISO 4217 code without a minor unit (metal, fund or test code), "
        "not a currency of payment"
    )
    return Case(data.encode(), 4, 0, 4, {reason: 4})


CASES: dict[str, Callable[[], Case]] = {
    f.__name__: f
    for f in (
        quoted_notes_holding_csv_lines,
        long_line_closing_the_quote,
        long_line_inside_the_quotes,
        long_line_opening_the_quote,
        unterminated_quote_in_the_last_column,
        timestamps_outside_years_1_to_9999,
        cr_only_line_ends,
        offsets_with_60_minutes_or_more,
        non_ascii_code_look_alikes,
        invalid_utf8_in_a_dropped_column,
        blank_lines_before_the_header,
        amount_with_leading_zeros,
        codes_without_a_minor_unit,
    )
}


def _check(summary: dict[str, Any], case: Case) -> None:
    assert summary["status"] == "SUCCEEDED", summary
    assert (summary["rows_read"], summary["rows_written"], summary["rows_quarantined"]) == (
        case.read,
        case.written,
        case.quarantined,
    )
    assert summary["duplicates"] == 0
    for reason, count in case.reasons.items():
        assert summary["reasons"].get(reason) == count, summary["reasons"]


@pytest.mark.parametrize("chunk_mb", [None, 1])
@pytest.mark.parametrize("name", CASES)
def test_the_cli_gives_the_right_outcome(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, chunk_mb: int | None
) -> None:
    case = CASES[name]()
    source = tmp_path / "day.csv"
    source.write_bytes(case.data)
    args = [str(source), "--out", str(tmp_path / "out")]
    assert cli(args + ([] if chunk_mb is None else ["--chunk-mb", str(chunk_mb)])) == 0
    summary = json.loads(capsys.readouterr().out)
    _check(summary, case)
    if name == quoted_notes_holding_csv_lines.__name__ and chunk_mb:
        assert summary["regrouped"] is True  # a guessed cut fell inside a note, and was caught


@pytest.fixture
def lambda_path(pipeline_aws: Resources, monkeypatch: pytest.MonkeyPatch) -> Resources:
    monkeypatch.setenv("CHUNK_BYTES", str(1 << 20))  # the minimum: cuts land inside the notes
    ingest.handler.settings.cache_clear()
    finalize.handler.settings.cache_clear()
    transform.handler.settings.cache_clear()
    return pipeline_aws


@pytest.mark.parametrize("name", CASES)
def test_the_lambda_path_gives_the_right_outcome(lambda_path: Resources, name: str) -> None:
    case = CASES[name]()
    summary = run_workflow(object_created(lambda_path, "raw/bank/2024/05/01/day.csv", case.data))
    _check(summary, case)
    if name == quoted_notes_holding_csv_lines.__name__:
        assert summary["regrouped"] is True and summary["chunks"] >= 2
    if name == unterminated_quote_in_the_last_column.__name__:
        assert summary["unterminated_quote"] is True

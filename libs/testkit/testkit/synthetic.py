"""Write transaction CSV files of any size that follow (or deliberately break) the contract.

Same seed, same bytes. Defects are injected at known rates and counted, so a test can check
that every row the pipeline reports is accounted for.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import random
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from rich.console import Console
from rich.progress import Progress

from pipeline_shared.contract import REQUIRED_COLUMNS

PROGRESS_STEP = 1 << 20  # characters between progress reports
CURRENCIES = [("USD", 2), ("EUR", 2), ("GBP", 2), ("JPY", 0), ("CAD", 2), ("KWD", 3), ("MXN", 2)]
COUNTRIES = ["US", "GB", "DE", "FR", "JP", "CA", "MX", "KW", "ES", "IT", "NL", "BR"]
CHANNELS = ["POS", "ECOM", "ATM", "MOTO", "RECURRING", "TRANSFER"]
MCCS = ["5411", "5812", "5999", "4111", "5541", "5732", "6011", "7011", "5311", "4814"]

DEFECTS = {
    "bad_amount": lambda r, row: row.update(amount="12.3.4"),
    "over_precise_amount": lambda r, row: row.update(amount="10.123", currency="USD"),
    "unknown_currency": lambda r, row: row.update(currency="ZZZ"),
    "bad_timestamp": lambda r, row: row.update(timestamp="2024-13-45T99:00:00Z"),
    "missing_offset": lambda r, row: row.update(timestamp="2024-05-01T10:00:00"),
    "bad_mcc": lambda r, row: row.update(mcc="12a"),
    "bad_country": lambda r, row: row.update(country="XX"),
    "empty_account": lambda r, row: row.update(account_id=""),
}


@dataclass
class GeneratedFile:
    """What was written: rows by kind, so tests can check the pipeline's accounting."""

    path: Path
    rows: int = 0
    valid: int = 0
    duplicates: int = 0
    defects: Counter[str] = field(default_factory=Counter)
    wrong_field_count: int = 0


def _row(r: random.Random, n: int, day: dt.date) -> dict[str, str]:
    currency, units = r.choice(CURRENCIES)
    cents = r.randint(-5_000, 500_000) if r.random() < 0.03 else r.randint(1, 500_000)
    amount = str(cents) if units == 0 else f"{cents / 10**units:.{units}f}"
    moment = dt.datetime.combine(day, dt.time(), dt.UTC) + dt.timedelta(seconds=r.randrange(86_400))
    offset = r.choice(["Z", "+00:00", "-05:00", "+01:00"])
    if offset != "Z":
        sign = 1 if offset[0] == "+" else -1
        moment = moment.astimezone(dt.timezone(sign * dt.timedelta(hours=int(offset[1:3]))))
    return {
        "transaction_id": f"tx-{day:%Y%m%d}-{n:010d}",
        "account_id": f"acct-{r.randrange(1_000_000):07d}",
        "timestamp": (
            moment.isoformat().replace("+00:00", "Z") if offset == "Z" else moment.isoformat()
        ),
        "amount": amount,
        "currency": currency,
        "merchant_id": f"m-{r.randrange(50_000):05d}",
        "mcc": r.choice(MCCS),
        "country": r.choice(COUNTRIES),
        "channel": r.choice(CHANNELS),
    }


def _quoted_note(r: random.Random, day: dt.date) -> str:
    """A quoted free-text field whose lines are rows of the same width (not real rows)."""
    fake = (",".join([*_row(r, 10**9 + i, day).values(), "x"]) for i in range(1500))
    return '"' + "\n".join(fake) + '"'


def write_transactions(
    out: IO[str],
    *,
    target_bytes: int,
    seed: int = 7,
    day: dt.date = dt.date(2024, 5, 1),
    defect_rate: float = 0.0,
    duplicate_rate: float = 0.0,
    wrong_field_rate: float = 0.0,
    columns: tuple[str, ...] = REQUIRED_COLUMNS,
    newline: str = "\n",
    quoted_note_rate: float = 0.0,
    on_write: Callable[[int], None] | None = None,
) -> GeneratedFile:
    """Write rows to ``out`` until about ``target_bytes`` characters. With
    ``quoted_note_rate``, a ``note`` column is added and that share of rows gets a quoted note
    of ~150 KB holding lines that look like rows: chunk cuts guessed inside one are wrong.
    ``on_write`` is told the characters written since it was last told, about every
    PROGRESS_STEP (a progress display), and once more at the end."""
    r = random.Random(seed)
    result = GeneratedFile(path=Path(getattr(out, "name", "-")))
    if quoted_note_rate:
        columns = (*columns, "note")
    out.write(",".join(columns) + newline)
    written, reported, previous_ids = 0, 0, list[str]()
    while written < target_bytes:
        row = _row(r, result.rows, day)
        kind = r.random()
        if kind < duplicate_rate and previous_ids:
            row["transaction_id"] = r.choice(previous_ids)
            result.duplicates += 1
        elif kind < duplicate_rate + defect_rate:
            defect = r.choice(sorted(DEFECTS))
            DEFECTS[defect](r, row)
            result.defects[defect] += 1
        elif kind < duplicate_rate + defect_rate + wrong_field_rate:
            row = {"transaction_id": row["transaction_id"], "account_id": row["account_id"]}
            result.wrong_field_count += 1
        else:
            result.valid += 1
            if len(previous_ids) < 10_000:
                previous_ids.append(row["transaction_id"])
        if quoted_note_rate and len(row) > 2:
            row["note"] = _quoted_note(r, day) if r.random() < quoted_note_rate else "ok"
        line = ",".join(row[c] for c in columns if c in row) + newline
        out.write(line)
        written += len(line)
        result.rows += 1
        if on_write is not None and written - reported >= PROGRESS_STEP:
            on_write(written - reported)
            reported = written
    if on_write is not None and written > reported:
        on_write(written - reported)
    return result


def generate_file(path: Path, **options: object) -> GeneratedFile:
    """Write a file; ``.gz`` paths are gzip-compressed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8", newline="") as out:
        result = write_transactions(out, **options)  # type: ignore[arg-type]
    result.path = path
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a synthetic transaction CSV file.")
    parser.add_argument("path", type=Path, help="output file (.csv or .csv.gz)")
    parser.add_argument("--size-mb", type=float, default=10.0, help="approximate size in MB")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--defect-rate", type=float, default=0.001)
    parser.add_argument("--duplicate-rate", type=float, default=0.001)
    args = parser.parse_args(argv)
    if args.size_mb <= 0 or not 0 <= args.defect_rate <= 1 or not 0 <= args.duplicate_rate <= 1:
        parser.error("--size-mb must be positive and rates between 0 and 1")
    target = int(args.size_mb * 1_000_000)
    # Progress on a terminal only: piped or redirected, stderr keeps the one-line summary.
    progress = Progress(
        console=Console(stderr=True), transient=True, disable=not sys.stderr.isatty()
    )
    with progress:
        task = progress.add_task(f"generate {args.path.name}", total=target)
        result = generate_file(
            args.path,
            target_bytes=target,
            seed=args.seed,
            defect_rate=args.defect_rate,
            duplicate_rate=args.duplicate_rate,
            on_write=lambda written: progress.advance(task, written),
        )
    print(
        f"{result.path}: {result.rows} rows ({result.valid} valid, {result.duplicates} duplicates, "
        f"{sum(result.defects.values())} defective)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Validate and transform a local transaction file the way the pipeline does; prints the run summary as JSON.

./pants run services/transform:cli -- <file.csv[.gz]> --out <dir> [--chunk-mb N]

With --chunk-mb the file is cut into chunks exactly as ingest cuts it in Lambda, each chunk is
transformed, the cuts are proven (the chain check, regrouping chunks whose cut fell inside a
quoted field) and duplicates across chunks are removed, as finalize does. Exit status: 0 the
file succeeded, 2 it was rejected whole, 1 it failed (nothing is left in --out for it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from pipeline_shared.contract import FileRejected
from transform.engine import Limits
from transform.local_run import run_file

_DEFAULTS = Limits()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="transform",
        description=__doc__.split("\n\n")[0],
        epilog="Docs: docs/data-contract.md (rules, outcomes, chunks and the chain check).",
    )
    parser.add_argument("file", type=Path, help="a transaction CSV file (.csv or .csv.gz)")
    parser.add_argument(
        "--out", type=Path, required=True, help="directory for processed/ and quarantine/ output"
    )
    parser.add_argument(
        "--source", default="local", help="source name used in output paths (default: local)"
    )
    parser.add_argument(
        "--chunk-mb",
        type=int,
        help="cut the file into chunks of about N MiB as ingest does (default: one chunk)",
    )
    parser.add_argument(
        "--block-mb",
        type=int,
        default=_DEFAULTS.block_size >> 20,
        help=f"CSV parse block size in MiB, 1-256 (default {_DEFAULTS.block_size >> 20})",
    )
    parser.add_argument(
        "--max-record-kb",
        type=int,
        default=_DEFAULTS.max_record_bytes >> 10,
        help="records longer than this many KiB are quarantined "
        f"(default {_DEFAULTS.max_record_bytes >> 10}); must be less than the block",
    )
    args = parser.parse_args(argv)

    if not args.file.is_file():
        parser.error(f"{args.file}: no such file")
    if not 1 <= args.block_mb <= 256:
        parser.error("--block-mb must be between 1 and 256")
    if args.chunk_mb is not None and args.chunk_mb < 1:
        parser.error("--chunk-mb must be at least 1")
    try:
        limits = Limits(block_size=args.block_mb << 20, max_record_bytes=args.max_record_kb << 10)
    except ValueError as error:
        parser.error(str(error))
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        parser.error(f"cannot create output directory {args.out}: {error.strerror}")

    # Progress on a terminal only: piped or redirected, stderr stays for errors.
    progress = Progress(
        console=Console(stderr=True), transient=True, disable=not sys.stderr.isatty()
    )
    try:
        with progress:
            task = progress.add_task(f"transform {args.file.name}", total=args.file.stat().st_size)
            summary = run_file(
                args.file,
                args.out,
                chunk_bytes=None if args.chunk_mb is None else args.chunk_mb << 20,
                limits=limits,
                source=args.source,
                on_read=lambda read: progress.advance(task, read),
            )
    except FileRejected as error:  # raised only where run_file cannot return it
        summary = {"status": "REJECTED", "reason": str(error)}
    except (OSError, EOFError) as error:
        print(f"transform: cannot read {args.file}: {error}", file=sys.stderr)
        return 1
    print(json.dumps({"file": str(args.file), **summary, "output_dir": str(args.out)}, indent=2))
    return {"SUCCEEDED": 0, "REJECTED": 2}.get(summary["status"], 1)


if __name__ == "__main__":
    raise SystemExit(main())

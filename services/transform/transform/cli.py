"""Validate and transform a local transaction file, for people: prints a JSON summary.

./pants run services/transform:cli -- <file.csv[.gz]> --out <dir>
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import uuid
from pathlib import Path
from typing import BinaryIO

from pipeline_shared.contract import FileRejected
from transform.engine import ChunkContext, Limits, transform_stream


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="transform", description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="a transaction CSV file (.csv or .csv.gz)")
    parser.add_argument(
        "--out", type=Path, required=True, help="directory for processed/ and quarantine/ output"
    )
    parser.add_argument(
        "--source", default="local", help="source name used in output paths (default: local)"
    )
    parser.add_argument(
        "--block-mb", type=int, default=16, help="CSV parse block size in MiB (default 16)"
    )
    args = parser.parse_args(argv)

    if not args.file.is_file():
        parser.error(f"{args.file}: no such file")
    if not 1 <= args.block_mb <= 256:
        parser.error("--block-mb must be between 1 and 256")
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        parser.error(f"cannot create output directory {args.out}: {error.strerror}")

    context = ChunkContext(
        source=args.source,
        ingest_id=str(uuid.uuid5(uuid.NAMESPACE_URL, args.file.resolve().as_uri())),
        chunk_index=0,
        source_object=str(args.file),
    )
    try:
        with _open(args.file) as stream:
            summary = transform_stream(
                stream,
                context=context,
                out_dir=args.out,
                limits=Limits(block_size=args.block_mb << 20),
            )
    except FileRejected as error:
        print(json.dumps({"file": str(args.file), "rejected": str(error)}, indent=2))
        return 2
    except (OSError, EOFError) as error:
        print(f"transform: cannot read {args.file}: {error}", file=sys.stderr)
        return 1
    print(
        json.dumps(
            {"file": str(args.file), **summary.to_dict(), "output_dir": str(args.out)}, indent=2
        )
    )
    return 0


def _open(path: Path) -> BinaryIO:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


if __name__ == "__main__":
    raise SystemExit(main())

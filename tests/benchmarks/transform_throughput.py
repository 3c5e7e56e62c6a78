"""Transform throughput and peak memory on a generated file, next to the raw pyarrow parse
(the issue's ceiling), parse + Parquet write with nothing checked (the floor of any engine
that writes this output) and a naive pure-Python baseline, all in one run.

    ./pants run tests/benchmarks:transform -- [--size-mb 1024] [--naive-mb 200] [--chunk-mb 256]

Each measurement runs in its own process, with pyarrow's threads off, so its peak RSS is its
own. All run on one core except "threads", the engine as the transform function runs it:
checking blocks on its two vCPUs (per-core figures come from "engine"). The naive baseline reads the first --naive-mb of the same file (same rules, same
outputs); its MB/s is comparable, its run just shorter.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import io
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pv
import pyarrow.parquet as pq
from testkit.synthetic import generate_file

from ingest.chunking import plan_chunks
from pipeline_shared.chain import ChunkEnd, check_chain
from pipeline_shared.contract import CHANNELS, COUNTRIES, CURRENCY_MINOR_UNITS, REQUIRED_COLUMNS
from transform.engine import ChunkContext, Limits, transform_stream
from transform.local_run import FileRange
from transform.outputs import DICTIONARY_COLUMNS, PARQUET_SCHEMA
from transform.record_guard import RecordGuard

# As the transform function runs (TRANSFORM_ALLOCATOR in infra/stacks/pipeline_stack.py, which
# this resolve cannot import): Arrow's allocator keeps freed memory for the next batch.
TRANSFORM_ALLOCATOR = {"MIMALLOC_PURGE_DELAY": "-1"}

ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
AMOUNT = re.compile(r"^[+-]?\d{1,18}(\.\d{1,18})?$")
TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|z|[+-]\d{2}:?\d{2})$"
)


def measure_raw(path: Path, limit: int) -> int:
    reader = pv.open_csv(
        path,
        read_options=pv.ReadOptions(use_threads=False, block_size=16 << 20),
        parse_options=pv.ParseOptions(invalid_row_handler=lambda row: "skip"),
        convert_options=pv.ConvertOptions(
            column_types=dict.fromkeys(REQUIRED_COLUMNS, pa.string())
        ),
    )
    return sum(batch.num_rows for batch in reader)


def measure_floor(path: Path, out: Path) -> int:
    """Parse as the engine does and write every row to Parquet as the engine's writer would
    (zstd, dictionary on the same columns, no statistics): no rule, no dedupe, no typing."""
    reader = pv.open_csv(
        path,
        read_options=pv.ReadOptions(use_threads=False, block_size=16 << 20),
        parse_options=pv.ParseOptions(
            newlines_in_values=True, invalid_row_handler=lambda row: "skip"
        ),
        convert_options=pv.ConvertOptions(
            column_types=dict.fromkeys(REQUIRED_COLUMNS, pa.binary()), check_utf8=False
        ),
    )
    out.mkdir(parents=True, exist_ok=True)
    rows = 0
    with pq.ParquetWriter(
        out / "floor.parquet",
        reader.schema,
        compression="zstd",
        use_dictionary=[c for c in REQUIRED_COLUMNS if c in DICTIONARY_COLUMNS],
        write_statistics=False,
    ) as writer:
        for batch in reader:
            writer.write_batch(batch)
            rows += batch.num_rows
    return rows


def measure_engine(path: Path, out: Path, chunk_mb: int, workers: int) -> int:
    """The whole file as chunks of about ``chunk_mb``, one after the other, as the Map runs
    them on separate Lambdas (ingest's planner picks the boundaries), checking ``workers``
    blocks at once. Prints each chunk's MB/s: the first runs on fresh memory, the later ones as
    in a warm Lambda container."""
    with path.open("rb") as handle:
        header = handle.readline()

        def window(start: int, end: int) -> bytes:
            handle.seek(start)
            return handle.read(end - start)

        ranges = plan_chunks(
            size=path.stat().st_size,
            data_start=len(header),
            chunk_bytes=chunk_mb << 20,
            field_count=len(REQUIRED_COLUMNS),
            read_window=window,
        )
        rows = 0
        for index, (start, end) in enumerate(ranges):
            context = ChunkContext(
                source="bench",
                ingest_id="bench",
                chunk_index=index,
                source_object=str(path),
                chunk_start=start,
            )
            stream = FileRange(handle, start, end)
            started = time.perf_counter()
            summary = transform_stream(
                stream,  # type: ignore[arg-type]
                context=context,
                out_dir=out,
                header_line=header if start else None,
                limits=Limits(workers=workers),
            )
            assert summary.balanced
            rows += summary.rows_read
            rate = (end - start) / 1e6 / (time.perf_counter() - started)
            print(json.dumps({"chunk": index, "mb_per_s": round(rate, 1)}))
    return rows


def measure_gzip(path: Path, out: Path) -> int:
    """The file gzip-compressed (level 1, made once), as one chunk: the engine writes it in
    parts, so peak memory follows the part size, not the file's."""
    packed = path.with_suffix(".csv.gz")
    if not packed.exists():
        with path.open("rb") as source, gzip.open(packed, "wb", compresslevel=1) as target:
            shutil.copyfileobj(source, target, 16 << 20)
    context = ChunkContext(
        source="bench", ingest_id="bench", chunk_index=0, source_object=str(packed)
    )
    with gzip.open(packed, "rb") as stream:
        summary = transform_stream(stream, context=context, out_dir=out)  # type: ignore[arg-type]
    assert summary.balanced
    return summary.rows_read


def measure_chain(path: Path, chunk_mb: int) -> int:
    """What proving the cuts costs a chunk: the record guard reading one chunk (its state
    machine as read and as if started inside quotes, the over-long and UTF-8 checks) against a
    plain read of the same bytes, and finalize's walk over 400 chunks (a 100 GiB file)."""
    size = min(path.stat().st_size, chunk_mb << 20)
    timings = {}
    for name, wrap in (
        ("plain read", lambda stream: stream),
        (
            "record guard",
            lambda stream: RecordGuard(
                stream, max_record_bytes=1 << 20, field_count=len(REQUIRED_COLUMNS)
            ),
        ),
    ):
        runs = []
        for _ in range(5):  # CPU seconds, the best of five (the first warms the page cache)
            with path.open("rb") as handle:
                stream = io.BytesIO(handle.read(size))
            reader = wrap(stream)
            started = time.process_time()
            while reader.read(16 << 20):
                pass
            runs.append(time.process_time() - started)
        timings[name] = min(runs)
    ends = [
        ChunkEnd(
            index=i,
            start=i * 100,
            end=(i + 1) * 100,
            end_state="record",
            end_state_if_quoted="quoted",
        )
        for i in range(400)
    ]
    started = time.perf_counter()
    for _ in range(100):
        assert check_chain(ends, 400 * 100).proven
    walk_ms = (time.perf_counter() - started) * 10
    extra = timings["record guard"] - timings["plain read"]
    print(
        json.dumps(
            {
                "chunk_mb": round(size / 1e6),
                "plain_read_s": round(timings["plain read"], 3),
                "guard_s": round(timings["record guard"], 3),
                "guard_extra_s_per_chunk": round(extra, 3),
                "finalize_walk_400_chunks_ms": round(walk_ms, 2),
            }
        )
    )
    return 0


def _naive_problems(row: dict[str, str]) -> list[str]:
    problems = [
        f"{c}: bad id"
        for c in ("transaction_id", "account_id", "merchant_id")
        if not ID.match(row[c].strip())
    ]
    stamp = row["timestamp"].strip()
    if not TIMESTAMP.match(stamp):
        problems.append("timestamp: not ISO 8601")
    else:
        try:
            dt.datetime.fromisoformat(stamp)
        except ValueError:
            problems.append("timestamp: not a real date")
    currency, amount = row["currency"].strip().upper(), row["amount"].strip()
    if currency not in CURRENCY_MINOR_UNITS:
        problems.append("currency")
    if not AMOUNT.match(amount):
        problems.append("amount")
    elif "." in amount and len(amount.split(".")[1]) > CURRENCY_MINOR_UNITS.get(currency, 4):
        problems.append("amount: decimals")
    if not re.fullmatch(r"\d{4}", row["mcc"].strip()):
        problems.append("mcc")
    if row["country"].strip().upper() not in COUNTRIES:
        problems.append("country")
    if row["channel"].strip().upper() not in CHANNELS:
        problems.append("channel")
    return problems


def measure_naive(path: Path, out: Path, limit: int) -> int:
    """The same validation and outputs, row by row with the csv module."""
    out.mkdir(parents=True, exist_ok=True)
    writer = pq.ParquetWriter(out / "naive.parquet", PARQUET_SCHEMA, compression="zstd")
    quarantine = (out / "naive.jsonl").open("w")
    seen: set[str] = set()
    rows, consumed, batch = 0, 0, []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        for line_number, fields in enumerate(reader, start=2):
            rows += 1
            consumed += sum(len(f) for f in fields) + len(fields)
            if len(fields) != len(header):
                quarantine.write(
                    json.dumps(
                        {
                            "line_number": line_number,
                            "raw_line": ",".join(fields),
                            "reasons": ["field count"],
                        }
                    )
                    + "\n"
                )
            else:
                row = dict(zip(header, fields, strict=True))
                problems = _naive_problems(row)
                if problems:
                    quarantine.write(
                        json.dumps(
                            {
                                "line_number": line_number,
                                "raw_line": ",".join(fields),
                                "reasons": problems,
                            }
                        )
                        + "\n"
                    )
                elif row["transaction_id"] not in seen:
                    seen.add(row["transaction_id"])
                    stamp = dt.datetime.fromisoformat(row["timestamp"].strip()).astimezone(dt.UTC)
                    try:
                        amount = Decimal(row["amount"].strip()).quantize(Decimal("0.0001"))
                    except InvalidOperation:
                        continue
                    batch.append(
                        {
                            "transaction_id": row["transaction_id"].strip(),
                            "account_id": row["account_id"].strip(),
                            "timestamp": stamp,
                            "amount": amount,
                            "currency": row["currency"].strip().upper(),
                            "merchant_id": row["merchant_id"].strip(),
                            "mcc": row["mcc"].strip(),
                            "country": row["country"].strip().upper(),
                            "channel": row["channel"].strip().upper(),
                            "transaction_date": stamp.date(),
                            "source_object": str(path),
                            "ingest_id": "naive",
                        }
                    )
                    if len(batch) == 100_000:
                        writer.write_table(pa.Table.from_pylist(batch, schema=PARQUET_SCHEMA))
                        batch = []
            if consumed >= limit:
                break
    if batch:
        writer.write_table(pa.Table.from_pylist(batch, schema=PARQUET_SCHEMA))
    writer.close()
    quarantine.close()
    return rows


def child(mode: str, path: Path, out: Path, limit: int, chunk_mb: int) -> None:
    pa.set_cpu_count(1)  # Arrow's own threads off: what runs in parallel is ours to say
    pa.set_io_thread_count(1)
    started = time.perf_counter()
    rows = {
        "raw": lambda: measure_raw(path, limit),
        "floor": lambda: measure_floor(path, out),
        "engine": lambda: measure_engine(path, out, chunk_mb, workers=1),
        "threads": lambda: measure_engine(path, out, chunk_mb, workers=Limits().workers),
        "naive": lambda: measure_naive(path, out, limit),
        "gzip": lambda: measure_gzip(path, out),
        "chain": lambda: measure_chain(path, chunk_mb),
    }[mode]()
    seconds = time.perf_counter() - started
    mb = min(limit, path.stat().st_size) / 1e6
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_mb = usage.ru_maxrss / 1024
    print(
        json.dumps(
            {
                "mode": mode,
                "rows": rows,
                "mb": round(mb, 1),
                "seconds": round(seconds, 2),
                "mb_per_s": round(mb / seconds, 1),
                "peak_rss_mb": round(peak_mb),
                "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--naive-mb", type=int, default=200)
    parser.add_argument(
        "--chunk-mb", type=int, default=256, help="engine chunk size, as the pipeline's chunk_mb"
    )
    parser.add_argument("--work", type=Path, default=Path("/tmp/pipeline-bench"))
    parser.add_argument(
        "--gzip", action="store_true", help="also the file as one .csv.gz chunk (memory by parts)"
    )
    parser.add_argument(
        "--child",
        choices=("raw", "floor", "engine", "threads", "naive", "gzip", "chain"),
        help=argparse.SUPPRESS,
    )
    args = parser.parse_args()
    path = args.work / f"transactions-{args.size_mb}mb.csv"
    if args.child:
        child(
            args.child,
            path,
            args.work / f"out-{args.child}",
            (args.naive_mb if args.child == "naive" else args.size_mb) * 1_000_000,
            args.chunk_mb,
        )
        return 0
    if not path.is_file():
        print(f"generating {path} ...", file=sys.stderr)
        generate_file(
            path,
            target_bytes=args.size_mb * 1_000_000,
            seed=42,
            defect_rate=0.002,
            duplicate_rate=0.001,
            wrong_field_rate=0.0005,
        )
    results, chunk_rates = {}, list[str]()
    modes = (
        "raw",
        "floor",
        "engine",
        "threads",
        "naive",
        "chain",
        *(("gzip",) if args.gzip else ()),
    )
    for mode in modes:
        command = [
            sys.executable,
            *sys.argv[:1],
            "--child",
            mode,
            "--size-mb",
            str(args.size_mb),
            "--naive-mb",
            str(args.naive_mb),
            "--chunk-mb",
            str(args.chunk_mb),
            "--work",
            str(args.work),
        ]
        # The child sees this process's import path (inside a PEX, sys.path is set at run time).
        env = {
            **os.environ,
            **TRANSFORM_ALLOCATOR,
            "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
        }
        output = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
        *chunks, summary = (json.loads(line) for line in output.strip().splitlines())
        results[mode] = summary
        if mode == "engine":
            chunk_rates += [str(c["mb_per_s"]) for c in chunks]
        if mode == "chain":
            chain = chunks[0]
    print(f"file: {path} ({path.stat().st_size / 1e6:.0f} MB)")
    print(
        f"{'measurement':<38}{'MB':>8}{'rows':>12}{'s':>8}{'MB/s':>8}{'CPU s':>8}{'peak RSS MB':>13}"
    )
    labels = {
        "raw": "pyarrow raw parse (ceiling)",
        "floor": "parse + Parquet, nothing checked",
        "engine": f"transform engine, {args.chunk_mb} MB chunks",
        "threads": f"engine, {Limits().workers} blocks at once (per function)",
        "naive": "naive csv-module baseline",
        "gzip": "engine, file as one .csv.gz chunk",
    }
    for mode, r in results.items():
        if mode == "chain":
            continue
        print(
            f"{labels[mode]:<38}{r['mb']:>8}{r['rows']:>12}{r['seconds']:>8}{r['mb_per_s']:>8}"
            f"{r['cpu_s']:>8}{r['peak_rss_mb']:>13}"
        )
    print(f"engine MB/s per chunk (one block at a time), in order: {', '.join(chunk_rates)}")
    engine, raw, floor, naive = (
        results[m]["mb_per_s"] for m in ("engine", "raw", "floor", "naive")
    )
    print(
        f"engine / raw parse: {engine / raw:.2f} (target >= 0.5); engine / naive: {engine / naive:.1f}x (target >= 5x); "
        f"engine / floor: {engine / floor:.2f}; floor / raw parse: {floor / raw:.2f}"
    )
    threads = results["threads"]["mb_per_s"]
    print(f"blocks checked at once / one at a time (wall time of a chunk): {threads / engine:.2f}x")
    print(
        f"chain check: the record guard adds {chain['guard_extra_s_per_chunk']} s to a "
        f"{chain['chunk_mb']} MB chunk (plain read {chain['plain_read_s']} s, guarded "
        f"{chain['guard_s']} s); finalize walks 400 chunks in "
        f"{chain['finalize_walk_400_chunks_ms']} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

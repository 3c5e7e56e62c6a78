"""Finalize's cross-chunk duplicate check on a file of many rows: time, peak memory and peak
local-disk spill, which bound the file sizes the finalize function can check.

    ./pants run tests/benchmarks:cross-chunk -- [--rows 20000000] [--chunks 8]

The chunk outputs (transaction_id and amount, 0.1 % of each chunk's ids repeating the chunk
before) are written once under --work and read from there, as finalize reads them from S3.
Memory and spill are sampled every 20 ms in this process.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from finalize.cross_chunk import remove_cross_chunk_duplicates


def write_outputs(work: Path, rows: int, chunks: int) -> list[dict[str, object]]:
    per_chunk, repeats = rows // chunks, max(1, rows // chunks // 1000)
    results = []
    for chunk in range(chunks):
        path = work / f"chunk-{chunk:05d}.parquet"
        if not path.exists():
            first = chunk * (per_chunk - repeats)  # its first ids repeat the last of the one before
            numbers = pc.add(
                pc.cumulative_sum(pc.fill_null(pa.nulls(per_chunk, pa.int64()), 1)), first - 1
            )
            ids = pc.binary_join_element_wise(
                "tx-20240501-", pc.utf8_lpad(numbers.cast(pa.string()), 10, "0"), ""
            )
            pq.write_table(
                pa.table({"transaction_id": ids, "amount": numbers}), path, compression="zstd"
            )
        results.append({"chunk_index": chunk, "outputs": [path.name], "rows_written": per_chunk})
    return results


class Sampler(threading.Thread):
    """Peak resident memory of this process and peak size of a directory tree."""

    def __init__(self, directory: Path) -> None:
        super().__init__(daemon=True)
        self.directory, self.stopped = directory, threading.Event()
        self.peak_rss = self.peak_disk = 0

    def run(self) -> None:
        while not self.stopped.wait(0.02):
            rss_pages = int(Path("/proc/self/statm").read_text().split()[1])
            self.peak_rss = max(self.peak_rss, rss_pages * 4096)
            disk = sum(f.stat().st_size for f in self.directory.rglob("*") if f.is_file())
            self.peak_disk = max(self.peak_disk, disk)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--chunks", type=int, default=8)
    parser.add_argument("--work", type=Path, default=Path("/tmp/pipeline-bench/cross-chunk"))
    args = parser.parse_args()
    work = args.work / f"{args.rows}-{args.chunks}"
    work.mkdir(parents=True, exist_ok=True)
    results = write_outputs(work, args.rows, args.chunks)
    scratch = work / "rewritten"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    spill = Path(tempfile.mkdtemp(dir=work))
    sampler = Sampler(spill)
    sampler.start()
    baseline = int(Path("/proc/self/statm").read_text().split()[1]) * 4096
    started = time.perf_counter()
    outcome = remove_cross_chunk_duplicates(
        results,
        open_output=lambda key: (work / key).open("rb"),
        write=lambda key, data: (scratch / key).write_bytes(data),
        max_rows=args.rows,
        spill_dir=spill,
    )
    seconds = time.perf_counter() - started
    sampler.stopped.set()
    sampler.join()
    spill.rmdir()
    rows = sum(int(r["rows_written"]) for r in results)  # type: ignore[call-overload]
    print(
        f"rows {rows:,} in {args.chunks} chunks: checked={outcome.checked}, removed {outcome.removed:,}"
    )
    print(f"seconds {seconds:.1f} ({rows / seconds / 1e6:.1f} M rows/s)")
    print(f"peak memory above the start {(sampler.peak_rss - baseline) / 1e6:.0f} MB")
    print(
        f"peak spill {sampler.peak_disk / 1e6:.0f} MB ({sampler.peak_disk / rows:.1f} bytes a row)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

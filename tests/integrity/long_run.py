"""The differential properties at length (profile "long"): at least 10,000 files in all.

    ./pants run tests/integrity:long-run -- --one-chunk 6000 --chunked 4000

Runs the one-chunk and the chunked property of test_differential.py (one process each), never
stopping at a disagreement: it prints how many files each property ran and every class of
disagreement found, with the smallest file of each class, to be turned into a named regression
test. Exits 1 when any was found.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("HYPOTHESIS_PROFILE", "long")

from hypothesis import given, settings  # noqa: E402

from tests.integrity import differential as diff  # noqa: E402


def _kind(d: diff.Diff) -> str:
    return d.text.split(":", 1)[0][:60]


def _run(path: str, examples: int, seed: int | None) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    smallest: dict[str, tuple[int, str, bytes, tuple[int, ...]]] = {}
    files = 0
    started = time.monotonic()

    def record(data: bytes, diffs: list[diff.Diff], params: tuple[int, ...]) -> None:
        nonlocal files
        files += 1
        for kind in {_kind(d) for d in diffs}:
            counts[kind] += 1
            first = next(str(d) for d in diffs if _kind(d) == kind)
            if kind not in smallest:
                print(f"{path}: new class after {files} files: {first[:300]}", flush=True)
            if kind not in smallest or len(data) < smallest[kind][0]:
                smallest[kind] = (len(data), first[:2000], data, params)
        if files % 500 == 0:
            rate = files / (time.monotonic() - started)
            disagreeing = sum(counts.values())
            print(f"{path}: {files} files ({rate:.1f}/s), {disagreeing} disagreeing", flush=True)

    if path == "one-chunk":

        @given(diff.one_chunk_cases())
        def prop(case: tuple[int, int, bytes]) -> None:
            m, b, data = case
            record(data, diff.check_one_chunk(data, m, b), (m, b))

    else:

        @given(diff.chunked_cases())
        def prop(case: tuple[int, int, int, bytes]) -> None:
            m, b, c, data = case
            record(data, diff.check_chunked(data, m, b, c), (m, b, c))

    configured = settings(settings.get_profile("long"), max_examples=examples)
    runner = configured(prop)
    if seed is not None:
        from hypothesis import seed as hypothesis_seed

        runner = hypothesis_seed(seed)(runner)
    runner()
    return {
        "path": path,
        "files": files,
        "seconds": round(time.monotonic() - started),
        "counts": dict(counts),
        "smallest": smallest,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one-chunk", type=int, default=6000, help="files for the one-chunk path")
    parser.add_argument("--chunked", type=int, default=4000, help="files for the chunked path")
    parser.add_argument("--seed", type=int, default=None, help="a Hypothesis seed (reproducible)")
    parser.add_argument(
        "--save", type=Path, default=None, help="write the smallest file of each class here"
    )
    args = parser.parse_args(argv)
    jobs = [("one-chunk", args.one_chunk), ("chunked", args.chunked)]
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_run, *zip(*jobs, strict=True), [args.seed] * len(jobs)))
    classes = 0
    total = 0
    for result in results:
        total += result["files"]
        print(f"\n== {result['path']}: {result['files']} files in {result.get('seconds', 0)} s")
        if not result["counts"]:
            print("   no disagreement")
        for kind, count in sorted(result["counts"].items(), key=lambda kv: -kv[1]):
            size, first, data, params = result["smallest"][kind]
            classes += 1
            print(f"   {count} file(s): {kind}")
            print(f"     smallest ({size} bytes, limits {params}): {first[:600]}")
            print(f"     bytes: {data!r}"[:4000])
            if args.save:
                args.save.mkdir(parents=True, exist_ok=True)
                name = f"{result['path']}-{len(result['counts'])}-{abs(hash(kind)) % 10**8}"
                target = args.save / f"{name}.csv"
                target.write_bytes(data)
                (args.save / f"{name}.txt").write_text(f"{kind}\nlimits {params}\n{first}\n")
                print(f"     saved: {target}")
    print(f"\n{total} files in all; {classes} class(es) of disagreement")
    return 1 if classes else 0


if __name__ == "__main__":
    sys.exit(main())

"""Synth time and peak memory of the whole process tree (Python and the jsii Node helper),
per environment, each in a fresh process.

    ./pants run tests/benchmarks:synth

Memory is sampled from /proc every 20 ms and summed over the process and its descendants.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from infra.naming import ENVIRONMENTS

CHILD = """
import sys, time
started = time.perf_counter()
import infra
from pathlib import Path
from infra.app import synthesize_environment
from infra.config import load_config
from infra.stacks.pipeline_stack import placeholder_packages
imported = time.perf_counter()
config = load_config(Path("envs") / sys.argv[1] / "config.toml")
out = Path(sys.argv[2])
synthesize_environment(config, packages=placeholder_packages(out / "packages"), outdir=out / "synth")
print(f"{imported - started:.2f} {time.perf_counter() - imported:.2f}")
"""


def tree_rss_mb(root: int) -> float:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            status = (entry / "status").read_text()
        except OSError:
            continue
        pid, ppid = int(entry.name), int(stat[1])
        children.setdefault(ppid, []).append(pid)
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[pid] = int(line.split()[1])
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        total += rss.get(pid, 0)
        pending += children.get(pid, [])
    return total / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "environments", nargs="*", default=list(ENVIRONMENTS), help="default: every environment"
    )
    args = parser.parse_args(argv)
    print(f"{'environment':<12}{'import s':>10}{'synth s':>10}{'wall s':>9}{'peak tree MB':>14}")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    for name in args.environments:
        with tempfile.TemporaryDirectory() as work:
            started = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "-c", CHILD, name, work],
                stdout=subprocess.PIPE,
                text=True,
                env=env,
            )
            peak = 0.0
            while process.poll() is None:
                peak = max(peak, tree_rss_mb(process.pid))
                time.sleep(0.02)  # sampling interval
            wall = time.perf_counter() - started
            output = process.stdout.read().split() if process.stdout else []
            if process.returncode != 0 or len(output) != 2:
                print(f"{name}: synth failed (exit {process.returncode})", file=sys.stderr)
                return 1
            print(f"{name:<12}{output[0]:>10}{output[1]:>10}{wall:>9.1f}{peak:>14.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

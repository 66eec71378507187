"""The cost of building the demo workspace: ``ensure_demo(deals=100000)`` must stay under a minute.

    .venv/bin/python bench/bench_demo.py [--deals 100000] [--runs 1]

Each run builds a fresh demo (users, deals, nine months of events) in a temporary folder and
reports its seconds (wall and this process's CPU: on a shared machine the CPU time is what does
not drift with the load), the peak RSS, the deals and events written, and the store's size on disk.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

from goldsieve.demo.builder import ensure_demo
from goldsieve.runtime import open_runtime
from goldsieve.workspace import Workspace

LIMIT = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    samples, cpu = [], []
    with tempfile.TemporaryDirectory(prefix="goldsieve-bench-demo-") as tmp:
        for run in range(args.runs):
            folder = Path(tmp) / f"demo-{run}"
            start, start_cpu = time.perf_counter(), time.process_time()
            ensure_demo(folder, deals=args.deals)
            samples.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        size = sum(p.stat().st_size for p in (folder / "data").iterdir())
        start = time.perf_counter()
        with open_runtime(Workspace.load(folder), entry_points=False) as runtime:
            opened = time.perf_counter() - start
            deals, events = runtime.store.count("deals"), runtime.store.count("events")
    median = statistics.median(samples)
    print(f"ensure_demo(deals={args.deals}) on {os.cpu_count()} CPUs: median {median:.2f} s "
          f"(runs: {', '.join(f'{s:.2f}' for s in samples)}; limit {LIMIT:.0f} s); CPU median "
          f"{statistics.median(cpu):.2f} s; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print(f"wrote {deals} deals and {events} events, {size / 1e6:.0f} MB on disk; "
          f"reopening the workspace takes {opened:.2f} s")
    if median > LIMIT:
        raise SystemExit(f"too slow: {median:.1f} s > {LIMIT:.0f} s")


if __name__ == "__main__":
    main()

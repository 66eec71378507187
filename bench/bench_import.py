"""The cost of importing 100k CSV rows: checking every row (dry run) and checking + writing.

    .venv/bin/python bench/bench_import.py [--rows 100000] [--runs 3]

Each run gets a fresh workspace on the embedded store with the software template; the CSV has
the columns a real export from another CRM would carry (title, owner, company, contact, email,
source, industry, amount), some rows owned by a rep. Prints the median seconds per phase.
"""
from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from goldsieve.deals.importing import import_csv
from goldsieve.people.users import add_user
from goldsieve.plugin_manager import make_plugin_manager, templates
from goldsieve.runtime import open_runtime
from goldsieve.workspace import init_workspace

SOURCES = ("website", "referral", "event", "cold_call", "partner", "other")


def write_rows(path: Path, rows: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["title", "owner", "company", "contact", "email", "source", "industry", "amount"])
        for n in range(rows):
            out.writerow([f"Deal {n}", "rita" if n % 3 == 0 else "", f"Company {n} Ltd.",
                          f"Contact {n}", f"buyer{n}@company{n}.cn", rng.choice(SOURCES),
                          "logistics", f"{rng.randint(5, 2000) * 1000}"])


def one_run(folder: Path, csv_path: Path, dry_run: bool) -> tuple[float, float, int]:
    workspace = init_workspace(folder, templates(make_plugin_manager())["software"])
    with open_runtime(workspace, entry_points=False) as runtime:
        add_user(runtime.store, "admin", "admin", "measured-gold-nuggets")
        add_user(runtime.store, "rita", "rep", "measured-gold-nuggets")
        start, start_cpu = time.perf_counter(), time.process_time()
        result = import_csv(runtime, csv_path, "software", {}, dry_run=dry_run)
        seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    if result.problems:
        sys.exit(f"unexpected problems: {result.problems[:3]}")
    return seconds, cpu, result.count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="goldsieve-bench-import-") as tmp:
        csv_path = Path(tmp) / "deals.csv"
        write_rows(csv_path, args.rows)
        print(f"{args.rows} rows, {csv_path.stat().st_size / 1e6:.1f} MB CSV, {args.runs} runs, "
              f"{os.cpu_count()} CPUs")
        for label, dry_run in (("dry run (check only)", True), ("import (check + write)", False)):
            samples, cpu = [], []
            for run in range(args.runs):
                seconds, used, count = one_run(Path(tmp) / f"ws-{label[:3]}-{run}", csv_path, dry_run)
                assert count == args.rows
                samples.append(seconds)
                cpu.append(used)
            median = statistics.median(samples)
            print(f"{label:<24} median {median:6.2f} s  ({args.rows / median:,.0f} rows/s; "
                  f"runs: {', '.join(f'{s:.2f}' for s in samples)}); CPU median {statistics.median(cpu):.2f} s")


if __name__ == "__main__":
    main()

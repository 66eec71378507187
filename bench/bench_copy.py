"""Moving a 30,000-deal demo workspace to PostgreSQL: how long the copy takes, what it copied,
and whether every analytics answer is the same afterwards (issue 8, "Done when").

    GOLDSIEVE_TEST_POSTGRES=postgresql://… .venv/bin/python bench/bench_copy.py [--deals 30000]
        [--rounds 3] [--folder /tmp/goldsieve-bench-copy]

The demo is built once under ``--folder`` and kept; each run works on a fresh copy of its
folder, so the questions' own writes (tokens, sessions) never pile up in it. ``--rounds``
copies (``copy_store``, in this process) into scratch schemas give the median copy time, per
table the time to insert its rows, and the rest: the verification that reads every table back,
the commit and ``ANALYZE``. Then
``goldsieve store copy`` itself (a subprocess, as an operator runs it) copies once more, the
workspace is pointed at that schema, and every analytics question of
:mod:`goldsieve.testing.analytics` (admin, manager, rep) is asked again and compared with the
answers on the embedded store. Prints "identical" or the first difference, and exits 1 on one.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from goldsieve.demo.builder import ensure_demo
from goldsieve.store import TABLES, TinyStore
from goldsieve.store.copy import TableCopy, copy_store
from goldsieve.store.postgres.store import PostgresStore
from goldsieve.testing.analytics import analytics_answers, demo_askers, first_difference
from goldsieve.testing.postgres import scratch_schema
from goldsieve.workspace import Workspace, set_store_url

EXE = shutil.which("goldsieve", path=str(Path(sys.executable).parent))


class TableClock:
    """Turns the copy's per-row progress into the time at which each table's last row went in
    (``copy_store`` copies the tables in :data:`TABLES` order, then verifies them all)."""

    def __init__(self, counts: dict[str, int]):
        self.ends: list[tuple[str, int]] = []
        done = 0
        for table in TABLES:
            done += counts[table]
            self.ends.append((table, done))
        self.rows = 0
        self.times: dict[str, float] = {}
        self.started = time.perf_counter()

    def __call__(self, rows: int) -> None:
        self.rows += rows
        while self.ends and self.rows >= self.ends[0][1]:
            self.times[self.ends.pop(0)[0]] = time.perf_counter()

    def per_table(self) -> dict[str, float]:
        """Seconds spent inserting each table (empty tables take none)."""
        spent, last = {}, self.started
        for table in TABLES:
            end = self.times.get(table, last)
            spent[table], last = end - last, end
        return spent


def copy_round(source: TinyStore, postgres: str, counts: dict[str, int]) -> tuple[float, dict, list[TableCopy]]:
    with scratch_schema(postgres) as target, PostgresStore(target) as store:
        clock = TableClock({t: counts[t] for t in TABLES})
        copied = copy_store(source, store, progress=clock)
        total = time.perf_counter() - clock.started
    inserted = clock.per_table()
    return total, {**inserted, "rest": total - sum(inserted.values())}, copied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("GOLDSIEVE_TEST_POSTGRES"))
    parser.add_argument("--deals", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/goldsieve-bench-copy"))
    args = parser.parse_args()
    if not args.postgres:
        sys.exit("name a PostgreSQL server: --postgres postgresql://user@host/db")
    demo = args.folder / f"demo-{args.deals}"
    if ensure_demo(demo, deals=args.deals):
        print(f"built the demo workspace {demo}")
    print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}, {args.deals} deals, "
          f"{args.rounds} rounds")

    with tempfile.TemporaryDirectory(dir=args.folder) as tmp:
        work = Path(tmp) / "ws"
        shutil.copytree(demo, work, ignore=shutil.ignore_patterns("lock"))
        now = datetime.now(UTC).replace(microsecond=0)
        started = time.perf_counter()
        before = analytics_answers(work, demo_askers(), now)
        asked_embedded = time.perf_counter() - started

        with TinyStore(work / "data") as source:
            counts = {t: source.count(t) for t in TABLES}
            rounds = [copy_round(source, args.postgres, counts) for _ in range(args.rounds)]
        copied = {c.table: c for c in rounds[-1][2]}
        print(f"\n{'table':<16} {'rows':>9} {'insert s':>9}  sha256 (the same in every round: "
              f"{all(r[2] == rounds[0][2] for r in rounds)})")
        for table in TABLES:
            spent = statistics.median(r[1][table] for r in rounds)
            print(f"{table:<16} {copied[table].rows:>9} {spent:>9.2f}  {copied[table].checksum}")
        print(f"{'verify, analyze':<16} {'':>9} {statistics.median(r[1]['rest'] for r in rounds):>9.2f}")
        times = sorted(r[0] for r in rounds)
        print(f"copy_store: median {statistics.median(times):.1f} s of {', '.join(f'{t:.1f}' for t in times)}; "
              f"{sum(counts.values()) / statistics.median(times):,.0f} rows/s")

        with scratch_schema(args.postgres) as target:
            started = time.perf_counter()
            result = subprocess.run([EXE, "store", "copy", "-w", str(work), "--to", target],
                                    capture_output=True, text=True)
            command_s = time.perf_counter() - started
            if result.returncode != 0:
                sys.exit(f"goldsieve store copy failed: {result.stdout}{result.stderr}")
            print(f"goldsieve store copy (the command, start-up included): {command_s:.1f} s")
            set_store_url(Workspace.load(work), target)
            started = time.perf_counter()
            after = analytics_answers(work, demo_askers(), now)
            asked_postgres = time.perf_counter() - started

    print(f"\n{len(before)} answers (admin, manager, rep; API, CSV tables, exports) at {now.isoformat()}: "
          f"{asked_embedded:.1f} s on the embedded store, {asked_postgres:.1f} s on PostgreSQL")
    difference = first_difference(before, after)
    if difference:
        print(f"analytics after the copy: DIFFERENT, first at {difference}")
        sys.exit(1)
    print("analytics after the copy: identical")


if __name__ == "__main__":
    main()

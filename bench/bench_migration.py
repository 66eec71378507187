"""What applying a new funnel version costs: planning and migrating N in-flight deals, beside
N single moves measured in the same run, and the per-request check for versions applied
elsewhere beside one deal read.

    .venv/bin/python bench/bench_migration.py [--sizes 1000,10000,50000] [--moves 200]

Each size gets a fresh workspace on the embedded store with N open deals in the first stage;
version 4 renames that stage (``lead`` → ``prospect``), so ``apply`` rewrites every deal and
appends a ``migrated`` event for each, in one transaction (one fsync'd journal record).
"""
from __future__ import annotations

import argparse
import copy
import statistics
import tempfile
import time
from pathlib import Path

from bench_move import DATA, FUNNEL, fill

from goldsieve.funnels import migration
from goldsieve.people.users import add_user
from goldsieve.runtime import open_runtime
from goldsieve.workspace import init_workspace


def next_version() -> dict:
    new = copy.deepcopy(FUNNEL)
    new["version"] = FUNNEL["version"] + 1
    new["stages"][0]["id"] = "prospect"
    new["migration"] = {"from_version": FUNNEL["version"], "map": {"lead": "prospect"}}
    return new


def measure(size: int, moves: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        workspace = init_workspace(Path(folder) / "ws", FUNNEL)
        with open_runtime(workspace, entry_points=False) as runtime:
            user = add_user(runtime.store, "admin", "admin", "correct-horse-battery")
            ids = fill(runtime, user, size + moves)
            move_times = []
            for deal_id in ids[size:]:  # the extra deals: moved once each, then closed
                start = time.perf_counter()
                runtime.engine.move(user, deal_id, "qualified", changes={"needs_survey": DATA["needs_survey"]})
                move_times.append(time.perf_counter() - start)
                runtime.engine.lose(user, deal_id, "price")
            get_times, refresh_times = [], []
            for deal_id in ids[:moves]:
                start = time.perf_counter()
                runtime.engine.get(user, deal_id)
                get_times.append(time.perf_counter() - start)
                start = time.perf_counter()
                runtime.refresh_funnels()
                refresh_times.append(time.perf_counter() - start)
            definition = next_version()
            start = time.perf_counter()
            plan = migration.plan(runtime, definition)
            plan_s = time.perf_counter() - start
            start = time.perf_counter()
            applied = migration.apply(runtime, definition, "admin")
            apply_s = time.perf_counter() - start
            assert plan.in_flight == applied.in_flight == size, (plan.in_flight, size)
    return {"plan": plan_s, "apply": apply_s, "move": statistics.median(move_times),
            "get": statistics.median(get_times), "refresh": statistics.median(refresh_times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--moves", type=int, default=200)
    args = parser.parse_args()
    print("| in-flight deals | plan | apply | apply per deal | one move | per deal / move "
          "| refresh check | deal get |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        r = measure(size, args.moves)
        per_deal = r["apply"] / size
        print(f"| {size:,} | {r['plan'] * 1e3:,.0f} ms | {r['apply'] * 1e3:,.0f} ms "
              f"| {per_deal * 1e6:,.0f} µs | {r['move'] * 1e6:,.0f} µs | {per_deal / r['move']:.2f} "
              f"| {r['refresh'] * 1e6:,.1f} µs | {r['get'] * 1e6:,.1f} µs |", flush=True)


if __name__ == "__main__":
    main()

"""Logging a done activity against moving a deal, in the engine, on the embedded store.

    .venv/bin/python bench/bench_activities.py [--deals 1000] [--ops 300]

The issue's bar: logging an activity costs no more than a move. Both are durable writes of the
deal (an event, the deal's new version, an audit row; the activity adds its own row), so both
are measured in the same run, interleaved one for one on the same deals, and reported as
medians and their ratio.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from goldsieve.clock import stamp
from goldsieve.people.users import add_user
from goldsieve.runtime import open_runtime
from goldsieve.workspace import init_workspace

sys.path.insert(0, str(Path(__file__).parent))
from bench_move import DATA, FUNNEL, fill  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=1000)
    parser.add_argument("--ops", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        runtime = open_runtime(init_workspace(Path(folder) / "ws", FUNNEL), entry_points=False)
        user = add_user(runtime.store, "rita", "rep", "bench-password-1234")
        ids = fill(runtime, user, args.deals)
        moves, logs = [], []
        stages = ("qualified", "lead")
        for n in range(args.ops):
            deal_id = ids[n % len(ids)]
            start = time.perf_counter()
            runtime.engine.move(user, deal_id, stages[(n // len(ids)) % 2], DATA)
            moves.append(time.perf_counter() - start)
            start = time.perf_counter()
            runtime.activities.create(user, "call", deal_id=deal_id, done_at=stamp(runtime.engine.clock()),
                                      outcome="Called about the quote")
            logs.append(time.perf_counter() - start)
        runtime.close()
    move, log = statistics.median(moves) * 1e3, statistics.median(logs) * 1e3
    print(f"cores: {os.cpu_count()}, deals: {args.deals}, ops: {args.ops}")
    print(f"move p50 {move:.2f} ms, log a done activity p50 {log:.2f} ms, activity/move {log / move:.2f}")


if __name__ == "__main__":
    main()

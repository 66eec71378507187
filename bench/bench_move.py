"""The cost of a durable move and of a read, at 1k, 10k and 100k deals, in the engine and
through HTTP, beside this machine's append+fsync floor measured in the same run.

    .venv/bin/python bench/bench_move.py [--sizes 1000,10000,100000] [--ops 300]

Each size gets a fresh workspace on the embedded store, filled in bulk; then the same deals are
moved back and forth between two stages (every move is one fsync'd journal record).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import waitress

from goldsieve.people.users import add_user, issue_token
from goldsieve.runtime import open_runtime
from goldsieve.web.app import create_app
from goldsieve.workspace import init_workspace

FUNNEL = json.loads((Path(__file__).parents[1] / "tests" / "funnels" / "design_example.json").read_text())
DATA = {"company": "Acme Logistics", "amount": 125000, "needs_survey": "two warehouses, 40 seats"}


def median_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


class FsyncFloor:
    """Appending one record of ``size`` bytes to a file and fsyncing it: the disk's own cost.

    Sampled between the measured moves, so both see the same disk: on a shared machine the
    fsync time drifts by an order of magnitude within a minute.
    """

    def __init__(self, folder: Path, size: int):
        self.record = b"x" * (size - 1) + b"\n"
        self.handle = open(folder / "floor.bin", "ab")
        self.samples: list[float] = []

    def sample(self) -> None:
        start = time.perf_counter()
        self.handle.write(self.record)
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.samples.append(time.perf_counter() - start)

    def close(self) -> None:
        self.handle.close()


def fill(runtime, user: dict, count: int) -> list[int]:
    """Insert ``count`` deals with their created events, in large transactions."""
    template = runtime.engine.prepare(user, "handmade", "Acme ERP", DATA)
    ids: list[int] = []
    batch = 5000
    for start in range(0, count, batch):
        deals = [dict(template, title=f"Deal {n}", data=dict(DATA)) for n in range(start, min(count, start + batch))]
        runtime.engine.insert_new(user, deals)
        ids += [d["id"] for d in deals]
    return ids


def serve_until_closed(server) -> None:
    try:
        server.run()
    except OSError:  # closing the listening socket ends the loop
        pass


def timed(fn, ops: int) -> list[float]:
    samples = []
    for i in range(ops):
        start = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - start)
    return samples


def measure(size: int, ops: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        workspace = init_workspace(Path(tmp) / "ws", FUNNEL)
        runtime = open_runtime(workspace, entry_points=False)
        user = add_user(runtime.store, "bench", "admin", "measured-gold-nuggets")
        ids = fill(runtime, user, size)
        rng = random.Random(size)
        picked = rng.sample(ids, min(ops, len(ids)))
        engine = runtime.engine

        sample = engine.get(user, picked[0])
        floor = FsyncFloor(Path(tmp), len(json.dumps(sample)) * 2 + 64)  # the deal and an event

        def move(i: int) -> None:
            deal_id = picked[i % len(picked)]
            stage = engine.get(user, deal_id)["stage"]
            engine.move(user, deal_id, "lead" if stage == "qualified" else "qualified")

        moves = []
        for i in range(ops):
            moves += timed(lambda _: move(i), 1)
            floor.sample()
        floor.close()
        result = {"size": size}
        result["engine_move_us"] = median_us(moves)
        result["fsync_floor_us"] = median_us(floor.samples)
        result["engine_get_us"] = median_us(timed(lambda i: engine.get(user, picked[i % len(picked)]), ops))

        token = issue_token(runtime.store, "bench")
        server = waitress.create_server(create_app(runtime=runtime), host="127.0.0.1", port=0, threads=4)
        thread = threading.Thread(target=serve_until_closed, args=(server,), daemon=True)
        thread.start()
        conn = http.client.HTTPConnection("127.0.0.1", server.effective_port)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        def http_move(i: int) -> None:
            deal_id = picked[i % len(picked)]
            stage = engine.get(user, deal_id)["stage"]
            body = json.dumps({"to": "lead" if stage == "qualified" else "qualified"})
            conn.request("POST", f"/api/v1/deals/{deal_id}/move", body, headers)
            response = conn.getresponse()
            response.read()
            assert response.status == 200, response.status

        def http_get(i: int) -> None:
            conn.request("GET", f"/api/v1/deals/{picked[i % len(picked)]}", headers=headers)
            response = conn.getresponse()
            response.read()
            assert response.status == 200

        result["http_move_us"] = median_us(timed(http_move, ops))
        result["http_get_us"] = median_us(timed(http_get, ops))
        conn.close()
        server.task_dispatcher.shutdown(timeout=5)
        server.close()
        runtime.close()
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--ops", type=int, default=300)
    args = parser.parse_args()
    rows = [measure(int(size), args.ops) for size in args.sizes.split(",")]
    print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}, ops per cell: {args.ops} (medians, µs)")
    print(f"{'deals':>8} {'engine move':>12} {'fsync floor':>12} {'move/floor':>11} "
          f"{'engine get':>11} {'http move':>10} {'http get':>9}")
    for r in rows:
        print(f"{r['size']:>8} {r['engine_move_us']:>12.0f} {r['fsync_floor_us']:>12.0f} "
              f"{r['engine_move_us'] / r['fsync_floor_us']:>11.2f} {r['engine_get_us']:>11.1f} "
              f"{r['http_move_us']:>10.0f} {r['http_get_us']:>9.0f}")
    base = rows[0]
    for r in rows[1:]:
        print(f"move at {r['size']} / at {base['size']}: engine {r['engine_move_us'] / base['engine_move_us']:.2f}x, "
              f"http {r['http_move_us'] / base['http_move_us']:.2f}x")


if __name__ == "__main__":
    main()

"""The cost of a durable move and of a read, at 1k, 10k and 100k deals, in the engine and
through HTTP, beside the floor of a durable write measured in the same run (an append+fsync of a
file; on PostgreSQL, an INSERT and COMMIT of one row).

    .venv/bin/python bench/bench_move.py [--sizes 1000,10000,100000] [--ops 300]
        [--store postgresql://postgres@127.0.0.1:5432/test]

Each size gets a fresh workspace on the embedded store, filled in bulk; then the same deals are
moved back and forth between two stages (every move is one fsync'd journal record). With
``--store``, every size is measured on the embedded store and on a scratch schema of that
PostgreSQL server, size by size, and the PostgreSQL rows also count the SQL statements (and
transactions, each a BEGIN and a COMMIT more) that one HTTP move sends; their floor is the
server's: one row of the same size inserted and committed.
"""
from __future__ import annotations

import argparse
import contextlib
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
from sqlalchemy import event

from goldsieve.people.users import add_user, issue_token
from goldsieve.runtime import open_runtime
from goldsieve.web.app import create_app
from goldsieve.testing.postgres import scratch_schema
from goldsieve.workspace import init_workspace, set_store_url

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


class CommitFloor:
    """Inserting one row of ``size`` bytes into a table of the PostgreSQL store's schema and
    committing it: what the server's durable commit costs (its WAL flush) whatever the client
    does, sampled between the measured moves as :class:`FsyncFloor` is."""

    def __init__(self, url: str, size: int):
        import psycopg

        self.conn = psycopg.connect(url)  # the store's URL: its search path is the scratch schema
        self.conn.execute("CREATE TABLE goldsieve_bench_floor (doc text)")
        self.conn.commit()
        self.record = "x" * size
        self.samples: list[float] = []

    def sample(self) -> None:
        start = time.perf_counter()
        self.conn.execute("INSERT INTO goldsieve_bench_floor VALUES (%s)", (self.record,))
        self.conn.commit()
        self.samples.append(time.perf_counter() - start)

    def close(self) -> None:
        self.conn.close()


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


class Statements:
    """The SQL statements and transactions one HTTP move sends (PostgreSQL only)."""

    def __init__(self, runtime):
        self.statements = self.transactions = 0
        self.per_move: list[tuple[int, int]] = []
        engine = getattr(runtime.store, "_engine", None)
        self.active = engine is not None
        if self.active:
            event.listen(engine, "before_cursor_execute", self._statement)
            event.listen(engine, "commit", self._commit)  # a read rolls its autobegun transaction back

    def _statement(self, *args) -> None:
        self.statements += 1

    def _commit(self, *args) -> None:
        self.transactions += 1

    def start(self) -> None:
        self.statements = self.transactions = 0

    def stop(self) -> None:
        self.per_move.append((self.statements, self.transactions))


def measure(size: int, ops: int, postgres: str | None = None) -> dict[str, float]:
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp, contextlib.ExitStack() as stack:
        workspace = init_workspace(Path(tmp) / "ws", FUNNEL)
        if postgres:
            workspace = set_store_url(workspace, stack.enter_context(scratch_schema(postgres)))
        runtime = open_runtime(workspace, entry_points=False)
        user = add_user(runtime.store, "bench", "admin", "measured-gold-nuggets")
        ids = fill(runtime, user, size)
        rng = random.Random(size)
        picked = rng.sample(ids, min(ops, len(ids)))
        engine = runtime.engine

        sample = engine.get(user, picked[0])
        size_of_write = len(json.dumps(sample)) * 2 + 64  # the deal and an event
        floor = CommitFloor(workspace.store_url, size_of_write) if postgres else FsyncFloor(Path(tmp), size_of_write)

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

        stages = {deal_id: engine.get(user, deal_id)["stage"] for deal_id in picked}
        counted = Statements(runtime)

        def http_move(i: int) -> None:
            deal_id = picked[i % len(picked)]
            stages[deal_id] = "lead" if stages[deal_id] == "qualified" else "qualified"
            counted.start()
            conn.request("POST", f"/api/v1/deals/{deal_id}/move", json.dumps({"to": stages[deal_id]}), headers)
            response = conn.getresponse()
            response.read()
            counted.stop()
            assert response.status == 200, response.status

        def http_get(i: int) -> None:
            conn.request("GET", f"/api/v1/deals/{picked[i % len(picked)]}", headers=headers)
            response = conn.getresponse()
            response.read()
            assert response.status == 200

        result["http_move_us"] = median_us(timed(http_move, ops))
        if counted.active:
            result["statements"], result["transactions"] = statistics.median_low(counted.per_move)
        result["store"] = "postgresql" if postgres else "embedded"
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
    parser.add_argument("--store", help="also measure on a scratch schema of this PostgreSQL server")
    args = parser.parse_args()
    rows = []
    for size in args.sizes.split(","):
        rows.append(measure(int(size), args.ops))
        if args.store:
            rows.append(measure(int(size), args.ops, args.store))
    print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}, ops per cell: {args.ops} (medians, µs)")
    print(f"{'store':>10} {'deals':>8} {'engine move':>12} {'floor':>12} {'move/floor':>11} "
          f"{'engine get':>11} {'http move':>10} {'http get':>9} {'SQL/move':>9}")
    for r in rows:
        sql = f"{r['statements']} + {r['transactions']} txn" if "statements" in r else ""
        print(f"{r['store']:>10} {r['size']:>8} {r['engine_move_us']:>12.0f} {r['fsync_floor_us']:>12.0f} "
              f"{r['engine_move_us'] / r['fsync_floor_us']:>11.2f} {r['engine_get_us']:>11.1f} "
              f"{r['http_move_us']:>10.0f} {r['http_get_us']:>9.0f} {sql:>9}")
    for store in ("embedded", "postgresql"):
        mine = [r for r in rows if r["store"] == store]
        for r in mine[1:]:
            print(f"{store}: move at {r['size']} / at {mine[0]['size']}: engine "
                  f"{r['engine_move_us'] / mine[0]['engine_move_us']:.2f}x, "
                  f"http {r['http_move_us'] / mine[0]['http_move_us']:.2f}x")
    for pg in (r for r in rows if r["store"] == "postgresql"):
        embedded = next(r for r in rows if r["store"] == "embedded" and r["size"] == pg["size"])
        print(f"at {pg['size']}: http move PostgreSQL / embedded {pg['http_move_us'] / embedded['http_move_us']:.2f}x")


if __name__ == "__main__":
    main()

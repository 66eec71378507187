"""Outbox deliveries per second with 1 and 2 `goldsieve worker` processes on PostgreSQL.

    .venv/bin/python bench/bench_workers.py [--postgres URL] [--rows 1000] [--rounds 3]

``--postgres`` (default: $GOLDSIEVE_TEST_POSTGRES) names a server; each round runs in a schema
of its own, dropped afterwards. A round starts the workers, waits until each says it runs,
writes ``--rows`` webhook deliveries in one transaction and times until all are done. The
receiver is an HTTP server in this process on 127.0.0.1 that answers 200 at once, so the
numbers are the workers' own cost: claim, the HTTP request, recording the outcome.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

from bench_board import FUNNEL, PASSWORD

from goldsieve.clock import stamp
from goldsieve.deals.outbox import DONE, new_row
from goldsieve.people.users import add_user
from goldsieve.runtime import Runtime, open_runtime
from goldsieve.store.filters import Eq
from goldsieve.testing.postgres import scratch_schema
from goldsieve.workspace import init_workspace, set_store_url

EXE = shutil.which("goldsieve", path=str(Path(sys.executable).parent))


class Accept(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def receiving() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Accept)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()


@contextmanager
def workspace(postgres: str, hook: str) -> Iterator[tuple[Path, Runtime]]:
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp, scratch_schema(postgres) as url:
        ws = init_workspace(Path(tmp) / "ws", FUNNEL)
        with (ws.path / "goldsieve.toml").open("a", encoding="utf-8") as config:
            config.write(f'\n[channels.ops]\ntype = "webhook"\nurl = "{hook}"\nsecret = "bench"\n')
        with open_runtime(set_store_url(ws, url), entry_points=False) as rt:
            yield ws.path, rt


def round_rate(postgres: str, hook: str, workers: int, rows: int) -> float:
    """Rows delivered per second by ``workers`` processes, from the write to the last done."""
    with workspace(postgres, hook) as (folder, rt):
        admin = add_user(rt.store, "admin", "admin", PASSWORD)
        deal = rt.engine.create(admin, FUNNEL["id"], "Bench", {"company": "Bench"})
        logs = [folder / f"worker{n}.log" for n in range(workers)]
        procs = [subprocess.Popen([EXE, "worker", "-w", str(folder), "--interval", "0.1"],
                                  stdout=log.open("w"), stderr=subprocess.STDOUT,
                                  env={**os.environ, "PYTHONUNBUFFERED": "1"}) for log in logs]
        try:
            while not all("is running" in log.read_text() for log in logs):
                time.sleep(0.05)
            at = stamp(rt.engine.clock())
            began = time.perf_counter()
            with rt.store.transaction() as txn:
                for i in range(rows):
                    txn.insert("outbox", new_row(key=f"b.{i}", action="webhook", params={"channel": "ops"},
                                                 deal=deal, at=at, trigger="won"))
            while rt.store.count("outbox", Eq("status", DONE)) < rows:
                time.sleep(0.02)
            return rows / (time.perf_counter() - began)
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGINT)
            for proc in procs:
                proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("GOLDSIEVE_TEST_POSTGRES"))
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not args.postgres:
        sys.exit("give --postgres postgresql://… or set GOLDSIEVE_TEST_POSTGRES")
    rates: dict[int, list[float]] = {1: [], 2: []}
    with receiving() as hook:
        for _ in range(args.rounds):  # interleaved, so drift in the machine's load hits both
            for workers in rates:
                rates[workers].append(round_rate(args.postgres, hook, workers, args.rows))
    one = statistics.median(rates[1])
    print(f"| workers | rows/s (median of {args.rounds}) | vs 1 worker |\n|---:|---:|---:|")
    for workers, got in rates.items():
        print(f"| {workers} | {statistics.median(got):,.0f} | {statistics.median(got) / one:.2f} |")


if __name__ == "__main__":
    main()

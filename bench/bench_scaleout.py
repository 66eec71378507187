"""Moves per second and latency with 1, 2 and 4 app processes on PostgreSQL against the
embedded store, through HTTP from a loopback load generator; and the board's first screen at
10k and 100k deals on each store.

    .venv/bin/python bench/bench_scaleout.py [--postgres URL] [--deals 2000] [--moves 2000]
        [--rounds 5] [--clients 16] [--board-sizes 10000,100000] [--skip-moves] [--skip-board] [--explain]

``--postgres`` (default: $GOLDSIEVE_TEST_POSTGRES) names a server; each case runs in a schema
of its own, dropped afterwards. Every case serves a fresh workspace with ``goldsieve serve``
(``--workers N``: gunicorn) and is driven by ``--clients`` threads, each with one keep-alive
connection, each moving its own deals back and forth between two stages (the version from the
previous answer, so no move conflicts). All cases are served at once and driven in turn,
``--rounds`` times, ``--moves`` moves a round; the CPU each move cost the app processes,
PostgreSQL and the load generator is read from /proc around each round.

The board cases fill the deals on the embedded store, measure there, then move them to
PostgreSQL with ``copy_store`` and measure again; ``--explain`` prints EXPLAIN ANALYZE of the
column totals' query as the board sent it.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import sqlalchemy
from bench_board import FUNNEL, NOW, PASSWORD, REPS, login
from bench_board import fill as fill_board
from bench_move import fill as fill_moves

from goldsieve.people.teams import add_team
from goldsieve.people.users import add_user, issue_token
from goldsieve.runtime import open_runtime
from goldsieve.store import TinyStore
from goldsieve.store.copy import copy_store
from goldsieve.store.postgres.store import PostgresStore, engine_for
from goldsieve.testing.postgres import scratch_schema
from goldsieve.web.app import create_app
from goldsieve.workspace import Workspace, init_workspace, set_store_url

EXE = shutil.which("goldsieve", path=str(Path(sys.executable).parent))


@contextmanager
def workspace_on(store: str, postgres: str | None):
    """A fresh workspace on the embedded store or on a scratch PostgreSQL schema."""
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp, ExitStack() as stack:
        workspace = init_workspace(Path(tmp) / "ws", FUNNEL)
        if store == "postgresql":
            workspace = set_store_url(workspace, stack.enter_context(scratch_schema(postgres)))
        yield workspace


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served(workspace: Workspace, workers: int):
    port = free_port()
    # The server's log goes to a file: a pipe nobody reads would fill up and stall it.
    log = open(workspace.path / "serve.log", "w+")
    server = subprocess.Popen([EXE, "serve", "-w", str(workspace.path), "--port", str(port),
                               "--workers", str(workers), "--threads", "8"],
                              stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/api/v1/health")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    sys.exit(f"the server did not start: {log.read()}")
                time.sleep(0.3)
        yield port, server.pid
    finally:
        server.send_signal(signal.SIGINT if workers == 1 else signal.SIGTERM)
        server.wait(timeout=60)
        log.close()


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:  # the process ended meanwhile
        return None
    return [text[text.index("(") + 1:text.rindex(")")]] + text[text.rindex(")") + 2:].split()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far (from /proc)."""
    total = 0
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            total += int(fields[12]) + int(fields[13])  # utime, stime (fields 14, 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def processes() -> dict[int, list[str]]:
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) is not None:
            found[int(entry)] = fields
    return found


def tree(root: int) -> list[int]:
    """``root`` and its descendants (a gunicorn master and its workers)."""
    children: dict[int, list[int]] = {}
    for pid, fields in processes().items():
        children.setdefault(int(fields[2]), []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def postgres_pids() -> list[int]:
    """Every PostgreSQL server process on this machine (its backends included)."""
    return [pid for pid, fields in processes().items() if fields[0] == "postgres"]


def drive(port: int, token: str, deals: list[list], moves: int, clients: int):
    """Moves spread over ``clients`` threads; returns (moves per second, latencies in s).

    ``deals`` holds ``[id, version, stage]`` per deal and is kept current, so the same deals can
    be driven again in the next round.
    """
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def client(mine: list[list], count: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        own: list[float] = []
        for i in range(count):
            deal = mine[i % len(mine)]
            to = "qualified" if deal[2] == "lead" else "lead"
            body = json.dumps({"to": to, "version": deal[1]})
            start = time.perf_counter()
            conn.request("POST", f"/api/v1/deals/{deal[0]}/move", body, headers)
            response = conn.getresponse()
            answer = response.read()
            own.append(time.perf_counter() - start)
            if response.status != 200:
                failures.append(f"{response.status} {answer[:200]!r}")
                return
            deal[1], deal[2] = json.loads(answer)["version"], to
        conn.close()
        with lock:
            latencies.extend(own)

    slices = [deals[n::clients] for n in range(clients)]
    threads = [threading.Thread(target=client, args=(s, moves // clients)) for s in slices]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        sys.exit(f"a move failed: {failures[0]}")
    return len(latencies) / elapsed, latencies


@contextmanager
def throughput_server(store: str, workers: int, args):
    """A served workspace with ``args.deals`` deals in "lead": (port, token, deal states)."""
    with workspace_on(store, args.postgres) as workspace:
        with open_runtime(workspace, entry_points=False) as runtime:
            user = add_user(runtime.store, "bench", "admin", PASSWORD)
            ids = fill_moves(runtime, user, args.deals)
            token = issue_token(runtime.store, "bench")
        with served(workspace, workers) as (port, pid):
            deals = [[i, 1, "lead"] for i in ids]
            drive(port, token, deals, args.clients * 5, args.clients)  # warm up
            yield port, token, deals, tree(pid)


def throughput(cases: list[tuple[str, int]], args) -> list[dict]:
    """Every case served at once and driven in turn, ``args.rounds`` times: the cases share each
    minute's noise, and each row is the median round of its case."""
    with ExitStack() as stack:
        servers = [stack.enter_context(throughput_server(store, workers, args)) for store, workers in cases]
        rounds: list[list[tuple[float, list[float]]]] = [[] for _ in cases]
        cpu = [[0.0, 0.0, 0.0] for _ in cases]  # app, PostgreSQL, load generator: CPU s
        for _ in range(args.rounds):
            for n, (port, token, deals, app) in enumerate(servers):
                pg = postgres_pids()
                before = (cpu_seconds(app), cpu_seconds(pg), time.process_time())
                rounds[n].append(drive(port, token, deals, args.moves, args.clients))
                after = (cpu_seconds(app), cpu_seconds(pg), time.process_time())
                for i in range(3):
                    cpu[n][i] += after[i] - before[i]
    rows = []
    for (store, workers), results, used in zip(cases, rounds, cpu):
        latencies = sorted(x for _, run in results for x in run)
        moves = args.rounds * (args.moves // args.clients) * args.clients
        rows.append({"store": store, "processes": workers,
                     "cpu_ms": [seconds / moves * 1e3 for seconds in used],
                     "moves_s": statistics.median(rate for rate, _ in results),
                     "spread": (min(rate for rate, _ in results), max(rate for rate, _ in results)),
                     "p50_ms": statistics.median(latencies) * 1e3,
                     "p95_ms": latencies[int(len(latencies) * 0.95)] * 1e3})
    return rows


def board_cases(size: int, args) -> list[dict]:
    """The board over ``size`` deals on each store. The deals are filled on the embedded store
    (in large transactions), measured there, then moved to PostgreSQL with ``copy_store`` (as
    ``goldsieve store copy`` does) and measured again: the engine's one insert per row on
    PostgreSQL takes far too long at 100k."""
    with workspace_on("tinydb", None) as workspace:
        with open_runtime(workspace, clock=lambda: NOW, entry_points=False) as runtime:
            add_team(runtime.store, "sales")
            manager = add_user(runtime.store, "boss", "manager", PASSWORD, team="sales")
            for rep in REPS:
                add_user(runtime.store, rep, "rep", PASSWORD, team="sales")
            started = time.perf_counter()
            fill_board(runtime, manager, size)
            fill_s = time.perf_counter() - started
        rows = [{"store": "embedded", "deals": size, "fill_s": fill_s, **board_renders(workspace)}]
        with scratch_schema(args.postgres) as url:
            started = time.perf_counter()
            with TinyStore(workspace.path / "data") as source, PostgresStore(url) as target:
                copy_store(source, target)
            moved = set_store_url(workspace, url)
            with grouping_queries() as totals:
                row = board_renders(moved)
            if args.explain:
                row["plan"] = explain(url, *totals[-1])
            rows.append({"store": "postgresql", "deals": size, "fill_s": time.perf_counter() - started, **row})
    return rows


@contextmanager
def grouping_queries():
    """The ``GROUP BY`` statements sent to PostgreSQL meanwhile (the column totals), with their
    parameters, as the driver got them."""
    sent: list[tuple[str, dict]] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        if "GROUP BY" in statement:
            sent.append((statement, parameters))

    sqlalchemy.event.listen(sqlalchemy.Engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        sqlalchemy.event.remove(sqlalchemy.Engine, "before_cursor_execute", seen)


def explain(url: str, statement: str, parameters: dict) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of one statement, run again on its own connection."""
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)
            return "\n".join(row[0] for row in rows)
    finally:
        engine.dispose()


def board_renders(workspace: Workspace, apps: int = 3, renders: int = 5) -> dict:
    """The manager's first screen in each of ``apps`` fresh apps (nothing cached in the app;
    the store stays open, as in a running server), and ``renders`` more renders in each."""
    firsts, agains = [], []
    with open_runtime(workspace, clock=lambda: NOW, entry_points=False) as runtime:
        for _ in range(apps):
            client = create_app(runtime=runtime, config={"TESTING": True}).test_client()
            login(client, "boss")

            def render() -> float:
                start = time.perf_counter()
                assert client.get("/board/handmade").status_code == 200
                return time.perf_counter() - start

            firsts.append(render())
            agains += [render() for _ in range(renders)]
    return {"cold_ms": firsts[0] * 1e3, "first_ms": statistics.median(firsts) * 1e3,
            "again_ms": statistics.median(agains) * 1e3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("GOLDSIEVE_TEST_POSTGRES"))
    parser.add_argument("--deals", type=int, default=2000)
    parser.add_argument("--moves", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds of every case")
    parser.add_argument("--board-sizes", default="10000,100000")
    parser.add_argument("--skip-board", action="store_true")
    parser.add_argument("--skip-moves", action="store_true")
    parser.add_argument("--explain", action="store_true",
                        help="print EXPLAIN ANALYZE of the board's column totals on PostgreSQL")
    args = parser.parse_args()
    if not args.postgres:
        sys.exit("name a PostgreSQL server: --postgres postgresql://user@host/db")
    print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}, {args.rounds} rounds of "
          f"{args.moves} moves by {args.clients} clients over {args.deals} deals per case")
    cases = [("tinydb", 1), ("postgresql", 1), ("postgresql", 2), ("postgresql", 4)]
    if not args.skip_moves:
        print(f"{'store':<11} {'processes':>9} {'moves/s':>8} {'min-max':>9} {'vs 1':>5} {'p50 ms':>7} "
              f"{'p95 ms':>7}  CPU ms per move: {'app':>5} {'pg':>5} {'load':>5}")
    rows = [] if args.skip_moves else throughput(cases, args)
    one = next((r["moves_s"] for r in rows if r["store"] == "postgresql" and r["processes"] == 1), None)
    for row in rows:
        name = "embedded" if row["store"] == "tinydb" else row["store"]
        low, high = row["spread"]
        print(f"{name:<11} {row['processes']:>9} {row['moves_s']:>8.0f} {low:>4.0f}-{high:<4.0f} "
              f"{row['moves_s'] / one:>5.2f} {row['p50_ms']:>7.1f} {row['p95_ms']:>7.1f}  "
              f"{'':>16} {row['cpu_ms'][0]:>5.1f} {row['cpu_ms'][1]:>5.1f} {row['cpu_ms'][2]:>5.1f}", flush=True)
    if args.skip_board:
        return
    print(f"\n{'store':<11} {'deals':>7} {'fill/copy s':>11} {'very first ms':>14} {'first screen ms':>16} "
          f"{'again ms':>9}")
    plans: list[str] = []
    for size in map(int, args.board_sizes.split(",")):
        for row in board_cases(size, args):
            print(f"{row['store']:<11} {size:>7} {row['fill_s']:>11.1f} {row['cold_ms']:>14.0f} "
                  f"{row['first_ms']:>16.0f} {row['again_ms']:>9.0f}", flush=True)
            if "plan" in row:
                plans.append(f"\nThe column totals on PostgreSQL at {size} deals:\n{row['plan']}")
    print("\n".join(plans))


if __name__ == "__main__":
    main()

"""The embedded store at 1k / 10k / 100k demo deals: memory, opening, the server's first answer,
the board and a move.

    .venv/bin/python bench/bench_scale.py WS [WS ...] [--exe .venv/bin/goldsieve] [--exe OTHER]

Each ``WS`` is a demo workspace (``goldsieve demo -w WS --deals N --no-serve``); with two
``--exe`` (this install and another checkout's) each gets its own copy of every workspace (an
install may rewrite the files it opens), and they run in turn on each, so both see the same
load. Per workspace and install:

- *open*: a process of that install opens the runtime; its RSS after the open, after 20 boards
  and 30 moves, and the open's seconds; board (``GET /board/<funnel>`` as the admin, in the test
  client) and move (``Engine.move`` there and back) medians;
- *read*: the seconds to read the snapshot and the journal into memory, the floor for opening;
- *serve*: ``goldsieve serve`` started, the seconds until ``/api/v1/health`` answers (wall, and
  the server's CPU seconds by then: on a shared machine the CPU time drifts less), then the
  server's RSS after it answered a page of deals and a deal's history; ``--serves N`` starts
  each install's server N times, the installs in turn (medians).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import json, re, statistics, sys, time
t0 = time.perf_counter()
from pathlib import Path
from goldsieve.workspace import Workspace
from goldsieve.runtime import open_runtime
from goldsieve.people.users import issue_token
from goldsieve.web.app import create_app
from goldsieve.store import Eq
def rss():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
imported = time.perf_counter()
rt = open_runtime(Workspace.load(Path(sys.argv[1])))
opened = time.perf_counter()
out = {"open_s": opened - imported, "rss_open": rss()}
out["deals"] = rt.store.count("deals")
admin = rt.store.find("users", Eq("username", "admin"))[0]
fid = rt.store.find("deals", limit=1)[0]["funnel"]
app = create_app(runtime=rt, config={"TESTING": True})
client = app.test_client()
token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
assert client.post("/login", data={"username": "admin", "password": "panning-for-gold",
                                   "csrf_token": token}).status_code == 302
boards = []
for _ in range(20):
    s = time.perf_counter(); r = client.get(f"/board/{fid}"); boards.append(time.perf_counter() - s)
    assert r.status_code == 200, r.status_code
out["board_first_ms"] = boards[0] * 1e3
out["board_p50_ms"] = statistics.median(boards[1:]) * 1e3
stages = [s.id for s in rt.funnels.get(fid).stages if s.kind == "open"]
deals = rt.store.find("deals", Eq("stage", stages[1]), limit=15)
moves = []
for deal in deals:
    for to in (stages[0], stages[1]):
        s = time.perf_counter(); rt.engine.move(admin, deal["id"], to); moves.append(time.perf_counter() - s)
out["moves"] = len(moves)
out["move_p50_ms"] = statistics.median(moves) * 1e3
out["rss_after"] = rss()
out["token"] = issue_token(rt.store, "admin")
rt.close()
print(json.dumps(out))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_of(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_of(pid: int) -> float:
    """The CPU seconds (user and system) process ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def read_floor(data: Path) -> float:
    """Seconds to read the files an open must read (the file cache warm, as for the open)."""
    started = time.perf_counter()
    for name in ("snapshot", "journal"):
        if (data / name).exists():
            (data / name).read_bytes()
    return time.perf_counter() - started


def get(port: int, path: str, token: str | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def serve(exe: str, ws: Path, token: str) -> dict[str, float]:
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen([exe, "serve", "-w", str(ws), "--port", str(port), "--threads", "4"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:  # until the server answers (a refused connection: not listening yet)
            if server.poll() is not None:
                raise RuntimeError(f"{exe} serve exited with {server.returncode}")
            try:
                status, _ = get(port, "/api/v1/health")
            except OSError:
                status = 0
            if status == 200:
                break
            time.sleep(0.02)
        answered, answer_cpu = time.perf_counter() - started, cpu_of(server.pid)
        status, body = get(port, "/api/v1/deals?limit=50", token)
        assert status == 200, status
        deal = json.loads(body)["items"][0]["id"]
        assert get(port, f"/api/v1/deals/{deal}/history", token)[0] == 200
        return {"answer_s": answered, "answer_cpu": answer_cpu, "rss_serve": rss_of(server.pid)}
    finally:
        server.terminate()
        server.wait(timeout=60)


def measure(exe: str, ws: Path) -> dict[str, float]:
    python = str(Path(exe).with_name("python"))
    child = subprocess.run([python, "-c", CHILD, str(ws)], check=False, capture_output=True, text=True)
    if child.returncode:
        raise RuntimeError(child.stderr)
    result = json.loads(child.stdout.splitlines()[-1])
    result["read_s"] = read_floor(ws / "data")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workspaces", nargs="+", type=Path)
    parser.add_argument("--exe", action="append",
                        help="a goldsieve executable; twice to compare two installs (default: this one)")
    parser.add_argument("--serves", type=int, default=1, help="servers started per install (medians)")
    args = parser.parse_args()
    exes = args.exe or [str(Path(sys.executable).with_name("goldsieve"))]
    rows = []
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        for ws in args.workspaces:
            copies = {}
            for n, exe in enumerate(exes):
                copies[exe] = Path(tmp) / f"{ws.name}-{n}"
                shutil.copytree(ws, copies[exe])
                # The first open may convert or compact the files: not what is measured.
                subprocess.run([str(Path(exe).with_name("python")), "-c",
                                "import sys; from goldsieve.store import TinyStore; TinyStore(sys.argv[1]).close()",
                                str(copies[exe] / "data")], check=True)
            results = {exe: measure(exe, copies[exe]) for exe in exes}
            served: dict[str, list[dict[str, float]]] = {exe: [] for exe in exes}
            for _ in range(args.serves):
                for exe in exes:
                    served[exe].append(serve(exe, copies[exe], results[exe]["token"]))
            for exe, result in results.items():
                del result["token"]
                result.update({key: statistics.median(s[key] for s in served[exe]) for key in served[exe][0]})
                rows.append((result.pop("deals"), exe, result))
            for copy in copies.values():
                shutil.rmtree(copy)
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; RSS in MiB, times in s / ms")
    print(f"{'deals':>7} {'install':<32} {'RSS open':>8} {'RSS after':>9} {'RSS serve':>9} {'open s':>7} "
          f"{'read s':>7} {'answer s':>8} {'answer CPU':>10} {'answer/read':>11} {'board ms':>8} {'move ms':>8}")
    for deals, exe, r in rows:
        print(f"{deals:>7} {exe[-32:]:<32} {r['rss_open']:>8.0f} {r['rss_after']:>9.0f} {r['rss_serve']:>9.0f} "
              f"{r['open_s']:>7.2f} {r['read_s']:>7.2f} {r['answer_s']:>8.2f} {r['answer_cpu']:>10.2f} "
              f"{r['answer_s'] / r['read_s']:>11.1f} {r['board_p50_ms']:>8.1f} {r['move_p50_ms']:>8.2f}")


if __name__ == "__main__":
    main()

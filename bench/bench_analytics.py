"""Funnel analytics over 100,000 deals and about 1,000,000 events on the embedded store.

    .venv/bin/python bench/bench_analytics.py [--deals 100000] [--events 1000000] [--rounds 5]
        [--workspace /tmp/goldsieve-bench-analytics]

The workspace is a ``goldsieve demo`` with ``--deals`` deals (about six events each), padded
with notes on random deals up to ``--events`` events (notes are ignored by the numbers, but
every one of them is read); it is built once and kept for later runs. Measured, as medians of
``--rounds`` runs, in one process:

(a) ``GET /api/v1/analytics/funnel`` for the whole company (admin), a manager (one team) and a
    rep — the issue's goal is ≤ 2 s; (b) the funnel page ``GET /analytics/software`` for the
    manager; (c) the same API call right after one deal was moved (exactness after a write);
    (d) the manager's report computed without the history cache (the events of the visible deals
    read from the store by ``deal_id``, as :func:`goldsieve.analytics.funnel_report` does), so
    (a) ÷ (d) is what the cache saves; (e) the first call of a process, which builds the history
    cache (:mod:`goldsieve.analytics.cache`); (f) the forecast page with its four-quarter backtest.

Then, each in a fresh process started the way ``goldsieve serve`` starts (the runtime opened,
``runtime.histories.warm()`` called, the request sent at once): (g) the first and the warm
admin funnel API, the manager's forecast page and the manager's digest page, with the
histories file the last process left beside the store, and the first admin API again without
it (the histories folded from the whole log, as every start did before the file); (h) the
resident memory the histories add (RSS after priming them minus RSS after opening the store).
The first/warm ratios are the goal of issue 19 (≤ 2).
"""
from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from goldsieve.analytics import funnel_report
from goldsieve.analytics.history_file import NAME as HISTORY_FILE
from goldsieve.analytics.windows import window
from goldsieve.clock import stamp, utc_now
from goldsieve.demo.builder import ensure_demo, password_for
from goldsieve.people.users import issue_token
from goldsieve.runtime import open_runtime
from goldsieve.store.filters import Eq
from goldsieve.web.app import create_app
from goldsieve.workspace import Workspace

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PAD_BATCH = 50_000


def build(folder: Path, deals: int, events: int) -> None:
    if ensure_demo(folder, deals=deals, progress="Creating demo deals"):
        print(f"built a demo of {deals:,} deals in {folder}")
    with open_runtime(Workspace.load(folder), entry_points=False) as runtime:
        store = runtime.store
        missing = events - store.count("events")
        rng = random.Random(1)
        top = store.count("deals")
        at = stamp(utc_now())
        while missing > 0:
            with store.transaction() as txn:
                for _ in range(min(PAD_BATCH, missing)):
                    txn.insert("events", {
                        "deal_id": rng.randint(1, top), "funnel": "software", "funnel_version": 1,
                        "type": "note_added", "at": at, "by": "admin", "from_stage": None,
                        "to_stage": None, "lost_reason": None, "changes": {}, "note": "padding"})
            missing -= PAD_BATCH
        print(f"{store.count('deals'):,} deals, {store.count('events'):,} events")


def timed(call, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def funnel_api(client, tokens: dict[str, str]):
    """``api(name)``: a call of the funnel API as that user (asserting it answers 200)."""
    def api(name: str):
        def call():
            response = client.get("/api/v1/analytics/funnel?funnel=software",
                                  headers={"Authorization": f"Bearer {tokens[name]}"})
            assert response.status_code == 200, response.status_code
            return response
        return call
    return api


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


#: what a fresh process asks first: the path, and the user (a bearer token, else a session)
FIRST = {"api": ("/api/v1/analytics/funnel?funnel=software", "admin"),
         "forecast": ("/analytics/software/forecast", "mgr.zhao"),
         "digest": ("/digest", "mgr.zhao")}


def child(folder: Path, what: str, rounds: int) -> None:
    """One fresh process: open, warm as ``serve`` does, ask ``what`` at once, then warm rounds."""
    opened = time.perf_counter()
    runtime = open_runtime(Workspace.load(folder), entry_points=False)
    opened = time.perf_counter() - opened
    before = rss_mib()
    if what == "memory":
        runtime.histories.prime()
        print(json.dumps({"opened": opened, "rss_store": before, "rss_histories": rss_mib() - before}))
        runtime.close()
        return
    app = create_app(runtime=runtime, config={"TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    path, name = FIRST[what]
    headers = {}
    if name == "admin":
        headers = {"Authorization": f"Bearer {issue_token(runtime.store, name)}"}
    else:
        client.post("/login", data={"username": name, "password": password_for(name)})
    warming = runtime.histories.warm()

    def ask():
        response = client.get(path, headers=headers)
        assert response.status_code == 200, response.status_code

    first = time.perf_counter()
    ask()
    first = time.perf_counter() - first
    if warming is not None:
        warming.join()
    warm = timed(ask, rounds)
    print(json.dumps({"opened": opened, "first": first, "warm": warm}))
    runtime.close()


def fresh(folder: Path, what: str, rounds: int, keep_file: bool = True) -> dict:
    if not keep_file:
        (folder / "data" / HISTORY_FILE).unlink(missing_ok=True)
    out = subprocess.run([sys.executable, __file__, "--workspace", str(folder), "--child", what,
                          "--rounds", str(rounds)], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def fresh_starts(folder: Path, rounds: int) -> None:
    """(g) and (h): each case in a process of its own, the cases one after the other."""
    fresh(folder, "memory", 1)  # a file current with the store, as a stopped server leaves it
    rows = []
    for what in ("api", "forecast", "digest"):
        rows.append((what, "with the file", fresh(folder, what, rounds)))
    rows.append(("api", "without the file", fresh(folder, "api", rounds, keep_file=False)))
    memory = fresh(folder, "memory", 1)
    print("\n| (g) fresh process | first | warm (median) | first ÷ warm | store opened in |")
    print("|---|---:|---:|---:|---:|")
    for what, case, found in rows:
        print(f"| {what}, {case} | {found['first']:.2f} s | {found['warm']:.2f} s | "
              f"{found['first'] / found['warm']:.2f} | {found['opened']:.1f} s |")
    print(f"\n(h) RSS: the store opened {memory['rss_store']:.0f} MiB, "
          f"the histories add {memory['rss_histories']:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workspace", type=Path, default=Path("/tmp/goldsieve-bench-analytics"))
    parser.add_argument("--child", choices=(*FIRST, "memory"), help=argparse.SUPPRESS)
    parser.add_argument("--fresh-only", action="store_true", help="only (g) and (h)")
    args = parser.parse_args()
    if args.child:
        child(args.workspace, args.child, args.rounds)
        return
    build(args.workspace, args.deals, args.events)
    if args.fresh_only:
        fresh_starts(args.workspace, args.rounds)
        return

    runtime = open_runtime(Workspace.load(args.workspace), entry_points=False)
    app = create_app(runtime=runtime, config={"TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    tokens = {name: issue_token(runtime.store, name) for name in ("admin", "mgr.zhao", "rep.li")}

    api = funnel_api(client, tokens)

    results = []
    cold = time.perf_counter()
    api("admin")()
    results.append(("(e) first call of the process (loads the histories file, else folds the log)", time.perf_counter() - cold, ""))
    for name in tokens:
        body = api(name)().get_json()
        lead = body["stages"][0]
        results.append((f"(a) API, {name}", timed(api(name), args.rounds),
                        f"{lead['entered']:,} entered lead, {body['open_deals']:,} open"))

    page = app.test_client()
    page.post("/login", data={"username": "mgr.zhao", "password": password_for("mgr.zhao")})
    assert page.get("/analytics/software").status_code == 200
    results.append(("(b) page, mgr.zhao", timed(lambda: page.get("/analytics/software"), args.rounds), ""))

    deal = runtime.store.find("deals", Eq("status", "open"), limit=1)[0]
    admin = runtime.store.find("users", Eq("username", "admin"))[0]
    stage = next(s for s in runtime.funnels.get("software").stages if s.kind == "lost")

    def after_write():
        runtime.engine.reopen(admin, deal["id"]) if runtime.store.get("deals", deal["id"])["status"] != "open" \
            else runtime.engine.lose(admin, deal["id"], "price")
        api("admin")()
    results.append(("(c) API after a write, admin", timed(after_write, args.rounds), f"moves to {stage.id} and back"))

    results.append(("(f) forecast page (with backtest), mgr.zhao",
                     timed(lambda: page.get("/analytics/software/forecast"), args.rounds), ""))
    engine = runtime.engine
    start, end = window(None, None, engine.clock())
    manager = runtime.store.find("users", Eq("username", "mgr.zhao"))[0]
    floor = timed(lambda: funnel_report(runtime.store, runtime.funnels, "software", engine.scope(manager),
                                        start, end, engine.clock()), args.rounds)
    results.append(("(d) the same report without the cache, mgr.zhao", floor, ""))
    runtime.close()

    print(f"\n{args.deals:,} deals, {args.events:,} events, {args.rounds} rounds, medians\n")
    print("| what | median | ÷ (d) | |\n|---|---:|---:|---|")
    for what, seconds, note in results:
        print(f"| {what} | {seconds:.2f} s | {seconds / floor:.2f} | {note} |")
    fresh_starts(args.workspace, args.rounds)


if __name__ == "__main__":
    main()

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
"""
from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from pathlib import Path

from goldsieve.analytics import funnel_report
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workspace", type=Path, default=Path("/tmp/goldsieve-bench-analytics"))
    args = parser.parse_args()
    build(args.workspace, args.deals, args.events)

    runtime = open_runtime(Workspace.load(args.workspace), entry_points=False)
    app = create_app(runtime=runtime, config={"TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    tokens = {name: issue_token(runtime.store, name) for name in ("admin", "mgr.zhao", "rep.li")}

    api = funnel_api(client, tokens)

    results = []
    cold = time.perf_counter()
    api("admin")()
    results.append(("(e) first call of the process (builds the history cache)", time.perf_counter() - cold, ""))
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


if __name__ == "__main__":
    main()

"""The funnel report at 100,000 deals and 1,000,000 events on PostgreSQL: computed by the
database (:mod:`goldsieve.analytics.sql`) against the history cache, in the same run.

    .venv/bin/python bench/bench_analytics_sql.py --postgres postgresql://postgres@127.0.0.1:5432/test
        [--deals 100000] [--events 1000000] [--rounds 5] [--workspace /tmp/goldsieve-bench-sqlstats]
        [--schema goldsieve_bench_sqlstats] [--explain]

The data: the embedded workspace of ``bench_analytics.py`` (a demo padded with notes), built once
in ``--workspace``, then moved with ``goldsieve store copy --to`` into ``--schema`` on the server
(created, filled and ``VACUUM ANALYZE``d once, kept for later runs; the copy derives the stays
table). A second
workspace folder beside it (``…-pg``) holds the same configuration pointed at that schema.

Measured, as medians of ``--rounds`` runs, in one process, for the whole company (admin), a
manager (one team) and a rep, over this quarter: (a) ``funnel_report`` — the database path;
(b) ``GET /api/v1/analytics/funnel`` through the app on PostgreSQL (also the database path);
(c) the report from a warm :class:`~goldsieve.analytics.cache.HistoryCache` on the same
PostgreSQL store (what each app process answered from before); (d) that cache's build, once,
with the process's resident memory before and after. (e) the admin over the whole year, both
ways. Every database answer is checked against the cache's: equal, every number.
``--explain`` prints ``EXPLAIN (ANALYZE, BUFFERS)`` of the admin's statement.
"""
from __future__ import annotations

import argparse
import math
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import bench_analytics
import sqlalchemy as sa
from bench_analytics import funnel_api, timed

from goldsieve.analytics import funnel_report
from goldsieve.analytics.cache import HistoryCache
from goldsieve.analytics.metrics import funnel_metrics
from goldsieve.analytics.sql import PLANNER, report_statement
from goldsieve.analytics.windows import window
from goldsieve.people.users import issue_token
from goldsieve.runtime import open_runtime
from goldsieve.store.filters import Eq
from goldsieve.store.postgres.store import engine_for
from goldsieve.testing.postgres import schema_url
from goldsieve.web.app import create_app
from goldsieve.workspace import Workspace, set_store_url

USERS = ("admin", "mgr.zhao", "rep.li")


def resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


def postgres_workspace(folder: Path, server: str, schema: str) -> Workspace:
    """The schema filled once by ``goldsieve store copy`` and a workspace folder pointing at it."""
    url = schema_url(server, schema)
    engine = engine_for(server)
    with engine.begin() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}).first()
        if not exists:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine.dispose()
    target = folder.with_name(folder.name + "-pg")
    if not exists:
        started = time.perf_counter()
        subprocess.run([str(Path(sys.executable).with_name("goldsieve")), "store", "copy",
                        "--workspace", str(folder), "--to", url], check=True)
        print(f"copied into {schema} in {time.perf_counter() - started:.0f} s")
        vacuum = engine_for(url).execution_options(isolation_level="AUTOCOMMIT")
        with vacuum.connect() as conn:  # what autovacuum would soon do: statistics, visibility map
            conn.exec_driver_sql("VACUUM ANALYZE deals, events, goldsieve_stays, goldsieve_amounts")
        vacuum.dispose()
    if not target.exists():
        shutil.copytree(folder, target, ignore=shutil.ignore_patterns("data"))
        (target / "data").mkdir()
    return set_store_url(Workspace.load(target), url)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", required=True, help="the server, postgresql://…")
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workspace", type=Path, default=Path("/tmp/goldsieve-bench-sqlstats"))
    parser.add_argument("--schema", default="goldsieve_bench_sqlstats")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    bench_analytics.build(args.workspace, args.deals, args.events)
    workspace = postgres_workspace(args.workspace, args.postgres, args.schema)

    runtime = open_runtime(workspace, entry_points=False)
    store, funnels, engine = runtime.store, runtime.funnels, runtime.engine
    print(f"{store.count('deals'):,} deals, {store.count('events'):,} events on PostgreSQL")
    now = engine.clock()
    start, end = window(None, None, now)
    year = (end - timedelta(days=365), end)
    scopes = {name: engine.scope(store.find("users", Eq("username", name))[0]) for name in USERS}

    app = create_app(runtime=runtime, config={"TESTING": True})
    client = app.test_client()
    tokens = {name: issue_token(store, name) for name in USERS}

    api = funnel_api(client, tokens)

    def sql(name: str, window=(start, end)):
        return lambda: funnel_report(store, funnels, "software", scopes[name], *window, now)

    results = []
    for name in USERS:
        results.append((f"(a) `funnel_report` in SQL, {name}", timed(sql(name), args.rounds)))
    for name in USERS:
        results.append((f"(b) `GET /api/v1/analytics/funnel` in SQL, {name}", timed(api(name), args.rounds)))
    results.append(("(e) `funnel_report` in SQL, admin, the whole year", timed(sql("admin", year), args.rounds)))

    cache = HistoryCache(store, funnels)
    before = resident_mb()
    built = time.perf_counter()
    cache.histories("software", scopes["admin"], end)
    built = time.perf_counter() - built
    grown = resident_mb() - before

    def cached(name: str, window=(start, end)):
        return lambda: funnel_metrics(cache.histories("software", scopes[name], window[1]),
                                      funnels.get("software"), *window, now)

    checks = []
    for name in USERS:
        results.append((f"(c) the same report from the warm history cache, {name}", timed(cached(name), args.rounds)))
        checks.append(sql(name)().as_dict() == cached(name)().as_dict())
    results.append(("(e) the history cache, admin, the whole year", timed(cached("admin", year), args.rounds)))
    checks.append(sql("admin", year)().as_dict() == cached("admin", year)().as_dict())
    results.append(("(d) building the history cache (once per process)", built))

    base = dict(results)["(c) the same report from the warm history cache, admin"]
    print(f"\n{args.deals:,} deals, {args.events:,} events, {args.rounds} rounds, medians; "
          f"database and cache reports equal: {all(checks)} ({checks})")
    print(f"the cache's build grew the process by {grown:,.0f} MB of resident memory\n")
    print("| what | median | ÷ warm cache, admin |\n|---|---:|---:|")
    for what, seconds in results:
        print(f"| {what} | {seconds:.3f} s | {seconds / base:.2f} |")

    if args.explain:
        statement, params = report_statement(store, funnels, "software", scopes["admin"], start, end, now)
        for row in store.read_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params, PLANNER):
            print(row[0])
    runtime.close()


if __name__ == "__main__":
    main()

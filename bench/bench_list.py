"""The deal list (issue 16, Speed): its first page with a filter and a sort, a full-text search,
and a bulk move against as many single moves, at two sizes in one run.

    .venv/bin/python bench/bench_list.py [--sizes 1000,20000] [--reads 30] [--moves 200]
                                         [--activities 10] [--store tinydb | --store postgresql://…/db]

Each size gets a fresh workspace (on PostgreSQL: a scratch schema, dropped afterwards), filled in
bulk through the engine with deals of varied amounts, one in ten titled after a customer whose
name holds 白云 (so that the smallest size too has a full first page of matches), and ``--activities`` done activities per deal (the issue's 1M at 100k deals),
written straight into the store in large transactions (the engine's path, an event and an audit
row each, would take most of the run; the list reads no activity unless asked to filter by one).
Then, as an admin (scope: all):

- ``page``: the first 50 open deals with an amount of at least 100,000, largest amount first
  (``listing.find`` with a range, a status and ``Order("data.amount", descending)``);
- ``search``: the first 50 deals whose title or text fields hold 白云 (``q``), newest first;

both read at every size in turn, ``--reads`` rounds, so that every size sees the same load;
- ``bulk``: one bulk move of ``--moves`` deals from lead to qualified (``bulk.apply``), against
  ``--moves`` other deals moved one ``Engine.move`` each, alternating halves so both see the
  same disk; the ratio is bulk / singles.

The medians, the ratio of the larger size to the smaller (the issue asks at most 1.5× for page
and search from 1k to 100k, and a bulk move at most 1.2× the single moves), each size's fill time
and the process's peak RSS are printed.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from goldsieve.deals import bulk, listing
from goldsieve.people.users import add_user
from goldsieve.runtime import open_runtime
from goldsieve.store.ordering import Order
from goldsieve.testing.postgres import scratch_schema
from goldsieve.workspace import init_workspace, set_store_url

FUNNEL = json.loads((Path(__file__).parents[1] / "tests" / "funnels" / "design_example.json").read_text())
PAGE = listing.Criteria(status="open", ranges=(("amount", 100_000, None),))
ORDER = Order("data.amount", descending=True)
SEARCH = listing.Criteria(text="白云")


def fill(runtime, user: dict, count: int, rng: random.Random) -> list[int]:
    """``count`` deals with their created events, in large transactions."""
    template = runtime.engine.prepare(user, "handmade", "Deal", {"company": "Acme", "needs_survey": "ok"})
    ids: list[int] = []
    for start in range(0, count, 5000):
        deals = []
        for n in range(start, min(count, start + 5000)):
            title = f"广州白云医院 {n}" if n % 10 == 0 else f"Deal {n}"
            deals.append(dict(template, title=title, data={"company": f"Company {n}", "needs_survey": "ok",
                                                           "amount": rng.randrange(0, 1_000_000)}))
        runtime.engine.insert_new(user, deals)
        ids += [d["id"] for d in deals]
    return ids


def fill_activities(store, ids: list[int], per_deal: int) -> int:
    """``per_deal`` done calls on each deal, straight into the store, 50,000 a transaction (on
    PostgreSQL restored with their ids: one round trip per thousand rows)."""
    rows = ({"type": "call", "deal_id": deal_id, "customer_id": None, "contact_ids": [], "owner": "admin",
             "status": "done", "due_at": None, "done_at": "2026-01-01T09:00:00.000Z", "duration_minutes": 10,
             "outcome": None, "data": {}, "location": None, "version": 1,
             "created_at": "2026-01-01T09:00:00.000Z", "updated_at": "2026-01-01T09:00:00.000Z",
             "created_by": "admin", "done_by": "admin"} for deal_id in ids for _ in range(per_deal))
    count, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) == 50_000:
            count += _write_batch(store, batch, count)
            batch = []
    return count + (_write_batch(store, batch, count) if batch else 0)


def _write_batch(store, batch: list[dict], before: int) -> int:
    with store.transaction() as txn:
        if hasattr(txn, "restore"):
            txn.restore("activities", ({**row, "id": before + n + 1} for n, row in enumerate(batch)))
        else:
            for row in batch:
                txn.insert("activities", row)
    return len(batch)


def timed_ms(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e3


def open_filled(stack: ExitStack, size: int, store: str, per_deal: int) -> dict:
    """A workspace of ``size`` deals and their activities, open until ``stack`` closes."""
    started = time.perf_counter()
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(dir=Path.cwd())))
    workspace = init_workspace(tmp / "ws", FUNNEL)
    if store != "tinydb":
        workspace = set_store_url(workspace, stack.enter_context(scratch_schema(store)))
    runtime = open_runtime(workspace, entry_points=False)
    stack.callback(runtime.close)
    add_user(runtime.store, "admin", "admin", "measured-gold-nuggets")
    admin = runtime.store.find("users")[0]
    ids = fill(runtime, admin, size, random.Random(size))
    activities = fill_activities(runtime.store, ids, per_deal)
    if hasattr(runtime.store, "analyze"):
        runtime.store.analyze()
    engine = runtime.engine
    page, _ = listing.find(engine, admin, PAGE, ORDER, limit=50)
    found, _ = listing.find(engine, admin, SEARCH, limit=50)
    assert len(page) == 50 and len(found) == 50, (len(page), len(found))
    return {"engine": engine, "admin": admin, "ids": ids, "activities": activities,
            "fill_s": time.perf_counter() - started, "page": [], "search": []}


def read_interleaved(opened: dict[int, dict], reads: int) -> None:
    """``reads`` rounds of the page and the search at every size in turn."""
    for _ in range(reads):
        for w in opened.values():
            w["page"].append(timed_ms(lambda: listing.find(w["engine"], w["admin"], PAGE, ORDER, limit=50)))
            w["search"].append(timed_ms(lambda: listing.find(w["engine"], w["admin"], SEARCH, limit=50)))


def moves(w: dict, count: int) -> tuple[float, float]:
    """One bulk move of ``count`` deals against ``count`` single moves, in alternating halves so
    both see the same disk; their times in ms."""
    engine, admin = w["engine"], w["admin"]
    picked = random.Random(1).sample(w["ids"], 2 * count)
    half = count // 2
    bulk_s = singles_s = 0.0
    for part in range(2):
        group = picked[part * half:(part + 1) * half]
        start = time.perf_counter()
        outcomes = bulk.apply(engine, admin, group, bulk.Change("move", to="qualified"))
        bulk_s += time.perf_counter() - start
        assert all(o.changed for o in outcomes)
        start = time.perf_counter()
        for deal_id in picked[count + part * half:count + (part + 1) * half]:
            engine.move(admin, deal_id, "qualified")
        singles_s += time.perf_counter() - start
    return bulk_s * 1e3, singles_s * 1e3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,20000")
    parser.add_argument("--reads", type=int, default=30)
    parser.add_argument("--moves", type=int, default=200)
    parser.add_argument("--activities", type=int, default=10, help="done activities per deal")
    parser.add_argument("--store", default="tinydb", help='"tinydb", or a PostgreSQL server URL')
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with ExitStack() as stack:
        opened = {size: open_filled(stack, size, args.store, args.activities) for size in sizes}
        read_interleaved(opened, args.reads)
        for w in opened.values():
            w["bulk_ms"], w["singles_ms"] = moves(w, args.moves)
        results = {size: {**w, "page": statistics.median(w["page"]), "search": statistics.median(w["search"])}
                   for size, w in opened.items()}
    print(f"store: {args.store.split('@')[-1]}")
    print(f"{'deals':>8} {'activities':>11} {'fill s':>7} {'page ms':>9} {'search ms':>10} {'bulk ms':>9}"
          f" {'singles ms':>11} {'bulk/singles':>13}")
    for size, r in results.items():
        print(f"{size:>8,} {r['activities']:>11,} {r['fill_s']:>7.0f} {r['page']:>9.2f} {r['search']:>10.2f}"
              f" {r['bulk_ms']:>9.0f} {r['singles_ms']:>11.0f} {r['bulk_ms'] / r['singles_ms']:>13.2f}")
    small, large = results[sizes[0]], results[sizes[-1]]
    print(f"page {sizes[-1]:,}/{sizes[0]:,}: {large['page'] / small['page']:.2f}x, "
          f"search: {large['search'] / small['search']:.2f}x")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Query latency of the embedded store with its indexes and without, at 100k deals and 1M
events, and the cost of a durable write beside it.

    .venv/bin/python bench/bench_queries.py [--deals 100000] [--events 10] [--reps 200] [--dir D]

One data folder is filled once (in large transactions), then opened twice in the same run:
with the default indexes and with ``indexes={}, ordered={}`` (every query a scan). Both
openings answer the same queries (same random picks); the script checks they return the same
rows, and prints the median latency of each, the ratio, the time to open (load + index build)
and the median durable move (replace a deal, append its event: one fsync'd journal record)
beside the disk's own append+fsync, measured in between the store's writes. The ``Range``
queries are also timed in the indexed opening with its ordered indexes set aside (hash indexes
only), alternating query by query; the upkeep of both kinds of index and the memory the ordered
ones hold are measured apart, in memory.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

from goldsieve.clock import stamp
from goldsieve.store import And, Eq, In, Range, TinyStore
from goldsieve.store.base import TABLES
from goldsieve.store.tinydb.indexes import DEFAULT_INDEXES, DEFAULT_ORDERED, build_indexes, build_ordered

FUNNELS = {"b2b": ("lead", "qualified", "quote", "negotiation", "won", "lost"), "retail": ("new", "visit", "offer", "won", "lost")}
OWNERS = [f"user{n}" for n in range(17)]
TEAM = OWNERS[:4]  # a manager's visibility: In("owner", team)
STATUS = {"won": "won", "lost": "lost"}
EVENT_TYPES = ("updated", "note_added", "stage_changed", "owner_changed")
#: Deal ``n`` was last updated ``n`` five-minute steps after this: 100k deals span a year.
EPOCH = datetime(2024, 1, 1, 9, tzinfo=timezone.utc)
STEP = timedelta(minutes=5)


def deal(n: int, rng: random.Random) -> dict:
    funnel = "b2b" if n % 3 else "retail"
    stage = rng.choice(FUNNELS[funnel])
    return {
        "funnel": funnel,
        "funnel_version": 3,
        "title": f"Deal {n}",
        "stage": stage,
        "status": STATUS.get(stage, "open"),
        "owner": rng.choice(OWNERS),
        "version": 1,
        "created_at": "2024-05-01T09:00:00Z",
        "updated_at": stamp(EPOCH + n * STEP),
        "stage_entered_at": "2024-05-01T09:00:00Z",
        "data": {"amount": n * 10, "company": f"Company {n}", "source": "web"},
    }


def event(deal_id: int, doc: dict, kind: str) -> dict:
    return {
        "deal_id": deal_id,
        "funnel": doc["funnel"],
        "funnel_version": 3,
        "type": kind,
        "at": "2024-05-02T10:00:00Z",
        "by": doc["owner"],
        "from_stage": None,
        "to_stage": doc["stage"] if kind in ("created", "stage_changed") else None,
        "lost_reason": None,
        "changes": {"amount": [1, 2]} if kind == "updated" else {},
    }


def fill(folder: Path, deals: int, events: int, rng: random.Random) -> tuple[float, list[str]]:
    """Write the data set (indexes off: they are built at open anyway); returns the seconds it
    took and the token digests."""
    start = time.perf_counter()
    batch = 2000
    digests = [hashlib.sha256(f"token{n}".encode()).hexdigest() for n in range(200)]
    with TinyStore(folder, indexes={}, compact_bytes=1 << 62) as store:
        with store.transaction() as txn:
            for n, owner in enumerate(OWNERS):
                txn.insert("users", {"username": owner, "role": "rep", "name": f"User {n}"})
            for n, digest in enumerate(digests):
                txn.insert("tokens", {"digest": digest, "user": OWNERS[n % len(OWNERS)]})
        for first in range(0, deals, batch):
            with store.transaction() as txn:
                made = []
                for n in range(first, min(deals, first + batch)):
                    doc = deal(n, rng)
                    made.append((txn.insert("deals", doc), doc))
                # A deal's events are spread among other deals' events, as they are in use.
                for round in range(events):
                    for id, doc in made:
                        kind = "created" if round == 0 else EVENT_TYPES[round % len(EVENT_TYPES)]
                        txn.insert("events", event(id, doc, kind))
        store.compact()  # one snapshot: both openings load the same files the same way
    return time.perf_counter() - start, digests


def median_of(run, picks: list, reps: int, budget: float) -> tuple[float, list]:
    """Median seconds of ``run(pick)`` over ``picks`` (at most ``reps``, at least 3, stopping
    once ``budget`` seconds are spent) and the results, to compare between openings."""
    times, results = [], []
    spent = 0.0
    for pick in picks[:reps]:
        start = time.perf_counter()
        result = run(pick)
        took = time.perf_counter() - start
        times.append(took)
        results.append(result)
        spent += took
        if len(times) >= 3 and spent > budget:
            break
    return statistics.median(times), results


def queries(store: TinyStore, picks: dict, reps: int, budget: float) -> dict[str, tuple[float, list]]:
    def ids(rows):
        return [row["id"] for row in rows]

    cases = {
        "history of one deal (find events Eq deal_id)": (
            lambda id: ids(store.find("events", Eq("deal_id", id))), picks["deal_ids"]),
        "token lookup (find tokens Eq digest, limit 1)": (
            lambda d: ids(store.find("tokens", Eq("digest", d), limit=1)), picks["digests"]),
        "user lookup (count users Eq username)": (
            lambda u: store.count("users", Eq("username", u)), picks["owners"]),
        "board page: And(funnel, stage, owner), 50 newest": (
            lambda c: ids(store.find("deals", And((Eq("funnel", c[0]), Eq("stage", c[1]), Eq("owner", c[2]))), limit=50, descending=True)),
            picks["columns"]),
        "board page: And(funnel, stage, In owner team), 50": (
            lambda c: ids(store.find("deals", And((Eq("funnel", c[0]), Eq("stage", c[1]), In("owner", tuple(TEAM)))), limit=50, descending=True)),
            picks["columns"]),
        "board next page (after the 50th)": (
            lambda c: ids(store.find("deals", And((Eq("funnel", c[0]), Eq("stage", c[1]), Eq("owner", c[2]))), after=c[3], limit=50, descending=True)),
            picks["cursors"]),
        "count per stage (count deals Eq stage)": (
            lambda c: store.count("deals", Eq("stage", c[1])), picks["columns"]),
        "count per column (count And(funnel, stage))": (
            lambda c: store.count("deals", And((Eq("funnel", c[0]), Eq("stage", c[1])))), picks["columns"]),
        **ranges(store, picks),
    }
    return {name: median_of(run, args, reps, budget) for name, (run, args) in cases.items()}


def ranges(store: TinyStore, picks: dict) -> dict[str, tuple]:
    """The ``Range`` cases: what the stale scan, a week's activity and a month's count ask."""

    def ids(rows):
        return [row["id"] for row in rows]

    def since(days: float) -> str:
        return stamp(EPOCH + timedelta(days=days))

    return {
        "stale scan: funnel, stage, open, updated_at <, 500": (
            lambda c: ids(store.find("deals", And((Eq("funnel", c[0]), Eq("stage", c[1]), Eq("status", "open"),
                                                    Range("updated_at", None, since(c[4])))), limit=500)),
            picks["stale"]),
        "a week's updates: Range updated_at, 50 newest": (
            lambda d: ids(store.find("deals", Range("updated_at", since(d), since(d + 7)), limit=50, descending=True)),
            picks["days"]),
        "count And(stage, updated_at in a month)": (
            lambda c: store.count("deals", And((Eq("stage", c[1]), Range("updated_at", since(c[4]), since(c[4] + 30))))),
            picks["stale"]),
    }


def moves(store: TinyStore, folder: Path, ops: int, rng: random.Random) -> tuple[float, float]:
    """Median seconds of a durable move (replace a deal with a new stage and append an event),
    and of the disk's append+fsync of a line as long, interleaved."""
    top = store.count("deals")
    fd = os.open(folder.with_name(folder.name + ".floor"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    times, floor = [], []
    try:
        for _ in range(ops):
            id = rng.randrange(1, top + 1)
            doc = store.get("deals", id)
            doc["stage"] = rng.choice(FUNNELS[doc["funnel"]])
            doc["version"] += 1
            start = time.perf_counter()
            with store.transaction() as txn:
                txn.replace("deals", doc, expect_version=doc["version"] - 1)
                txn.insert("events", event(id, doc, "stage_changed"))
            times.append(time.perf_counter() - start)
            line = b"x" * 1000 + b"\n"
            start = time.perf_counter()
            os.write(fd, line)
            os.fsync(fd)
            floor.append(time.perf_counter() - start)
    finally:
        os.close(fd)
    return statistics.median(times), statistics.median(floor)


def upkeep(deals: int, ops: int, rng: random.Random) -> tuple[float, float]:
    """Median seconds the indexes add to a move in memory (the durable numbers are noisier
    than this): the deal's four hash indexes and the new event's, and apart, the deal's
    ordered indexes (its ``updated_at`` leaves the middle of the order for its end), at
    ``deals`` deals."""
    docs = {str(n): dict(deal(n, rng), id=n) for n in range(1, deals + 1)}
    tables = {**{name: {} for name in TABLES}, "deals": docs}
    indexes = build_indexes(DEFAULT_INDEXES, tables)
    ordered = build_ordered(DEFAULT_ORDERED, tables)["deals"].values()
    hashed, kept = [], []
    for event_id in range(1, ops + 1):
        id = rng.randrange(1, deals + 1)
        old = docs[str(id)]
        new = dict(old, stage=rng.choice(FUNNELS[old["funnel"]]), version=old["version"] + 1,
                   updated_at=stamp(EPOCH + (deals + event_id) * STEP))
        start = time.perf_counter()
        for index in indexes["deals"].values():
            index.change(id, old, new)
        for index in indexes["events"].values():
            index.change(event_id, None, event(id, new, "stage_changed"))
        hashed.append(time.perf_counter() - start)
        start = time.perf_counter()
        for index in ordered:
            index.change(id, old, new)
        kept.append(time.perf_counter() - start)
        docs[str(id)] = new
    return statistics.median(hashed), statistics.median(kept)


def hash_only_ranges(store: TinyStore, picks: dict, reps: int, budget: float) -> dict[str, tuple]:
    """The ``Range`` cases with the store's ordered indexes set aside and with them, alternating
    query by query: (hash-only median, rows, ordered median, rows) per case."""
    ordered = store._ordered
    timed: dict[str, tuple] = {}
    for name, (run, args) in ranges(store, picks).items():
        times: dict[bool, list[float]] = {True: [], False: []}
        rows: dict[bool, list] = {True: [], False: []}
        spent = 0.0
        for pick in args[:reps]:
            for use in (False, True):
                store._ordered = ordered if use else {}
                start = time.perf_counter()
                rows[use].append(run(pick))
                took = time.perf_counter() - start
                times[use].append(took)
                spent += took
            if len(times[True]) >= 3 and spent > budget:
                break
        store._ordered = ordered
        timed[name] = (statistics.median(times[False]), rows[False], statistics.median(times[True]), rows[True])
    return timed


def shown(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=10, help="events per deal")
    parser.add_argument("--reps", type=int, default=200, help="queries per case (fewer for slow scans)")
    parser.add_argument("--budget", type=float, default=10.0, help="seconds per case before stopping early")
    parser.add_argument("--moves", type=int, default=500, help="durable moves per opening")
    parser.add_argument("--dir", help="folder on the disk to measure (default: the temp dir)")
    args = parser.parse_args()
    rng = random.Random(11)
    print(f"{args.deals:,} deals, {args.deals * args.events:,} events; {os.cpu_count()} CPUs")

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp) / "data"
        took, digests = fill(folder, args.deals, args.events, rng)
        print(f"fill: {took:.1f} s, snapshot {(folder / 'snapshot').stat().st_size / 1e6:.0f} MB")
        columns = [(f, s, rng.choice(OWNERS)) for f, stages in FUNNELS.items() for s in stages]
        picks = {
            "deal_ids": [rng.randrange(1, args.deals + 1) for _ in range(args.reps)],
            "digests": [rng.choice(digests) for _ in range(args.reps)],
            "owners": [rng.choice(OWNERS) for _ in range(args.reps)],
            "columns": [rng.choice(columns) for _ in range(args.reps)],
            "days": [rng.uniform(0, 340) for _ in range(args.reps)],
        }
        # A stale threshold 1 to 20 days into the deals' year: a few hundred idle deals.
        picks["stale"] = [(*c, None, rng.uniform(1, 20)) for c in picks["columns"]]
        results, opened, moved = {}, {}, {}
        # The moves change the data, so they come after both openings' queries: the third
        # opening (indexed again) replays the scan opening's moves from the journal.
        for label, indexes, measure in (
            ("indexed", None, "queries"), ("scan", {}, "both"), ("indexed", None, "moves")
        ):
            start = time.perf_counter()
            store = TinyStore(folder, indexes=indexes, ordered=indexes, compact_bytes=1 << 62)
            opened.setdefault(label, time.perf_counter() - start)
            try:
                if "cursors" not in picks:  # the 50th row of each picked column, found once
                    picks["cursors"] = []
                    for f, s, o in picks["columns"]:
                        page = store.find("deals", And((Eq("funnel", f), Eq("stage", s), Eq("owner", o))), limit=50, descending=True)
                        picks["cursors"].append((f, s, o, page[-1]["id"] if page else None))
                if measure != "moves":
                    results[label] = queries(store, picks, args.reps, args.budget)
                if measure == "queries":
                    hash_only = hash_only_ranges(store, picks, args.reps, args.budget)
                if label == "scan":  # the part of an open the indexes add (opens are noisy)
                    raw = {name: store._tables[name].raw() for name in TABLES}
                    start = time.perf_counter()
                    build_indexes(DEFAULT_INDEXES, raw)
                    built = time.perf_counter() - start
                    start = time.perf_counter()
                    build_ordered(DEFAULT_ORDERED, raw)
                    built_ordered = time.perf_counter() - start
                    tracemalloc.start()  # apart: tracing slows what it traces
                    kept = build_ordered(DEFAULT_ORDERED, raw)
                    ordered_bytes = tracemalloc.get_traced_memory()[0]
                    tracemalloc.stop()
                    del raw, kept
                if measure != "queries":
                    moved[label] = moves(store, folder, args.moves, random.Random(5))
            finally:
                store.close()
                del store

        print(f"\n{'query (median)':<52}{'indexed':>10}{'scan':>10}{'ratio':>9}  reps")
        for name, (fast, fast_rows) in results["indexed"].items():
            slow, slow_rows = results["scan"][name]
            assert fast_rows[: len(slow_rows)] == slow_rows, f"{name}: the answers differ"
            print(f"{name:<52}{shown(fast):>10}{shown(slow):>10}{slow / fast:>8.0f}x  {len(fast_rows)}/{len(slow_rows)}")
        print(f"{'open (load snapshot + build indexes)':<52}{shown(opened['indexed']):>10}{shown(opened['scan']):>10}")
        print(f"index build alone (part of the indexed open): hash {shown(built)}, ordered {shown(built_ordered)}"
              f" holding {ordered_bytes / 1e6:.1f} MB")
        print(f"\n{'Range query (median)':<52}{'ordered':>10}{'hash only':>10}{'ratio':>9}")
        for name, (hashed, hashed_rows, ordered, ordered_rows) in hash_only.items():
            assert hashed_rows == ordered_rows, f"{name}: the answers differ"
            print(f"{name:<52}{shown(ordered):>10}{shown(hashed):>10}{hashed / ordered:>8.0f}x")
        for label in ("indexed", "scan"):
            move, floor = moved[label]
            print(f"durable move, {label:<8}: {shown(move)} (append+fsync floor {shown(floor)}, ratio {move / floor:.2f})")
        hashed, ordered = upkeep(args.deals, 10_000, rng)
        print(f"index upkeep per move, in memory: hash {shown(hashed)}, ordered {shown(ordered)}")


if __name__ == "__main__":
    main()

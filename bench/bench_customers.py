"""Customers (issue 15, Speed): the duplicate check on create against a plain create, and the
customer list's first page and its search as you type, at two sizes, interleaved in one run.

    .venv/bin/python bench/bench_customers.py [--sizes 1000,100000] [--reads 30] [--creates 100]
                                              [--store tinydb | --store postgresql://…/db]

Each size gets a fresh workspace (on PostgreSQL: a scratch schema, dropped afterwards) whose
customers match on their name and a credit code, filled in bulk through
``Customers.insert_new`` (their keys, events and audit rows included), owned by four reps in
turn, one in ten in the pool and named after a hospital whose name holds 白云 (so that a search
fills its first page of 50 at 1,000 customers too, and both sizes read the same page). Both workspaces stay open, and every
measurement alternates between them, so that both see the same machine:

- ``dup`` / ``plain``: one ``Customers.create`` with a new name and credit code (two indexed key
  lookups in one query, inside the transaction, and two key rows written), against one create
  by a service whose record type declares no match key (no lookup, no key rows); alternating,
  so the ratio dup / plain is what the duplicate check costs;
- ``page``: a rep's first page of 50 customers (their own and the pool's, newest first), and
  ``search``: the same rep's first 50 holding 白云 (``q``; two characters: the grams index on
  PostgreSQL), ``search3`` those holding 白云医 (three: the trigram index), as the list page and
  its search-as-you-type ask.

The medians are printed with the ratios the issue asks about: dup / plain (≤ 2×), and the larger
size over the smaller for page and search (≤ 1.5×).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from goldsieve.people.users import add_user, find_user
from goldsieve.records.customers import Customers
from goldsieve.records.model import RecordType
from goldsieve.runtime import open_runtime
from goldsieve.testing.postgres import scratch_schema
from goldsieve.workspace import init_workspace, set_store_url

FUNNEL = json.loads((Path(__file__).parents[1] / "tests" / "funnels" / "design_example.json").read_text())
CUSTOMER = {"fields": {"type": "object", "properties": {
    "credit_code": {"type": "string", "title": {"en": "Credit code", "zh-Hans": "统一社会信用代码"}},
    "grade": {"type": "string", "enum": ["3A", "2A", "1A"]}}}, "match": ["name", "credit_code"]}
REPS = ("rep.a", "rep.b", "rep.c", "rep.d")
KINDS = ("page", "search", "search3", "dup", "plain")
BATCH = 5000


def fill(runtime, admin: dict, count: int) -> None:
    """``count`` customers in transactions of :data:`BATCH`, through the customers service."""
    customers = runtime.customers
    for start in range(0, count, BATCH):
        prepared = []
        for n in range(start, min(count, start + BATCH)):
            name = f"广州白云医院 {n}" if n % 10 == 0 else f"Customer {n}"
            owner = REPS[n % len(REPS)] if n % 10 else None  # one in ten in the pool
            customer, keys = customers.prepare(admin, name, {"credit_code": f"9144{n:010d}", "grade": "3A"},
                                               owner=owner, check_keys=False)
            prepared.append((customer, keys))
        # the keys are checked inside the write (once); the names are new, so none is a duplicate
        customers.insert_new(admin, prepared)


class Sized:
    """One workspace of ``size`` customers, open while the run lasts."""

    def __init__(self, stack: ExitStack, size: int, store: str):
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(dir=Path.cwd())))
        workspace = init_workspace(tmp / "ws", FUNNEL)
        (workspace.path / "records").mkdir()
        (workspace.path / "records" / "customer.json").write_text(json.dumps(CUSTOMER), encoding="utf-8")
        if store != "tinydb":
            workspace = set_store_url(workspace, stack.enter_context(scratch_schema(store)))
        self.runtime = open_runtime(workspace, entry_points=False)
        stack.callback(self.runtime.close)
        store_ = self.runtime.store
        add_user(store_, "admin", "admin", "measured-gold-nuggets")
        for rep in REPS:
            add_user(store_, rep, "rep", "measured-gold-nuggets")
        self.admin, self.rep = find_user(store_, "admin"), find_user(store_, REPS[0])
        started = time.perf_counter()
        fill(self.runtime, self.admin, size)
        self.fill_s = time.perf_counter() - started
        if hasattr(store_, "analyze"):
            store_.analyze()
        customers = self.runtime.customers
        plain_type = RecordType("customer", {**customers.types.customer.definition, "match": []})
        self.plain = Customers(store_, dataclasses.replace(customers.types, customer=plain_type),
                               customers.pool, scope=customers._scope, permit=customers._permit,
                               clock=customers.clock)
        self.size, self.made = size, 0
        page, found, longer = self.page(), self.search(), self.search3()
        # the 白云 ones are the pool's: a full page of each at every size
        assert len(page) == len(found) == len(longer) == 50, (len(page), len(found), len(longer))
        assert all("白云医" in c["name"] for c in longer)

    def page(self) -> list:
        return self.runtime.customers.list(self.rep, limit=50)

    def search(self) -> list:
        return self.runtime.customers.list(self.rep, text="白云", limit=50)

    def search3(self) -> list:
        return self.runtime.customers.list(self.rep, text="白云医", limit=50)

    def create(self, checked: bool) -> None:
        self.made += 1
        service = self.runtime.customers if checked else self.plain
        service.create(self.rep, f"New hospital {self.size} {self.made}", {"credit_code": f"N{self.made}"})


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--reads", type=int, default=30)
    parser.add_argument("--creates", type=int, default=100)
    parser.add_argument("--store", default="tinydb", help='"tinydb", or a PostgreSQL server URL')
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with ExitStack() as stack:
        runs = [Sized(stack, size, args.store) for size in sizes]
        samples: dict[tuple[int, str], list[float]] = {(r.size, k): [] for r in runs for k in KINDS}
        for _ in range(args.reads):
            for run in runs:
                samples[(run.size, "page")].append(timed(run.page))
                samples[(run.size, "search")].append(timed(run.search))
                samples[(run.size, "search3")].append(timed(run.search3))
        for _ in range(args.creates):
            for run in runs:
                samples[(run.size, "dup")].append(timed(lambda: run.create(True)))
                samples[(run.size, "plain")].append(timed(lambda: run.create(False)))
        fills = {run.size: run.fill_s for run in runs}
    median = {key: statistics.median(values) for key, values in samples.items()}
    print(f"store: {args.store.split('@')[-1]}")
    print(f"{'customers':>10} {'fill s':>7} {'page ms':>8} {'search ms':>10} {'search3 ms':>11} {'dup ms':>7}"
          f" {'plain ms':>9} {'dup/plain':>10}")
    for size in sizes:
        m = {k: median[(size, k)] for k in KINDS}
        print(f"{size:>10,} {fills[size]:>7.1f} {m['page']:>8.2f} {m['search']:>10.2f} {m['search3']:>11.2f}"
              f" {m['dup']:>7.2f} {m['plain']:>9.2f} {m['dup'] / m['plain']:>10.2f}")
    small, large = sizes[0], sizes[-1]
    print(f"page {large:,}/{small:,}: {median[(large, 'page')] / median[(small, 'page')]:.2f}x, "
          f"search: {median[(large, 'search')] / median[(small, 'search')]:.2f}x, "
          f"search3: {median[(large, 'search3')] / median[(small, 'search3')]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

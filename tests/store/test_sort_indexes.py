"""The sort indexes (embedded: :mod:`goldsieve.store.tinydb.sorting`; PostgreSQL: migration
0006): a sorted page read by walking an index is the page of the reference order
(:func:`goldsieve.store.ordering.sort_key`) through inserts, updates, deletes and a reopen, with
ties, absent values and values of every kind stored before any rule existed; the embedded walk
stops after a page, and PostgreSQL reads the common sorts from their index."""
from __future__ import annotations

import random

import pytest
from sqlalchemy.pool import NullPool

from goldsieve.store import Contains, Eq, Range, TinyStore
from goldsieve.store.filters import all_of
from goldsieve.store.ordering import Order, sort_key
from goldsieve.store.postgres.store import PostgresStore, engine_for
from goldsieve.store.search import SEARCH, fold
from goldsieve.store.text_index import TextIndexedStore
from goldsieve.store.tinydb import sorting
from goldsieve.store.tinydb.query import plan
from goldsieve.testing.postgres import scratch_schema, server_url

from tests.store.conftest import ids, insert, needs_postgres

#: Values of every kind, as documents written before a field was declared may hold them.
ODD = [None, True, False, 0, 1, 1.0, -3.5, 2, 10**16, float(10**15), "", "a", "B", "白云", "a", [1], {"k": 2}]


def reference(store, where, order):
    rows = store.find("deals", where)
    return [d["id"] for d in sorted(rows, key=lambda d: sort_key(d, order), reverse=order.descending)]


def pages(store, where, order, limit):
    found, cursor = [], None
    while True:
        page, cursor = store.find_ordered("deals", where, order, after=cursor, limit=limit)
        found += ids(page)
        if cursor is None:
            return found


def odd_deal(rng, n):
    doc = {"title": rng.choice(ODD), "status": rng.choice(["open", "won"]), "data": {}}
    if n % 7:  # some deals hold no amount at all
        doc["data"]["amount"] = rng.choice(ODD)
    if n % 3:
        doc["data"]["x"] = rng.choice(ODD)
    return doc


ORDERS = [Order(path, descending) for path in ("data.amount", "title", "data.x") for descending in (False, True)]


def check_every_order(store, where):
    for order in ORDERS:
        expected = reference(store, where, order)
        for limit in (3, 50):
            assert pages(store, where, order, limit) == expected, (order, limit)


def test_sorted_pages_follow_the_reference_through_writes_and_a_reopen(store_factory):
    store = store_factory.open()
    rng = random.Random(16)
    made = insert(store, "deals", *(odd_deal(rng, n) for n in range(120)))
    where = Eq("status", "open")
    check_every_order(store, where)
    check_every_order(store, None)
    with store.transaction() as txn:  # updates move deals within the order, deletes drop them
        for id in rng.sample(made, 40):
            txn.replace("deals", {**txn.get("deals", id), **odd_deal(rng, id)})
        for id in rng.sample(made, 15):
            txn.delete("deals", id)
    insert(store, "deals", *(odd_deal(rng, n) for n in range(20)))
    check_every_order(store, where)
    store = store_factory.reopen()
    check_every_order(store, where)
    check_every_order(store, Range("data.amount", 0, None))


def test_ties_are_broken_by_id_both_ways(store):
    made = insert(store, "deals", *({"status": "open", "data": {"amount": 5}} for _ in range(9)))
    assert pages(store, None, Order("data.amount"), 2) == made
    assert pages(store, None, Order("data.amount", True), 2) == made[::-1]


# --- the embedded walk ---------------------------------------------------------------------------


def fresh(store, path):
    return sorting.SortIndex(path, iter(store._tables["deals"].raw().values()))


def same(live, built):
    return live.values == built.values and live.ids == built.ids


def test_the_embedded_indexes_equal_a_rebuild_after_writes(tmp_path):
    store = TinyStore(tmp_path / "data")
    rng = random.Random(7)
    made = insert(store, "deals", *(odd_deal(rng, n) for n in range(60)))
    store.find_ordered("deals", None, Order("data.x"), limit=5)  # built on its first sort
    with store.transaction() as txn:
        for id in made[::3]:
            txn.replace("deals", {**txn.get("deals", id), **odd_deal(rng, id + 1)})
        for id in made[1::5]:
            txn.delete("deals", id)
    live = store._sorts._built["deals"]
    assert set(live) == {*sorting.SORTED["deals"], "data.x"}
    for path, index in live.items():
        assert same(index, fresh(store, path)), path
        assert len(index) == len(store.find("deals"))  # absent values too: every deal has a place
    store.close()
    store = TinyStore(tmp_path / "data")
    assert set(store._sorts._built["deals"]) == set(sorting.SORTED["deals"])  # rebuilt on open
    assert same(store._sorts._built["deals"]["title"], fresh(store, "title"))
    store.close()


def test_an_aborted_transaction_leaves_the_indexes_alone(tmp_path):
    store = TinyStore(tmp_path / "data")
    insert(store, "deals", {"title": "b", "data": {"amount": 1}})
    with pytest.raises(RuntimeError), store.transaction() as txn:
        txn.insert("deals", {"title": "a", "data": {"amount": 2}})
        raise RuntimeError
    assert same(store._sorts._built["deals"]["title"], fresh(store, "title"))
    assert ids(store.find_ordered("deals", None, Order("title"), limit=5)[0]) == [1]
    store.close()


class Counting(dict):
    """The raw table, counting the documents read from it."""

    reads = 0

    def __getitem__(self, key):
        Counting.reads += 1
        return super().__getitem__(key)


def test_a_sorted_page_of_a_broad_filter_reads_about_a_page(tmp_path):
    store = TinyStore(tmp_path / "data")
    rng = random.Random(3)
    insert(store, "deals", *({"status": rng.choice(["open", "open", "won"]), "data": {"amount": rng.randrange(1000)}}
                             for _ in range(3000)))
    where, order = Eq("status", "open"), Order("data.amount", True)
    raw = Counting(store._tables["deals"].raw())
    index = store._sorts.get("deals", order.field, raw)
    steps = plan(where, store._indexes["deals"])
    assert sorting.walks(sorting.candidate_count(steps, len(raw)), len(raw), 50)
    Counting.reads = 0
    page, cursor = sorting.ordered_page(raw, 3001, where, steps, order, None, 50, index)
    assert Counting.reads < 150 and len(page) == 50 and cursor is not None
    assert [d["id"] for d in page] == reference(store, where, order)[:50]
    narrow = plan(Eq("status", "lost"), store._indexes["deals"])  # nothing lost: no walk
    assert not sorting.walks(sorting.candidate_count(narrow, len(raw)), len(raw), 50)
    store.close()


def test_sort_indexes_are_kept_for_a_bounded_number_of_paths(tmp_path, monkeypatch):
    monkeypatch.setattr(sorting, "MAX_SORTED", len(sorting.SORTED["deals"]) + 1)
    store = TinyStore(tmp_path / "data")
    insert(store, "deals", *({"data": {"p": n % 3, "q": -n}} for n in range(10)))
    assert ids(store.find_ordered("deals", None, Order("data.p"), limit=4)[0]) == [1, 4, 7, 10]
    assert ids(store.find_ordered("deals", None, Order("data.q"), limit=2)[0]) == [10, 9]  # by a pass
    assert set(store._sorts._built["deals"]) == {*sorting.SORTED["deals"], "data.p"}
    assert store._sorts.get("events", "at", {}) is None  # never: read from their file on demand
    store.close()


# --- PostgreSQL -----------------------------------------------------------------------------------


@needs_postgres
@pytest.mark.parametrize("path", ["data.amount", "updated_at"])
def test_postgresql_reads_a_common_sort_from_its_index(path):
    with scratch_schema(server_url()) as url, PostgresStore(url) as store:
        with store.transaction() as txn:
            txn.restore("deals", ({"id": n, "status": "open" if n % 3 else "won",
                                   "updated_at": f"2026-01-{n % 28 + 1:02d}T00:00:00Z",
                                   "data": {"amount": (n * 7919) % 100_000}} for n in range(1, 20_001)))
        where, order = Range("data.amount", 1000, None), Order(path, True)
        engine = engine_for(url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE deals")
                compiled = store.ordered_query("deals", all_of(Eq("status", "open"), where), order, None, 50).compile(conn)
                explained = "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params))
        finally:
            engine.dispose()
        name = "deals_sort_amount" if path == "data.amount" else "deals_sort_updated_at"
        assert name in explained and "Sort" not in explained, explained
        page, _ = store.find_ordered("deals", all_of(Eq("status", "open"), where), order, limit=50)
        assert ids(page) == reference(store, all_of(Eq("status", "open"), where), order)[:50]



def test_an_index_built_from_documents_out_of_id_order_is_the_same():
    rng = random.Random(5)
    docs = [{"id": n, **odd_deal(rng, n)} for n in range(1, 80)]
    shuffled = rng.sample(docs, len(docs))
    for path in ("title", "data.amount", "data.x"):
        assert same(sorting.SortIndex(path, iter(shuffled)), sorting.SortIndex(path, iter(docs))), path


def test_a_sorted_search_walks_the_order_when_its_term_is_frequent(tmp_path):
    store = TextIndexedStore(tmp_path / "data")
    rng = random.Random(9)
    insert(store, "deals", *({"status": "open", SEARCH: fold(f"广州白云医院 {n}" if n % 10 == 0 else f"Deal {n}"),
                              "data": {"amount": rng.choice(ODD)}} for n in range(2000)))
    where = all_of(Contains(SEARCH, "白云"), Eq("status", "open"))
    assert sorting.walks(len(store._candidates("deals", where)), 2000, 5)  # 200 candidates of 2,000
    for order in (Order("data.amount", True), Order("data.amount")):
        assert pages(store, where, order, 5)[:25] == reference(store, where, order)[:25]
        assert pages(store, where, order, 50) == reference(store, where, order)
    store.close()

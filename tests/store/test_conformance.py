"""What every store backend must do; each test runs once per backend (see conftest)."""
from __future__ import annotations

import math
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goldsieve.store import (
    TABLES,
    And,
    Conflict,
    Contains,
    Eq,
    Everything,
    Group,
    In,
    Not,
    Nothing,
    Or,
    Range,
    Store,
    StoreError,
    matches,
)

from tests.store.conftest import ids, insert

# --- writing ---------------------------------------------------------------------------------


def test_insert_get_replace_delete(store_factory):
    store = store_factory.open()
    doc = {"title": "Acme", "version": 1, "data": {"amount": 10}}
    with store.transaction() as txn:
        id = txn.insert("deals", doc)
    assert doc["id"] == id
    assert store.get("deals", id) == {"id": id, "title": "Acme", "version": 1, "data": {"amount": 10}}

    with store.transaction() as txn:
        txn.replace("deals", {"id": id, "title": "Acme Ltd", "version": 2})
    assert store.get("deals", id) == {"id": id, "title": "Acme Ltd", "version": 2}, "replace is whole"

    with store.transaction() as txn:
        txn.delete("deals", id)
        txn.delete("deals", 999)  # missing: not an error
    assert store.get("deals", id) is None
    assert store.find("deals") == []
    assert store_factory.reopen().get("deals", id) is None


def test_insert_assigns_the_id_even_when_the_doc_has_one(store):
    first, second = insert(store, "deals", {"id": 500, "title": "x"}, {"id": 500, "title": "y"})
    assert first != second
    assert store.get("deals", first) == {"id": first, "title": "x"}
    assert store.get("deals", second) == {"id": second, "title": "y"}


def test_ids_increase_and_are_never_reused(store_factory):
    store = store_factory.open()
    first = insert(store, "deals", {"n": 1}, {"n": 2}, {"n": 3})
    assert first == sorted(first) and len(set(first)) == 3
    with store.transaction() as txn:
        txn.delete("deals", first[-1])
    [after_delete] = insert(store, "deals", {"n": 4})
    assert after_delete > first[-1]
    with store.transaction() as txn:
        txn.delete("deals", after_delete)
    store = store_factory.reopen()
    [after_reopen] = insert(store, "deals", {"n": 5})
    assert after_reopen > after_delete


def test_ids_of_an_aborted_insert_are_not_visible(store):
    with pytest.raises(RuntimeError):
        with store.transaction() as txn:
            txn.insert("deals", {"n": 1})
            raise RuntimeError("abort")
    assert store.count("deals") == 0


def test_version_conflict_raises_and_writes_nothing(store_factory):
    store = store_factory.open()
    [id] = insert(store, "deals", {"title": "a", "version": 3})
    with pytest.raises(Conflict) as caught:
        with store.transaction() as txn:
            txn.insert("events", {"deal_id": id})
            txn.replace("deals", {"id": id, "title": "b", "version": 3}, expect_version=2)
    assert (caught.value.table, caught.value.id) == ("deals", id)
    assert (caught.value.expected, caught.value.actual) == (2, 3)
    assert store.get("deals", id)["title"] == "a"
    assert store.count("events") == 0
    store = store_factory.reopen()
    assert store.get("deals", id)["title"] == "a"
    assert store.count("events") == 0


def test_matching_version_replaces(store):
    [id] = insert(store, "deals", {"version": 1})
    with store.transaction() as txn:
        txn.replace("deals", {"id": id, "version": 2}, expect_version=1)
        txn.replace("deals", {"id": id, "version": 3}, expect_version=2)  # sees its own write
    assert store.get("deals", id)["version"] == 3


def test_replace_of_a_missing_document_is_a_key_error(store):
    with pytest.raises(KeyError):
        with store.transaction() as txn:
            txn.replace("deals", {"id": 42, "version": 1}, expect_version=1)
    with pytest.raises(KeyError):
        with store.transaction() as txn:
            txn.replace("deals", {"id": 42, "version": 1})
    [id] = insert(store, "deals", {"version": 1})
    with pytest.raises(KeyError):
        with store.transaction() as txn:
            txn.delete("deals", id)
            txn.replace("deals", {"id": id, "version": 2})
    assert store.get("deals", id) == {"id": id, "version": 1}


def test_an_exception_in_a_transaction_writes_nothing(store_factory):
    store = store_factory.open()
    [kept] = insert(store, "deals", {"title": "kept", "version": 1})
    with pytest.raises(ValueError):
        with store.transaction() as txn:
            txn.insert("deals", {"title": "new"})
            txn.replace("deals", {"id": kept, "title": "changed", "version": 2})
            txn.delete("deals", kept)
            txn.insert("audit", {"what": "x"})
            raise ValueError("boom")
    assert store.find("deals") == [{"id": kept, "title": "kept", "version": 1}]
    assert store.count("audit") == 0
    store = store_factory.reopen()
    assert store.find("deals") == [{"id": kept, "title": "kept", "version": 1}]
    assert store.count("audit") == 0


def test_a_transaction_reads_its_own_writes_and_others_see_them_only_after(store):
    [id] = insert(store, "deals", {"title": "a", "version": 1})
    with store.transaction() as txn:
        new = txn.insert("deals", {"title": "n"})
        txn.replace("deals", {"id": id, "title": "b", "version": 2})
        assert txn.get("deals", new) == {"id": new, "title": "n"}
        assert txn.get("deals", id)["title"] == "b"
        assert store.get("deals", id)["title"] == "a"
        assert store.get("deals", new) is None
        txn.delete("deals", new)
        assert txn.get("deals", new) is None
    assert store.get("deals", id)["title"] == "b"
    assert store.get("deals", new) is None


def test_a_nested_transaction_joins_and_undoes_only_its_part(store):
    with store.transaction() as outer:
        a = outer.insert("deals", {"n": "a"})
        with pytest.raises(RuntimeError):
            with store.transaction() as inner:
                inner.insert("deals", {"n": "inner"})
                raise RuntimeError
        with store.transaction() as inner:
            b = inner.insert("deals", {"n": "b"})
        assert store.get("deals", b) is None  # not committed before the outer block ends
    assert [row["n"] for row in store.find("deals")] == ["a", "b"]
    assert ids(store.find("deals")) == [a, b]


@pytest.mark.parametrize(
    "bad, error",
    [(object(), TypeError), ({1, 2}, TypeError), (math.nan, ValueError), (math.inf, ValueError)],
)
def test_a_document_json_cannot_carry_is_refused_when_staged(store, bad, error):
    [id] = insert(store, "deals", {"version": 1})
    with store.transaction() as txn:
        with pytest.raises(error):
            txn.insert("deals", {"data": {"x": bad}})
        with pytest.raises(error):
            txn.replace("deals", {"id": id, "version": 2, "bad": bad})
        txn.insert("deals", {"ok": True})  # the transaction goes on
    assert [row.get("ok") for row in store.find("deals")] == [None, True]
    assert store.get("deals", id)["version"] == 1


def test_a_document_is_a_dict(store):
    with store.transaction() as txn:
        with pytest.raises(TypeError):
            txn.insert("deals", ["not", "a", "dict"])
    assert store.count("deals") == 0


def test_every_table_exists_and_an_unknown_one_is_a_key_error(store):
    for table in TABLES:
        [id] = insert(store, table, {"t": table})
        assert store.get(table, id)["t"] == table
    for call in (
        lambda: store.get("dealz", 1),
        lambda: store.find("dealz"),
        lambda: store.count("dealz"),
    ):
        with pytest.raises(KeyError, match="dealz"):
            call()
    with pytest.raises(KeyError, match="dealz"):
        with store.transaction() as txn:
            txn.insert("dealz", {})


def test_a_closed_store_refuses_work_and_closes_twice(store_factory):
    store = store_factory.open()
    store.close()
    store.close()
    with pytest.raises(StoreError):
        store.get("deals", 1)
    with pytest.raises(StoreError):
        with store.transaction():
            pass
    store_factory.store = None


# --- copies ----------------------------------------------------------------------------------


def test_returned_and_given_documents_are_copies(store):
    doc = {"version": 1, "data": {"tags": ["a"]}}
    with store.transaction() as txn:
        id = txn.insert("deals", doc)
        doc["data"]["tags"].append("after insert")
        got = txn.get("deals", id)
        got["data"]["tags"].append("from txn.get")
    doc["data"]["tags"].append("after commit")
    store.get("deals", id)["data"]["tags"].append("from get")
    store.find("deals")[0]["data"]["tags"].append("from find")
    store.find("deals", Eq("version", 1))[0]["data"]["tags"].append("from filtered find")
    assert store.get("deals", id)["data"] == {"tags": ["a"]}

    changed = store.get("deals", id)
    with store.transaction() as txn:
        txn.replace("deals", changed)
        changed["data"]["tags"].append("after replace")
    assert store.get("deals", id)["data"] == {"tags": ["a"]}


# --- filters ---------------------------------------------------------------------------------

DOCS = [
    {"title": "Acme Corp", "stage": "lead", "owner": "ann", "data": {"amount": 100, "city": "Berlin"}},
    {"title": "acme west", "stage": "won", "owner": "bob", "data": {"amount": 2500.5}},
    {"title": "Hauptstraße GmbH", "stage": "lead", "owner": None, "data": {"amount": "n/a"}},
    {"title": "Zeta", "stage": "lost", "owner": "ann", "data": {"amount": 0, "nested": {"x": True}}},
    {"title": 42, "stage": "won", "data": "not a dict"},
    {"stage": "lead", "owner": "cid", "data": {"amount": -5, "city": "berlin"}},
]


@pytest.fixture
def filled(store):
    insert(store, "deals", *[dict(d) for d in DOCS])
    return store


def titles(rows):
    return [row.get("title") for row in rows]


@pytest.mark.parametrize(
    "where, expected",
    [
        (Eq("stage", "lead"), ["Acme Corp", "Hauptstraße GmbH", None]),
        (Eq("owner", None), ["Hauptstraße GmbH"]),  # null is a value, missing is not
        (Eq("data.amount", 100), ["Acme Corp"]),
        (Eq("data.nested.x", True), ["Zeta"]),
        (Eq("data.city", "berlin"), [None]),
        (Eq("nope", None), []),
        (In("owner", ("ann", "cid")), ["Acme Corp", "Zeta", None]),
        (In("owner", ()), []),
        (Range("data.amount", 0, 100), ["Zeta"]),  # low inclusive, high exclusive
        (Range("data.amount", 100, None), ["Acme Corp", "acme west"]),
        (Range("data.amount", None, 0), [None]),
        # open on both ends: every present value, text too
        (Range("data.amount", None, None), ["Acme Corp", "acme west", "Hauptstraße GmbH", "Zeta", None]),
        (Range("title", "B", "Z"), ["Hauptstraße GmbH"]),
        (Contains("title", "ACME"), ["Acme Corp", "acme west"]),
        (Contains("title", "STRASSE"), ["Hauptstraße GmbH"]),  # casefold: ß == ss
        (Contains("title", "4"), []),  # a number is not text
        (Contains("data.city", "BERL"), ["Acme Corp", None]),
        (And((Eq("stage", "lead"), Eq("owner", "ann"))), ["Acme Corp"]),
        (And(()), ["Acme Corp", "acme west", "Hauptstraße GmbH", "Zeta", 42, None]),
        (Or((Eq("stage", "won"), Eq("owner", "cid"))), ["acme west", 42, None]),
        (Or(()), []),
        (Not(Eq("stage", "lead")), ["acme west", "Zeta", 42]),
        (Not(Eq("owner", "ann")), ["acme west", "Hauptstraße GmbH", 42, None]),  # missing matches Not
        (Not(Eq("data.amount", 0)), ["Acme Corp", "acme west", "Hauptstraße GmbH", 42, None]),
        (Everything(), ["Acme Corp", "acme west", "Hauptstraße GmbH", "Zeta", 42, None]),
        (Nothing(), []),
        (Or((Nothing(), And((Everything(), Eq("owner", "bob"))))), ["acme west"]),
        (Or(tuple(Eq("data.amount", n) for n in range(3000))), ["Acme Corp", "Zeta"]),
        # many values: PostgreSQL compares them as one array, numbers numerically
        (In("data.amount", tuple(range(2, 100)) + (100.0, -5, "n/a")), ["Acme Corp", "Hauptstraße GmbH", None]),
        (In("data.amount", tuple(range(2, 40)) + (True, 0)), ["Zeta"]),  # 0 == False
        (In("data.city", tuple(f"city {n}" for n in range(30)) + ("berlin",)), [None]),
    ],
)
def test_filter(filled, where, expected):
    assert titles(filled.find("deals", where)) == expected
    assert filled.count("deals", where) == len(expected)
    assert titles(d for d in filled.find("deals") if matches(where, d)) == expected


def test_none_means_every_row(filled):
    assert filled.count("deals") == len(DOCS) == filled.count("deals", None)
    assert len(filled.find("deals", None)) == len(DOCS)


# Random filters over awkward documents must agree with the reference semantics.
FIELDS = ["a", "b", "data.a", "data.b.c", "missing"]
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(-3, 3, allow_nan=False),
    st.sampled_from(["", "x", "X", "ab", "Ab"]),
)
LEAF_DOCS = st.dictionaries(st.sampled_from(["a", "b", "c"]), VALUES | st.lists(VALUES, max_size=2))
RANDOM_DOCS = st.lists(
    st.fixed_dictionaries({}, optional={"a": VALUES, "b": VALUES, "data": st.one_of(VALUES, st.fixed_dictionaries({}, optional={"a": VALUES, "b": VALUES | LEAF_DOCS}))}),
    min_size=1,
    max_size=12,
)
field = st.sampled_from(FIELDS)
leaf = st.one_of(
    st.builds(Eq, field, VALUES),
    st.builds(In, field, st.lists(VALUES, max_size=3).map(tuple)),
    st.builds(In, field, st.lists(VALUES, min_size=16, max_size=40).map(tuple)),
    st.builds(Range, field, VALUES, VALUES),
    st.builds(Contains, field, st.sampled_from(["", "a", "X", "b"])),
    st.just(Everything()),
    st.just(Nothing()),
)
FILTERS = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.builds(And, st.lists(inner, max_size=3).map(tuple)),
        st.builds(Or, st.lists(inner, max_size=3).map(tuple)),
        st.builds(Not, inner),
    ),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=RANDOM_DOCS, filters=st.lists(FILTERS, min_size=1, max_size=5))
def test_filters_agree_with_the_reference(store, docs, filters):
    with store.transaction() as txn:
        for row in store.find("deals"):
            txn.delete("deals", row["id"])
        for doc in docs:
            txn.insert("deals", doc)
    stored = store.find("deals")
    for where in filters:
        expected = [row for row in stored if matches(where, row)]
        assert store.find("deals", where) == expected, where
        assert store.count("deals", where) == len(expected), where


# --- ordering and paging ---------------------------------------------------------------------


def test_find_orders_pages_and_limits(store):
    all_ids = insert(store, "events", *[{"n": n, "even": n % 2 == 0} for n in range(30)])
    with store.transaction() as txn:
        for id in all_ids[5:10]:
            txn.delete("events", id)
        txn.replace("events", {"id": all_ids[0], "n": 0, "even": True, "touched": 1})
    alive = all_ids[:5] + all_ids[10:]
    assert ids(store.find("events")) == alive, "a replace keeps the id order"
    assert ids(store.find("events", descending=True)) == alive[::-1]
    assert ids(store.find("events", limit=3)) == alive[:3]
    assert ids(store.find("events", limit=0)) == []
    assert ids(store.find("events", after=alive[2], limit=4)) == alive[3:7]
    assert ids(store.find("events", after=all_ids[6])) == alive[5:]  # a deleted id as cursor
    assert ids(store.find("events", after=alive[-1])) == []
    assert ids(store.find("events", after=0)) == alive
    assert ids(store.find("events", after=alive[7], descending=True, limit=3)) == alive[4:7][::-1]
    assert ids(store.find("events", after=alive[0], descending=True)) == []
    evens = [id for id, n in zip(all_ids, range(30)) if n % 2 == 0 and id in alive]
    assert ids(store.find("events", Eq("even", True), after=evens[1], limit=2)) == evens[2:4]
    assert ids(store.find("events", Eq("even", True), descending=True, limit=2)) == evens[::-1][:2]
    assert ids(store.iterate("events", Eq("even", True), batch=4)) == evens
    assert store.count("events") == len(alive)
    assert store.count("events", Eq("even", True)) == len(evens)


def test_paging_after_many_deletes(store):
    all_ids = insert(store, "tasks", *[{"n": n} for n in range(200)])
    with store.transaction() as txn:
        for id in all_ids[:190]:
            txn.delete("tasks", id)
    assert ids(store.find("tasks", after=all_ids[0])) == all_ids[190:]
    assert ids(store.find("tasks", after=all_ids[194])) == all_ids[195:]
    assert ids(store.find("tasks", after=all_ids[193], limit=3)) == all_ids[194:197]
    assert ids(store.find("tasks", after=all_ids[195], descending=True)) == all_ids[190:195][::-1]
    assert ids(store.find("tasks", after=all_ids[-1] + 1000, descending=True, limit=2)) == all_ids[-1:-3:-1]


# --- durability ------------------------------------------------------------------------------


def test_everything_survives_close_and_reopen(store_factory):
    store = store_factory.open()
    deal_ids = insert(store, "deals", *[{"n": n, "version": 1, "data": {"t": "ü" * n}} for n in range(20)])
    [user] = insert(store, "users", {"name": "ann", "roles": ["rep"]})
    with store.transaction() as txn:
        txn.replace("deals", {"id": deal_ids[3], "n": 3, "version": 2, "data": {}}, expect_version=1)
        txn.delete("deals", deal_ids[4])
        txn.insert("events", {"deal_id": deal_ids[3], "type": "updated"})
    before = {table: store.find(table) for table in TABLES}
    store = store_factory.reopen()
    assert {table: store.find(table) for table in TABLES} == before
    assert store.get("users", user) == {"id": user, "name": "ann", "roles": ["rep"]}
    store = store_factory.reopen()
    assert {table: store.find(table) for table in TABLES} == before


def test_readers_see_whole_transactions(store):
    """A reader outside the transaction never sees half of one (pairs are written together)."""
    stop = threading.Event()
    seen = []

    def read():
        while not stop.is_set():
            seen.append(store.count("events"))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for n in range(150):
            with store.transaction() as txn:
                txn.insert("events", {"n": n})
                txn.insert("events", {"n": n})
    finally:
        stop.set()
        reader.join()
    assert seen and all(count % 2 == 0 for count in seen)
    assert store.count("events") == 300


def test_writers_in_threads_are_serialized(store):
    [id] = insert(store, "deals", {"version": 0})

    def bump():
        for _ in range(25):
            with store.transaction() as txn:
                doc = txn.get("deals", id)
                doc["version"] += 1
                txn.replace("deals", doc, expect_version=doc["version"] - 1)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.get("deals", id)["version"] == 100


def test_claim_leases_rows_to_one_claimer_until_the_lease_ends(store):
    from datetime import datetime, timedelta, timezone

    from goldsieve.store.filters import Eq

    now = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    with store.transaction() as txn:
        for i in range(5):
            txn.insert("outbox", {"status": "pending" if i != 4 else "done", "lease_until": "",
                                  "version": 1, "n": i})
    pending = Eq("status", "pending")
    first = store.claim("outbox", pending, limit=3, lease_seconds=60, owner="a", now=now)
    second = store.claim("outbox", pending, limit=3, lease_seconds=60, owner="b", now=now)
    assert [r["n"] for r in first] == [0, 1, 2] and [r["n"] for r in second] == [3]
    assert all(r["lease_owner"] == "a" and r["version"] == 2 for r in first)
    assert store.get("outbox", first[0]["id"]) == first[0]  # the lease is stored
    assert store.claim("outbox", pending, limit=10, lease_seconds=60, owner="c", now=now) == []
    later = store.claim("outbox", pending, limit=10, lease_seconds=60, owner="c",
                        now=now + timedelta(seconds=61))
    assert sorted(r["n"] for r in later) == [0, 1, 2, 3]  # a dead claimer's rows come back


def test_claim_skips_a_row_another_claimer_changed_meanwhile(store, monkeypatch):
    """The generic claim's version checks, on every backend (PostgreSQL's own claim locks
    instead: see test_claim_skips_a_row_another_transaction_holds)."""
    from datetime import datetime, timezone

    with store.transaction() as txn:
        ids = [txn.insert("outbox", {"lease_until": "", "version": 1}) for _ in range(2)]
    real_find = store.find

    def find_then_race(*args, **kwargs):
        rows = real_find(*args, **kwargs)
        with store.transaction() as txn:  # someone claims the first row between find and replace
            txn.replace("outbox", {**rows[0], "lease_until": "9999", "version": 2})
        return rows

    monkeypatch.setattr(store, "find", find_then_race)
    got = Store.claim(store, "outbox", None, limit=5, lease_seconds=60, owner="a",
                      now=datetime(2026, 1, 5, tzinfo=timezone.utc))
    assert [r["id"] for r in got] == [ids[1]]


def test_claim_skips_a_row_another_transaction_holds(store):
    """A row being written elsewhere is left to that writer; the claim takes the others at
    once (PostgreSQL: SKIP LOCKED), or, on a store with one writer, after that writer ends."""
    from concurrent.futures import ThreadPoolExecutor
    from datetime import datetime, timezone

    now = datetime(2026, 1, 5, tzinfo=timezone.utc)
    with store.transaction() as txn:
        ids = [txn.insert("outbox", {"lease_until": "", "version": 1}) for _ in range(3)]
    with ThreadPoolExecutor(1) as pool:
        with store.transaction() as txn:
            row = txn.get("outbox", ids[0])
            claiming = pool.submit(store.claim, "outbox", None, limit=5, lease_seconds=60,
                                   owner="b", now=now)
            if type(store).claim is not Store.claim:  # the server does not wait for this writer
                assert [r["id"] for r in claiming.result(timeout=10)] == ids[1:]
            txn.replace("outbox", {**row, "lease_until": "9999", "version": 2}, expect_version=1)
        got = claiming.result(timeout=10)
    assert [r["id"] for r in got] == ids[1:] and all(r["lease_owner"] == "b" for r in got)
    assert store.get("outbox", ids[0])["lease_until"] == "9999"


# --- aggregates ------------------------------------------------------------------------------


def test_aggregate_counts_and_sums_per_group_inside_the_filter(store):
    insert(store, "deals",
           {"stage": "lead", "owner": "ann", "data": {"amount": 100}},
           {"stage": "lead", "owner": "ann", "data": {"amount": 2.5}},
           {"stage": "lead", "owner": "bob", "data": {"amount": 1000}},
           {"stage": "lead", "owner": "ann", "data": {"amount": "n/a"}},  # counted, sums 0
           {"stage": "lead", "owner": "ann", "data": {"amount": True}},  # not a number
           {"stage": "won", "owner": "ann"},  # no amount
           {"stage": 7, "owner": "ann", "data": {"amount": 5}},  # not text: left out
           {"owner": "ann", "data": {"amount": 5}})  # no stage: left out
    assert store.aggregate("deals", Eq("owner", "ann"), "stage", "data.amount") == {
        "lead": Group(4, 102.5), "won": Group(1, 0.0)}
    assert store.aggregate("deals", None, "stage", "data.amount")["lead"] == Group(5, 1102.5)
    assert store.aggregate("deals", Nothing(), "stage", "data.amount") == {}
    assert store.aggregate("deals", Eq("owner", "cid"), "stage", "data.amount") == {}


def test_aggregate_agrees_with_the_generic_version(store):
    insert(store, "deals", *[{"stage": f"s{n % 3}", "owner": f"o{n % 4}",
                              "data": {"amount": n * 1.25 if n % 5 else None}} for n in range(40)])
    where = In("owner", ("o1", "o2"))
    assert store.aggregate("deals", where, "stage", "data.amount") == \
        Store.aggregate(store, "deals", where, "stage", "data.amount")


def test_filters_on_the_id(store):
    first, second, third = insert(store, "deals", {"n": 1}, {"n": 2}, {"n": 3})
    assert ids(store.find("deals", Eq("id", second))) == [second]
    assert ids(store.find("deals", In("id", (first, third, 10**6)))) == [first, third]
    assert ids(store.find("deals", Range("id", second, None))) == [second, third]
    assert ids(store.find("deals", Not(Eq("id", second)))) == [first, third]
    assert store.count("deals", Eq("id", float(first))) == 1  # 1.0 == 1, as in Python
    assert store.count("deals", Eq("id", str(first))) == 0
    assert store.count("deals", Contains("id", "1")) == 0

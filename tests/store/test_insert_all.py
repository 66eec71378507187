"""``Transaction.insert_all`` on both backends: several tables' new documents in one call (one
statement on PostgreSQL), exactly as the same inserts one by one would store them."""
from __future__ import annotations

import pytest

from goldsieve.store import UniqueViolation
from goldsieve.store.postgres.store import INSERT_ROWS


def test_ids_ascend_per_table_in_the_order_given_and_are_set_in_the_docs(store_factory):
    store = store_factory.open()
    rows = [("events", {"n": 0}), ("audit", {"n": 0}), ("events", {"n": 1, "version": 3}),
            ("events", {"n": 2, "note": "ü—中"}), ("audit", {"n": 1})]
    with store.transaction() as txn:
        got = txn.insert_all(rows)
        assert got == [doc["id"] for _, doc in rows]
        assert txn.get("events", got[3])["note"] == "ü—中"  # seen inside the transaction
    events = store.find("events")
    assert [e["n"] for e in events] == [0, 1, 2] and [e["id"] for e in events] == sorted(got[i] for i in (0, 2, 3))
    assert [a["n"] for a in store.find("audit")] == [0, 1]
    assert store_factory.reopen().get("events", got[2]) == {"n": 1, "version": 3, "id": got[2]}


def test_nothing_or_one_row(store):
    with store.transaction() as txn:
        assert txn.insert_all([]) == []
        [one] = txn.insert_all([("deals", {"title": "one"})])
    assert store.get("deals", one)["title"] == "one"


def test_more_rows_than_one_statement_takes_keep_their_order(store):
    rows = [("events", {"n": n}) for n in range(INSERT_ROWS * 2 + 7)]
    with store.transaction() as txn:
        got = txn.insert_all(rows)
    assert got == sorted(got) and len(set(got)) == len(rows)
    assert [e["n"] for e in store.iterate("events")] == list(range(len(rows)))


def test_a_failed_transaction_keeps_none_of_them(store):
    with pytest.raises(RuntimeError), store.transaction() as txn:
        txn.insert_all([("events", {"n": 0}), ("audit", {"n": 0})])
        raise RuntimeError("the caller failed")
    assert store.count("events") == 0 and store.count("audit") == 0


def test_what_json_cannot_carry_is_refused_before_anything_is_written(store):
    with store.transaction() as txn:
        with pytest.raises(ValueError):
            txn.insert_all([("events", {"n": 0}), ("events", {"n": float("nan")})])
        txn.insert_all([("events", {"n": 1}), ("audit", {"n": 1})])
    assert [e["n"] for e in store.find("events")] == [1]


def test_a_repeated_unique_key_is_a_unique_violation(store_factory):
    if store_factory.name != "PostgresBackend":
        pytest.skip("only PostgreSQL holds customer keys under a unique index; the embedded store checks first")
    store = store_factory.open()
    with pytest.raises(UniqueViolation), store.transaction() as txn:
        txn.insert_all([("customer_keys", {"key": "name:acme", "customer_id": 1}),
                        ("customer_keys", {"key": "name:acme", "customer_id": 2})])
    assert store.count("customer_keys") == 0

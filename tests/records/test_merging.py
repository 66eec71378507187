"""Merging a duplicate customer into another: deals, contacts, keys and history move to the
survivor in one transaction, the merged one stays as a redirect, and refusals write nothing; on
both stores."""
from __future__ import annotations

import pytest

from goldsieve.errors import Duplicate, Forbidden, NotFound, ValidationFailed
from goldsieve.records.merging import merge
from goldsieve.records.pool import claim, due_for_reclaim
from goldsieve.store import Conflict

from tests.records.conftest import BOTH_STORES, counts


def codes(error) -> list[tuple[str, str]]:
    return [(v.path, v.code) for v in error.value.violations]


def everything(store) -> dict[str, int]:
    return {**counts(store), "deals": store.count("deals")}


@BOTH_STORES
def test_merge_moves_deals_contacts_keys_and_history_to_the_survivor(customers, people, goldsieve_runtime,
                                                                    goldsieve_clock):
    store, engine, contacts = goldsieve_runtime.store, goldsieve_runtime.engine, goldsieve_runtime.contacts
    survivor = customers.create(people.rita, "Ruijin Hospital", {"credit_code": "123"})
    contacts.create(people.rita, survivor["id"], "Dr Wang", primary=True)
    goldsieve_clock.advance(days=1)
    duplicate = customers.create(people.rob, "Ruijin Medical", {"grade": "3A"})
    deal = engine.create(people.rob, "handmade", "Scanner", {"company": "Ruijin"}, customer_id=duplicate["id"])
    other = engine.create(people.rita, "handmade", "Unlinked", {"company": "Other"})
    moved = contacts.create(people.rob, duplicate["id"], "Ms Li", primary=True)
    audit_before = store.count("audit")

    result = merge(customers, people.mia, duplicate["id"], into=survivor["id"])

    assert result["merged_from"] == [duplicate["id"]] and result["version"] == survivor["version"] + 2
    assert result["last_activity_at"] == store.get("customers", duplicate["id"])["last_activity_at"]
    gone = customers.get(people.mia, duplicate["id"])
    assert gone["merged_into"] == survivor["id"]
    linked = store.get("deals", deal["id"])
    assert linked["customer_id"] == survivor["id"] and linked["version"] == deal["version"] + 1
    assert store.get("deals", other["id"]) == other
    assert [c["name"] for c in contacts.list(people.rita, survivor["id"])] == ["Dr Wang", "Ms Li"]
    assert store.get("contacts", moved["id"])["primary"] is False  # the survivor keeps its primary
    assert contacts.list(people.mia, duplicate["id"]) == []
    assert {k["key"]: k["customer_id"] for k in store.find("customer_keys")} == {
        "name:ruijinhospital": survivor["id"], "credit_code:123": survivor["id"],
        "name:ruijinmedical": survivor["id"]}
    assert [e["type"] for e in customers.history(people.rita, survivor["id"])] == [
        "created", "created", "merged", "merged"]
    [audit] = store.find("audit")[audit_before:]
    assert audit["action"] == "customer_merged" and audit["target"] == {"type": "customer", "id": survivor["id"]}
    assert audit["changes"]["deals"] == [[], [deal["id"]]]
    # the merged customer redirects: not listed, never reclaimed, and a new one with its name
    # (or a rename of the survivor) still finds the survivor
    assert duplicate["id"] not in {c["id"] for c in customers.list(people.admin)}
    goldsieve_clock.advance(days=90)
    assert [c["id"] for c in due_for_reclaim(customers, goldsieve_clock())] == [survivor["id"]]
    with pytest.raises(Duplicate) as error:
        customers.create(people.sam, "RUIJIN MEDICAL Co., Ltd.")
    assert error.value.existing_id == survivor["id"]
    customers.update(people.rita, survivor["id"], {"grade": "2A"}, version=result["version"])
    assert "name:ruijinmedical" in {k["key"] for k in store.find("customer_keys")}


@BOTH_STORES
def test_a_merged_customer_takes_no_change_and_no_new_deal(customers, people, goldsieve_runtime):
    engine = goldsieve_runtime.engine
    survivor = customers.create(people.rita, "Survivor")
    duplicate = customers.create(people.rita, "Duplicate")
    merge(customers, people.admin, duplicate["id"], into=survivor["id"])
    store = goldsieve_runtime.store
    before = everything(store)
    merged = store.get("customers", duplicate["id"])
    for attempt in (lambda: customers.update(people.rita, duplicate["id"], {"grade": "3A"}, version=None),
                    lambda: goldsieve_runtime.contacts.create(people.rita, duplicate["id"], "Late"),
                    lambda: customers.change_owner(people.admin, merged, None, "released")):
        with pytest.raises(ValidationFailed) as error:
            attempt()
        assert codes(error) == [("/merged_into", "merged")]
    with pytest.raises(ValidationFailed) as error:
        engine.create(people.rita, "handmade", "Late deal", {"company": "D"}, customer_id=duplicate["id"])
    assert ("/customer_id", "merged") in codes(error)
    assert everything(store) == before


@BOTH_STORES
def test_bad_merges_are_refused_and_write_nothing(customers, people, goldsieve_runtime):
    store = goldsieve_runtime.store
    ritas = customers.create(people.rita, "Rita's")
    robs = customers.create(people.rob, "Rob's")
    sams = customers.create(people.sam, "Sam's")
    ritas_too = customers.create(people.rita, "Rita's too")
    before = everything(store)
    with pytest.raises(ValidationFailed) as error:
        merge(customers, people.mia, ritas["id"], into=ritas["id"])
    assert codes(error) == [("/into", "same_customer")]
    with pytest.raises(Forbidden):
        merge(customers, people.rita, ritas_too["id"], into=ritas["id"])  # a rep may not, even her own
    with pytest.raises(Forbidden):
        merge(customers, people.eve, robs["id"], into=ritas["id"])  # nor the executive
    with pytest.raises(NotFound):
        merge(customers, people.mia, sams["id"], into=ritas["id"])  # another team's customer
    with pytest.raises(NotFound):
        merge(customers, people.mia, ritas["id"], into=sams["id"])
    with pytest.raises(NotFound):
        merge(customers, people.mia, 9999, into=ritas["id"])
    assert everything(store) == before
    merge(customers, people.mia, robs["id"], into=ritas["id"])
    before = everything(store)
    with pytest.raises(ValidationFailed) as error:
        merge(customers, people.admin, robs["id"], into=sams["id"])
    assert codes(error) == [("/merged_into", "merged")]
    with pytest.raises(ValidationFailed) as error:
        merge(customers, people.admin, sams["id"], into=robs["id"])
    assert codes(error) == [("/into", "merged")]
    assert everything(store) == before


@BOTH_STORES
def test_a_merge_that_lost_a_race_writes_nothing(customers, people, goldsieve_runtime):
    store = goldsieve_runtime.store
    survivor = customers.create(people.rita, "Survivor")
    duplicate = customers.create(people.rita, "Duplicate")
    deal = goldsieve_runtime.engine.create(people.rita, "handmade", "Deal", {"company": "D"},
                                           customer_id=duplicate["id"])
    real_find = store.find

    def find_then_someone_writes(table, *args, **kwargs):
        rows = real_find(table, *args, **kwargs)
        if table == "customer_keys":  # merge read everything; the deal changes before it writes
            goldsieve_runtime.engine.update(people.rita, deal["id"], {}, title="Renamed")
        return rows

    store.find = find_then_someone_writes
    try:
        with pytest.raises(Conflict):
            merge(customers, people.mia, duplicate["id"], into=survivor["id"])
    finally:
        store.find = real_find
    assert store.get("customers", duplicate["id"]).get("merged_into") is None
    assert store.get("deals", deal["id"])["customer_id"] == duplicate["id"]


@BOTH_STORES
def test_the_reps_limit_does_not_count_merged_customers(customers, people):
    kept = [customers.create(people.rita, f"Owned {i}") for i in range(3)]
    merge(customers, people.mia, kept[2]["id"], into=kept[0]["id"])
    free = customers.change_owner(people.admin, customers.create(people.admin, "Free"), None, "released")
    assert claim(customers, people.rita, free["id"])["owner"] == "rita"

"""Customers: creating and changing them, their events and audit rows, versions, and who sees
which, on both stores."""
from __future__ import annotations

import pytest

from goldsieve.errors import Forbidden, NotFound, ValidationFailed
from goldsieve.store import Conflict

from tests.records.conftest import BOTH_STORES, counts


def paths(error) -> list[str]:
    return [v.path for v in error.value.violations]


@BOTH_STORES
def test_create_writes_the_customer_its_keys_event_and_audit_row(customers, people, goldsieve_runtime):
    store = goldsieve_runtime.store
    made = customers.create(people.rita, "  Ruijin Hospital ", {"grade": "3A", "credit_code": "12310000"})
    assert made["name"] == "Ruijin Hospital" and made["owner"] == "rita" and made["team"] == "north"
    assert made["version"] == 1 and made["last_activity_at"] == made["created_at"]
    assert customers.get(people.rita, made["id"]) == store.get("customers", made["id"])
    [event] = customers.history(people.rita, made["id"])
    assert event["type"] == "created" and event["by"] == "rita"
    assert event["changes"]["grade"] == [None, "3A"]
    audit = store.find("audit", None)[-1]
    assert audit["action"] == "customer_created" and audit["target"] == {"type": "customer", "id": made["id"]}
    assert sorted(k["key"] for k in store.find("customer_keys")) == ["credit_code:12310000",
                                                                      "name:ruijinhospital"]


@BOTH_STORES
def test_update_checks_the_version_and_appends_an_event(customers, people, goldsieve_runtime, goldsieve_clock):
    made = customers.create(people.rita, "Ruijin", {"grade": "3A"})
    goldsieve_clock.advance(hours=1)
    changed = customers.update(people.rita, made["id"], {"grade": "2A", "beds": 900}, version=1,
                               name="Ruijin Hospital")
    assert changed["version"] == 2 and changed["data"] == {"grade": "2A", "beds": 900}
    assert changed["last_activity_at"] > made["last_activity_at"]
    event = customers.history(people.rita, made["id"])[-1]
    assert event["type"] == "updated"
    assert event["changes"] == {"grade": ["3A", "2A"], "beds": [None, 900],
                                "name": ["Ruijin", "Ruijin Hospital"]}
    before = counts(goldsieve_runtime.store)
    with pytest.raises(Conflict):
        customers.update(people.rita, made["id"], {"grade": "1A"}, version=1)
    assert counts(goldsieve_runtime.store) == before
    assert customers.get(people.rita, made["id"])["data"]["grade"] == "2A"


@BOTH_STORES
def test_bad_data_and_names_are_refused_field_by_field_writing_nothing(customers, people, goldsieve_runtime):
    store = goldsieve_runtime.store
    before = counts(store)
    with pytest.raises(ValidationFailed) as error:
        customers.create(people.rita, "", {"grade": "5A", "beds": -1})
    assert paths(error) == ["/name", "/data/beds", "/data/grade"]
    for name in ("x" * 201, "bad\x00name", "half \ud800 pair", None):
        with pytest.raises(ValidationFailed) as error:
            customers.create(people.rita, name)
        assert paths(error) == ["/name"]
    assert counts(store) == before
    made = customers.create(people.rita, "Ruijin")
    before = counts(store)
    with pytest.raises(ValidationFailed) as error:
        customers.update(people.rita, made["id"], {"grade": "nope"}, version=1, name=" ")
    assert paths(error) == ["/name", "/data/grade"]
    assert counts(store) == before


@BOTH_STORES
def test_reps_see_their_own_managers_their_team_and_the_pool_is_shared(customers, people):
    mine = customers.create(people.rita, "Rita's hospital")
    robs = customers.create(people.rob, "Rob's clinic")
    sams = customers.create(people.sam, "Sam's lab")
    pooled = customers.change_owner(people.admin, customers.create(people.admin, "Nobody's"), None, "released")

    def seen(user) -> set[int]:
        return {c["id"] for c in customers.list(user)}

    assert seen(people.rita) == {mine["id"], pooled["id"]}
    assert seen(people.mia) == {mine["id"], robs["id"], pooled["id"]}
    assert seen(people.eve) == seen(people.admin) == {mine["id"], robs["id"], sams["id"], pooled["id"]}
    for hidden in (robs, sams):
        with pytest.raises(NotFound):
            customers.get(people.rita, hidden["id"])
        with pytest.raises(NotFound):
            customers.history(people.rita, hidden["id"])
        with pytest.raises(NotFound):
            customers.update(people.rita, hidden["id"], {"grade": "3A"}, version=None)
    assert [c["id"] for c in customers.list(people.rita, text="CLINIC")] == []
    assert [c["id"] for c in customers.list(people.mia, text="CLINIC")] == [robs["id"]]
    assert [c["id"] for c in customers.list(people.mia, pool=True)] == [pooled["id"]]
    assert [c["id"] for c in customers.list(people.mia, owner="rob")] == [robs["id"]]


@BOTH_STORES
def test_the_pool_is_seen_by_the_roles_the_workspace_names(goldsieve_runtime, people):
    from dataclasses import replace

    customers = goldsieve_runtime.customers
    pooled = customers.change_owner(people.admin, customers.create(people.admin, "Nobody's"), None, "released")
    customers.pool = replace(customers.pool, visible_to=frozenset({"manager"}))
    assert customers.list(people.rita) == []
    with pytest.raises(NotFound):
        customers.get(people.rita, pooled["id"])
    assert [c["id"] for c in customers.list(people.mia)] == [pooled["id"]]


def test_seeing_a_pool_customer_is_not_changing_it_and_the_executive_changes_nothing(customers, people):
    pooled = customers.change_owner(people.admin, customers.create(people.admin, "Nobody's"), None, "released")
    with pytest.raises(Forbidden, match="claim it from the pool first"):
        customers.update(people.rita, pooled["id"], {"grade": "3A"}, version=None)
    with pytest.raises(Forbidden):
        customers.create(people.eve, "Observer's")
    with pytest.raises(Forbidden):
        customers.update(people.eve, pooled["id"], {"grade": "3A"}, version=None)
    assert customers.update(people.admin, pooled["id"], {"grade": "3A"}, version=None)["version"] == 3

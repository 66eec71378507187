"""Contacts: declared roles and fields, one primary contact, visible exactly with their customer."""
from __future__ import annotations

import pytest

from goldsieve.errors import Forbidden, NotFound, ValidationFailed
from goldsieve.records.pool import claim

from tests.records.conftest import BOTH_STORES, counts


@BOTH_STORES
def test_a_contact_is_added_with_its_audit_row_and_counts_as_activity(goldsieve_runtime, people,
                                                                     goldsieve_clock):
    customers, contacts = goldsieve_runtime.customers, goldsieve_runtime.contacts
    made = customers.create(people.rita, "Ruijin")
    goldsieve_clock.advance(days=2)
    wang = contacts.create(people.rita, made["id"], " Dr Wang ", "decision_maker", {"email": "w@r.cn"})
    assert (wang["name"], wang["role"], wang["primary"]) == ("Dr Wang", "decision_maker", False)
    assert customers.get(people.rita, made["id"])["last_activity_at"] == wang["created_at"]
    audit = goldsieve_runtime.store.find("audit")[-1]
    assert audit["action"] == "contact_created" and audit["target"] == {"type": "contact", "id": wang["id"]}
    li = contacts.create(people.rita, made["id"], "Nurse Li", primary=True)
    zhao = contacts.create(people.rita, made["id"], "Dr Zhao", "user", primary=True)
    assert [(c["name"], c["primary"]) for c in contacts.list(people.rita, made["id"])] == [
        ("Dr Zhao", True), ("Dr Wang", False), ("Nurse Li", False)]
    assert zhao["primary"] and not goldsieve_runtime.store.get("contacts", li["id"])["primary"]


@BOTH_STORES
def test_bad_contacts_are_refused_field_by_field_writing_nothing(goldsieve_runtime, people):
    customers, contacts = goldsieve_runtime.customers, goldsieve_runtime.contacts
    made = customers.create(people.rita, "Ruijin")
    before = counts(goldsieve_runtime.store)
    with pytest.raises(ValidationFailed) as error:
        contacts.create(people.rita, made["id"], "", "boss", {"email": "nope"})
    assert [(v.path, v.code) for v in error.value.violations] == [
        ("/name", "required"), ("/data/email", "format"), ("/role", "enum")]
    assert "decision_maker, user" in error.value.violations[-1].message
    assert counts(goldsieve_runtime.store) == before


def test_contacts_are_as_visible_and_changeable_as_their_customer(goldsieve_runtime, people):
    customers, contacts = goldsieve_runtime.customers, goldsieve_runtime.contacts
    sams = customers.create(people.sam, "Sam's")
    contacts.create(people.sam, sams["id"], "Dr Secret")
    with pytest.raises(NotFound):
        contacts.list(people.rita, sams["id"])
    with pytest.raises(ValidationFailed, match="no customer"):
        contacts.create(people.rita, sams["id"], "Spy")
    with pytest.raises(Forbidden):
        contacts.create(people.eve, sams["id"], "Observer")
    pooled = customers.change_owner(people.admin, customers.get(people.admin, sams["id"]), None, "released")
    assert [c["name"] for c in contacts.list(people.rita, sams["id"])] == ["Dr Secret"]
    with pytest.raises(Forbidden, match="claim it"):
        contacts.create(people.rita, pooled["id"], "Before claiming")
    claim(customers, people.rita, pooled["id"])
    assert contacts.create(people.rita, pooled["id"], "After claiming")["customer_id"] == pooled["id"]


@BOTH_STORES
def test_a_contact_is_changed_with_its_version_checked_and_one_primary(goldsieve_runtime, people):
    from goldsieve.store import Conflict

    customers, contacts, store = goldsieve_runtime.customers, goldsieve_runtime.contacts, goldsieve_runtime.store
    made = customers.create(people.rita, "Ruijin")
    wang = contacts.create(people.rita, made["id"], "Dr Wang", primary=True)
    li = contacts.create(people.rita, made["id"], "Nurse Li", data={"email": "li@r.cn"})
    before = counts(store)
    with pytest.raises(ValidationFailed) as error:
        contacts.update(people.rita, li["id"], " ", "boss", {"email": "nope"}, False, version=1)
    assert [(v.path, v.code) for v in error.value.violations] == [
        ("/name", "required"), ("/data/email", "format"), ("/role", "enum")]
    with pytest.raises(Conflict):
        contacts.update(people.rita, li["id"], "Nurse Li", None, {}, False, version=2)
    for hidden in (people.rob, people.sam):
        with pytest.raises(NotFound):
            contacts.update(hidden, li["id"], "Nurse Li", None, {}, True, version=1)
    with pytest.raises(Forbidden):
        contacts.update(people.eve, li["id"], "Nurse Li", None, {}, True, version=1)
    assert counts(store) == before
    changed = contacts.update(people.rita, li["id"], " Head Nurse Li ", "user", {"email": None}, True, version=1)
    assert (changed["name"], changed["role"], changed["data"], changed["primary"], changed["version"]) == (
        "Head Nurse Li", "user", {}, True, 2)
    assert not store.get("contacts", wang["id"])["primary"]
    audit = store.find("audit")[-1]
    assert audit["action"] == "contact_updated" and audit["changes"]["data.email"] == ["li@r.cn", None]
    assert contacts.update(people.rita, li["id"], "Head Nurse Li", "user", {}, True, version=2) == changed

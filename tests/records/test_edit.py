"""Editing record types: the funnel designer's field edits on a record type or an activity type,
saving one (checked, kept in its file with an audit row, run at once) and loading changed files."""
from __future__ import annotations

import copy
import json
import logging
import os
import threading

import pytest

from goldsieve.audit import find_audit
from goldsieve.errors import DefinitionError, NotFound, ValidationFailed
from goldsieve.funnels import edit_fields
from goldsieve.funnels.edit import EditError
from goldsieve.funnels.edit_fields import FieldForm
from goldsieve.people.users import find_user
from goldsieve.records.edit import AUDIT_ACTION, StaleDefinition, declared, definition_of, digest
from goldsieve.records.model import DEFAULTS

from tests.records.conftest import BOTH_STORES
from tests.records.conftest import CUSTOMER as DECLARED
from tests.records.test_model import CUSTOMER, write

AT = "2026-03-02T09:00:00.000Z"


def saved(runtime, kind: str) -> dict:
    return json.loads((runtime.workspace.path / "records" / f"{kind}.json").read_text(encoding="utf-8"))


def audit_rows(runtime) -> list[dict]:
    return find_audit(runtime.store, action=AUDIT_ACTION)


def test_the_field_edits_work_on_a_record_type_and_on_one_activity_type():
    customer = copy.deepcopy(CUSTOMER)
    edit_fields.set_field(customer, "beds", FieldForm(kind="integer", titles={"en": "Beds", "zh-Hans": "床位"},
                                                      required=True, help={"en": "Licensed beds"}), new=True)
    assert customer["fields"]["properties"]["beds"] == {"type": "integer", "title": {"en": "Beds", "zh-Hans": "床位"}}
    assert customer["fields"]["required"] == ["beds"] and customer["ui"]["help"] == {"beds": "Licensed beds"}
    assert customer["match"] == CUSTOMER["match"] and customer["title"] == CUSTOMER["title"]  # the rest stays
    edit_fields.remove_field(customer, "credit_code")
    assert customer["ui"]["order"] == ["grade"]

    activities = copy.deepcopy(DEFAULTS["activity"])
    visit = declared(activities, "activity", "visit")
    edit_fields.set_field(visit, "purpose", FieldForm(titles={"en": "Purpose"}, choices=[("intro", {}), ("demo", {})]),
                          new=True)
    assert visit["fields"] == {"type": "object", "properties": {
        "purpose": {"type": "string", "title": "Purpose", "enum": ["intro", "demo"]}}}
    assert [t["id"] for t in activities["types"]] == [t["id"] for t in DEFAULTS["activity"]["types"]]
    assert all("fields" not in t for t in activities["types"] if t["id"] != "visit")
    with pytest.raises(NotFound):
        declared(activities, "activity", "telegram")
    with pytest.raises(EditError, match="there is no field"):
        edit_fields.remove_field(declared(activities, "activity", "call"), "purpose")


@BOTH_STORES
def test_a_saved_record_type_is_its_file_an_audit_row_and_runs_at_once(goldsieve_runtime, goldsieve_make_user):
    records = goldsieve_runtime.records
    running = definition_of(records.types, "customer")
    assert running == DECLARED  # the workspace's records/customer.json
    candidate = copy.deepcopy(running)
    edit_fields.set_field(candidate, "ward", FieldForm(titles={"en": "Ward"}, required=True), new=True)
    records.save("customer", candidate, by="admin", at=AT, base=digest(running))
    assert saved(goldsieve_runtime, "customer") == candidate
    assert goldsieve_runtime.customers.types.customer.fields["required"] == ["ward"]
    [row] = audit_rows(goldsieve_runtime)
    assert (row["by"], row["at"], row["target"]) == ("admin", AT, {"type": "record_type", "id": "customer"})
    assert row["changes"]["fields"][1]["properties"]["ward"] == {"type": "string", "title": "Ward"}
    goldsieve_make_user("rita", "rep")
    with pytest.raises(ValidationFailed) as refused:  # the customers service asks for the new field at once
        goldsieve_runtime.customers.create(find_user(goldsieve_runtime.store, "rita"), "Ruijin", {})
    assert [v.path for v in refused.value.violations] == ["/data/ward"]
    assert sorted(p.name for p in (goldsieve_runtime.workspace.path / "records").iterdir()) == [
        "contact.json", "customer.json"]  # no partial file left


def test_a_definition_with_errors_is_refused_and_nothing_is_written(goldsieve_runtime):
    running = definition_of(goldsieve_runtime.records.types, "customer")
    candidate = copy.deepcopy(running)
    edit_fields.remove_field(candidate, "credit_code")  # still a match key
    before = (goldsieve_runtime.workspace.path / "records" / "customer.json").read_bytes()
    with pytest.raises(DefinitionError) as refused:
        goldsieve_runtime.records.save("customer", candidate, by="admin", at=AT, base=digest(running))
    assert [f.pointer for f in refused.value.findings] == ["/match/1"]
    assert (goldsieve_runtime.workspace.path / "records" / "customer.json").read_bytes() == before
    assert audit_rows(goldsieve_runtime) == [] and goldsieve_runtime.records.types.customer.definition == DECLARED


def test_an_edit_begun_before_another_save_is_refused(goldsieve_runtime):
    records = goldsieve_runtime.records
    running = definition_of(records.types, "contact")
    first, second = copy.deepcopy(running), copy.deepcopy(running)
    edit_fields.set_field(first, "phone", FieldForm(kind="string", format="tel"), new=True)
    edit_fields.set_field(second, "wechat", FieldForm(kind="string"), new=True)
    records.save("contact", first, by="admin", at=AT, base=digest(running))
    with pytest.raises(StaleDefinition):
        records.save("contact", second, by="admin", at=AT, base=digest(running))
    assert list(saved(goldsieve_runtime, "contact")["fields"]["properties"]) == ["email", "phone"]
    assert len(audit_rows(goldsieve_runtime)) == 1


def test_concurrent_saves_of_one_start_keep_exactly_one(goldsieve_runtime):
    records = goldsieve_runtime.records
    running = definition_of(records.types, "customer")
    start, outcomes = threading.Barrier(4), []

    def save(name: str) -> None:
        candidate = copy.deepcopy(running)
        edit_fields.set_field(candidate, name, FieldForm(), new=True)
        start.wait()
        try:
            records.save("customer", candidate, by="admin", at=AT, base=digest(running))
            outcomes.append(name)
        except StaleDefinition:
            outcomes.append(None)

    threads = [threading.Thread(target=save, args=(f"field_{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    [winner] = [name for name in outcomes if name]
    assert list(saved(goldsieve_runtime, "customer")["fields"]["properties"])[-1] == winner
    assert records.types.customer.definition == saved(goldsieve_runtime, "customer")
    assert len(audit_rows(goldsieve_runtime)) == 1


def test_a_file_changed_by_another_process_runs_and_a_broken_one_is_logged(goldsieve_runtime, caplog):
    records, path = goldsieve_runtime.records, goldsieve_runtime.workspace.path
    write(path, "customer", CUSTOMER)
    records.refresh()
    assert records.types.customer.definition == CUSTOMER
    broken = write(path, "customer", {"fields": {"type": "object", "properties": {}}, "match": ["nope"]})
    stat = broken.stat()
    os.utime(broken, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a later write, however fast
    with caplog.at_level(logging.WARNING, logger="goldsieve.records.edit"):
        records.refresh()
        records.refresh()  # logged once, not on every request
    assert records.types.customer.definition == CUSTOMER
    assert len([r for r in caplog.records if "stay as they were" in r.getMessage()]) == 1


def test_a_save_starts_from_what_another_process_saved_and_leaves_a_broken_neighbour_alone(
        goldsieve_runtime, caplog):
    records, path = goldsieve_runtime.records, goldsieve_runtime.workspace.path
    running = definition_of(records.types, "customer")
    write(path, "customer", {**running, "title": "Hospital"})  # another worker saved meanwhile
    candidate = copy.deepcopy(running)
    edit_fields.set_field(candidate, "ward", FieldForm(), new=True)
    with pytest.raises(StaleDefinition):
        records.save("customer", candidate, by="admin", at=AT, base=digest(running))
    assert records.types.customer.definition["title"] == "Hospital" and audit_rows(goldsieve_runtime) == []

    contact = definition_of(records.types, "contact")
    write(path, "contact", {"fields": {"type": "object", "properties": {}}, "match": ["name"]})  # broken by hand
    current = definition_of(records.types, "customer")
    candidate = copy.deepcopy(current)
    edit_fields.set_field(candidate, "ward", FieldForm(), new=True)
    with caplog.at_level(logging.WARNING, logger="goldsieve.records.edit"):
        records.save("customer", candidate, by="admin", at=AT, base=digest(current))
    assert "ward" in records.types.customer.fields["properties"]
    assert records.types.contact.definition == contact  # the broken file does not run, the old one does
    assert any("stay as they were" in r.getMessage() for r in caplog.records)

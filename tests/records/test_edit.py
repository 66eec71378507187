"""Editing record types: the funnel designer's field edits on a record type or an activity type,
saving one (checked, kept in its file with an audit row, run at once) and loading changed files."""
from __future__ import annotations

import copy
import fcntl
import json
import logging
import os
import threading
from types import SimpleNamespace

import pytest

from goldsieve import locales
from goldsieve.audit import find_audit
from goldsieve.errors import DefinitionError, NotFound, ValidationFailed
from goldsieve.funnels import edit_fields
from goldsieve.funnels.edit import EditError
from goldsieve.funnels.edit_fields import FieldForm
from goldsieve.people.users import find_user
from goldsieve.records import edit as records_edit
from goldsieve.records.check import check_record
from goldsieve.records.edit import AUDIT_ACTION, RecordFiles, StaleDefinition, declared, definition_of, digest
from goldsieve.records.model import DEFAULTS, load_types

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


@pytest.mark.parametrize("title, said", [
    ("\\ud800", "no store can keep"),  # a lone surrogate: no page could be encoded with it
    ("\\u0000", "no store can keep"),  # NUL: PostgreSQL keeps none in the audit row
])
def test_a_file_written_by_hand_with_text_no_store_keeps_is_refused_and_the_types_stay(
        goldsieve_runtime, caplog, title, said):
    records, path = goldsieve_runtime.records, goldsieve_runtime.workspace.path
    before = records.types
    (path / "records").mkdir(exist_ok=True)
    (path / "records" / "customer.json").write_text(
        '{"fields": {"type": "object", "properties": {"g": {"type": "string", "title": "' + title + '"}}}}')
    with caplog.at_level(logging.WARNING, logger="goldsieve.records.edit"):
        records.refresh()
    assert records.types is before and any(said in r.getMessage() for r in caplog.records)
    with pytest.raises(DefinitionError, match=said):
        load_types(path)


def test_a_file_written_by_hand_nesting_past_the_limit_is_refused_without_running_out_of_stack(
        goldsieve_runtime, caplog):
    records, path = goldsieve_runtime.records, goldsieve_runtime.workspace.path
    before = records.types
    deep = '{"type": "array", "items": ' * 600 + "{}" + "}" * 600
    write(path, "customer", {})
    (path / "records" / "customer.json").write_text(
        '{"fields": {"type": "object", "properties": {"g": ' + deep + "}}}")
    with caplog.at_level(logging.WARNING, logger="goldsieve.records.edit"):
        records.refresh()  # no RecursionError out of the request's first step
    assert records.types is before and any("nests deeper than 32 levels" in r.getMessage() for r in caplog.records)
    said = locales.reader.set("zh_Hans")
    try:
        [finding] = check_record(json.loads((path / "records" / "customer.json").read_text()), "customer")
    finally:
        locales.reader.reset(said)
    assert finding.message == "文件的嵌套超过 32 层"


def test_a_file_rewritten_in_the_tick_it_was_loaded_in_at_the_same_size_still_runs(goldsieve_runtime, monkeypatch):
    records, path = goldsieve_runtime.records, goldsieve_runtime.workspace.path
    file = write(path, "customer", CUSTOMER)
    records.refresh()
    assert records.types.customer.definition == CUSTOMER
    loaded = file.stat()
    retitled = {**CUSTOMER, "title": {"en": "Hostel!!", "zh-Hans": "医院"}}
    write(path, "customer", retitled)  # in place, as an editor may: same inode, same size
    os.utime(file, ns=(loaded.st_atime_ns, loaded.st_mtime_ns))  # and the same tick of a coarse clock
    assert (file.stat().st_size, file.stat().st_ino) == (loaded.st_size, loaded.st_ino)
    records.refresh()
    assert records.types.customer.definition == retitled
    running = records.types
    records.refresh()
    assert records.types is running  # read again while the file is new, but unchanged types stay as they run

    loads = []
    monkeypatch.setattr(records_edit, "load_types", lambda workspace: loads.append(workspace) or running)
    monkeypatch.setattr(records_edit, "RACY_NS", 0)  # long after the write: the stat alone decides from now on
    records.refresh()
    assert records.racy == set()
    monkeypatch.setattr(records_edit, "_read", lambda files: pytest.fail("read again past the window"))
    records.refresh()
    assert loads == [] and records.types is running  # the same bytes: nothing loaded again


def test_saves_of_two_processes_at_once_keep_one_and_refuse_the_other(goldsieve_runtime, monkeypatch):
    records = goldsieve_runtime.records  # one process; the other serves the same workspace
    other = RecordFiles(goldsieve_runtime.workspace.path, SimpleNamespace(types=records.types),
                        goldsieve_runtime.store)
    running = definition_of(records.types, "customer")
    inside, other_going_on = threading.Event(), threading.Event()
    real_mkstemp, real_flock = records_edit.tempfile.mkstemp, fcntl.flock

    def mkstemp(**kwargs):  # the first save waits, past its check of what it started from
        if threading.current_thread() is not first:
            other_going_on.set()  # the other got in too: nothing kept them apart
        elif not inside.is_set():
            inside.set()
            assert other_going_on.wait(10)
        return real_mkstemp(**kwargs)

    def flock(handle, operation):
        if threading.current_thread() is not first and operation == fcntl.LOCK_EX:
            other_going_on.set()  # the other waits for the first's lock from now on
        return real_flock(handle, operation)

    monkeypatch.setattr(records_edit.tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(fcntl, "flock", flock)
    outcomes = {}

    def save(files: RecordFiles, name: str) -> None:
        candidate = copy.deepcopy(running)
        edit_fields.set_field(candidate, name, FieldForm(), new=True)
        try:
            files.save("customer", candidate, by="admin", at=AT, base=digest(running))
            outcomes[name] = "saved"
        except StaleDefinition:
            outcomes[name] = "refused"

    first = threading.Thread(target=save, args=(records, "ward"))
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=save, args=(other, "wing"))
    second.start()
    first.join()
    second.join()
    assert outcomes == {"ward": "saved", "wing": "refused"}
    assert "ward" in saved(goldsieve_runtime, "customer")["fields"]["properties"]
    assert len(audit_rows(goldsieve_runtime)) == 1


def test_a_command_the_server_carries_out_runs_the_record_files_as_they_are_now(goldsieve_runtime):
    from goldsieve.cli import remote
    from goldsieve.cli.base import workspace_runtime

    path = goldsieve_runtime.workspace.path
    file = write(path, "customer", CUSTOMER)  # by hand, with no request since
    os.utime(file, ns=(file.stat().st_atime_ns, file.stat().st_mtime_ns + 1_000_000))
    served = remote._served.set(goldsieve_runtime)  # as the server's socket runs a forwarded command
    try:
        with workspace_runtime(path) as runtime:
            assert runtime is goldsieve_runtime
            assert runtime.customers.types.customer.definition == CUSTOMER
    finally:
        remote._served.reset(served)

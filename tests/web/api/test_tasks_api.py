"""Tasks by hand through the API (issue 16, part 4), on both stores: create, change, reassign,
complete, reopen; who may; bad input names its field and writes nothing.

Team north: manager mia, reps rita and rob; team south: rep sam; an admin and an executive (eve).
"""
from __future__ import annotations

import pytest

from goldsieve.people.users import set_active
from goldsieve.store.filters import Eq

from tests.records.conftest import (  # noqa: F401  (fixtures)
    client,
    goldsieve_workspace,
    people,
)
from tests.web.api.conftest import errors


def written(store) -> dict[str, int]:
    return {t: store.count(t) for t in ("tasks", "audit", "notifications", "events")}


@pytest.fixture
def deal(client):
    made = client("rita").post("deals", {"funnel": "handmade", "title": "Acme ERP", "data": {"company": "Acme"}})
    assert made.status_code == 201
    return made.json


def test_create_change_reassign_complete_and_reopen(client, goldsieve_runtime, deal):
    store, mia, rita = goldsieve_runtime.store, client("mia"), client("rita")
    made = mia.post("tasks", {"deal_id": deal["id"], "title": " Call back ", "assignee": "rita",
                              "due": "2026-01-06T09:00:00+01:00"})
    assert made.status_code == 201, made.json
    task = made.json
    assert {k: task[k] for k in ("deal_id", "title", "assignee", "due", "done_at", "created_by", "version")} == {
        "deal_id": deal["id"], "title": "Call back", "assignee": "rita", "due": "2026-01-06T08:00:00.000Z",
        "done_at": None, "created_by": "mia", "version": 1}
    assert [t["id"] for t in rita.get("tasks").json["items"]] == [task["id"]]
    told = store.find("notifications", Eq("user", "rita"))
    assert [n["text"] for n in told] == ["mia gave you a task on Acme ERP: Call back"]
    changed = rita.patch(f"tasks/{task['id']}", {"title": "Call Dr Wang", "due": None, "version": 1})
    assert changed.status_code == 200 and (changed.json["title"], changed.json["due"]) == ("Call Dr Wang", None)
    # rob sees only his own deals: he cannot take a task on rita's
    assert errors(mia.patch(f"tasks/{task['id']}", {"assignee": "rob", "version": 2})) == [
        ("/assignee", "cannot_see")]
    given = mia.patch(f"tasks/{task['id']}", {"assignee": "admin", "version": 2})
    assert given.status_code == 200 and given.json["assignee"] == "admin"
    assert [n["text"] for n in store.find("notifications", Eq("user", "admin"))] == [
        "mia gave you a task on Acme ERP: Call Dr Wang"]
    assert rita.get("tasks").json["items"] == []
    done = client("admin").post(f"tasks/{task['id']}/done")
    assert done.status_code == 200 and done.json["done_by"] == "admin"
    reopened = mia.post(f"tasks/{task['id']}/reopen", {"version": done.json["version"]})
    assert reopened.status_code == 200 and reopened.json["done_at"] is None
    assert errors(mia.post(f"tasks/{task['id']}/reopen", {})) == [("/task", "open")]
    actions = [a["action"] for a in store.find("audit") if a["target"]["type"] == "task"]
    assert actions == ["task_created", "task_changed", "task_changed", "task_reopened"]


def test_bad_input_and_who_may_not_write_nothing(client, goldsieve_runtime, deal):
    store = goldsieve_runtime.store
    set_active(store, "rob", False)
    sams = client("sam").post("deals", {"funnel": "handmade", "title": "S", "data": {"company": "S"}}).json
    task = client("rita").post("tasks", {"deal_id": deal["id"], "title": "Mine"}).json
    for name in ("mia", "eve", "sam", "admin"):
        client(name)
    before = written(store)
    for who, method, path, payload, status, expected in (
            ("rita", "POST", "tasks", {"deal_id": deal["id"], "title": "X", "assignee": "ghost"}, 422,
             [("/assignee", "unknown_user")]),
            ("rita", "POST", "tasks", {"deal_id": deal["id"], "title": "X", "assignee": "rob"}, 422,
             [("/assignee", "inactive")]),
            ("rita", "POST", "tasks", {"deal_id": deal["id"], "title": "X", "assignee": "sam"}, 422,
             [("/assignee", "cannot_see")]),
            ("rita", "POST", "tasks", {"deal_id": deal["id"], "title": " ", "due": "tomorrow"}, 422,
             [("/title", "required"), ("/due", "format")]),
            ("rita", "POST", "tasks", {"deal_id": deal["id"], "title": "X", "due": "2026-01-06T09:00:00"}, 422,
             [("/due", "format")]),
            ("rita", "POST", "tasks", {"deal_id": deal["id"], "title": "x" * 201}, 422, [("/title", "maxLength")]),
            ("rita", "POST", "tasks", {"title": "X"}, 422, [("/deal_id", "required")]),
            ("rita", "POST", "tasks", {"deal_id": sams["id"], "title": "X"}, 404, [("", "not_found")]),
            ("eve", "POST", "tasks", {"deal_id": deal["id"], "title": "X"}, 403, [("", "forbidden")]),
            ("sam", "PATCH", f"tasks/{task['id']}", {"title": "Y", "version": 1}, 404, [("", "not_found")]),
            ("eve", "PATCH", f"tasks/{task['id']}", {"title": "Y", "version": 1}, 403, [("", "forbidden")]),
            ("rita", "PATCH", f"tasks/{task['id']}", {"title": "Y", "version": 5}, 409, [("/version", "conflict")]),
            ("rita", "PATCH", f"tasks/{task['id']}", {"title": "Y"}, 422, [("/version", "required")]),
            ("mia", "PATCH", f"tasks/{task['id']}", {"assignee": "sam", "version": 1}, 422,
             [("/assignee", "cannot_see")]),
            ("admin", "PATCH", "tasks/999", {"title": "Y", "version": 1}, 404, [("", "not_found")])):
        response = client(who).request(method, path, payload)
        assert (response.status_code, errors(response)) == (status, expected), (who, path, payload)
    assert written(store) == before

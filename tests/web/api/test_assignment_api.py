"""Giving deals and customers to another user, and a leaver's hand-over, through the API (issue
16, part 7), on both stores: who may, to whom, what is written, and that a refusal writes nothing.

Team north: manager mia, reps rita and rob; team south: rep sam; an admin and an executive (eve).
"""
from __future__ import annotations

from goldsieve.people.users import set_active, set_locale
from goldsieve.store.filters import Eq

from tests.records.conftest import (  # noqa: F401  (fixtures)
    client,
    goldsieve_workspace,
    people,
)
from tests.web.api.conftest import errors


def written(store) -> dict[str, int]:
    return {t: store.count(t) for t in ("deals", "events", "audit", "notifications", "customers",
                                        "customer_events", "tasks")}


def deal_of(client, user: str, title: str = "Acme ERP", **extra) -> dict:
    made = client(user).post("deals", {"funnel": "handmade", "title": title,
                                       "data": {"company": "Acme"}, **extra})
    assert made.status_code == 201, made.json
    return made.json


def test_a_manager_gives_a_deal_within_the_team_with_event_audit_and_notification(client, goldsieve_runtime):
    store = goldsieve_runtime.store
    set_locale(store, store.find("users", Eq("username", "rob"))[0], "zh_Hans")
    deal = deal_of(client, "rita")
    given = client("mia").post(f"deals/{deal['id']}/assign", {"owner": "rob", "version": 1})
    assert given.status_code == 200, given.json
    assert (given.json["owner"], given.json["version"]) == ("rob", 2)
    last = store.find("events", Eq("deal_id", deal["id"]))[-1]
    assert (last["type"], last["by"], last["changes"]) == ("owner_changed", "mia", {"owner": ["rita", "rob"]})
    audit = [a for a in store.find("audit") if a["action"] == "deal_reassigned"]
    assert [(a["by"], a["target"]["id"], a["changes"]["owner"]) for a in audit] == [
        ("mia", deal["id"], ["rita", "rob"])]
    told = store.find("notifications", Eq("user", "rob"))
    assert [(n["deal_id"], n["text"]) for n in told] == [(deal["id"], "mia 把商机 Acme ERP 交给了你。")]
    assert client("rob").get(f"deals/{deal['id']}").status_code == 200
    assert client("rita").get(f"deals/{deal['id']}").status_code == 404  # own scope: no longer hers


def test_who_may_and_to_whom_refusals_write_nothing(client, goldsieve_runtime):
    store = goldsieve_runtime.store
    deal = deal_of(client, "rita")
    sams = deal_of(client, "sam", "Sam's")
    set_active(store, "rob", False)
    as_ = {name: client(name) for name in ("rita", "eve", "mia", "admin")}  # tokens are audited
    before = written(store)
    cases = [
        ("rita", deal["id"], {"owner": "rob"}, 403, [("", "forbidden")]),  # a rep may not
        ("eve", deal["id"], {"owner": "rob"}, 403, [("", "forbidden")]),  # an observer may not
        ("mia", sams["id"], {"owner": "rita"}, 404, [("", "not_found")]),  # not in her team
        ("mia", deal["id"], {"owner": "sam"}, 422, [("/owner", "out_of_scope")]),  # outside her team
        ("mia", deal["id"], {"owner": "nobody"}, 422, [("/owner", "unknown_user")]),
        ("mia", deal["id"], {"owner": "rob"}, 422, [("/owner", "inactive")]),
        ("mia", deal["id"], {}, 422, [("/owner", "required")]),
        ("mia", deal["id"], {"owner": "mia", "title": "x"}, 422, [("/title", "unknown_field")]),
        ("mia", deal["id"], {"owner": "mia", "version": 7}, 409, [("/version", "conflict")]),
        ("admin", 999, {"owner": "mia"}, 404, [("", "not_found")]),
    ]
    for who, deal_id, payload, status, expected in cases:
        response = as_[who].post(f"deals/{deal_id}/assign", payload)
        assert (response.status_code, errors(response)) == (status, expected), (who, payload)
    assert written(store) == before
    # the old way still refuses: the owner is not a field a PATCH sets
    patched = client("admin").patch(f"deals/{deal['id']}", {"owner": "sam", "version": 1})
    assert patched.status_code == 422 and errors(patched) == [("/owner", "unknown_field")]
    # an admin gives anywhere, across teams
    across = client("admin").post(f"deals/{deal['id']}/assign", {"owner": "sam"})
    assert across.status_code == 200 and across.json["owner"] == "sam"


def test_a_customer_with_its_open_deals(client, goldsieve_runtime):
    store = goldsieve_runtime.store
    rita = client("rita")
    customer = rita.post("customers", {"name": "Ruijin"}).json
    open_one = deal_of(client, "rita", "Open", customer_id=customer["id"])
    won = deal_of(client, "rita", "Won", customer_id=customer["id"])
    with store.transaction() as txn:  # closed as won: it stays with whoever won it
        txn.replace("deals", {**store.get("deals", won["id"]), "status": "won", "stage": "won"})
    alone = client("mia").post(f"customers/{customer['id']}/assign", {"owner": "rob"})
    assert alone.status_code == 200, alone.json
    assert (alone.json["customer"]["owner"], alone.json["deals"]) == ("rob", [])
    assert store.get("deals", open_one["id"])["owner"] == "rita"
    events = store.find("customer_events", Eq("customer_id", customer["id"]))
    assert (events[-1]["type"], events[-1]["by"]) == ("assigned", "mia")
    assert any(a["action"] == "customer_assigned" for a in store.find("audit"))
    both = client("mia").post(f"customers/{customer['id']}/assign",
                              {"owner": "rob", "with_open_deals": True, "version": 2})
    assert both.status_code == 200, both.json
    assert [d["id"] for d in both.json["deals"]] == [open_one["id"]]  # the won deal stays
    assert store.get("deals", open_one["id"])["owner"] == "rob"
    assert store.get("deals", won["id"])["owner"] == "rita"
    told = [n["text"] for n in store.find("notifications", Eq("user", "rob"))]
    assert told == ["mia gave you the customer Ruijin.",
                    "mia gave you the customer Ruijin and 1 of its open deals."]
    as_ = {name: client(name) for name in ("rob", "mia")}
    before = written(store)
    for who, payload, status, expected in (
            ("rob", {"owner": "rita"}, 403, [("", "forbidden")]),
            ("mia", {"owner": "sam", "with_open_deals": True}, 422, [("/owner", "out_of_scope")]),
            ("mia", {"owner": "rita", "with_open_deals": "often"}, 422, [("/with_open_deals", "invalid")]),
            ("mia", {"owner": "rita", "version": 1}, 409, [("/version", "conflict")])):
        response = as_[who].post(f"customers/{customer['id']}/assign", payload)
        assert (response.status_code, errors(response)) == (status, expected), payload
    assert written(store) == before


def test_hand_over_everything_of_a_leaver(client, goldsieve_runtime):
    store, engine = goldsieve_runtime.store, goldsieve_runtime.engine
    rita = client("rita")
    customer = rita.post("customers", {"name": "Ruijin"}).json
    first, second = deal_of(client, "rita", "One"), deal_of(client, "rita", "Two")
    mias = deal_of(client, "mia", "Mia's")
    with store.transaction() as txn:
        for deal_id in (first["id"], mias["id"]):
            txn.insert("tasks", {"deal_id": deal_id, "funnel": "handmade", "title": "Call", "assignee": "rita",
                                 "due": None, "done_at": None, "done_by": None, "overdue_at": None,
                                 "created_at": "2026-01-05T09:00:00.000Z", "created_by": "mia",
                                 "key": None, "version": 1})
    mia, admin = client("mia"), client("admin")
    before = written(store)
    assert mia.post("users/rita/hand-over", {"to": "rob"}).status_code == 403
    for payload, expected in (({"to": "rita"}, [("/to", "same_user")]), ({"to": "ghost"}, [("/to", "unknown_user")]),
                              ({}, [("/to", "required")])):
        response = admin.post("users/rita/hand-over", payload)
        assert (response.status_code, errors(response)) == (422, expected), payload
    assert errors(admin.post("users/ghost/hand-over", {"to": "rob"})) == [("/from", "unknown_user")]
    dry = admin.post("users/rita/hand-over", {"to": "rob", "dry_run": True})
    assert dry.status_code == 200 and dry.json["deals"] == [first["id"], second["id"]]
    assert written(store) == before
    done = admin.post("users/rita/hand-over", {"to": "rob"}).json
    assert sorted(done["deals"]) == [first["id"], second["id"]] and done["customers"] == [customer["id"]]
    assert len(done["tasks"]) == 1 and len(done["tasks_left"]) == 1 and done["skipped"] == []
    assert {d["owner"] for d in (store.get("deals", first["id"]), store.get("deals", second["id"]))} == {"rob"}
    assert store.get("customers", customer["id"])["owner"] == "rob"
    assert store.get("tasks", done["tasks"][0])["assignee"] == "rob"
    assert store.get("tasks", done["tasks_left"][0])["assignee"] == "rita"  # rob cannot see mia's deal
    for deal_id in done["deals"]:
        assert store.find("events", Eq("deal_id", deal_id))[-1]["type"] == "owner_changed"
    summary = [a for a in store.find("audit") if a["action"] == "user_handed_over"]
    assert [(s["by"], s["target"]["id"], s["deals"], s["customers"]) for s in summary] == [
        ("admin", "rita", done["deals"], [customer["id"]])]
    told = [n["text"] for n in store.find("notifications", Eq("user", "rob"))]
    assert told == ["admin handed over to you what rita had: 2 open deals, 1 customers and 1 open tasks."]
    again = admin.post("users/rita/hand-over", {"to": "rob"}).json
    assert (again["deals"], again["customers"], again["tasks"]) == ([], [], [])
    assert len(store.find("notifications", Eq("user", "rob"))) == 1  # nothing moved: nothing told
    assert engine.get(store.find("users", Eq("username", "rob"))[0], first["id"])["owner"] == "rob"

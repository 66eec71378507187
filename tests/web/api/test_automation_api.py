"""The API of automation's people-facing side: leads, my tasks, my notifications."""
from __future__ import annotations

import pytest

from goldsieve.people.users import find_user, issue_token
from goldsieve.testing import ApiClient

from tests.conftest import load_funnel


@pytest.fixture
def goldsieve_funnel():
    funnel = load_funnel("design_example")
    funnel["assignment"] = {"rule": "round_robin", "team": "east"}
    funnel["automations"].append({"id": "call", "on": "deal_created", "do": [
        {"action": "create_task", "title": "Call {company}", "due_days": 1},
        {"action": "notify", "to": "owner", "message": "New lead: {title}"}]})
    return funnel


@pytest.fixture
def org(goldsieve_runtime, goldsieve_make_user, goldsieve_make_team, goldsieve_app):
    goldsieve_make_user("mark", "marketing")
    goldsieve_make_user("admin", "admin")
    goldsieve_make_team("east")
    for name in ("ann", "bo"):
        goldsieve_make_user(name, "rep", team="east")
    goldsieve_make_user("rob", "rep")
    client = goldsieve_app.test_client()
    return {name: ApiClient(client, issue_token(goldsieve_runtime.store, name))
            for name in ("mark", "admin", "ann", "bo", "rob")}


def post_lead(api, title="Lead from the fair", **data):
    return api.post("leads", {"funnel": "handmade", "title": title, "data": {"company": "Acme", **data}})


def ids(api, path="deals"):
    return {d["id"] for d in api.get(path).json["items"]}


def test_a_lead_lands_in_the_first_stage_with_an_owner_chosen_by_the_rule(org, goldsieve_runtime):
    first = post_lead(org["mark"])
    assert first.status_code == 201, first.json
    second = post_lead(org["mark"], "Second lead").json
    first = first.json
    assert first["stage"] == "lead" and {first["owner"], second["owner"]} == {"ann", "bo"}
    stored = goldsieve_runtime.store.get("deals", first["id"])
    assert stored["created_by"] == "mark"
    owner, other = (org["ann"], org["bo"]) if first["owner"] == "ann" else (org["bo"], org["ann"])
    assert first["id"] in ids(owner) and first["id"] not in ids(other)
    assert first["id"] not in ids(org["rob"])
    assert owner.get(f"deals/{first['id']}").status_code == 200
    assert org["rob"].get(f"deals/{first['id']}").status_code == 404
    assert {first["id"], second["id"]} <= ids(org["mark"])  # marketing sees the leads they entered


def test_only_marketing_and_admins_take_leads_and_bad_leads_write_nothing(org, goldsieve_runtime):
    before = goldsieve_runtime.store.count("deals"), goldsieve_runtime.store.count("outbox")
    assert post_lead(org["ann"]).status_code == 403
    refused = org["mark"].post("leads", {"funnel": "handmade", "title": "", "data": {"amount": -1}})
    assert refused.status_code == 422
    assert {e["path"] for e in refused.json["errors"]} == {"/title", "/data/company", "/data/amount"}
    assert org["mark"].post("leads", {"funnel": "handmade", "title": "x", "owner": "rob"}).status_code == 422
    assert org["mark"].post("leads", {"funnel": "nope", "title": "x"}).status_code == 404
    assert (goldsieve_runtime.store.count("deals"), goldsieve_runtime.store.count("outbox")) == before


def test_tasks_and_notifications_are_the_callers_own(org, goldsieve_runtime):
    lead = post_lead(org["mark"]).json
    goldsieve_runtime.dispatcher.deliver_due("test")
    owner = org[lead["owner"]]
    other = org["bo" if lead["owner"] == "ann" else "ann"]
    [task] = owner.get("tasks").json["items"]
    assert (task["title"], task["deal_id"], task["done_at"]) == ("Call Acme", lead["id"], None)
    assert other.get("tasks").json["items"] == []
    notes = owner.get("notifications").json
    assert notes["unread"] == 1 and notes["items"][0]["text"] == "New lead: Lead from the fair"
    assert other.get("notifications").json == {"items": [], "unread": 0, "next_cursor": None}
    note_id = notes["items"][0]["id"]
    assert other.post(f"notifications/{note_id}/read").status_code == 404
    assert owner.post(f"notifications/{note_id}/read").json == {"unread": 0}
    assert other.post(f"tasks/{task['id']}/done").status_code == 404  # not a deal they can see
    done = owner.post(f"tasks/{task['id']}/done")
    assert done.status_code == 200 and done.json["done_by"] == lead["owner"]
    assert owner.get("tasks").json["items"] == []
    assert [t["id"] for t in owner.get("tasks?done=1").json["items"]] == [task["id"]]
    assert owner.post(f"tasks/{task['id']}/done").status_code == 422


def test_a_task_on_a_deal_the_user_can_no_longer_see_disappears(org, goldsieve_runtime):
    lead = post_lead(org["mark"]).json
    goldsieve_runtime.dispatcher.deliver_due("test")
    owner = org[lead["owner"]]
    assert len(owner.get("tasks").json["items"]) == 1
    admin = find_user(goldsieve_runtime.store, "admin")
    goldsieve_runtime.engine.assign(admin, lead["id"], "rob")
    assert owner.get("tasks").json["items"] == []  # the task still names them; the deal is gone


def test_a_lead_naming_a_known_company_is_linked_to_its_customer_and_learns_only_its_id(org, goldsieve_runtime):
    customers = goldsieve_runtime.customers
    known = customers.create(find_user(goldsieve_runtime.store, "rob"), "ACME Co., Ltd.", {})
    before = goldsieve_runtime.store.count("customers")
    lead = post_lead(org["mark"], company="ａｃｍｅ ltd")
    assert lead.status_code == 201 and lead.json["customer_id"] == known["id"]
    assert "ACME" not in str(lead.json)
    assert org["mark"].get(f"customers/{known['id']}").status_code == 404  # still not theirs to see
    other = post_lead(org["mark"], "Someone new", company="Brand new Ltd")
    assert other.json["customer_id"] is None
    assert goldsieve_runtime.store.count("customers") == before  # intake links, it creates none

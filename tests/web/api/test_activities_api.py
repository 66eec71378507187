"""The activities API: log, plan, list, change and complete, with the project's errors."""
from __future__ import annotations

from tests.deals.test_activities import DEAL, counts
from tests.records.conftest import client, goldsieve_workspace, people  # noqa: F401 (fixtures)


def test_log_plan_list_change_and_complete(goldsieve_runtime, client, people):
    rita = client("rita")
    deal = goldsieve_runtime.engine.create(people.rita, "handmade", "PACS", DEAL)
    made = rita.post("/api/v1/activities", {"type": "visit", "deal_id": deal["id"],
                                             "done_at": "2026-01-01T10:00:00+08:00", "outcome": "Met",
                                             "location": {"lat": 23.1, "lon": 113.3}})
    assert made.status_code == 201, made.json
    assert made.headers["Location"].endswith(f"/api/v1/activities/{made.json['id']}")
    other = goldsieve_runtime.engine.create(people.rita, "handmade", "Other", DEAL)
    none_planned = rita.get("/api/v1/deals?next_step=none").json["items"]
    assert {d["id"] for d in none_planned} == {deal["id"], other["id"]}
    planned = rita.post("/api/v1/activities", {"type": "demo", "deal_id": deal["id"],
                                                "due_at": "2026-03-01T09:00:00Z"}).json
    assert [d["id"] for d in rita.get("/api/v1/deals?next_step=none").json["items"]] == [other["id"]]
    assert rita.get("/api/v1/deals?next_step=some").json["errors"][0]["path"] == "/next_step"
    listed = rita.get(f"/api/v1/activities?deal={deal['id']}").json["items"]
    assert [a["id"] for a in listed] == [planned["id"], made.json["id"]]
    assert [a["type"] for a in rita.get(f"/api/v1/activities?deal={deal['id']}&status=done").json["items"]] == ["visit"]
    stale = rita.patch(f"/api/v1/activities/{planned['id']}", {"outcome": "x", "version": 9})
    assert stale.status_code == 409 and stale.json["current_version"] == 1
    assert "this activity;" in stale.json["errors"][0]["message"]
    changed = rita.patch(f"/api/v1/activities/{planned['id']}", {"due_at": "2026-03-02T09:00:00Z", "version": 1})
    assert changed.status_code == 200 and changed.json["due_at"] == "2026-03-02T09:00:00.000Z"
    done = rita.post(f"/api/v1/activities/{planned['id']}/done", {"version": 2, "outcome": "Good"})
    assert (done.status_code, done.json["status"], done.json["outcome"]) == (200, "done", "Good")
    again = rita.post(f"/api/v1/activities/{planned['id']}/done", {})
    assert again.status_code == 422 and again.json["errors"][0]["path"] == "/status"


def test_refusals_name_the_field_and_write_nothing(goldsieve_runtime, client, people):
    deal = goldsieve_runtime.engine.create(people.rita, "handmade", "PACS", DEAL)
    client("rita"), client("sam")  # their tokens (issuing one is audited)
    before = counts(goldsieve_runtime.store)
    unknown = client("rita").post("/api/v1/activities", {"type": "séance", "deal_id": deal["id"],
                                                         "due_at": "2026-03-01T09:00:00Z"})
    assert unknown.status_code == 422 and [e["path"] for e in unknown.json["errors"]] == ["/type"]
    hidden = client("sam").post("/api/v1/activities", {"type": "call", "deal_id": deal["id"],
                                                       "due_at": "2026-03-01T09:00:00Z"})
    assert hidden.status_code == 422 and hidden.json["errors"][0]["code"] == "unknown_deal"
    far = client("rita").post("/api/v1/activities", {"type": "visit", "deal_id": deal["id"],
                                                     "due_at": "2026-03-01T09:00:00Z",
                                                     "location": {"lat": 123.0, "lon": 0}})
    assert far.status_code == 422 and far.json["errors"][0]["path"] == "/location/lat"
    assert counts(goldsieve_runtime.store) == before
    assert client("sam").get(f"/api/v1/activities?deal={deal['id']}").status_code == 404
    assert client("rita").get("/api/v1/activities?status=soon").json["errors"][0]["path"] == "/status"


def test_a_planned_activity_s_title_through_the_api(goldsieve_runtime, client, people):
    rita = client("rita")
    deal = goldsieve_runtime.engine.create(people.rita, "handmade", "PACS", DEAL)
    made = rita.post("/api/v1/activities", {"type": "call", "deal_id": deal["id"], "title": "Quote",
                                             "due_at": "2026-03-01T09:00:00Z"})
    assert made.status_code == 201 and made.json["title"] == "Quote"
    before = counts(goldsieve_runtime.store)
    long = rita.post("/api/v1/activities", {"type": "call", "deal_id": deal["id"], "title": "q" * 201,
                                             "due_at": "2026-03-01T09:00:00Z"})
    assert long.status_code == 422 and [(e["path"], e["code"]) for e in long.json["errors"]] == [("/title", "maxLength")]
    refused = rita.patch(f"/api/v1/activities/{made.json['id']}", {"title": "q\x00", "version": 1})
    assert refused.status_code == 422 and refused.json["errors"][0]["path"] == "/title"
    assert counts(goldsieve_runtime.store) == before
    renamed = rita.patch(f"/api/v1/activities/{made.json['id']}", {"title": "Quote, v2", "version": 1})
    assert renamed.status_code == 200 and renamed.json["title"] == "Quote, v2"
    assert rita.get(f"/api/v1/activities/{made.json['id']}").json["title"] == "Quote, v2"

"""The REST API against its contract (docs/architecture.md), on the hand-written funnel."""
from __future__ import annotations

from goldsieve.people.users import issue_token
from goldsieve.runtime import open_runtime
from goldsieve.web.app import create_app

SURVEY = {"needs_survey": "a survey"}


def create(api, **data):
    response = api.post("deals", {"funnel": "handmade", "title": "Acme ERP",
                                  "data": {"company": "Acme", **data}})
    assert response.status_code == 201, response.json
    return response.json


def test_health_and_funnels(api):
    assert api.get("health").json["status"] == "ok"
    funnels = api.get("funnels").json["items"]
    assert [f["id"] for f in funnels] == ["handmade"]
    assert [s["id"] for s in funnels[0]["stages"]][:2] == ["lead", "qualified"]
    assert api.get("funnels/handmade").json["version"] == 3
    assert api.get("funnels/nope").status_code == 404


def test_unauthenticated_requests_answer_401(api):
    anonymous = api.as_token(None)
    for method, path in [("GET", "deals"), ("GET", "funnels"), ("POST", "deals"),
                         ("GET", "deals/1"), ("POST", "deals/1/move")]:
        response = anonymous.request(method, path, {})
        assert response.status_code == 401, path
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.json["errors"][0]["code"] == "unauthorized"
    assert api.as_token("gs_not-a-token").get("deals").status_code == 401


def test_create_returns_the_deal_envelope(api):
    deal = create(api)
    assert set(deal) >= {"id", "funnel", "funnel_version", "title", "stage", "status", "owner",
                         "data", "version", "created_at", "updated_at", "stage_entered_at"}
    assert (deal["stage"], deal["status"], deal["version"], deal["funnel_version"]) == ("lead", "open", 1, 3)


def test_create_refuses_server_owned_fields_and_writes_nothing(api, goldsieve_runtime):
    for forged in ({"stage": "won"}, {"version": 7}, {"id": 5}, {"status": "won"}):
        response = api.post("deals", {"funnel": "handmade", "title": "X",
                                      "data": {"company": "Acme"}, **forged})
        assert response.status_code == 422
        assert response.json["errors"][0]["path"] == "/" + next(iter(forged))
    assert goldsieve_runtime.store.count("deals") == 0


def test_gate_refusal_is_422_naming_the_field_and_changes_nothing(api):
    deal = create(api)
    response = api.post(f"deals/{deal['id']}/move", {"to": "qualified"})
    assert response.status_code == 422
    assert [(e["path"], e["code"]) for e in response.json["errors"]] == [("/data/needs_survey", "required")]
    same = api.get(f"deals/{deal['id']}").json
    assert (same["stage"], same["version"]) == ("lead", 1)
    ok = api.post(f"deals/{deal['id']}/move", {"to": "qualified", "data": SURVEY, "version": 1})
    assert ok.status_code == 200 and ok.json["stage"] == "qualified" and ok.json["version"] == 2


def test_skip_is_refused_and_the_conditional_stage_depends_on_data(api):
    big = create(api, amount=3_000_000, **SURVEY)
    small = create(api, amount=3_000, **SURVEY)
    for deal in (big, small):
        assert api.post(f"deals/{deal['id']}/move", {"to": "qualified"}).status_code == 200
    skipped = api.post(f"deals/{big['id']}/move", {"to": "quote"})
    assert skipped.status_code == 422 and skipped.json["errors"][0]["code"] == "skip"
    assert api.post(f"deals/{big['id']}/move", {"to": "exec_visit"}).status_code == 200
    assert api.post(f"deals/{small['id']}/move", {"to": "exec_visit"}).status_code == 422
    assert api.post(f"deals/{small['id']}/move", {"to": "quote"}).status_code == 200


def test_lost_needs_a_listed_reason(api):
    deal = create(api)
    response = api.post(f"deals/{deal['id']}/move", {"to": "lost"})
    assert response.status_code == 422 and response.json["errors"][0]["path"] == "/lost_reason"
    response = api.post(f"deals/{deal['id']}/move", {"to": "lost", "lost_reason": "price"})
    assert response.status_code == 200 and response.json["status"] == "lost"


def test_stale_version_answers_409(api):
    deal = create(api)
    assert api.patch(f"deals/{deal['id']}", {"data": {"amount": 5}, "version": 1}).status_code == 200
    stale = api.patch(f"deals/{deal['id']}", {"data": {"amount": 6}, "version": 1})
    assert stale.status_code == 409 and stale.json["current_version"] == 2
    assert api.post(f"deals/{deal['id']}/move", {"to": "qualified", "data": SURVEY, "version": 1}).status_code == 409
    assert api.get(f"deals/{deal['id']}").json["data"]["amount"] == 5


def test_patch_refuses_mass_assignment(api):
    deal = create(api)
    response = api.patch(f"deals/{deal['id']}", {"data": {}, "version": 1, "owner": "mallory"})
    assert response.status_code == 422 and response.json["errors"][0]["path"] == "/owner"
    assert api.patch(f"deals/{deal['id']}", {"data": {}}).json["errors"][0]["path"] == "/version"


def test_history_shows_every_step(api):
    deal = create(api, **SURVEY, amount=100)
    for stage in ("qualified", "quote", "negotiation", "won"):
        assert api.post(f"deals/{deal['id']}/move", {"to": stage}).status_code == 200
    events = api.get(f"deals/{deal['id']}/history").json["items"]
    assert [(e["type"], e["to_stage"]) for e in events] == [
        ("created", "lead"), ("stage_changed", "qualified"), ("stage_changed", "quote"),
        ("stage_changed", "negotiation"), ("stage_changed", "won")]
    assert all(e["by"] == "admin" and e["at"].endswith("Z") for e in events)


def test_list_filters_and_paginates(api):
    ids = [create(api)["id"] for _ in range(5)]
    api.post(f"deals/{ids[0]}/move", {"to": "qualified", "data": SURVEY})
    page = api.get("deals?limit=2").json
    assert [d["id"] for d in page["items"]] == ids[::-1][:2]
    rest = api.get(f"deals?limit=10&cursor={page['next_cursor']}").json
    assert [d["id"] for d in rest["items"]] == ids[::-1][2:] and rest["next_cursor"] is None
    assert [d["id"] for d in api.get("deals?stage=qualified").json["items"]] == [ids[0]]
    assert api.get("deals?limit=0").status_code == 422
    assert api.get("deals?cursor=abc").status_code == 422


def test_bad_bodies_are_422_not_500(api):
    deal = create(api)
    assert api.post("deals", "not an object").status_code == 422
    assert api.post(f"deals/{deal['id']}/move", {"to": 5}).status_code == 422
    assert api.post(f"deals/{deal['id']}/move", {"to": "qualified", "version": "1"}).status_code == 422
    assert api.post("deals", {"funnel": "nope", "title": "x"}).status_code == 404
    assert api.get("deals/999").status_code == 404
    assert api.get("nothing-here").json["errors"][0]["code"] == "not_found"


def test_openapi_document_describes_the_contract(api):
    spec = api.as_token(None).get("openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/deals", "/api/v1/deals/{deal_id}/move", "/api/v1/deals/{deal_id}/history"} <= set(spec["paths"])
    assert "Deal" in spec["components"]["schemas"]


def test_state_survives_a_restart(goldsieve_workspace, goldsieve_user, goldsieve_runtime, goldsieve_clock):
    token = issue_token(goldsieve_runtime.store, "admin")
    client = create_app(runtime=goldsieve_runtime).test_client()
    headers = {"Authorization": f"Bearer {token}"}
    made = client.post("/api/v1/deals", json={"funnel": "handmade", "title": "T", "data": {"company": "C"}},
                       headers=headers).json
    client.post(f"/api/v1/deals/{made['id']}/move", json={"to": "qualified", "data": SURVEY}, headers=headers)
    goldsieve_runtime.close()
    with open_runtime(goldsieve_workspace, clock=goldsieve_clock) as again:
        client = create_app(runtime=again).test_client()
        deal = client.get(f"/api/v1/deals/{made['id']}", headers=headers).json
        assert (deal["stage"], deal["version"]) == ("qualified", 2)
        assert len(client.get(f"/api/v1/deals/{made['id']}/history", headers=headers).json["items"]) == 3


def test_nan_in_a_request_is_422_not_500(api, goldsieve_runtime):
    response = api.post("deals", headers={"Content-Type": "application/json"},
                        data='{"funnel": "handmade", "title": "T", "data": {"company": "C", "amount": NaN}}')
    assert response.status_code == 422 and response.json["errors"][0]["path"] == "/data/amount"
    assert goldsieve_runtime.store.count("deals") == 0

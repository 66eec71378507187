"""``POST /api/v1/deals/<id>/move`` with ``bypass_gate``: admins past the gate, others 403."""
from __future__ import annotations

import pytest

from goldsieve.people.users import issue_token

REASON = "Framework contract signed; the survey follows."


@pytest.fixture
def rep_api(api, goldsieve_make_user, goldsieve_runtime):
    goldsieve_make_user("rita", "rep")
    return api.as_token(issue_token(goldsieve_runtime.store, "rita"))


def create(client) -> dict:
    response = client.post("deals", {"funnel": "handmade", "title": "Acme ERP", "data": {"company": "Acme"}})
    assert response.status_code == 201, response.json
    return response.json


def unchanged(client, deal: dict) -> tuple[str, int, int]:
    """The deal's stage and version and its number of events: what a refusal leaves alone."""
    now = client.get(f"deals/{deal['id']}").json
    return now["stage"], now["version"], len(client.get(f"deals/{deal['id']}/history").json["items"])


def test_an_admin_moves_past_the_gate_with_a_reason(api):
    deal = create(api)
    response = api.post(f"deals/{deal['id']}/move", {"to": "qualified", "version": 1, "bypass_gate": REASON})
    assert response.status_code == 200, response.json
    assert (response.json["stage"], response.json["version"]) == ("qualified", 2)
    events = api.get(f"deals/{deal['id']}/history").json["items"]
    assert [e["type"] for e in events] == ["created", "gate_bypassed", "stage_changed"]
    assert events[1]["note"] == REASON
    assert [(v["path"], v["code"]) for v in events[1]["violations"]] == [("/data/needs_survey", "required")]
    moved = next(a for a in api.get("audit").json["items"] if a["action"] == "deal_moved")
    assert moved["changes"]["bypass_reason"] == [None, REASON]
    assert moved["changes"]["bypassed_violations"] == [None, events[1]["violations"]]


def test_a_rep_gets_403_and_nothing_is_written(rep_api):
    deal = create(rep_api)
    before = unchanged(rep_api, deal)
    response = rep_api.post(f"deals/{deal['id']}/move", {"to": "qualified", "bypass_gate": REASON})
    assert response.status_code == 403
    assert unchanged(rep_api, deal) == before == ("lead", 1, 1)


@pytest.mark.parametrize("reason, code", [("  ", "required"), ("x" * 501, "maxLength"), (5, "invalid")])
def test_a_missing_or_bad_reason_is_422_and_nothing_is_written(api, reason, code):
    deal = create(api)
    response = api.post(f"deals/{deal['id']}/move", {"to": "qualified", "bypass_gate": reason})
    assert response.status_code == 422
    assert [(e["path"], e["code"]) for e in response.json["errors"]] == [("/bypass_gate", code)]
    assert unchanged(api, deal) == ("lead", 1, 1)


def test_the_other_rules_still_refuse_a_bypassing_admin(api):
    deal = create(api)
    response = api.post(f"deals/{deal['id']}/move", {"to": "quote", "bypass_gate": REASON})
    assert response.status_code == 422
    assert [(e["path"], e["code"]) for e in response.json["errors"]] == [("/to", "skip")]
    assert unchanged(api, deal) == ("lead", 1, 1)


def test_the_openapi_document_shows_bypass_gate(api):
    schemas = api.as_token(None).get("openapi.json").json["components"]["schemas"]
    field = schemas["Move"]["properties"]["bypass_gate"]
    assert "string" in field["type"] and "bypass_gate" in field["description"]
    assert "violations" in schemas["Event"]["properties"]


def test_an_edit_breaking_the_stage_gate_is_422_unless_an_admin_saves_anyway(api, rep_api, goldsieve_runtime):
    """Gates hold after entry (issue 14, part 7): the edit is refused like a move into the stage."""
    deal = create(rep_api)
    moved = rep_api.post(f"deals/{deal['id']}/move", {"to": "qualified", "data": {"needs_survey": "done"}})
    assert moved.status_code == 200, moved.json
    before = unchanged(api, deal)
    refused = rep_api.patch(f"deals/{deal['id']}", {"version": 2, "data": {"needs_survey": None}})
    assert refused.status_code == 422
    assert [(e["path"], e["code"]) for e in refused.json["errors"]] == [("/data/needs_survey", "required")]
    forbidden = rep_api.patch(f"deals/{deal['id']}", {"version": 2, "data": {"needs_survey": None},
                                                      "bypass_gate": REASON})
    assert forbidden.status_code == 403
    assert unchanged(api, deal) == before
    saved = api.patch(f"deals/{deal['id']}", {"version": 2, "data": {"needs_survey": None}, "bypass_gate": REASON})
    assert saved.status_code == 200, saved.json
    assert "needs_survey" not in saved.json["data"] and saved.json["stage"] == "qualified"
    events = api.get(f"deals/{deal['id']}/history").json["items"]
    assert [e["type"] for e in events[-2:]] == ["updated", "edit_bypassed"]
    assert events[-1]["note"] == REASON

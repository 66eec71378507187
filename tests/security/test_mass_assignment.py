"""Mass assignment (issue 4, item 5): the fields the server owns — ``id``, ``owner`` (unless the
user may reassign), ``stage``, ``status``, ``version``, the timestamps — cannot be set through the
API's create/patch nor through the page forms: refused (API: 422, or 403 for an owner the user may
not give) or ignored (forms), and nothing forged is written."""
from __future__ import annotations

import pytest

from tests.security.conftest import FUNNEL

FORGED = {"id": 999, "owner": "rob", "stage": "won", "status": "won", "version": 77,
          "created_at": "2000-01-01T00:00:00Z", "updated_at": "2000-01-01T00:00:00Z",
          "stage_entered_at": "2000-01-01T00:00:00Z", "funnel_version": 1, "lost_reason": "price",
          "created_by": "admin"}
SERVER_OWNED = ("id", "owner", "stage", "status", "version", "created_at", "updated_at",
                "stage_entered_at", "funnel_version", "lost_reason", "created_by")


def snapshot(org):
    return {d["id"]: d for d in org.store.find("deals")}, org.counts()


@pytest.mark.parametrize("field", sorted(FORGED))
def test_api_create_refuses_each_forged_field_and_writes_nothing(app, org, field):
    api = org.api(app, "rita")
    before = snapshot(org)
    response = api.post("/api/v1/deals", {"funnel": FUNNEL, "title": "forged",
                                          "data": {"company": "F"}, field: FORGED[field]})
    assert response.status_code == (403 if field == "owner" else 422), response.get_json()
    assert snapshot(org) == before


@pytest.mark.parametrize("field", sorted(FORGED))
def test_api_patch_refuses_each_forged_field_and_writes_nothing(app, org, field):
    api = org.api(app, "rita")
    deal_id = org.deals["rita"][0]
    before = snapshot(org)
    body = {"data": {"amount": 5}, "version": 1, field: FORGED[field]}
    if field == "version":
        body["version"] = "77"  # a string: the version is the client's only say, and an integer
    response = api.patch(f"/api/v1/deals/{deal_id}", body)
    assert response.status_code == 422, (field, response.get_json())
    assert snapshot(org) == before


def test_api_data_cannot_smuggle_server_fields(app, org):
    """Server fields inside ``data`` stay data (or are refused); they never reach the deal."""
    api = org.api(app, "rita")
    response = api.post("/api/v1/deals", {"funnel": FUNNEL, "title": "smuggler",
                                          "data": {"company": "S", **FORGED}})
    if response.status_code == 201:
        deal = org.engine.get(org.user("admin"), response.get_json()["id"])
        assert (deal["owner"], deal["stage"], deal["status"], deal["version"]) == ("rita", "lead", "open", 1)
        assert deal["id"] != 999
    else:
        assert response.status_code == 422


def test_a_manager_may_give_an_owner_but_not_the_other_server_fields(app, org):
    api = org.api(app, "mia")
    created = api.post("/api/v1/deals", {"funnel": FUNNEL, "title": "for rita",
                                         "data": {"company": "M"}, "owner": "rita"})
    assert created.status_code == 201 and created.get_json()["owner"] == "rita"
    before = snapshot(org)
    assert api.post("/api/v1/deals", {"funnel": FUNNEL, "title": "x", "data": {"company": "M"},
                                      "owner": "rita", "stage": "won"}).status_code == 422
    assert snapshot(org) == before


def page_form(**extra):
    form = {f: str(v) for f, v in FORGED.items()}
    form.update({f"data.{f}": str(v) for f, v in FORGED.items()})
    form.update(extra)
    return form


def test_the_new_deal_form_ignores_forged_fields(app, org):
    browser = org.browser(app, "rita")
    before_ids = {d["id"] for d in org.store.find("deals")}
    response = browser.post("/deals/new", page_form(funnel=FUNNEL, title="form forged",
                                                    **{"data.company": "F"}))
    created = {d["id"]: d for d in org.store.find("deals")}
    new = [d for i, d in created.items() if i not in before_ids]
    if response.status_code == 303:
        (deal,) = new
        assert (deal["owner"], deal["stage"], deal["status"], deal["version"]) == ("rita", "lead", "open", 1)
        assert deal["id"] != 999 and deal["created_by"] == "rita" and deal["lost_reason"] is None
        assert not deal["created_at"].startswith("2000")
        assert not set(SERVER_OWNED) & set(deal["data"])
    else:
        assert response.status_code == 422 and new == []


def test_the_deal_form_ignores_forged_fields(app, org):
    browser = org.browser(app, "rita")
    deal_id = org.deals["rita"][0]
    before = org.engine.get(org.user("admin"), deal_id)
    form = page_form(version="1", title=before["title"], **{"data.company": before["data"]["company"],
                                                            "data.amount": str(before["data"]["amount"])})
    response = browser.post(f"/deals/{deal_id}", form)
    assert response.status_code in (303, 409, 422), response.status_code
    after = org.engine.get(org.user("admin"), deal_id)
    for field in ("id", "owner", "stage", "status", "created_at", "stage_entered_at", "lost_reason",
                  "created_by", "funnel_version"):
        assert after[field] == before[field], field
    assert not set(SERVER_OWNED) & set(after["data"])
    assert after["version"] in (1, 2)  # saved at most once, with the server's numbering


def test_the_move_and_note_forms_ignore_forged_fields(app, org):
    browser = org.browser(app, "rita")
    deal_id = org.deals["rita"][0]
    browser.post(f"/deals/{deal_id}/notes", {"text": "hello", "by": "admin", "owner": "rob",
                                             "deal_id": str(org.deals["sam"][0])})
    note = org.store.find("events")[-1]
    assert (note["deal_id"], note["by"]) == (deal_id, "rita")
    assert org.engine.get(org.user("admin"), deal_id)["owner"] == "rita"
    browser.post(f"/deals/{deal_id}/move", {"to": "lost", "lost_reason": "price", "version": "1",
                                            "owner": "rob", "status": "won", "stage": "won"})
    after = org.engine.get(org.user("admin"), deal_id)
    assert after["owner"] == "rita" and after["status"] in ("open", "lost") and after["stage"] != "won"

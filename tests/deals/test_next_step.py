"""A stage's ``next_step``: a deal enters it only with a planned next step, which the API's move
may plan on the way; a refusal of the move or of the step writes nothing; the gate dialog offers
to plan it; an admin's bypass sets it aside like any gate."""
from __future__ import annotations

import pytest

from goldsieve.errors import ValidationFailed
from goldsieve.people.users import issue_token
from goldsieve.testing import ApiClient

from tests.conftest import load_funnel
from tests.records.conftest import BOTH_STORES, goldsieve_workspace, people  # noqa: F401 (fixtures)

READY = {"needs_survey": "40 users"}


@pytest.fixture
def goldsieve_funnel() -> dict:
    funnel = load_funnel("design_example")
    stages = {s["id"]: s for s in funnel["stages"]}
    stages["qualified"]["next_step"] = True
    stages["won"]["next_step"] = True  # on a closed stage it asks nothing
    return funnel


@pytest.fixture
def deal(goldsieve_runtime, people):
    return goldsieve_runtime.engine.create(people.rita, "handmade", "PACS", {"company": "Ruijin"})


def counts(rt) -> tuple[int, int, int]:
    return rt.store.count("events"), rt.store.count("activities"), rt.store.count("audit")


@BOTH_STORES
def test_entering_the_stage_needs_a_planned_next_step(goldsieve_runtime, people, deal):
    rt = goldsieve_runtime
    before = counts(rt)
    with pytest.raises(ValidationFailed) as error:
        rt.engine.move(people.rita, deal["id"], "qualified", READY)
    assert [(v.path, v.code) for v in error.value.violations] == [("/next_step", "activity_required")]
    assert counts(rt) == before
    rt.activities.create(people.rita, "call", deal_id=deal["id"], done_at="2026-01-01T08:00:00Z")
    with pytest.raises(ValidationFailed):  # a done activity is no next step
        rt.engine.move(people.rita, deal["id"], "qualified", READY)
    rt.activities.create(people.rita, "visit", deal_id=deal["id"], due_at="2026-03-01T08:00:00Z")
    assert rt.engine.move(people.rita, deal["id"], "qualified", READY)["stage"] == "qualified"


def test_an_admin_may_bypass_it_with_a_reason(goldsieve_runtime, people, deal):
    moved = goldsieve_runtime.engine.move(people.admin, deal["id"], "qualified", READY,
                                          bypass_gate="The customer plans the next meeting")
    assert moved["stage"] == "qualified"


@pytest.fixture
def api(goldsieve_app, goldsieve_runtime, people) -> ApiClient:
    return ApiClient(goldsieve_app.test_client(), issue_token(goldsieve_runtime.store, "rita"))


@BOTH_STORES
def test_the_api_plans_the_step_and_moves_in_one_request(api, goldsieve_runtime, deal):
    answer = api.request("POST", f"/api/v1/deals/{deal['id']}/move", {
        "to": "qualified", "data": READY, "version": deal["version"],
        "next_step": {"type": "visit", "due_at": "2026-03-02T09:00:00Z", "duration_minutes": 60}})
    assert answer.status_code == 200, answer.get_json()
    moved = answer.get_json()
    assert moved["stage"] == "qualified" and moved["next_activity_at"] == "2026-03-02T09:00:00.000Z"
    [step] = goldsieve_runtime.store.find("activities")
    assert (step["type"], step["status"], step["owner"]) == ("visit", "planned", "rita")


@BOTH_STORES
@pytest.mark.parametrize("body, path", [
    ({"to": "qualified", "data": READY, "next_step": {"type": "parade", "due_at": "2026-03-02T09:00:00Z"}},
     "/next_step/type"),
    ({"to": "qualified", "data": READY, "next_step": {"type": "visit"}}, "/next_step/due_at"),
    ({"to": "qualified", "data": READY, "next_step": {"type": "visit", "due_at": "9999-99-99"}},
     "/next_step/due_at"),
    ({"to": "qualified", "data": READY, "next_step": {"type": "visit", "due_at": "2026-03-02T09:00:00Z",
                                                      "owner": "sam"}}, "/next_step/owner"),
    ({"to": "qualified", "data": {}, "next_step": {"type": "visit", "due_at": "2026-03-02T09:00:00Z"}},
     "/data/needs_survey"),  # the move's own objection: the step is not planned either
    ({"to": "qualified", "data": READY, "next_step": "tomorrow"}, "/next_step"),
])
def test_a_refused_move_or_step_writes_nothing(api, goldsieve_runtime, deal, body, path):
    before = counts(goldsieve_runtime)
    answer = api.request("POST", f"/api/v1/deals/{deal['id']}/move", body)
    assert answer.status_code == 422, answer.get_json()
    assert path in str(answer.get_json()), answer.get_json()
    assert counts(goldsieve_runtime) == before
    assert goldsieve_runtime.store.get("deals", deal["id"])["stage"] == "lead"


def test_a_stale_version_is_refused_after_the_step_too(api, goldsieve_runtime, deal, people):
    goldsieve_runtime.engine.update(people.rita, deal["id"], {"company": "Ruijin Hospital"})
    answer = api.request("POST", f"/api/v1/deals/{deal['id']}/move", {
        "to": "qualified", "data": READY, "version": deal["version"],
        "next_step": {"type": "visit", "due_at": "2026-03-02T09:00:00Z"}})
    assert answer.status_code == 409
    assert goldsieve_runtime.store.count("activities") == 0


def test_the_gate_dialog_offers_to_plan_the_next_step(goldsieve_app, people, deal):
    from tests.ui.conftest import Browser

    goldsieve_app.config["WTF_CSRF_ENABLED"] = True
    browser = Browser(goldsieve_app.test_client())
    assert browser.login("rita").status_code == 302
    page = browser.get(f"/deals/{deal['id']}/move?to=qualified").get_data(as_text=True)
    assert "A planned next step, to enter" in page and "Plan the next step" in page
    assert 'name="next_type"' in page and 'name="next_when"' in page  # planned with the move itself


def test_only_an_open_stage_asks_for_a_next_step(goldsieve_runtime, deal):
    from goldsieve.deals.activity_gates import needs_next_step

    funnel = goldsieve_runtime.engine.funnel_of(deal)
    assert needs_next_step(deal, funnel.stage("qualified"))
    assert not needs_next_step(deal, funnel.stage("won"))  # declared there too: a closed stage asks nothing
    assert not needs_next_step({**deal, "next_activity_at": "2026-03-01T08:00:00.000Z"}, funnel.stage("qualified"))
    assert not needs_next_step(deal, funnel.stage("quote"))  # not declared

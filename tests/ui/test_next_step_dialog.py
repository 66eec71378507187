"""The move dialog plans the next step itself (issue 16): a stage with ``"next_step": true`` shows
the step's controls in the gate dialog, one submit plans it and moves the deal (a plain form post
and htmx alike), and a refusal of the move or of the step writes nothing and says each reason
beside its control, in the reader's language."""
from __future__ import annotations

import json
import re

import pytest

from goldsieve.testing import Browser

from tests.conftest import load_funnel
from tests.records.conftest import BOTH_STORES, goldsieve_workspace, people  # noqa: F401 (fixtures)

READY = {"needs_survey": "40 users"}


@pytest.fixture
def goldsieve_funnel() -> dict:
    funnel = load_funnel("design_example")
    {s["id"]: s for s in funnel["stages"]}["qualified"]["next_step"] = True
    return funnel


@pytest.fixture
def deal(goldsieve_runtime, people):
    customer = goldsieve_runtime.customers.create(people.rita, "Ruijin")
    goldsieve_runtime.contacts.create(people.rita, customer["id"], "Dr. Wang", primary=True)
    return goldsieve_runtime.engine.create(people.rita, "handmade", "PACS", {"company": "Ruijin"},
                                           customer_id=customer["id"])


@pytest.fixture
def rita(goldsieve_app, people) -> Browser:
    browser = Browser(goldsieve_app.test_client())
    assert browser.login("rita").status_code == 302
    return browser


def written(rt) -> tuple[int, int, int, str]:
    deal = rt.store.find("deals")[0]
    return rt.store.count("activities"), rt.store.count("events"), rt.store.count("audit"), deal["stage"]


def move(browser: Browser, deal: dict, fields: dict, **kwargs):
    return browser.post(f"/deals/{deal['id']}/move", {"to": "qualified", "version": str(deal["version"]),
                                                      **READY, **fields}, **kwargs)


def test_the_dialog_carries_the_step_s_controls(rita, deal, goldsieve_runtime):
    page = rita.get(f"/deals/{deal['id']}/move?to=qualified", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "A planned next step, to enter" in page
    for control in ('name="next_type"', 'name="next_when"', 'name="next_duration"', 'name="next_contact"'):
        assert control in page
    types = re.findall(r'<option value="([a-z_]+)"', page.split('name="next_type"', 1)[1].split("</select>")[0])
    assert types == list(goldsieve_runtime.activities.types.ids)
    assert "Dr. Wang" in page  # the deal's customer's contacts
    assert "activity-form" not in page  # no detour through the deal page


@BOTH_STORES
def test_one_plain_post_plans_the_step_and_moves(rita, deal, goldsieve_runtime):
    contact = goldsieve_runtime.store.find("contacts")[0]
    answer = move(rita, deal, {"next_type": "visit", "next_when": "2030-03-02T09:30", "next_duration": "45",
                               "next_contact": str(contact["id"])})
    assert answer.status_code == 303, answer.get_data(as_text=True)
    moved = goldsieve_runtime.store.get("deals", deal["id"])
    assert (moved["stage"], moved["next_activity_at"]) == ("qualified", "2030-03-02T09:30:00.000Z")
    [step] = goldsieve_runtime.store.find("activities")
    assert (step["type"], step["status"], step["owner"], step["duration_minutes"], step["contact_ids"]) == (
        "visit", "planned", "rita", 45, [contact["id"]])


def test_htmx_moves_with_the_step_and_says_so(rita, deal, goldsieve_runtime):
    answer = move(rita, deal, {"next_type": "call", "next_when": "2030-03-02T09:30"}, htmx=True)
    assert answer.status_code == 204
    assert json.loads(answer.headers["HX-Trigger"])["deal-moved"] == {"id": deal["id"], "from": "lead",
                                                                      "to": "qualified"}
    assert goldsieve_runtime.store.find("activities")[0]["type"] == "call"


@BOTH_STORES
@pytest.mark.parametrize("fields, control", [
    ({"next_type": "visit", "next_when": ""}, "next_when"),
    ({"next_type": "visit", "next_when": "next tuesday"}, "next_when"),
    ({"next_type": "visit", "next_when": "２０３０-03-02T09:30"}, "next_when"),
    ({"next_type": "visit", "next_when": "2030-03-02T09:30\x00"}, "next_when"),
    ({"next_type": "visit", "next_when": "0999-12-31T23:59"}, "next_when"),  # a stamp no page could read
    ({"next_type": "parade", "next_when": "2030-03-02T09:30"}, "next_type"),
    ({"next_type": "vi\x00sit", "next_when": "2030-03-02T09:30"}, "next_type"),
    ({"next_type": "visit", "next_when": "2030-03-02T09:30", "next_duration": "４５"}, "next_duration"),
    ({"next_type": "visit", "next_when": "2030-03-02T09:30", "next_duration": "20000"}, "next_duration"),
    ({"next_type": "visit", "next_when": "2030-03-02T09:30", "next_contact": "999"}, "next_contact"),
    ({"next_type": "visit", "next_when": "2030-03-02T09:30", "next_contact": "Dr. Wang"}, "next_contact"),
    ({"next_type": "visit", "next_when": "2030-03-02T09:30", "next_contact": "9" * 5000}, "next_contact"),
])
def test_a_refused_step_writes_nothing_and_says_why_beside_its_control(rita, deal, goldsieve_runtime, fields,
                                                                       control):
    before = written(goldsieve_runtime)
    answer = move(rita, deal, fields, htmx=True)
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert f'id="move-{control}-error"' in page and f'aria-describedby="move-{control}-error"' in page
    assert page.count('class="field-error"') == 1, page
    assert written(goldsieve_runtime) == before


def test_the_move_s_own_refusal_comes_first_and_the_step_is_not_planned(rita, deal, goldsieve_runtime):
    before = written(goldsieve_runtime)
    answer = rita.post(f"/deals/{deal['id']}/move", {"to": "qualified", "version": str(deal["version"]),
                                                     "next_type": "visit", "next_when": "2030-03-02T09:30"})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert 'name="needs_survey"' in page and 'value="2030-03-02T09:30"' in page  # kept as typed
    assert written(goldsieve_runtime) == before


def test_the_reasons_are_in_the_reader_s_language(rita, deal):
    answer = move(rita, deal, {"next_type": "visit", "next_when": "nope"}, headers={"Accept-Language": "zh-CN"})
    page = answer.get_data(as_text=True)
    error = page.split('id="move-next_when-error">', 1)[1].split("</p>")[0]
    assert error and not re.search("[A-Za-z]", error), error
    assert "计划下一步" in page


def test_move_anyway_needs_no_step(goldsieve_app, goldsieve_runtime, deal):
    admin = Browser(goldsieve_app.test_client())
    assert admin.login("admin").status_code == 302
    answer = admin.post(f"/deals/{deal['id']}/move", {
        "to": "qualified", "version": str(deal["version"]), **READY, "next_type": "visit", "next_when": "",
        "bypass": "1", "bypass_gate": "The customer calls us"})
    assert answer.status_code == 303
    assert goldsieve_runtime.store.get("deals", deal["id"])["stage"] == "qualified"
    assert goldsieve_runtime.store.count("activities") == 0


def test_the_next_step_carries_a_title(rita, deal, goldsieve_runtime):
    page = rita.get(f"/deals/{deal['id']}/move?to=qualified", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'name="next_title"' in page
    step = {"next_type": "call", "next_when": "2026-03-02T09:00"}
    before = written(goldsieve_runtime)
    refused = move(rita, deal, {**step, "next_title": "a" * 201})
    assert refused.status_code == 422 and 'id="move-next_title-error"' in refused.get_data(as_text=True)
    assert written(goldsieve_runtime) == before
    moved = move(rita, deal, {**step, "next_title": " Book the demo room "})
    assert moved.status_code == 303, moved.get_data(as_text=True)[:500]
    assert goldsieve_runtime.store.find("activities")[0]["title"] == "Book the demo room"

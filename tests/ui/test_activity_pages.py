"""Activities on the deal page and the customer page: log one (its type's declared fields
rendered), plan one, mark it done; the next step or its absence; a refusal beside its field."""
from __future__ import annotations

import copy

import pytest

from tests.ui.conftest import Browser


@pytest.fixture
def deal(customer_deal):
    return customer_deal


@pytest.fixture
def rita(browser, deal) -> Browser:
    assert browser.login("rita").status_code == 302
    return browser


def panel(browser, path: str) -> str:
    page = browser.get(path).get_data(as_text=True)
    return page.split('id="activities"', 1)[1].split("</section>", 1)[0]


def test_plan_then_do_a_visit_from_the_deal_page(rita, deal, goldsieve_runtime):
    path = f"/deals/{deal['id']}"
    assert "No next step" in panel(rita, path)
    planned = rita.post(f"{path}/activities", {"type": "visit", "status": "planned", "when": "2026-03-02T09:00"})
    assert planned.status_code == 303 and planned.headers["Location"].endswith(f"{path}#activities")
    shown = panel(rita, path)
    assert "No next step" not in shown and "Next step:" in shown and "Mark done" in shown
    activity = goldsieve_runtime.store.find("activities")[0]
    done = rita.post(f"/activities/{activity['id']}/done", {"version": "1", "next": path})
    assert done.status_code == 303
    assert goldsieve_runtime.store.get("activities", activity["id"])["status"] == "done"
    shown = panel(rita, path)
    assert "No next step" in shown and "Mark done" not in shown
    assert "Activity done: Visit" in rita.get(path).get_data(as_text=True)


def test_a_refused_activity_says_why_beside_the_field_and_writes_nothing(rita, deal, goldsieve_runtime):
    path = f"/deals/{deal['id']}"
    refused = rita.post(f"{path}/activities", {"type": "call", "status": "planned", "when": "",
                                               "duration": "forever"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'id="activity-when-error"' in page and 'id="activity-duration-error"' in page
    assert goldsieve_runtime.store.count("activities") == 0
    assert rita.client.post(f"{path}/activities", data={"type": "call", "status": "done"}).status_code == 400
    assert goldsieve_runtime.store.count("activities") == 0


@pytest.mark.parametrize("contact", ["\uff11", "9" * 5000])  # a fullwidth 1 was read as contact 1
def test_a_contact_that_is_no_id_is_refused_and_nothing_written(rita, deal, goldsieve_runtime, contact):
    refused = rita.post(f"/deals/{deal['id']}/activities", {"type": "call", "status": "planned",
                                                           "when": "2030-03-02T09:00", "contact": contact})
    assert refused.status_code == 422
    assert "Choose contacts of this customer." in refused.get_data(as_text=True)
    assert goldsieve_runtime.store.count("activities") == 0


def test_the_type_select_swaps_in_its_declared_fields_and_a_visit_its_location(rita):
    assert 'name="locate"' in rita.get("/activities/fields?type=visit").get_data(as_text=True)
    assert 'name="locate"' not in rita.get("/activities/fields?type=call").get_data(as_text=True)


def test_a_visit_records_the_posted_position_and_refuses_one_out_of_range(rita, deal, goldsieve_runtime):
    path = f"/deals/{deal['id']}/activities"
    far = rita.post(path, {"type": "visit", "status": "done", "locate": "1", "lat": "95", "lon": "113.26"})
    assert far.status_code == 422 and 'id="activity-location-error"' in far.get_data(as_text=True)
    assert goldsieve_runtime.store.count("activities") == 0
    assert rita.post(path, {"type": "visit", "status": "done", "locate": "1", "lat": "23.13",
                            "lon": "113.26"}).status_code == 303
    assert goldsieve_runtime.store.find("activities")[0]["location"] == {"lat": 23.13, "lon": 113.26}


def test_a_customer_page_logs_on_the_customer(rita, deal, goldsieve_runtime):
    customer_id = deal["customer_id"]
    logged = rita.post(f"/customers/{customer_id}/activities", {"type": "call", "status": "done",
                                                                "outcome": "<b>Picked up</b>"})
    assert logged.status_code == 303
    shown = panel(rita, f"/customers/{customer_id}")
    assert "&lt;b&gt;Picked up&lt;/b&gt;" in shown
    assert goldsieve_runtime.store.find("activities")[0]["deal_id"] is None


def declare_visit_fields(runtime, properties: dict) -> None:
    """The visits declare ``properties`` as their fields from now on."""
    from goldsieve.records.edit import definition_of

    definition = copy.deepcopy(definition_of(runtime.records.types, "activity"))
    visit = next(t for t in definition["types"] if t["id"] == "visit")
    visit["fields"] = {"type": "object", "properties": properties}
    runtime.records.save("activity", definition, by="admin", at="2026-03-01T09:00:00Z", base=None)


def test_a_declared_field_named_as_the_activity_forms_own_input_keeps_apart(rita, deal, goldsieve_runtime):
    """A visit's own field ``outcome`` (or ``when``) is another input than the form's outcome text:
    one id each on the page, and each posted value lands where it belongs."""
    declare_visit_fields(goldsieve_runtime, {"outcome": {"type": "string", "enum": ["won_over", "follow_up"]},
                                             "when": {"type": "string"}})
    fields = rita.get("/activities/fields?type=visit").get_data(as_text=True)
    assert 'name="data.outcome"' in fields and 'name="data.when"' in fields
    page = rita.get(f"/deals/{deal['id']}").get_data(as_text=True)
    assert page.count('id="activity-outcome"') == 1 and page.count('id="activity-when"') == 1
    logged = rita.post(f"/deals/{deal['id']}/activities", {
        "type": "visit", "status": "done", "outcome": "They agreed to a trial", "data.outcome": "won_over",
        "data.when": "after the trade fair"})
    assert logged.status_code == 303
    activity = goldsieve_runtime.store.find("activities")[0]
    assert activity["outcome"] == "They agreed to a trial"
    assert activity["data"] == {"outcome": "won_over", "when": "after the trade fair"}


def test_the_timeline_shows_a_labelled_choice_by_its_label_in_the_readers_language(rita, deal, goldsieve_runtime):
    declare_visit_fields(goldsieve_runtime, {
        "result": {"type": "string", "title": {"en": "Result", "zh-Hans": "结果"},
                   "oneOf": [{"const": "won_over", "title": {"en": "Won over", "zh-Hans": "已说服"}},
                             {"const": "later", "title": {"en": "Later", "zh-Hans": "以后再说"}}]},
        "topics": {"type": "array", "items": {"enum": ["price", "terms"]}}})
    path = f"/deals/{deal['id']}"
    assert rita.post(f"{path}/activities", {"type": "visit", "status": "done", "result": "won_over",
                                            "topics": ["price", "terms"]}).status_code == 303
    shown = panel(rita, path)
    assert '<span class="change-field">Result</span>: Won over' in shown and "won_over" not in shown
    assert '<span class="change-field">topics</span>: price, terms' in shown
    chinese = rita.client.get(path, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<span class="change-field">结果</span>: 已说服' in chinese.split('id="activities"', 1)[1]

"""The designer's highlight rules and assignment rule through the pages."""
from __future__ import annotations

import pytest

from tests.ui.test_designer import draft_of, edit, start


@pytest.fixture
def admin_browser(browser, goldsieve_user, goldsieve_make_team, goldsieve_make_user):
    goldsieve_make_team("east")
    goldsieve_make_user("li", "rep", team="east")
    assert browser.login(goldsieve_user["username"]).status_code == 302
    return browser


def test_highlight_rules_are_edited_in_forms_and_shown_in_order(admin_browser, goldsieve_runtime):
    url = start(admin_browser, "funnel:handmade")
    page = admin_browser.get(url).get_data(as_text=True)
    assert 'id="highlight-heading"' in page and "A hand-written condition, kept as it is" in page
    added = edit(admin_browser, url, op="add_highlight", when_field="amount", when_op="at_least",
                 when_value="2000000", style="warning")
    assert added.status_code == 200 and 'data-highlight="1"' in added.get_data(as_text=True)
    assert edit(admin_browser, url, op="raise_highlight", position="1").status_code == 200
    rules = draft_of(goldsieve_runtime, url)["definition"]["highlight"]
    assert [r["style"] for r in rules] == ["warning", "high"]
    refused = edit(admin_browser, url, op="update_highlight", position="0", style="loud")
    assert refused.status_code == 422 and "a highlight style is one of" in refused.get_data(as_text=True)
    assert edit(admin_browser, url, op="remove_highlight", position="x").status_code == 422
    assert draft_of(goldsieve_runtime, url)["definition"]["highlight"] == rules


def test_the_assignment_rule_offers_what_exists_and_refuses_anybody_else(admin_browser, goldsieve_runtime):
    url = start(admin_browser, "funnel:handmade")
    page = admin_browser.get(url).get_data(as_text=True)
    assert '<option value="team:east">' in page and '<option value="user:li">' in page
    saved = edit(admin_browser, url, op="set_assignment", rule="by_field", field="company",
                 map_value=["Acme", "", ""], map_to=["user:li", "", ""], default="team:east")
    assert saved.status_code == 200
    assert draft_of(goldsieve_runtime, url)["definition"]["assignment"] == {
        "rule": "by_field", "field": "company", "map": {"Acme": "user:li"}, "default": "team:east"}
    html = saved.get_data(as_text=True)
    assert '<input name="map_value" value="Acme"' in html  # the row comes back, with spare rows
    refused = edit(admin_browser, url, op="set_assignment", rule="round_robin", team="west")
    assert refused.status_code == 422 and "there is no team “west”" in refused.get_data(as_text=True)
    zh = admin_browser.post(url, {"op": "set_assignment", "rule": "round_robin", "team": "west"}, htmx=True,
                            headers={"Accept-Language": "zh-CN"})
    assert "没有团队“west”" in zh.get_data(as_text=True)
    assert draft_of(goldsieve_runtime, url)["definition"]["assignment"]["rule"] == "by_field"
    assert edit(admin_browser, url, op="set_assignment", rule="round_robin", team="east").status_code == 200
    draft_id = draft_of(goldsieve_runtime, url)["id"]
    assert admin_browser.post(f"/designer/drafts/{draft_id}/apply").status_code == 303
    assert goldsieve_runtime.funnels.get("handmade").definition["assignment"] == {"rule": "round_robin", "team": "east"}


def test_the_stage_editor_sets_the_next_step_and_the_activities_required_to_enter(admin_browser, goldsieve_runtime):
    url = start(admin_browser, "funnel:handmade")
    page = admin_browser.get(url).get_data(as_text=True)
    assert '<option value="visit">Visit</option>' in page and 'name="next_step"' in page
    form = {"op": "update_stage", "stage": "quote", "title": "Quote", "new_id": "quote", "probability": "0.6",
            "rot_days": "7", "required": "amount", "activity_gate": "1", "next_step": "1",
            "activity_type": ["visit", ""], "activity_role": ["", ""]}
    saved = admin_browser.post(url, form, htmx=True)
    assert saved.status_code == 200 and "next step required" in saved.get_data(as_text=True)
    quote = next(s for s in draft_of(goldsieve_runtime, url)["definition"]["stages"] if s["id"] == "quote")
    assert (quote["next_step"], quote["required_activities"]) == (True, [{"type": "visit"}])
    refused = admin_browser.post(url, {**form, "activity_role": ["ceo", ""]}, htmx=True,
                                 headers={"Accept-Language": "zh-CN"})
    assert refused.status_code == 422 and "没有联系人角色“ceo”" in refused.get_data(as_text=True)
    draft_id = draft_of(goldsieve_runtime, url)["id"]
    assert admin_browser.post(f"/designer/drafts/{draft_id}/apply").status_code == 303
    applied = goldsieve_runtime.funnels.get("handmade").stage("quote").raw
    assert applied["next_step"] is True and applied["required_activities"] == [{"type": "visit"}]

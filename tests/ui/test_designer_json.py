"""The designer's JSON tab: the same definition as the forms, editable; both stay in step, and
text that is not a funnel's is refused with its findings while the draft survives."""
from __future__ import annotations

import copy
import html
import json
import re

import pytest

from goldsieve.funnels import drafts as funnel_drafts

from tests.ui.test_designer import draft_of, start


@pytest.fixture
def admin_browser(browser, goldsieve_user):
    assert browser.login(goldsieve_user["username"]).status_code == 302
    return browser


def shown(browser, url: str) -> dict:
    page = browser.get(url + "/json").get_data(as_text=True)
    text = re.search(r'<textarea id="definition-json"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    return json.loads(html.unescape(text))


def save(browser, url: str, text: str, **headers):
    return browser.post(url + "/json", {"definition": text}, headers=headers)


def test_the_json_tab_shows_the_file_the_draft_makes_and_the_forms_reflect_an_edit(admin_browser, goldsieve_runtime):
    url = start(admin_browser, "funnel:handmade")
    definition = shown(admin_browser, url)
    assert definition == funnel_drafts.candidate(draft_of(goldsieve_runtime, url))
    assert (definition["version"], definition["migration"]) == (4, {"from_version": 3})
    definition["stages"][0]["title"] = {"en": "First contact", "zh-Hans": "初次接触"}
    definition["stages"][4]["id"] = "closing"  # negotiation renamed, its deals mapped along
    definition["automations"][0]["stage"] = "closing"
    definition["migration"]["map"] = {"negotiation": "closing"}
    saved = save(admin_browser, url, json.dumps(definition, ensure_ascii=False))
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/json")
    assert "Kept in the draft" in admin_browser.get(url + "/json").get_data(as_text=True)
    draft = draft_of(goldsieve_runtime, url)
    assert draft["map"] == {"negotiation": "closing"} and draft["definition"]["version"] == 3
    assert "migration" not in draft["definition"]
    forms = admin_browser.get(url).get_data(as_text=True)
    assert 'data-stage="closing"' in forms and 'value="First contact"' in forms
    assert shown(admin_browser, url)["migration"] == {"from_version": 3, "map": {"negotiation": "closing"}}
    plan = admin_browser.get(url + "/plan").get_data(as_text=True)
    assert "Stage renamed" in plan and "negotiation → closing" in plan


@pytest.mark.parametrize("text, says", [
    ('{"id": "handmade",', "not valid JSON"),
    ('[1, 2]', "must be a JSON object"),
    ('{"id": "handmade", "id": "x"}', "appears more than once"),
    ('{"id": "handmade", "title": "T\\u0000", "version": 1}', "NUL"),
    ('{"id": "handmade", "title": "\\ud800", "version": 1}', "lone surrogate"),
])
def test_text_that_is_no_funnel_is_refused_with_its_findings_and_the_draft_survives(
        admin_browser, goldsieve_runtime, text, says):
    url = start(admin_browser, "funnel:handmade")
    before = draft_of(goldsieve_runtime, url)
    refused = save(admin_browser, url, text)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and says in html.unescape(page) and "nothing was kept" in page
    assert text in html.unescape(page)  # the text comes back, to fix
    assert draft_of(goldsieve_runtime, url) == before


def test_a_wrong_shape_is_refused_at_its_pointer_in_the_readers_language(admin_browser, goldsieve_runtime):
    url = start(admin_browser, "funnel:handmade")
    before = draft_of(goldsieve_runtime, url)
    definition = shown(admin_browser, url)
    definition["stages"][1]["kind"] = "maybe"
    refused = save(admin_browser, url, json.dumps(definition), **{"Accept-Language": "zh-CN"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "<code>/stages/1/kind</code>" in page and "这还不是一个漏斗定义" in page
    assert "`maybe` 不是以下之一：`open`, `won`, `lost`" in html.unescape(page)
    assert draft_of(goldsieve_runtime, url) == before


def test_a_definition_with_errors_across_its_parts_is_kept_and_the_findings_say_where(
        admin_browser, goldsieve_runtime):
    url = start(admin_browser, "funnel:handmade")
    definition = shown(admin_browser, url)
    definition["targets"] = {"nowhere": 0.5}
    assert save(admin_browser, url, json.dumps(definition)).status_code == 303
    assert draft_of(goldsieve_runtime, url)["definition"]["targets"] == {"nowhere": 0.5}
    page = admin_browser.get(url + "/json").get_data(as_text=True)
    assert "<code>/targets/nowhere</code>" in page and "is not a stage of this funnel" in html.unescape(page)


def test_the_id_of_a_funnel_in_use_stays_and_a_new_funnel_takes_no_applied_id(admin_browser, goldsieve_runtime):
    url = start(admin_browser, "funnel:handmade")
    before = draft_of(goldsieve_runtime, url)
    definition = shown(admin_browser, url)
    refused = save(admin_browser, url, json.dumps({**definition, "id": "other"}))
    assert refused.status_code == 422 and "keeps its id" in html.unescape(refused.get_data(as_text=True))
    assert draft_of(goldsieve_runtime, url) == before
    fresh = admin_browser.post("/designer/drafts", {"source": "blank", "id": "fresh", "title-en": "Fresh"})
    new_url = fresh.headers["Location"]
    blank = shown(admin_browser, new_url)
    taken = save(admin_browser, new_url, json.dumps({**blank, "id": "handmade"}))
    assert taken.status_code == 422 and "there already is a funnel" in taken.get_data(as_text=True)
    assert save(admin_browser, new_url, json.dumps({**blank, "id": "renamed"})).status_code == 303
    assert draft_of(goldsieve_runtime, new_url)["funnel"] == "renamed"


def test_only_funnel_changers_reach_the_json_tab_and_it_needs_csrf(admin_browser, goldsieve_runtime,
                                                                   goldsieve_make_user, goldsieve_app):
    url = start(admin_browser, "funnel:handmade")
    before = copy.deepcopy(draft_of(goldsieve_runtime, url))
    goldsieve_app.config["WTF_CSRF_ENABLED"] = True
    text = json.dumps(shown(admin_browser, url))
    assert admin_browser.client.post(url + "/json", data={"definition": text}).status_code == 400
    assert draft_of(goldsieve_runtime, url) == before
    goldsieve_make_user("rita", "rep")
    admin_browser.get("/logout")
    assert admin_browser.login("rita").status_code == 302
    assert admin_browser.get(url + "/json").status_code == 403
    assert admin_browser.post(url + "/json", {"definition": text}).status_code == 403


def test_whom_to_notify_misspelt_is_said_at_the_automation_in_the_readers_language(admin_browser, goldsieve_runtime):
    url = start(admin_browser, "funnel:handmade")
    definition = shown(admin_browser, url)
    definition["automations"][0]["do"] = [{"action": "notify", "to": "manger"}]
    assert save(admin_browser, url, json.dumps(definition)).status_code == 303  # kept: the forms fix it
    page = html.unescape(admin_browser.get(url, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True))
    automation = page.split('data-automation="tell-manager"')[1].split("</li>")[0]
    assert "`manger` 不是可通知的对象" in automation and "您是指 `manager` 吗？" in automation
    assert "given schemas" not in page


def test_the_automations_check_is_said_in_the_readers_language_too(admin_browser, goldsieve_runtime):
    """Whether a role or channel exists is the automations' check (goldsieve.automation.check), not
    the file's: its findings come in the page's language as the file's do."""
    url = start(admin_browser, "funnel:handmade")
    definition = shown(admin_browser, url)
    definition["automations"][0]["do"] = [{"action": "notify", "to": "role:boss", "channel": "nowhere"}]
    assert save(admin_browser, url, json.dumps(definition)).status_code == 303
    page = html.unescape(admin_browser.get(url, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True))
    assert "`boss` 不是角色" in page and "`nowhere` 不是此工作区的渠道" in page
    assert "is not a role" not in page and "is not a channel" not in page


@pytest.mark.parametrize("text, says", [
    ('{"id": "handmade", "x-pad": "' + "x" * 1_000_001 + '"}', "larger than 1000 kB"),
    ('{"id": "handmade", "x-deep": ' + "[" * 40 + "]" * 40 + "}", "nests deeper than"),
    ('{"id": "handmade", "version": NaN}', "NaN or Infinity"),
])
def test_huge_deep_and_non_finite_text_is_refused_and_nothing_is_kept(admin_browser, goldsieve_runtime, text, says):
    url = start(admin_browser, "funnel:handmade")
    before = draft_of(goldsieve_runtime, url)
    refused = save(admin_browser, url, text)
    assert refused.status_code == 422 and says in html.unescape(refused.get_data(as_text=True))
    assert draft_of(goldsieve_runtime, url) == before

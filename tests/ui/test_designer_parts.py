"""The designer's parts through its pages: starting blank or from a template, the funnel's name,
fields, stages, lost reasons and automations as forms, findings at their part, and files."""
from __future__ import annotations

import io
import json

import pytest

from goldsieve.funnels import drafts as funnel_drafts
from goldsieve.ui import designer_findings

from tests.ui.test_designer import draft_of, edit, start


@pytest.fixture
def admin_browser(browser, goldsieve_user):
    assert browser.login(goldsieve_user["username"]).status_code == 302
    return browser


def blank(browser, funnel_id: str = "solar", **extra) -> str:
    return start_new(browser, {"source": "blank", "id": funnel_id, "title-en": "Solar roofs",
                               "title-zh-Hans": "太阳能屋顶", "currency": "EUR", **extra})


def start_new(browser, form: dict) -> str:
    response = browser.post("/designer/drafts", form)
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"]


def test_a_blank_funnel_has_its_name_titles_currency_and_only_its_closing_stages(admin_browser, goldsieve_runtime):
    url = blank(admin_browser, **{"description-en": "Rooftop installs"})
    definition = draft_of(goldsieve_runtime, url)["definition"]
    assert definition["id"] == "solar" and definition["title"] == {"en": "Solar roofs", "zh-Hans": "太阳能屋顶"}
    assert definition["currency"] == "EUR" and definition["description"] == "Rooftop installs"
    assert [(s["id"], s["kind"]) for s in definition["stages"]] == [("won", "won"), ("lost", "lost")]
    assert definition["stages"][0]["title"]["zh-Hans"] != "Won"  # the closing stages in every language
    assert definition["fields"] == {"type": "object", "properties": {}}
    page = admin_browser.get(url).get_data(as_text=True)
    assert "Designing “Solar roofs”" in page and "no stage has `kind` `open`" in page


@pytest.mark.parametrize("form, field, message", [
    ({"id": "Solar Roofs"}, "id", "is not a valid funnel id"),
    ({"id": "handmade"}, "id", "there already is a funnel “handmade”"),
    ({"title-en": "", "title-zh-Hans": ""}, "title-en", "Give the funnel a title"),
    ({"currency": "euro"}, "currency", "three-letter ISO 4217 code"),
    ({"title-en": "x\x00"}, "title-en", "without NUL"),
])
def test_a_bad_start_is_refused_at_its_field_and_keeps_nothing(admin_browser, goldsieve_runtime, form, field, message):
    sent = {"source": "blank", "id": "solar", "title-en": "Solar", "currency": "EUR", **form}
    response = admin_browser.post("/designer/drafts", sent)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    input_id = f"blank-{field}" if field in ("id", "currency") else f"blank-{field}"
    assert f'aria-describedby="{input_id}-error"' in html and f'id="{input_id}-error"' in html
    assert goldsieve_runtime.store.count("funnel_drafts") == 0


def test_a_template_start_takes_the_new_title_and_leaves_out_what_is_not_kept(admin_browser, goldsieve_runtime):
    url = start_new(admin_browser, {"source": "template:fmcg", "id": "drinks", "title-en": "Drinks",
                                    "keep_lost_reasons": "1"})
    definition = draft_of(goldsieve_runtime, url)["definition"]
    assert definition["title"] == "Drinks" and "description" not in definition
    assert definition["fields"]["properties"] == {} and "automations" not in definition
    assert definition["lost_reasons"] and not any("gate" in s or "applies_when" in s for s in definition["stages"])
    page = admin_browser.get(url).get_data(as_text=True)
    assert 'class="finding-error"' not in page  # nothing refers to the fields it left out
    kept = draft_of(goldsieve_runtime, start_new(admin_browser, {
        "source": "template:fmcg", "id": "drinks2", "title-en": "Drinks", "keep_fields": "1",
        "keep_lost_reasons": "1", "keep_automations": "1"}))["definition"]
    assert kept["fields"]["properties"] and kept["automations"]


def test_the_funnel_is_retitled_and_a_new_one_renamed(admin_browser, goldsieve_runtime):
    url = blank(admin_browser)
    assert edit(admin_browser, url, op="update_funnel", id="sun", **{
        "title-en": "Sun", "title-zh-Hans": "", "title-zh-Hant": "太陽", "currency": "usd"}).status_code == 200
    draft = draft_of(goldsieve_runtime, url)
    assert draft["funnel"] == draft["definition"]["id"] == "sun"
    assert draft["definition"]["title"] == {"en": "Sun", "zh-Hant": "太陽"} and draft["definition"]["currency"] == "USD"
    refused = edit(admin_browser, url, op="update_funnel", id="handmade", **{"title-en": "Sun"})
    assert refused.status_code == 422 and "there already is a funnel" in refused.get_data(as_text=True)
    assert draft_of(goldsieve_runtime, url) == draft
    edit(admin_browser, url, op="update_funnel", transitions="1", back="1", **{"title-en": "Sun"})
    assert draft_of(goldsieve_runtime, url)["definition"]["transitions"] == {"reopen": False}
    edit(admin_browser, url, op="update_funnel", transitions="1", skip="1", back="1", reopen="1",
         **{"title-en": "Sun"})
    assert draft_of(goldsieve_runtime, url)["definition"]["transitions"] == {"skip": True, "reopen": True}
    applied = start(admin_browser, "funnel:handmade")
    edit(admin_browser, applied, op="update_funnel", id="other", **{"title-en": "Software"})
    assert draft_of(goldsieve_runtime, applied)["definition"]["id"] == "handmade"  # an applied id stays


BOTH_STORES = pytest.mark.parametrize("goldsieve_store_url", ["tinydb:data", "postgresql"], indirect=True)


@BOTH_STORES
def test_fields_stages_reasons_and_automations_as_forms(admin_browser, goldsieve_runtime, goldsieve_make_user):
    goldsieve_make_user("mia", "manager")
    url = blank(admin_browser)
    assert edit(admin_browser, url, op="add_field", name="roof", type="string", **{
        "title-en": "Roof", "title-zh-Hans": "屋顶", "choice": ["flat", "tiled", ""],
        "choice-en": ["Flat", "", ""], "choice-zh-Hans": ["平顶", "", ""], "widget": "radio",
        "help-en": "As seen from the street"}).status_code == 200
    assert edit(admin_browser, url, op="add_field", name="kw", type="number", **{"title-en": "Power"}).status_code == 200
    assert edit(admin_browser, url, op="add_stage", id="survey", kind="open", **{
        "title-en": "Survey", "title-zh-Hans": "勘查"}).status_code == 200
    html = edit(admin_browser, url, op="update_stage", stage="survey", kind="open", probability="0",
                rot_days="7", target="0.5", required="roof", **{"title-en": "Survey", "title-zh-Hans": "勘查"}
                ).get_data(as_text=True)
    assert "has a probability of 0" in html  # the lint warning, shown at the stage
    assert 'gate: Roof' in html  # the gate names the field's title
    assert edit(admin_browser, url, op="add_lost_reason", id="price", **{"title-en": "Price",
                                                                          "title-zh-Hans": "价格"}).status_code == 200
    form = {"op": "add_automation", "id": "tell-manager", "on": "stage_entered", "stage": "survey",
            "if_field": "kw", "if_op": "at_least", "if_value": "10", "action": "notify",
            "notify.to": ["manager", "user:mia"], "notify.message": "Big roof: {title}",
            "create_task.title": "ignored: another action's input"}
    html = admin_browser.post(url, form, htmx=True).get_data(as_text=True)
    assert "Whom to notify" in html and "user:mia" in html  # the picker lists users that exist
    definition = draft_of(goldsieve_runtime, url)["definition"]
    assert definition["fields"]["properties"]["roof"]["oneOf"][0] == {
        "const": "flat", "title": {"en": "Flat", "zh-Hans": "平顶"}}
    assert definition["ui"] == {"widgets": {"roof": "radio"}, "help": {"roof": "As seen from the street"}}
    survey = definition["stages"][0]
    assert survey["title"] == {"en": "Survey", "zh-Hans": "勘查"} and survey["gate"] == {"required": ["roof"]}
    assert definition["targets"] == {"survey": 0.5}
    assert definition["lost_reasons"] == [{"id": "price", "title": {"en": "Price", "zh-Hans": "价格"}}]
    assert definition["automations"] == [{
        "id": "tell-manager", "on": "stage_entered", "stage": "survey",
        "if": {"properties": {"kw": {"minimum": 10}}, "required": ["kw"]},
        "do": [{"action": "notify", "to": ["manager", "user:mia"], "message": "Big roof: {title}"}]}]


def test_a_refused_automation_names_the_input_and_keeps_nothing(admin_browser, goldsieve_runtime):
    url = blank(admin_browser)
    before = draft_of(goldsieve_runtime, url)
    for form, message in [({"action": "notify"}, "needs its to"),
                          ({"action": "notify", "notify.to": "manger"}, "not one the action notify takes"),
                          ({"action": "create_task", "create_task.title": "x", "create_task.due_days": "inf"},
                           "is not a number"),
                          ({"action": "nope"}, "unknown action"),
                          ({"action": "notify", "notify.to": "owner", "notify.message": "hi\x00"}, "without NUL"),
                          ({"action": "notify", "notify.to": "owner", "if_field": "", "notify.channel": "c" * 2001},
                           "longer than 2000")]:
        response = admin_browser.post(url, {"op": "add_automation", "id": "a", "on": "won", **form}, htmx=True)
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert draft_of(goldsieve_runtime, url) == before


def test_refusals_and_findings_are_in_the_readers_language(admin_browser, goldsieve_runtime):
    url = blank(admin_browser)
    assert "没有 `kind` 为 `open` 的阶段" in admin_browser.get(url, headers={"Accept-Language": "zh-CN"}).get_data(
        as_text=True)  # the check's finding on a blank funnel
    response = admin_browser.post(url, {"op": "add_stage", "id": "Bad Id"}, htmx=True,
                                  headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 422 and "不是有效的阶段 id" in response.get_data(as_text=True)
    page = admin_browser.post(url, {"op": "add_stage", "id": "survey", "title-en": "Survey", "title-zh-Hans": "勘查"},
                              htmx=True, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    # lint speaks the page's language and names the stage by its title there
    assert "进行中阶段“勘查”的概率为 0" in page and "has a probability of 0" not in page
    blank_page = admin_browser.get(url, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "没有 `kind` 为 `open` 的阶段" not in blank_page  # it has an open stage now
    english = admin_browser.get(url).get_data(as_text=True)
    assert "the open stage “Survey” has a probability of 0" in english


@BOTH_STORES
def test_export_then_import_gives_the_same_funnel(admin_browser, goldsieve_runtime):
    url = blank(admin_browser)
    edit(admin_browser, url, op="add_stage", id="survey", kind="open", **{"title-en": "Survey"})
    exported = admin_browser.get(url + "/export")
    assert exported.status_code == 200 and "attachment" in exported.headers["Content-Disposition"]
    assert json.loads(exported.data) == draft_of(goldsieve_runtime, url)["definition"]
    edit(admin_browser, url, op="discard")
    imported = admin_browser.post("/designer/imports", {"file": (io.BytesIO(exported.data), "solar.json")})
    assert imported.status_code == 303
    assert draft_of(goldsieve_runtime, imported.headers["Location"])["definition"] == json.loads(exported.data)


@pytest.mark.parametrize("body, message", [
    (b'{"id": "x", "title": "X", "version": 1, "fields": {"type": "object", "properties": {}}, "stages": []}',
     "needs at least 2 stages"),
    (b'{"id": "x",', "not valid JSON"),
    (b'\xff\xfe', "not UTF-8"),
    (b'{"id": "x", "id": "y"}', "appears more than once"),
    (b'{"title": "\\u0000"}', "no store can keep"),
    (b"[" * 5000 + b"]" * 5000, "nest"),
    (b" " * 1_000_001, "larger than"),
])
@BOTH_STORES
def test_a_bad_file_gets_its_findings_and_nothing_is_kept(admin_browser, goldsieve_runtime, body, message):
    response = admin_browser.post("/designer/imports", {"file": (io.BytesIO(body), "bad.json")})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert goldsieve_runtime.store.count("funnel_drafts") == 0


def test_the_export_of_someone_elses_draft_is_404(admin_browser, goldsieve_runtime):
    url = blank(admin_browser)
    funnel_drafts.save(goldsieve_runtime.store, {**draft_of(goldsieve_runtime, url), "user": "someone"},
                       "2026-01-05T09:00:00Z")
    assert admin_browser.get(url + "/export").status_code == 404


def test_starting_and_importing_need_the_csrf_token(admin_browser, goldsieve_runtime):
    client = admin_browser.client  # the same session, without the token the pages send
    refused = client.post("/designer/drafts", data={"source": "blank", "id": "solar", "title-en": "Solar"})
    assert refused.status_code == 400
    body = json.dumps({"id": "x"}).encode()
    assert client.post("/designer/imports", data={"file": (io.BytesIO(body), "f.json")}).status_code == 400
    assert goldsieve_runtime.store.count("funnel_drafts") == 0


def test_a_file_of_an_applied_funnel_drafts_its_next_version(admin_browser, goldsieve_runtime):
    applied = goldsieve_runtime.funnels.get("handmade")
    body = json.dumps(applied.definition).encode()
    url = admin_browser.post("/designer/imports", {"file": (io.BytesIO(body), "handmade.json")}).headers["Location"]
    draft = draft_of(goldsieve_runtime, url)
    assert draft["base_version"] == applied.version and draft["funnel"] == "handmade"
    assert "Nothing has changed" in admin_browser.get(url + "/plan").get_data(as_text=True)


@BOTH_STORES
def test_nul_in_a_choice_or_a_condition_is_refused_and_nothing_is_written(admin_browser, goldsieve_runtime):
    url = blank(admin_browser)
    edit(admin_browser, url, op="add_field", name="roof", type="string", **{"title-en": "Roof"})
    edit(admin_browser, url, op="add_stage", id="survey", kind="open", **{"title-en": "Survey"})
    before = draft_of(goldsieve_runtime, url)
    for form in ({"op": "update_field", "name": "roof", "type": "string", "title-en": "Roof", "choice": ["a\x00"]},
                 {"op": "update_stage", "stage": "survey", "title-en": "Survey", "when_field": "roof",
                  "when_op": "equals", "when_value": "x\x00"}):
        response = admin_browser.post(url, form, htmx=True)
        assert response.status_code == 422 and "without NUL" in response.get_data(as_text=True)
    assert draft_of(goldsieve_runtime, url) == before


@pytest.mark.parametrize("pointer, part", [
    ("/stages/1/gate/required/0", ("stage", "survey")),
    ("/stages", ("stages", "")),
    ("/targets/survey", ("stage", "survey")),
    ("/targets/gone", ("funnel", "")),
    ("/fields/properties/roof/enum", ("field", "roof")),
    ("/fields/required/0", ("field", "roof")),
    ("/ui/help/roof", ("field", "roof")),
    ("/automations/0/do/0/to", ("automation", "ping")),
    ("/automations/9", ("funnel", "")),
    ("/lost_reasons/0/title", ("lost_reasons", "")),
    ("", ("funnel", "")),
])
def test_a_finding_belongs_to_the_part_whose_form_fixes_it(pointer, part):
    definition = {"stages": [{"id": "lead"}, {"id": "survey"}], "fields": {"properties": {"roof": {}},
                                                                         "required": ["roof"]},
                  "automations": [{"id": "ping"}]}
    assert designer_findings.part_of(definition, pointer) == part


def test_a_template_start_with_a_taken_id_is_refused_at_that_template_s_field(admin_browser, goldsieve_runtime):
    response = admin_browser.post("/designer/drafts", {"source": "template:fmcg", "id": "handmade", "title-en": "X"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="template-fmcg-id-error"' in html
    assert 'aria-describedby="template-fmcg-id-error"' in html and 'value="handmade"' in html
    assert "blank-id-error" not in html and goldsieve_runtime.store.count("funnel_drafts") == 0


def test_a_plugins_action_gets_a_form_from_its_schema(admin_browser, goldsieve_runtime, goldsieve_register):
    from goldsieve import hookimpl
    from goldsieve.automation.actions import Action

    class Pager:
        @hookimpl
        def goldsieve_actions(self):
            return [Action("page_on_call", {"type": "object", "required": ["pager"], "additionalProperties": False,
                                            "properties": {"pager": {"type": "string", "minLength": 1},
                                                           "urgent": {"type": "boolean"},
                                                           "tone": {"enum": ["beep", "chime"]}}}, print)]

    goldsieve_register(Pager())
    url = blank(admin_browser)
    page = admin_browser.get(url).get_data(as_text=True)
    assert 'data-action="page_on_call"' in page and 'name="page_on_call.tone"' in page
    response = admin_browser.post(url, {"op": "add_automation", "id": "wake-up", "on": "won", "action": "page_on_call",
                                        "page_on_call.pager": "ops", "page_on_call.urgent": "1",
                                        "page_on_call.tone": "chime"}, htmx=True)
    assert response.status_code == 200
    assert draft_of(goldsieve_runtime, url)["definition"]["automations"][0]["do"] == [
        {"action": "page_on_call", "pager": "ops", "urgent": True, "tone": "chime"}]

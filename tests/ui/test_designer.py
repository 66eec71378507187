"""The funnel designer through its pages: drafts, edits (htmx and plain forms), plan, apply."""
from __future__ import annotations

import copy
import json

import pytest

from goldsieve.funnels import drafts as funnel_drafts
from goldsieve.funnels import edit as funnel_edit

from tests.funnels.test_migration import deal_at


@pytest.fixture
def admin_browser(browser, goldsieve_user):
    assert browser.login(goldsieve_user["username"]).status_code == 302
    return browser


def start(browser, source: str, funnel_id: str | None = None) -> str:
    response = browser.post("/designer/drafts", {"source": source, **({"id": funnel_id} if funnel_id else {})})
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"]


def edit(browser, url: str, htmx: bool = True, **form):
    return browser.post(url, form, htmx=htmx)


def draft_of(runtime, url: str) -> dict:
    return runtime.store.get("funnel_drafts", int(url.rstrip("/").rsplit("/", 1)[-1]))


def test_only_funnel_changers_reach_the_designer(rep_browser):
    assert rep_browser.get("/designer/").status_code == 403
    assert rep_browser.post("/designer/drafts", {"source": "funnel:handmade"}).status_code == 403


def test_an_unchanged_draft_is_the_identical_document_with_unknown_keys(admin_browser, goldsieve_runtime):
    applied = goldsieve_runtime.funnels.get("handmade").definition
    url = start(admin_browser, "funnel:handmade")
    stage = applied["stages"][1]  # qualified: a title, a gate of one required field
    response = edit(admin_browser, url, op="update_stage", stage="qualified", title=stage["title"],
                    new_id="qualified", probability="0.2", rot_days="14", required="needs_survey")
    assert response.status_code == 200
    draft = draft_of(goldsieve_runtime, url)
    assert json.dumps(draft["definition"]) == json.dumps(applied)
    assert "Nothing has changed" in admin_browser.get(url + "/plan").get_data(as_text=True)


def test_edits_keep_keys_the_designer_does_not_know():
    definition = {"id": "x", "title": "X", "version": 1, "x-house": {"keep": True},
                  "fields": {"type": "object", "properties": {"amount": {"type": "number"}}},
                  "stages": [{"id": "lead", "kind": "open", "title": "Lead", "x-note": "mine",
                              "gate": {"anyOf": [{"required": ["amount"]}]}},
                             {"id": "won", "kind": "won", "title": "Won"},
                             {"id": "lost", "kind": "lost", "title": "Lost"}]}
    draft = {"definition": copy.deepcopy(definition), "map": {}, "base_stages": ["lead", "won", "lost"]}
    funnel_edit.update_stage(draft, "lead", title="Lead", probability="0.1", rot_days="",
                             required=[], condition=("amount", "at_least", "10"), applies_when=None)
    stage = draft["definition"]["stages"][0]
    assert stage["x-note"] == "mine" and draft["definition"]["x-house"] == {"keep": True}
    assert stage["gate"] == {"anyOf": [{"required": ["amount"]}],
                             "properties": {"amount": {"minimum": 10}}, "required": ["amount"]}


def test_refused_edit_says_why_and_changes_nothing(admin_browser, goldsieve_runtime):
    url = start(admin_browser, "funnel:handmade")
    before = draft_of(goldsieve_runtime, url)
    response = edit(admin_browser, url, op="add_stage", id="Bad Id", title="x")
    assert response.status_code == 422 and "is not a valid stage id" in response.get_data(as_text=True)
    response = edit(admin_browser, url, htmx=False, op="split_stage", stage="quote", into="only_one")
    assert response.status_code == 422 and "at least two stages" in response.get_data(as_text=True)
    assert draft_of(goldsieve_runtime, url) == before


def test_split_in_the_designer_plans_and_applies_like_the_command_line(
        admin_browser, goldsieve_runtime, goldsieve_make_user):
    rep = goldsieve_make_user("rita", "rep")
    deal = deal_at(goldsieve_runtime, rep, "negotiation")
    url = start(admin_browser, "funnel:handmade")
    split = edit(admin_browser, url, htmx=False, op="split_stage", stage="negotiation", into="bargaining, contract")
    assert split.status_code == 303
    assert "give contract their titles" in admin_browser.get(url).get_data(as_text=True)  # the note, flashed
    assert edit(admin_browser, url, op="add_field", name="contract_no", type="string",
                title="Contract number", options="").status_code == 200
    html = edit(admin_browser, url, op="update_stage", stage="contract", title="Contract",
                new_id="contract", probability="0.8", rot_days="7", required="contract_no").get_data(as_text=True)
    # the default lint still warns about the hand-made funnel, but the split leaves no error
    assert 'id="lint"' in html and 'class="finding-error"' not in html
    assert 'class="finding-warning"' in html and "/stages/" not in html  # named by title, not pointer
    assert '<span class="finding-place">Stage “' in html
    assert 'id="preview-contract_no"' in html  # the deal form preview has the new field
    assert 'id="gate-contract-contract_no"' in html  # and so does the contract stage's gate form
    plan = admin_browser.get(url + "/plan").get_data(as_text=True)
    assert "Stage split" in plan and "negotiation → bargaining, contract" in plan
    assert "1 in-flight deal moves" in plan
    draft_id = draft_of(goldsieve_runtime, url)["id"]
    applied = admin_browser.post(f"/designer/drafts/{draft_id}/apply")
    assert applied.status_code == 303 and applied.headers["Location"].endswith("/board/handmade")
    moved = goldsieve_runtime.store.get("deals", deal["id"])
    assert (moved["stage"], moved["funnel_version"]) == ("bargaining", 4)
    assert goldsieve_runtime.store.count("funnel_drafts") == 0
    board = admin_browser.get("/board/handmade").get_data(as_text=True)
    assert 'data-stage="contract"' in board


def test_a_stranding_draft_is_refused_and_nothing_is_written(admin_browser, goldsieve_runtime,
                                                            goldsieve_make_user):
    rep = goldsieve_make_user("rita", "rep")
    deal_at(goldsieve_runtime, rep, "negotiation", title="Stuck")
    url = start(admin_browser, "funnel:handmade")
    removed = edit(admin_browser, url, op="remove_stage", stage="negotiation", map_to="").get_data(as_text=True)
    # the automation on the removed stage goes with it, and the page says so
    assert "The automation tell-manager named the removed stage and was removed with it." in removed
    assert all(a["id"] != "tell-manager" for a in draft_of(goldsieve_runtime, url)["definition"].get("automations", []))
    plan = admin_browser.get(url + "/plan")
    assert "Stuck" in plan.get_data(as_text=True) and "Save version" not in plan.get_data(as_text=True)
    versions = goldsieve_runtime.store.count("funnel_versions")
    draft_id = draft_of(goldsieve_runtime, url)["id"]
    refused = admin_browser.post(f"/designer/drafts/{draft_id}/apply")
    assert refused.status_code == 422 and "Nothing was saved" in refused.get_data(as_text=True)
    assert goldsieve_runtime.store.count("funnel_versions") == versions


def test_someone_elses_draft_is_404(admin_browser, goldsieve_runtime, goldsieve_make_user, browser):
    url = start(admin_browser, "funnel:handmade")
    draft = draft_of(goldsieve_runtime, url)
    funnel_drafts.save(goldsieve_runtime.store, {**draft, "user": "someone"}, "2026-01-05T09:00:00Z")
    assert admin_browser.get(url).status_code == 404
    assert admin_browser.post(url, {"op": "discard"}).status_code == 404

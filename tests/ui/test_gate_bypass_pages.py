"""The gate dialog's "Move anyway" for admins: offered, posted with a reason, shown in the history
and counted on the analytics page; refused to everyone else."""
from __future__ import annotations

import csv
import io
import json

import pytest

from tests.ui.conftest import Browser
from tests.ui.test_analytics_pages import row
from tests.ui.test_deal_pages import deal, engine, goldsieve_funnel  # noqa: F401  (the same fixtures)
from tests.ui.test_deal_pages import RITA, html, move_form_of, stored

REASON = "Roof measured by the installer on site."


@pytest.fixture
def admin_browser(goldsieve_app, goldsieve_make_user) -> Browser:
    goldsieve_make_user("ada", "admin")
    admin = Browser(goldsieve_app.test_client())
    assert admin.login("ada").status_code == 302
    return admin


def written(engine, deal) -> tuple[int, int]:
    return stored(engine, deal["id"])["version"], engine.store.count("events")


def test_admins_alone_are_offered_to_move_anyway(admin_browser, rep_browser, deal):
    page = html(admin_browser.get(f"/deals/{deal['id']}/move?to=survey"))
    form = move_form_of(page)
    assert form.label("move-bypass-gate").startswith("Reason")
    assert "required" in form.by_id("move-bypass-gate")[1]
    assert form.by_id("move-bypass-gate")[1]["maxlength"] == "500"
    assert [a["value"] for t, a in form.named("bypass")] == ["1"]
    buttons = [a for t, a in form.tags if t == "button" and a.get("type") == "submit"]
    assert "name" not in buttons[0], "the form's default button (Enter in a field) moves ordinarily"
    assert "Move anyway" in page
    assert "Move anyway" not in html(rep_browser.get(f"/deals/{deal['id']}/move?to=survey"))


def test_nothing_to_bypass_offers_nothing(admin_browser, engine, deal):
    engine.move(RITA, deal["id"], "survey", changes={"roof_area": 40, "roof_type": "flat"})
    assert "Move anyway" not in html(admin_browser.get(f"/deals/{deal['id']}/move?to=inquiry"))


def test_moving_anyway_passes_the_gate_and_the_history_says_why(admin_browser, engine, deal):
    response = admin_browser.post(f"/deals/{deal['id']}/move", {
        "to": "survey", "version": "1", "roof_area": "", "bypass_gate": REASON, "bypass": "1"})
    assert response.status_code == 303
    assert stored(engine, deal["id"])["stage"] == "survey"
    types = [e["type"] for e in engine.history(RITA, deal["id"])]
    assert types == ["created", "gate_bypassed", "stage_changed"]
    for language, says, field in (("en", f"Gate bypassed: {REASON}", "Roof area (m²): This field is required."),
                                  ("zh-CN", f"已跳过准入条件：{REASON}", "此项为必填项。"),
                                  ("zh-TW", f"已跳過准入條件：{REASON}", "此欄位為必填。")):
        page = html(admin_browser.get(f"/deals/{deal['id']}", headers={"Accept-Language": language}))
        history = page[page.index('id="deal-history"'):]
        assert says in history and field in history, language


def test_a_reason_typed_and_posted_with_move_bypasses_too(admin_browser, engine, deal):
    response = admin_browser.post(f"/deals/{deal['id']}/move", {"to": "survey", "bypass_gate": REASON},
                                  htmx=True)
    assert response.status_code == 204
    assert json.loads(response.headers["HX-Trigger"])["deal-moved"]["to"] == "survey"
    assert engine.history(RITA, deal["id"])[1]["note"] == REASON


def test_moving_anyway_needs_a_reason_and_writes_nothing_without(admin_browser, engine, deal):
    before = written(engine, deal)
    response = admin_browser.post(f"/deals/{deal['id']}/move", {
        "to": "survey", "version": "1", "bypass_gate": "  ", "bypass": "1"})
    assert response.status_code == 422
    form = move_form_of(html(response))
    assert form.by_id("move-bypass-gate")[1]["aria-invalid"] == "true"
    body = html(response)
    assert "Give a reason for moving past the gate." in body[body.index('id="move-bypass-gate-error"'):][:200]
    assert written(engine, deal) == before


def test_other_rules_still_refuse_a_move_anyway(admin_browser, engine, deal):
    before = written(engine, deal)
    skipped = admin_browser.post(f"/deals/{deal['id']}/move", {
        "to": "offer", "bypass_gate": REASON, "bypass": "1"})
    assert skipped.status_code == 422 and "must pass through “Site survey”" in html(skipped)
    bad = admin_browser.post(f"/deals/{deal['id']}/move", {
        "to": "survey", "roof_area": "3", "bypass_gate": REASON, "bypass": "1"})
    assert bad.status_code == 422 and "Enter a number of at least 10." in html(bad)
    assert "Move anyway" in html(bad), "the gate still objects: still offered"
    assert written(engine, deal) == before


@pytest.mark.parametrize("posted", [{"bypass_gate": REASON}, {"bypass": "1", "bypass_gate": ""}])
def test_a_rep_posting_a_bypass_gets_403_and_nothing_is_written(rep_browser, engine, deal, posted):
    before = written(engine, deal)
    response = rep_browser.post(f"/deals/{deal['id']}/move", {"to": "survey", "version": "1", **posted})
    assert response.status_code == 403
    assert written(engine, deal) == before


def test_a_move_anyway_without_csrf_is_refused(admin_browser, engine, deal):
    before = written(engine, deal)
    response = admin_browser.client.post(f"/deals/{deal['id']}/move", data={
        "to": "survey", "bypass_gate": REASON, "bypass": "1"})
    assert response.status_code == 400
    assert written(engine, deal) == before


def test_the_analytics_page_counts_bypassed_entries_only_when_there_are_some(admin_browser, engine, deal):
    page = html(admin_browser.get("/analytics/solar"))
    assert "Gate bypassed" not in page
    admin_browser.post(f"/deals/{deal['id']}/move", {"to": "survey", "bypass_gate": REASON, "bypass": "1"})
    page = html(admin_browser.get("/analytics/solar"))
    assert row(page, "survey")[-1] == "1" and row(page, "inquiry")[-1] == ""
    assert "已跳过准入条件" not in page and "跳过准入条件" in html(
        admin_browser.get("/analytics/solar", headers={"Accept-Language": "zh-CN"}))
    rows = {r[0]: r for r in csv.reader(io.StringIO(html(admin_browser.get("/analytics/solar/stages.csv"))))}
    assert rows["stage"][-1] == "bypassed" and rows["survey"][-1] == "1" and rows["offer"][-1] == "0"

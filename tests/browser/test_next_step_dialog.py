"""The move dialog plans the next step in Chromium (issue 16): the software funnel's "Needs
confirmed" stage asks for a planned next step; from the board's keyboard move control the dialog
asks for the gate's fields and the step together, a missing due time is refused beside its
control (nothing written), and one more submit plans the visit and moves the deal. Desktop in
English and phone in Chinese, tap targets of 44 px, axe-core clean."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from playwright.sync_api import expect

from goldsieve.cli import cli

from tests.browser.conftest import (
    LiveServer,
    assert_tap_target,
    build_demo,
    card_in,
    check_page,
    login,
    open_dialog,
)
from tests.browser.test_accessibility import violations as axe_violations

SURVEY = "Forty users in radiology, PACS integration needed"
WORDS = {
    "en-US": {"type": "Type", "when": "Due (UTC)", "move": "Move", "survey": "Needs survey",
              "decider": "Decision maker", "plan": "Plan the next step", "visit": "Visit"},
    "zh-CN": {"type": "类型", "when": "截止时间（UTC）", "move": "移动", "survey": "需求调研",
              "decider": "决策人", "plan": "计划下一步", "visit": "拜访"},
}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A demo server of its own whose "Needs confirmed" stage asks for a next step (applied as a
    new funnel version, as a workspace would)."""
    folder = build_demo(tmp_path_factory.mktemp("next-step") / "demo", deals=12)
    file = folder / "funnels" / "software.json"
    funnel = json.loads(file.read_text(encoding="utf-8"))
    next(s for s in funnel["stages"] if s["id"] == "qualified")["next_step"] = True
    funnel["version"] += 1
    file.write_text(json.dumps(funnel, ensure_ascii=False, indent=2), encoding="utf-8")
    applied = CliRunner().invoke(cli, ["funnel", "apply", "--workspace", str(folder), str(file)])
    assert applied.exit_code == 0, applied.output
    with LiveServer(folder) as server:
        yield server


@pytest.mark.parametrize("form, locale", [("desktop", "en-US"), ("phone", "zh-CN")])
def test_move_and_plan_the_next_step_in_one_submit(open_page, live, shot, form, locale):
    words = WORDS[locale]
    deal = live.create_deal(f"Next step {form}")
    page = open_page(form, locale, expect=(422,))
    login(page, "rep.li")
    page.goto("/board/software")
    card = card_in(page, "lead", deal["id"])
    card.locator("select[name=to]").select_option("qualified")
    card.locator("form.card-move button").press("Enter")  # the keyboard's way, no drag

    dialog = open_dialog(page)
    expect(dialog.locator(".next-step-form")).to_be_visible()
    expect(dialog.locator(".next-step-form legend")).to_have_text(words["plan"])
    kind = dialog.get_by_label(words["type"], exact=True)
    expect(kind.locator("option:checked")).to_have_text(words["visit"])
    when = dialog.get_by_label(words["when"])
    for control, what in ((kind, "type"), (when, "due time"), (dialog.get_by_role("button", name=words["move"], exact=True), "Move")):
        assert_tap_target(control, what)
    check_page(page)
    assert axe_violations(page) == []
    shot(page, "dialog")

    dialog.get_by_label(words["survey"]).fill(SURVEY)
    dialog.get_by_label(words["decider"]).fill("Ms. Zhou")
    dialog.get_by_role("button", name=words["move"], exact=True).click()  # no due time yet
    error = dialog.locator("#move-next_when-error")
    expect(error).to_be_visible()
    expect(when).to_have_attribute("aria-invalid", "true")
    expect(when).to_be_focused()
    expect(dialog.get_by_label(words["survey"])).to_have_value(SURVEY)  # what was typed stays
    assert live.deal(deal["id"])["stage"] == "lead"
    assert live.api("GET", f"/api/v1/activities?deal={deal['id']}")[1]["items"] == []
    check_page(page)
    assert axe_violations(page) == []
    shot(page, "refused")

    when.fill("2030-03-02T09:30")
    when.press("Enter")
    expect(page.locator("dialog#dialog")).not_to_be_visible()
    expect(card_in(page, "qualified", deal["id"])).to_be_visible()
    stored = live.deal(deal["id"])
    assert (stored["stage"], stored["next_activity_at"]) == ("qualified", "2030-03-02T09:30:00.000Z")
    [step] = live.api("GET", f"/api/v1/activities?deal={deal['id']}")[1]["items"]
    assert (step["type"], step["status"]) == ("visit", "planned")
    shot(page, "moved")


def test_without_javascript_the_move_page_plans_it_too(chromium, live):
    deal = live.create_deal("Next step without JavaScript")
    context = chromium.new_context(base_url=live.url, java_script_enabled=False)
    try:
        page = context.new_page()
        login(page, "rep.li")
        page.goto("/board/software")
        card = card_in(page, "lead", deal["id"])
        card.locator("select[name=to]").select_option("qualified")
        card.locator("form.card-move button").click()  # a plain GET of the move page
        page.wait_for_url(f"**/deals/{deal['id']}/move?*")
        page.get_by_label("Needs survey").fill(SURVEY)
        page.get_by_label("Decision maker").fill("Ms. Zhou")
        page.get_by_label("Type", exact=True).select_option("call")
        page.get_by_label("Due (UTC)").fill("2030-03-03T10:00")
        page.get_by_role("button", name="Move", exact=True).click()
        page.wait_for_url(lambda url: "/move" not in url)
    finally:
        context.close()
    assert live.deal(deal["id"])["stage"] == "qualified"
    [step] = live.api("GET", f"/api/v1/activities?deal={deal['id']}")[1]["items"]
    assert (step["type"], step["due_at"]) == ("call", "2030-03-03T10:00:00.000Z")


def test_the_deal_page_s_move_dialog_plans_it_in_chinese(open_page, live, shot):
    words = WORDS["zh-CN"]
    deal = live.create_deal("Next step from the deal page",
                            {"company": "Ruijin", "needs_survey": SURVEY, "decision_maker": "Ms. Zhou"})
    page = open_page("desktop", "zh-CN", expect=(422,))
    login(page, "rep.li")
    page.goto(f"/deals/{deal['id']}")
    page.locator("form.move-to select").select_option("qualified")
    page.locator("form.move-to button").click()
    dialog = open_dialog(page)
    expect(dialog.locator(".next-step-form legend")).to_have_text(words["plan"])
    dialog.get_by_label(words["type"], exact=True).select_option("call")
    dialog.get_by_label(words["when"]).fill("2030-03-04T15:00")
    check_page(page)
    assert axe_violations(page) == []
    shot(page, "dialog")
    dialog.get_by_role("button", name=words["move"], exact=True).click()
    expect(page.locator("dialog#dialog")).not_to_be_visible()
    expect(page.locator("#activities .next-step")).to_be_visible()
    assert live.deal(deal["id"])["next_activity_at"] == "2030-03-04T15:00:00.000Z"

"""The funnel designer in Chromium: a consultant builds a funnel from a template and ships it."""
from __future__ import annotations

from playwright.sync_api import expect

from goldsieve.checking import check_paths

from tests.browser.conftest import check_page, login


def stage(page, stage_id: str):
    return page.locator(f'#designer li[data-stage="{stage_id}"]')


def open_stage(page, stage_id: str):
    item = stage(page, stage_id)
    item.locator("summary").click()
    return item


def test_a_consultant_builds_a_six_stage_funnel_and_sees_it_on_the_board(open_page, live, shot):
    page = open_page()
    login(page, "admin")
    page.goto("/designer/")
    template = page.locator('form[data-template="fmcg"]')
    template.get_by_label("Funnel id").fill("drinks")
    template.get_by_role("button", name="Start").click()
    expect(page.locator("#designer h1")).to_contain_text("drinks")

    # remove an automation
    page.locator('li[data-automation="first-order-stale"]').get_by_role("button", name="Remove").click()
    expect(page.locator('li[data-automation="first-order-stale"]')).to_have_count(0)

    # a new conditional stage with a gate, moved before the agreement
    add = page.locator("form.add-stage")
    add.get_by_label("New stage id").fill("tasting")
    add.get_by_label("Title").fill("Tasting")
    add.get_by_role("button", name="Add stage").click()
    expect(stage(page, "tasting")).to_have_count(1)
    for position in (4, 3):
        stage(page, "tasting").locator("summary").click()
        stage(page, "tasting").get_by_role("button", name="Move up").click()
        expect(page.locator("#designer li[data-stage]").nth(position)).to_have_attribute(
            "data-stage", "tasting")
    item = open_stage(page, "tasting")
    item.get_by_label("Probability (0 to 1)").fill("0.55")
    item.get_by_label("Stale after (days)").fill("10")
    item.get_by_label("shelf_slots").check()
    when = item.locator("fieldset", has_text="applies when")
    when.get_by_label("Field").select_option("channel")
    when.get_by_label("Operator").select_option("equals")
    when.get_by_label("Value").fill("supermarket")
    item.get_by_role("button", name="Save stage").click()
    expect(stage(page, "tasting").locator("summary")).to_contain_text("gate: shelf_slots")
    expect(stage(page, "tasting").locator("summary")).to_contain_text("conditional")

    # an automation for the new stage
    automation = page.locator("form.add-automation")
    automation.get_by_label("Id").fill("tasting-started")
    automation.locator("select[name=on]").select_option("stage_entered")
    automation.locator("select[name=stage]").select_option("tasting")
    automation.locator("select[name=action]").select_option("notify")
    automation.get_by_label("Whom to notify, or the task's title").fill("role:manager")
    automation.get_by_role("button", name="Add automation").click()
    expect(page.locator('li[data-automation="tasting-started"]')).to_have_count(1)

    expect(page.locator("#lint")).to_contain_text("No problems found.")  # no error, no lint warning
    expect(page.locator("#preview input, #preview select, #preview textarea").first).to_be_attached()
    check_page(page)
    shot(page, "designer")

    page.get_by_role("link", name="Review and save").click()
    expect(page.get_by_role("heading", name="Review and save")).to_be_visible()
    page.get_by_role("button", name="Save version 1").click()
    page.wait_for_url("**/board/drinks")
    columns = page.locator("[data-stage]")
    expect(page.locator('[data-stage="tasting"]')).to_be_visible()
    assert [c for c in columns.evaluate_all("els => els.map(e => e.dataset.stage)")][:5] == [
        "lead", "sampling", "listing", "tasting", "agreement"]

    saved = live.runtime.workspace.path / "funnels" / "drinks.json"
    findings, files = check_paths([saved])
    assert files == [saved] and findings == []  # `goldsieve check --strict` passes: no finding at all
    funnel = live.runtime.funnels.get("drinks")
    assert [s.id for s in funnel.stages] == ["lead", "sampling", "listing", "tasting", "agreement",
                                             "first_order", "won", "lost"]  # six open stages
    assert sum(1 for s in funnel.stages if s.gate) >= 2 and funnel.stage("tasting").applies_when


def test_the_designer_fits_a_phone(open_page):
    page = open_page("phone")
    login(page, "admin")
    page.goto("/designer/")
    page.locator('form[data-template="software"]').get_by_label("Funnel id").fill("phone-sales")
    page.locator('form[data-template="software"]').get_by_role("button", name="Start").click()
    open_stage(page, "qualified")
    check_page(page)

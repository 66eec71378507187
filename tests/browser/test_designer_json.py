"""The designer's JSON tab in Chromium, desktop and phone, English and Chinese: an edit by hand
shows in the forms, text that is no funnel is refused at its pointer and the draft survives."""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_page, login
from tests.browser.test_designer import no_axe_violations, stage, submit, titles


@pytest.mark.parametrize("form, locale", [("desktop", "zh-CN"), ("phone", "en-US")])
def test_the_json_tab_and_the_forms_stay_in_step(open_page, live, shot, form, locale):
    chinese = locale == "zh-CN"
    page = open_page(form, locale, expect=(422,))
    login(page, "admin")
    page.goto("/designer/")
    start = page.locator("form.start-blank")
    start.locator("input[name=id]").fill(f"by-hand-{form}")
    titles(start, "By hand", "手写")
    submit(start)
    page.wait_for_url(re.compile(r"/designer/drafts/\d+$"))
    page.locator("nav.designer-tabs a").nth(1).click()
    page.wait_for_url(re.compile(r"/json$"))
    box = page.locator("#definition-json")
    definition = json.loads(box.input_value())
    definition["stages"].insert(0, {"id": "lead", "title": {"en": "Lead", "zh-Hans": "线索"}, "kind": "open",
                                    "probability": 0.1, "rot_days": 14})
    definition["lost_reasons"] = [{"id": "price", "title": {"en": "Price", "zh-Hans": "价格"}}]
    box.fill(json.dumps(definition, ensure_ascii=False, indent=2))
    page.locator("form.json-form button[type=submit]").click()
    expect(page.locator(".flashes")).to_contain_text("已保存到草稿" if chinese else "Kept in the draft")
    check_page(page)
    no_axe_violations(page)
    shot(page, "json")

    page.locator("nav.designer-tabs a").first.click()
    expect(stage(page, "lead")).to_contain_text("线索" if chinese else "Lead")
    expect(page.locator('li[data-lost-reason="price"]')).to_have_count(1)
    page.locator("nav.designer-tabs a").nth(1).click()
    kept = page.locator("#definition-json").input_value()
    assert json.loads(kept)["stages"][0]["id"] == "lead"

    broken = kept.replace('"kind": "open"', '"kind": "maybe"', 1)
    page.locator("#definition-json").fill(broken)
    page.locator("form.json-form button[type=submit]").click()
    expect(page.locator("#lint")).to_contain_text("/stages/0/kind")
    expect(page.locator("#lint")).to_contain_text("不是以下之一" if chinese else "is not one of")
    expect(page.locator("[role=alert]")).to_be_visible()
    assert page.locator("#definition-json").input_value() == broken  # the text comes back to be fixed
    check_page(page)
    no_axe_violations(page)
    shot(page, "refused")
    draft_id = int(re.search(r"/drafts/(\d+)/json", page.url).group(1))
    assert live.runtime.store.get("funnel_drafts", draft_id)["definition"]["stages"][0]["kind"] == "open"

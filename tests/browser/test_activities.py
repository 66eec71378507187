"""Activities in Chromium (issue 16): on a deal without a next step, plan a visit (its declared
fields swapped in by htmx, where it happens from the browser's granted position), see the flag go, mark it done and find it in the history (and the flag back), at desktop
size in English and phone size in Chinese."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_page, login, settle

WORDS = {
    "en-US": {"no_next": "No next step", "visit": "Visit", "planned": "Planned", "log": "Log activity",
              "department": "Department", "next": "Next step:", "done": "Mark done",
              "logged": "Activity done: Visit", "where": "Record where I am"},
    "zh-CN": {"no_next": "无下一步", "visit": "拜访", "planned": "计划中", "log": "记录活动",
              "department": "科室", "next": "下一步：", "done": "标记完成", "logged": "已完成活动：拜访", "where": "记录我所在的位置"},
}


@pytest.mark.parametrize("form, locale", [("desktop", "en-US"), ("phone", "zh-CN")])
def test_plan_a_visit_then_do_it(open_page, live, shot, form, locale):
    words = WORDS[locale]
    deal = live.create_deal(f"Visit me {form}", {"company": "Browser Hospital"})
    page = open_page(form, locale)
    page.context.grant_permissions(["geolocation"], origin=live.url)
    page.context.set_geolocation({"latitude": 23.13, "longitude": 113.26})
    login(page, "rep.li")
    page.goto(f"/deals/{deal['id']}")
    panel = page.locator("#activities")
    expect(panel.locator(".next-step-missing")).to_contain_text(words["no_next"])

    logging = page.locator("#activity-form")
    logging.get_by_role("combobox", name="Type" if locale == "en-US" else "类型").select_option("visit")
    settle(page)
    expect(logging.get_by_label(words["department"])).to_be_visible()  # the visit's declared field
    logging.get_by_label(words["department"]).fill("Radiology")
    logging.get_by_label(words["where"]).check()  # the browser gives the position it was granted
    expect(logging.locator("input[name=lat]")).to_have_value("23.13")
    logging.get_by_role("radio", name=words["planned"]).check()
    logging.locator("#activity-when").fill("2030-03-02T09:30")
    check_page(page)
    logging.get_by_role("button", name=words["log"]).click()

    page.wait_for_url(f"**/deals/{deal['id']}#activities")
    expect(panel.locator(".next-step-missing")).to_have_count(0)
    expect(panel.locator(".next-step")).to_contain_text(words["next"])
    expect(panel.locator(".activity-planned")).to_contain_text("Radiology")
    check_page(page)
    shot(page, "planned")
    [planned] = live.api("GET", f"/api/v1/activities?deal={deal['id']}")[1]["items"]
    assert (planned["type"], planned["status"], planned["due_at"], planned["data"], planned["location"]) == (
        "visit", "planned", "2030-03-02T09:30:00.000Z", {"department": "Radiology"}, {"lat": 23.13, "lon": 113.26})

    panel.get_by_role("button", name=words["done"]).click()
    page.wait_for_url(f"**/deals/{deal['id']}#activities")
    expect(panel.locator(".activity-done")).to_contain_text(words["visit"])
    expect(page.locator("#timeline")).to_contain_text(words["logged"])
    expect(panel.locator(".next-step-missing")).to_contain_text(words["no_next"])  # nothing planned now
    check_page(page)
    shot(page, "done")
    assert live.deal(deal["id"])["next_activity_at"] is None

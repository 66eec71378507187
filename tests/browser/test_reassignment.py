"""The owner selector and tasks by hand in a real browser (issue 16, parts 7 and 4): the page
swaps in place through htmx, and what it says is what was stored."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import check_page, login


def test_a_manager_gives_a_deal_to_a_rep_of_the_team_and_adds_a_task(open_page, live, shot):
    deal = live.create_deal("Handed-on deal")  # rep.li's, team east
    page = open_page()
    login(page, "mgr.zhao")
    page.goto(f"/deals/{deal['id']}")
    owner = page.get_by_label("Give to")
    options = owner.locator("option").evaluate_all("(nodes) => nodes.map((n) => n.value)")
    assert "rep.wang" in options and "rep.zhang" not in options  # west is not mgr.zhao's team
    check_page(page)
    owner.select_option("rep.wang")
    page.get_by_role("button", name="Reassign").click()
    expect(page.locator("#deal-summary")).to_contain_text("rep.wang")
    expect(page.locator("#timeline")).to_contain_text("Owner changed")
    assert live.deal(deal["id"], user="rep.wang")["owner"] == "rep.wang"

    tasks = page.locator("#task-form")
    tasks.get_by_label("Title").fill("Call the buyer")
    tasks.get_by_label("Assignee").select_option("rep.wang")
    tasks.get_by_role("button", name="Add task").click()
    expect(page.locator("#deal-tasks .task-title")).to_have_text(["Call the buyer"])
    check_page(page)
    shot(page, "reassigned")
    status, mine = live.api("GET", "/api/v1/tasks", user="rep.wang")
    assert status == 200 and [t["title"] for t in mine["items"] if t["deal_id"] == deal["id"]] == ["Call the buyer"]


def test_the_owner_and_task_forms_fit_a_phone(open_page, live):
    deal = live.create_deal("Phone-sized deal")
    page = open_page(form="phone")
    login(page, "mgr.zhao")
    page.goto(f"/deals/{deal['id']}")
    expect(page.get_by_label("Give to")).to_be_visible()
    expect(page.locator("#task-form")).to_be_visible()
    check_page(page)  # nothing wider than the screen, every control labelled

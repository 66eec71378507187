"""My tasks and the inbox in a real browser, on a phone: they fit, their buttons are tappable,
and "Done" / "Mark as read" work through htmx without leaving the page."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from goldsieve.clock import stamp
from goldsieve.deals.tasks import task_row

from tests.browser.conftest import assert_tap_target, check_page, login


@pytest.fixture(scope="module")
def work(live) -> dict:
    deal = live.create_deal("Inbox tour deal", {"company": "Suzhou Inbox Tour Co., Ltd."})
    store, now = live.runtime.store, live.runtime.engine.clock()
    stored = store.get("deals", deal["id"])
    with store.transaction() as txn:
        late = txn.insert("tasks", task_row(stored, "Send the revised quote to the purchasing team",
                                            "rep.li", now - timedelta(days=1), "rep.li", now))
        txn.insert("tasks", task_row(stored, "Book the site visit", "rep.li", now + timedelta(days=3),
                                     "rep.li", now))
        note = txn.insert("notifications", {
            "user": "rep.li", "deal_id": deal["id"], "funnel": "software", "read_at": None,
            "text": "Inbox tour deal has had no activity in Quote for a while",
            "at": stamp(now), "key": "inbox-tour"})
    return {"deal": deal["id"], "late": late, "note": note}


@pytest.mark.parametrize("form", ["phone", "desktop"])
def test_my_tasks_and_the_inbox(open_page, live, work, shot, form):
    page = open_page(form)
    login(page, "rep.li")
    page.goto("/tasks")
    check_page(page)
    late = page.locator(f'[data-task-id="{work["late"]}"]')
    expect(late).to_be_visible()
    if form == "phone":
        assert_tap_target(late.locator("button"), "a task's Done button")
    shot(page, "tasks")
    late.locator("button").click()
    expect(late).to_have_count(0)
    assert live.runtime.store.get("tasks", work["late"])["done_by"] == "rep.li"

    page.goto("/inbox")
    check_page(page)
    badge = page.locator("#inbox-link .badge")
    expect(badge).to_be_visible()
    shot(page, "inbox")
    page.locator(f'[data-read="{work["note"]}"]').click()
    expect(page.locator(f'[data-read="{work["note"]}"]')).to_have_count(0)
    expect(page.locator("#inbox-link .badge")).to_have_count(0)  # the header heard inbox-changed
    assert live.runtime.store.get("notifications", work["note"])["read_at"] is not None
    # put them back for the other form factor
    with live.runtime.store.transaction() as txn:
        txn.replace("tasks", {**live.runtime.store.get("tasks", work["late"]), "done_at": None,
                              "done_by": None})
        txn.replace("notifications", {**live.runtime.store.get("notifications", work["note"]),
                                      "read_at": None})

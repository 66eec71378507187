"""The calendar feed: a private address made on "My tasks" lists the person's open tasks with a due
time and their planned activities, in their language; the address is a credential for that feed
only, replaced by a new one and ended with the person's other tokens."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from goldsieve.people.permissions import SYSTEM
from goldsieve.people.users import find_user, issue_token, set_active, set_locale, set_password
from goldsieve.store.filters import Eq

from tests.ui.conftest import Browser

ADDRESS = re.compile(r'id="calendar-url" readonly value="(http://localhost/calendar/(gsc_[^"]+)\.ics)"')


@pytest.fixture
def rita(browser, customer_deal) -> Browser:
    path = f"/deals/{customer_deal['id']}"
    assert browser.login("rita").status_code == 302
    assert browser.post(f"{path}/activities", {"type": "visit", "status": "planned", "when": "2026-03-02T09:00",
                                               "duration": "90"}).status_code == 303
    assert browser.post(f"{path}/activities", {"type": "call", "status": "done"}).status_code == 303
    assert browser.post(f"{path}/tasks", {"title": "Send the quote, v2; with prices", "due": "2026-03-03T10:00"}
                        ).status_code == 303
    assert browser.post(f"{path}/tasks", {"title": "Someday"}).status_code == 303  # no due time
    return browser


def new_address(browser: Browser) -> str:
    answer = browser.post("/tasks/calendar")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    return ADDRESS.search(answer.get_data(as_text=True)).group(2)


def events(app, key: str) -> list:
    answer = app.test_client().get(f"/calendar/{key}.ics")  # no session: as a calendar app fetches it
    assert answer.status_code == 200, answer.status_code
    assert answer.mimetype == "text/calendar" and "private" in answer.headers["Cache-Control"]
    return Calendar.from_ical(answer.data).walk("VEVENT")


def test_the_feed_lists_open_tasks_with_a_due_time_and_planned_activities(rita, customer_deal, goldsieve_app):
    page = rita.get("/tasks").get_data(as_text=True)
    assert "Create a calendar address" in page and "calendar-url" not in page
    found = events(goldsieve_app, new_address(rita))
    summary = {str(e["SUMMARY"]): e for e in found}
    assert sorted(summary) == ["Send the quote, v2; with prices", "Visit: Acme ERP"]  # not done, not undated
    visit = summary["Visit: Acme ERP"]
    assert visit.decoded("DTSTART") == datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    assert visit.decoded("DTEND") - visit.decoded("DTSTART") == timedelta(minutes=90)
    assert str(visit["URL"]) == f"http://localhost/deals/{customer_deal['id']}"
    assert "Customer: Ruijin" in str(visit["DESCRIPTION"])
    task = summary["Send the quote, v2; with prices"]
    assert task.decoded("DTSTART") == datetime(2026, 3, 3, 10, tzinfo=timezone.utc)
    assert len({str(e["UID"]) for e in found}) == 2
    assert "New calendar address" in rita.get("/tasks").get_data(as_text=True)


def test_a_new_address_replaces_the_old_one(rita, goldsieve_app, goldsieve_runtime):
    old = new_address(rita)
    new = new_address(rita)
    assert old != new
    assert goldsieve_app.test_client().get(f"/calendar/{old}.ics").status_code == 404
    assert len(events(goldsieve_app, new)) == 2
    rows = goldsieve_runtime.store.find("tokens", Eq("purpose", "calendar"))
    assert len(rows) == 1 and new not in str(rows)  # only a digest is kept
    issued = goldsieve_runtime.store.find("audit", Eq("action", "calendar_key_issued"))
    assert len(issued) == 2 and all(old not in str(r) and new not in str(r) for r in issued)


def test_the_address_opens_the_feed_and_nothing_else(rita, goldsieve_app, goldsieve_runtime):
    key = new_address(rita)
    client = goldsieve_app.test_client()
    assert client.get("/api/v1/deals", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    token = issue_token(goldsieve_runtime.store, "rita")
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    for wrong in ("gsc_" + "A" * 43, "gsc_", key + "x", "%0d%0aSet-Cookie:x=1", "gsc_" + "a" * 500):
        assert client.get(f"/calendar/{wrong}.ics").status_code == 404, wrong


def test_a_password_change_or_deactivation_ends_the_address(rita, goldsieve_app, goldsieve_runtime):
    key = new_address(rita)
    set_password(goldsieve_runtime.store, "rita", "another long passphrase 42", actor="admin")
    assert goldsieve_app.test_client().get(f"/calendar/{key}.ics").status_code == 404
    rita.login("rita", "another long passphrase 42")
    key = new_address(rita)
    set_active(goldsieve_runtime.store, "rita", False, actor="admin")
    assert goldsieve_app.test_client().get(f"/calendar/{key}.ics").status_code == 404


def test_what_the_person_may_no_longer_see_leaves_the_feed(rita, customer_deal, goldsieve_app, goldsieve_runtime):
    key = new_address(rita)
    goldsieve_runtime.engine.assign(SYSTEM, customer_deal["id"], "sam")
    assert events(goldsieve_app, key) == []


def test_the_feed_speaks_its_owners_language(rita, goldsieve_app, goldsieve_runtime):
    key = new_address(rita)
    set_locale(goldsieve_runtime.store, find_user(goldsieve_runtime.store, "rita"), "zh_Hans")
    found = events(goldsieve_app, key)
    summaries = sorted(str(e["SUMMARY"]) for e in found)
    assert "拜访：Acme ERP" in summaries, summaries
    assert any("客户：Ruijin" in str(e.get("DESCRIPTION", "")) for e in found)


def test_making_an_address_needs_the_csrf_token(rita, goldsieve_runtime):
    refused = rita.client.post("/tasks/calendar")
    assert refused.status_code == 400
    assert goldsieve_runtime.store.find("tokens", Eq("purpose", "calendar")) == []

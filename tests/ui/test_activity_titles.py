"""A planned activity's own title (issue 16): typed in the deal page's form or in the move
dialog's next step, it names the activity on the deal's timeline, in "My tasks" and in the
calendar feed; one without a title is named by its type as before; a bad one is refused beside
its control and nothing is written (the move dialog's: tests/ui/test_next_step_dialog.py)."""
from __future__ import annotations

import pytest
from icalendar import Calendar

from tests.ui.conftest import Browser
from tests.ui.test_calendar_feed import new_address

TITLE = "Quote <for> the radiology wing"


@pytest.fixture
def rita(browser, customer_deal) -> Browser:
    assert browser.login("rita").status_code == 302
    path = f"/deals/{customer_deal['id']}"
    assert browser.post(f"{path}/activities", {"type": "visit", "status": "planned", "when": "2026-03-02T09:00",
                                               "title": f"  {TITLE} "}).status_code == 303
    assert browser.post(f"{path}/activities", {"type": "call", "status": "planned",
                                               "when": "2026-03-04T09:00"}).status_code == 303
    return browser


def test_the_title_names_the_activity_on_the_timeline_in_my_tasks_and_in_the_calendar(
        rita, customer_deal, goldsieve_app, goldsieve_runtime):
    stored = {a["type"]: a for a in goldsieve_runtime.store.find("activities")}
    assert (stored["visit"]["title"], stored["call"]["title"]) == (TITLE, None)
    escaped = "Quote &lt;for&gt; the radiology wing"
    page = rita.get(f"/deals/{customer_deal['id']}").get_data(as_text=True)
    timeline = page.split('id="activities"', 1)[1].split("</section>", 1)[0]
    assert timeline.count(f'<span class="activity-title">{escaped}</span>') == 2  # the next step and its row
    assert TITLE not in page  # escaped
    tasks = rita.get("/tasks").get_data(as_text=True).split('id="tasks-planned"', 1)[1].split("</ul>", 1)[0]
    assert "(2)" in tasks and f'<span class="task-title" hx-disable>{escaped}</span>' in tasks
    assert '<span class="task-title" hx-disable>Call</span>' in tasks  # no title: its type
    assert tasks.index(escaped) < tasks.index(">Call<")  # the nearest due first
    key = new_address(rita)
    feed = Calendar.from_ical(goldsieve_app.test_client().get(f"/calendar/{key}.ics").data)
    assert sorted(str(e["SUMMARY"]) for e in feed.walk("VEVENT")) == ["Call: Acme ERP", TITLE]


def test_a_title_too_long_is_refused_beside_its_field_and_nothing_written(rita, customer_deal, goldsieve_runtime):
    before = goldsieve_runtime.store.count("activities")
    refused = rita.post(f"/deals/{customer_deal['id']}/activities",
                        {"type": "call", "status": "planned", "when": "2026-03-02T09:00", "title": "x" * 201})
    assert refused.status_code == 422
    assert 'id="activity-title-error"' in refused.get_data(as_text=True)
    assert goldsieve_runtime.store.count("activities") == before


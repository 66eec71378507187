"""Tasks by hand on the deal page (issue 16, part 4): add, change, reassign, reopen, the overdue
flag; a refused form says why beside its field and writes nothing."""
from __future__ import annotations

import pytest

from goldsieve.deals.tasks import complete_task
from goldsieve.people.users import find_user, set_active

from tests.ui.conftest import Browser


@pytest.fixture
def deal(goldsieve_runtime, goldsieve_make_user):
    goldsieve_make_user("rita", "rep")
    goldsieve_make_user("boss", "admin")
    goldsieve_make_user("sam", "rep")
    goldsieve_make_user("old", "admin")
    set_active(goldsieve_runtime.store, "old", False)
    rita = find_user(goldsieve_runtime.store, "rita")
    return goldsieve_runtime.engine.create(rita, "handmade", "Acme ERP", {"company": "Acme"})


@pytest.fixture
def rita(goldsieve_app, deal) -> Browser:
    goldsieve_app.config["WTF_CSRF_ENABLED"] = True
    browser = Browser(goldsieve_app.test_client())
    assert browser.login("rita").status_code == 302
    return browser


def tasks_section(browser, deal) -> str:
    page = browser.get(f"/deals/{deal['id']}").get_data(as_text=True)
    return page.split('id="deal-tasks"', 1)[1].split("</section>", 1)[0]


def test_add_change_reassign_and_reopen_a_task(rita, deal, goldsieve_runtime, goldsieve_clock):
    store = goldsieve_runtime.store
    section = tasks_section(rita, deal)
    assert 'value="boss"' in section and 'value="rita"' in section
    assert 'value="sam"' not in section and 'value="old"' not in section  # cannot see it; inactive
    added = rita.post(f"/deals/{deal['id']}/tasks", {"title": "Call <back>", "due": "2026-01-05T10:00"})
    assert added.status_code == 303 and added.headers["Location"].endswith("#deal-tasks")
    [task] = store.find("tasks")
    assert (task["title"], task["assignee"], task["due"], task["created_by"]) == (
        "Call <back>", "rita", "2026-01-05T10:00:00.000Z", "rita")
    assert "Call &lt;back&gt;" in tasks_section(rita, deal) and "Overdue" not in tasks_section(rita, deal)
    goldsieve_clock.advance(hours=2)
    assert "Overdue" in tasks_section(rita, deal)  # flagged as soon as it is late
    changed = rita.post(f"/deals/{deal['id']}/tasks/{task['id']}",
                        {"title": "Call", "due": "2026-01-09T10:00", "assignee": "boss", "version": "1"})
    assert changed.status_code == 303
    task = store.get("tasks", task["id"])
    assert (task["title"], task["assignee"], task["due"]) == ("Call", "boss", "2026-01-09T10:00:00.000Z")
    assert "Overdue" not in tasks_section(rita, deal)
    complete_task(goldsieve_runtime.engine, find_user(store, "boss"), task["id"])
    assert rita.post(f"/deals/{deal['id']}/tasks/{task['id']}/reopen").status_code == 303
    assert store.get("tasks", task["id"])["done_at"] is None


def test_refusals_say_why_and_write_nothing(rita, deal, goldsieve_runtime):
    store = goldsieve_runtime.store
    before = (store.count("tasks"), store.count("audit"), store.count("notifications"))
    for form, said in (({"title": " "}, "A task needs a title."),
                       ({"title": "Call", "due": "next week"}, "Choose a date and a time."),
                       ({"title": "Call", "assignee": "sam"}, "This user cannot see the deal."),
                       ({"title": "Call", "assignee": "old"}, "This user is deactivated.")):
        response = rita.post(f"/deals/{deal['id']}/tasks", form)
        assert response.status_code == 422 and said in response.get_data(as_text=True), form
    assert (store.count("tasks"), store.count("audit"), store.count("notifications")) == before
    rita.post(f"/deals/{deal['id']}/tasks", {"title": "Call"})
    [task] = store.find("tasks")
    stale = rita.post(f"/deals/{deal['id']}/tasks/{task['id']}", {"title": "X", "version": "7"})
    assert stale.status_code == 409 and "Someone else changed this task" in stale.get_data(as_text=True)
    assert rita.post(f"/deals/{deal['id']}/tasks/{task['id']}/reopen").status_code == 422
    assert rita.post(f"/deals/{deal['id'] + 1}/tasks/{task['id']}/reopen").status_code == 404
    assert store.get("tasks", task["id"])["title"] == "Call"


def test_a_task_of_ones_own_from_my_tasks(rita, deal, goldsieve_runtime, goldsieve_make_user):
    store = goldsieve_runtime.store
    boss = find_user(store, "boss")
    hidden = goldsieve_runtime.engine.create(boss, "handmade", "Not hers", {"company": "B"})
    page = rita.get("/tasks").get_data(as_text=True)
    form = page.split('id="my-task-form"', 1)[1].split("</form>", 1)[0]
    assert f'value="{deal["id"]}"' in form and f'value="{hidden["id"]}"' not in form
    for sent, said in (({"deal_id": str(hidden["id"]), "title": "Peek"}, "Choose one of your deals."),
                       ({"title": "No deal"}, "Choose one of your deals."),
                       ({"deal_id": str(deal["id"]), "title": ""}, "A task needs a title.")):
        response = rita.post("/tasks/new", sent)
        assert response.status_code == 422 and said in response.get_data(as_text=True), sent
    assert store.count("tasks") == 0
    done = rita.post("/tasks/new", {"deal_id": str(deal["id"]), "title": "Send the quote", "due": "2026-01-05T15:00"})
    assert done.status_code == 303 and done.headers["Location"] == "/tasks"
    assert "Send the quote" in rita.get("/tasks").get_data(as_text=True)
    [task] = store.find("tasks")
    assert (task["assignee"], task["deal_id"]) == ("rita", deal["id"])

"""The inbox, "My tasks", tasks on the deal page and the admin's deliveries page."""
from __future__ import annotations

import re

import pytest

from goldsieve.deals.outbox import DEAD, PENDING
from goldsieve.deals.tasks import task_row
from goldsieve.people.users import find_user

from tests.ui.conftest import Browser


@pytest.fixture
def people(goldsieve_make_user, goldsieve_make_team):
    goldsieve_make_user("admin", "admin")
    goldsieve_make_user("mia", "manager")
    goldsieve_make_team("east", manager="mia")
    goldsieve_make_user("rita", "rep", team="east")
    goldsieve_make_user("rob", "rep")


def browser_for(app, name: str) -> Browser:
    app.config["WTF_CSRF_ENABLED"] = True
    browser = Browser(app.test_client())
    assert browser.login(name).status_code == 302
    return browser


def deal_of(runtime, owner: str, title: str = "Acme ERP") -> dict:
    return runtime.engine.create(find_user(runtime.store, owner), "handmade", title, {"company": "Acme"})


def add_task(runtime, deal, assignee, title, due=None):
    with runtime.store.transaction() as txn:
        return txn.insert("tasks", task_row(deal, title, assignee, due, "admin", runtime.engine.clock()))


def notify(runtime, user, deal, text):
    with runtime.store.transaction() as txn:
        return txn.insert("notifications", {"user": user, "deal_id": deal["id"], "funnel": "handmade",
                                            "text": text, "at": "2026-01-05T09:00:00.000Z",
                                            "read_at": None, "key": text})


def test_the_inbox_shows_my_notifications_with_an_unread_count(goldsieve_app, goldsieve_runtime, people):
    deal = deal_of(goldsieve_runtime, "rita")
    first = notify(goldsieve_runtime, "rita", deal, "<script>alert(1)</script> entered Quote")
    notify(goldsieve_runtime, "rita", deal, "second")
    notify(goldsieve_runtime, "rob", deal, "not for rita")
    rita = browser_for(goldsieve_app, "rita")
    page = rita.get("/inbox").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; entered Quote" in page and "<script>alert" not in page
    assert "not for rita" not in page
    assert 'data-unread="2"' in rita.get("/").get_data(as_text=True)  # the header badge
    assert rita.post(f"/inbox/{first}/read", htmx=True).headers["HX-Trigger"] == "inbox-changed"
    assert 'data-unread="1"' in rita.get("/inbox/count").get_data(as_text=True)
    rob = browser_for(goldsieve_app, "rob")
    assert rob.post(f"/inbox/{first}/read").status_code == 404  # not his
    assert rita.post("/inbox/read").status_code == 303
    assert "data-unread" not in rita.get("/inbox/count").get_data(as_text=True)
    assert goldsieve_runtime.store.find("notifications")[2]["read_at"] is None  # rob's stays unread


def test_my_tasks_are_grouped_and_hide_tasks_on_deals_i_cannot_see(goldsieve_app, goldsieve_runtime,
                                                                  goldsieve_clock, people):
    from datetime import timedelta

    now = goldsieve_clock.now
    mine = deal_of(goldsieve_runtime, "rita")
    robs = deal_of(goldsieve_runtime, "rob", "Rob's deal")
    add_task(goldsieve_runtime, mine, "rita", "late one", now - timedelta(hours=1))
    add_task(goldsieve_runtime, mine, "rita", "today one", now + timedelta(hours=2))
    add_task(goldsieve_runtime, mine, "rita", "later one", now + timedelta(days=3))
    hidden = add_task(goldsieve_runtime, robs, "rita", "on a hidden deal", now)
    rita = browser_for(goldsieve_app, "rita")
    page = rita.get("/tasks").get_data(as_text=True)
    sections = re.split(r'<h2 id="tasks-', page)[1:]
    assert [s.split('"')[0] for s in sections] == ["overdue", "today", "upcoming", "planned"]
    assert "Nothing here." in sections[3]  # no planned activity (tests/ui/test_activity_titles.py)
    assert "late one" in sections[0] and "today one" in sections[1] and "later one" in sections[2]
    assert "on a hidden deal" not in page and "Rob&#39;s deal" not in page
    assert rita.post(f"/tasks/{hidden}/done").status_code == 404
    assert goldsieve_runtime.store.get("tasks", hidden)["done_at"] is None


def test_tasks_on_the_deal_page_can_be_done(goldsieve_app, goldsieve_runtime, people):
    deal = deal_of(goldsieve_runtime, "rita")
    task_id = add_task(goldsieve_runtime, deal, "rita", "Send the offer")
    rita = browser_for(goldsieve_app, "rita")
    page = rita.get(f"/deals/{deal['id']}").get_data(as_text=True)
    assert "Send the offer" in page and f"/tasks/{task_id}/done" in page
    done = rita.post(f"/tasks/{task_id}/done", {"next": f"/deals/{deal['id']}"})
    assert done.status_code == 303 and done.headers["Location"] == f"/deals/{deal['id']}"
    assert goldsieve_runtime.store.get("tasks", task_id)["done_by"] == "rita"
    history = goldsieve_runtime.engine.history(find_user(goldsieve_runtime.store, "rita"), deal["id"])
    assert history[-1]["type"] == "task_done" and history[-1]["note"] == "Send the offer"
    assert "Task done" in rita.get(f"/deals/{deal['id']}").get_data(as_text=True)
    # someone who cannot see the deal cannot touch its tasks
    assert browser_for(goldsieve_app, "rob").post(f"/tasks/{task_id}/done").status_code == 404


def test_admins_see_pending_and_dead_deliveries_and_retry(goldsieve_app, goldsieve_runtime, people):
    deal = deal_of(goldsieve_runtime, "rita")
    from goldsieve.deals.outbox import new_row

    with goldsieve_runtime.store.transaction() as txn:
        dead = txn.insert("outbox", {**new_row(key="k1", action="webhook", params={"channel": "ops"},
                                               deal=deal, at=deal["created_at"], trigger="won", rule="r"),
                                     "status": DEAD, "attempts": 8, "last_error": "receiver said <b>503</b>"})
    assert browser_for(goldsieve_app, "rita").get("/admin/outbox").status_code == 403
    assert browser_for(goldsieve_app, "rita").post(f"/admin/outbox/{dead}/retry").status_code == 403
    admin = browser_for(goldsieve_app, "admin")
    page = admin.get("/admin/outbox?status=dead").get_data(as_text=True)
    assert f'data-delivery-id="{dead}"' in page and "receiver said &lt;b&gt;503&lt;/b&gt;" in page
    assert f'data-delivery-id="{dead}"' not in admin.get("/admin/outbox").get_data(as_text=True)
    assert admin.post(f"/admin/outbox/{dead}/retry").status_code == 303
    row = goldsieve_runtime.store.get("outbox", dead)
    assert (row["status"], row["attempts"]) == (PENDING, 0)
    assert f'data-delivery-id="{dead}"' in admin.get("/admin/outbox").get_data(as_text=True)
    assert admin.post(f"/admin/outbox/{dead}/retry").status_code == 404  # not dead any more


def test_the_weekly_digest_shows_in_the_managers_inbox_as_text(goldsieve_app, goldsieve_runtime, goldsieve_clock,
                                                               people):
    from goldsieve.automation.digest import Schedule, scan_digests

    deal_of(goldsieve_runtime, "rita", "<b>East</b> ERP")
    goldsieve_runtime.engine.mark_stale(goldsieve_runtime.store.find("deals")[0], "2026-01-09T00:00:00.000Z")
    goldsieve_clock.advance(days=7)  # Monday 09:00 of the next week: the digest is due
    assert scan_digests(goldsieve_runtime.engine, goldsieve_clock(), Schedule()) == 1
    page = browser_for(goldsieve_app, "mia").get("/inbox").get_data(as_text=True)
    digest = re.search(r'<span class="digest">(.*?)</span>', page, re.S).group(1)
    assert "Weekly digest 2026-W03" in digest and "Stale deals: 1" in digest
    assert "&lt;b&gt;East&lt;/b&gt; ERP" in digest and "<b>" not in page
    assert 'data-unread="1"' in page

"""XSS in a real browser (the attack suite's Playwright part, issue 4 item 6): Chromium opens the
board, deal pages, inbox, tasks and analytics reports holding every payload of ``tests/security/test_xss.py``'s corpus; no dialog
may open and no request may go to the payloads' host.

It lives here, not in ``tests/security``, to share this folder's session-wide Chromium: Playwright's
sync API cannot be started twice in one process at the same time."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from goldsieve.people.users import add_user
from goldsieve.testing import TEST_PASSWORD

from tests.security.conftest import FUNNEL
from tests.security.test_xss import EVIL, PAYLOADS
from tests.browser.conftest import LiveServer, new_page


@pytest.fixture
def server(goldsieve_workspace):
    with LiveServer(goldsieve_workspace.path) as live:
        add_user(live.runtime.store, "rita", "rep", TEST_PASSWORD)
        yield live


def test_no_payload_runs_in_the_browser(server, chromium):
    ids = []
    for n, payload in enumerate(PAYLOADS):
        status, deal = server.api("POST", "/api/v1/deals", {
            "funnel": FUNNEL, "title": payload,
            "data": {"company": payload, "needs_survey": payload, "approval_note": payload}},
            user="rita")
        assert status == 201, deal
        assert server.api("POST", f"/api/v1/deals/{deal['id']}/notes", {"text": payload},
                          user="rita")[0] == 201
        ids.append(deal["id"])
    status, lost = server.api("POST", f"/api/v1/deals/{ids[-1]}/move", {
        "to": "lost", "lost_reason": "price", "note": PAYLOADS[0], "version": 2}, user="rita")
    assert status == 200, lost
    # what automation writes quotes deals: notification texts and task titles carry the payloads
    from goldsieve.deals.tasks import task_row

    store = server.runtime.store
    with store.transaction() as txn:
        for deal_id, payload in zip(ids, PAYLOADS):
            deal = txn.get("deals", deal_id)
            txn.insert("notifications", {"user": "rita", "deal_id": deal_id, "funnel": FUNNEL,
                                         "text": payload, "at": deal["updated_at"],
                                         "read_at": None, "key": f"xss.{deal_id}"})
            txn.insert("tasks", task_row(deal, payload, "rita", None, "system",
                                         server.runtime.engine.clock(), key=f"xss.{deal_id}"))
    window = "from=2000-01-01&to=2100-01-01"
    reports = ["/inbox", "/tasks", f"/analytics/{FUNNEL}?{window}", f"/analytics/{FUNNEL}/advice?{window}",
               f"/analytics/{FUNNEL}/lost?stage=lead&reason=price&{window}"]

    page, guard = new_page(chromium, server.url)
    dialogs: list[str] = []
    requests: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto("/login")
        form = page.locator("form:has(input[name=password])")
        form.locator("input[name=username]").fill("rita")
        form.locator("input[name=password]").fill(TEST_PASSWORD)
        form.locator("button[type=submit]").click()
        page.wait_for_url(lambda url: urlsplit(url).path != "/login")
        for path in [*reports, f"/board/{FUNNEL}", *(f"/deals/{i}" for i in ids[::3]),
                     f"/deals/{ids[-1]}"]:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            page.mouse.move(200, 300)
            page.keyboard.press("Tab")
            page.wait_for_timeout(50)
        assert page.locator("text=<script>alert(1)</script>").count() >= 1  # shown as text
    finally:
        page.context.close()
    assert dialogs == []
    assert [url for url in requests if EVIL in url] == []
    assert guard.off_host == [] and guard.page_errors == []


def test_the_watchers_see_a_payload_that_does_run(chromium):
    """The control: outside goldsieve's pages (no escaping, no CSP) the same watchers fire."""
    page = chromium.new_page()
    dialogs: list[str] = []
    requests: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: requests.append(request.url))
    page.route(f"http://{EVIL}/**", lambda route: route.abort())
    page.set_content(f"<img src=x onerror=alert(1)><img src=http://{EVIL}/x.png>")
    page.wait_for_timeout(300)
    page.close()
    assert dialogs == ["1"] and any(EVIL in url for url in requests)

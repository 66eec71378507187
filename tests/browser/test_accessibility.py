"""axe-core (from npm, copied beside the tests by ``make assets``; injected by the test, never
served by the app) finds no violation on the main pages: desktop in English and Chinese, and
a phone in Chinese (its compact layout, the longer words).

axe runs through the browser's debugging protocol, which the page's CSP does not govern, so the
pages are checked under their real headers."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import login

AXE = Path(__file__).parent / "vendor" / "axe.min.js"

#: The pages the issue names and their neighbours, as an admin sees them (every link and
#: control there); the error page too.
PAGES = {
    "start": "/",
    "board": "/board/software",
    "new-deal": "/deals/new?funnel=software",
    "customers": "/customers",
    "new-customer": "/customers/new",
    "analytics": "/analytics/software",
    "forecast": "/analytics/software/forecast",
    "advice": "/analytics/software/advice",
    "activities": "/analytics/software/activities",
    "lost": "/analytics/software/lost?stage=lead&reason=price",
    "digest": "/digest",
    "inbox": "/inbox",
    "tasks": "/tasks",
    "admin-users": "/admin/users",
    "admin-user": "/admin/users/rep.li",
    "admin-teams": "/admin/teams",
    "admin-audit": "/admin/audit",
    "admin-outbox": "/admin/outbox",
    "designer": "/designer/",
    "not-found": "/no/such/page",
}


def violations(page) -> list[str]:
    """axe's violations of the page as it is now: rule, impact and the first offending nodes."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.map(v => `${v.id} (${v.impact}, ${v.nodes.length}): ${v.help} — `
            + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
    }""")
    return found


@pytest.fixture(scope="module")
def deal(live) -> int:
    made = live.create_deal("Accessible deal", {"company": "Axe Checks Ltd.", "amount": 120000})
    return made["id"]


@pytest.mark.skipif(not AXE.is_file(), reason="run `make assets` to copy axe-core")
@pytest.mark.parametrize("form, locale", [("desktop", "en-US"), ("desktop", "zh-CN"), ("phone", "zh-CN")])
def test_the_main_pages_have_no_axe_violations(open_page, live, deal, shot, form, locale):
    page = open_page(form, locale, expect=(404,))
    page.goto("/login")
    problems = {"login": violations(page)}
    login(page, "admin")
    status, made = live.api("POST", "/api/v1/customers", {"name": f"Axe Checks {form} {locale}"})
    assert status == 201, made
    customer = made["id"]
    pages = {**PAGES, "deal": f"/deals/{deal}", "customer": f"/customers/{customer}"}
    for name, path in pages.items():
        page.goto(path)
        problems[name] = violations(page)
        shot(page, name)
    assert {name: found for name, found in problems.items() if found} == {}

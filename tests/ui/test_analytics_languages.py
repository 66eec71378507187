"""The manager's pages in Chinese say nothing in English: no text of the analytics, forecast and
digest pages is a message the catalog translates (it would be a string shown untranslated)."""
from __future__ import annotations

import html as markup
import re

import pytest

from tests.ui.test_i18n import catalog

#: the pages, each with a window that holds the fixture's deals
PAGES = ["/analytics/handmade?from=2026-01-01&to=2026-04-01", "/analytics/handmade/forecast?quarter=2026Q2",
         "/digest"]
TEXT = re.compile(r">([^<>]+)<")
ATTRIBUTE = re.compile(r'(?:aria-label|title|placeholder)="([^"]+)"')


@pytest.fixture
def manager_browser(browser, goldsieve_make_user, goldsieve_make_team, goldsieve_engine, goldsieve_clock):
    """mona manages rita, whose deals moved, were won and lost last week and the week before."""
    goldsieve_make_user("mona", "manager")
    goldsieve_make_team("east", manager="mona")
    rita = goldsieve_make_user("rita", "rep", team="east")
    goldsieve_clock.now = goldsieve_clock.now.replace(day=1)  # Thursday, January 1st
    for n in range(6):
        deal = goldsieve_engine.create(rita, "handmade", f"d{n}", {"company": "Acme", "amount": 100 * n,
                                                                  "needs_survey": "ERP"})
        goldsieve_clock.advance(days=1)
        goldsieve_engine.move(rita, deal["id"], "qualified")
        if n % 3 == 0:
            goldsieve_engine.lose(rita, deal["id"], "price")
        elif n % 3 == 1:
            for stage in ("quote", "negotiation", "won"):
                goldsieve_engine.move(rita, deal["id"], stage)
    goldsieve_clock.now = goldsieve_clock.now.replace(day=13)
    assert browser.login("mona").status_code == 302
    return browser


def shown_texts(page: str) -> set[str]:
    body = page.split("<main", 1)[1]
    body = re.sub(r"<(script|style)\b.*?</\1>", "", body, flags=re.S)
    found = TEXT.findall(body) + ATTRIBUTE.findall(body)
    return {" ".join(markup.unescape(text).split()) for text in found} - {""}


@pytest.mark.parametrize("locale, header", [("zh_Hans", "zh-CN"), ("zh_Hant", "zh-TW")])
def test_nothing_on_the_managers_pages_is_left_in_english(manager_browser, goldsieve_runtime, locale, header):
    translated = {m.id for m in catalog(locale) if isinstance(m.id, str) and m.id and m.string and m.string != m.id}
    funnel = goldsieve_runtime.funnels.get("handmade")
    # the test funnel's own titles are English only: they are the workspace's words, not the catalog's
    own = {s.title for s in funnel.stages if isinstance(s.title, str)} | {
        t for t in funnel.lost_reasons.values() if isinstance(t, str)}
    for path in PAGES:
        response = manager_browser.get(path, headers={"Accept-Language": header})
        assert response.status_code == 200, path
        left = sorted((shown_texts(response.get_data(as_text=True)) & translated) - own)
        assert not left, f"{path} in {locale} shows English: {left}"
        english = manager_browser.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert len(shown_texts(english) & translated) > 10  # the check sees the page's texts


def test_a_stages_conversion_target_is_a_goal_not_the_audit_logs_target(manager_browser):
    """English says "Target" for both; Chinese has two words: the goal a conversion is measured
    against (目标), and what an audit row is about (对象)."""
    page = manager_browser.get(PAGES[0], headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    headers = re.findall(r'<th scope="col">([^<]+)</th>', page.split('id="funnel-table"', 1)[1].split("</thead>")[0])
    assert "目标" in headers and "对象" not in headers
    traditional = manager_browser.get(PAGES[0], headers={"Accept-Language": "zh-TW"}).get_data(as_text=True)
    assert '<th scope="col">目標</th>' in traditional

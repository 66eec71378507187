"""The deal list in Chromium (issue 16, parts 8 and 9): reached from the top bar, searched as
you type, sorted, and a bulk move of the ticked deals that moves the one that may and says why
the other may not, at desktop and phone size (cards), in English and Chinese."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_page, login, settle
from tests.browser.test_designer_review import lines

WORDS = {
    "en-US": {"deals": "Deals", "software": "Software B2B", "move": "Move to stage", "apply": "Apply",
              "done": "1 of 2 deals changed.", "why": "Needs survey", "title": "Title"},
    "zh-CN": {"deals": "商机", "software": "软件行业", "move": "移到阶段", "apply": "应用",
              "done": "2 个商机中有 1 个已更改。", "why": "需求调研", "title": "名称"},
}


@pytest.mark.parametrize("form", ["desktop", "phone"])
@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_search_sort_and_a_bulk_move(open_page, live, shot, form, locale):
    words = WORDS[locale]
    tag = f"Bulk{form}{locale}"
    ready = live.create_deal(f"{tag} ready", {"company": "Ready Ltd.", "needs_survey": "forty seats, two sites",
                                              "decision_maker": "Li Wei"})
    blocked = live.create_deal(f"{tag} blocked")
    page = open_page(form, locale)
    login(page, "rep.li")
    page.get_by_role("navigation", name=re.compile(".")).first.get_by_role(
        "link", name=words["deals"], exact=True).click()
    expect(page).to_have_url(re.compile(r"/deals$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(words["deals"])
    check_page(page)
    shot(page, "list")

    page.locator("#deal-q").press_sequentially(tag)
    rows = page.locator(".deal-row")
    expect(rows).to_have_count(2)
    expect(page).to_have_url(re.compile(rf"[?&]q={tag}"))
    if form == "desktop":  # by title, a heading's link: blocked before ready
        page.locator("th a", has_text=words["title"]).click()
        expect(page.locator("th[aria-sort=ascending]")).to_have_count(1)
        expect(rows.first).to_contain_text(f"{tag} blocked")
    else:  # a phone's cards have no headings: the "Sort by" choice, here descending
        page.locator("#deal-sort").select_option("-title")
        expect(rows.first).to_contain_text(f"{tag} ready")  # newest first would show blocked
        expect(page).to_have_url(re.compile(r"[?&]sort=-title"))
    settle(page)
    check_page(page)
    shot(page, "searched")

    if locale == "en-US":  # tick the two deals (the search box losing focus must not swap the rows)
        for deal in (ready, blocked):
            page.locator(f'.deal-row[data-deal-id="{deal["id"]}"] .deal-pick input').check()
        expect(page.locator(".deal-pick input:checked")).to_have_count(2)
    else:  # all that match the search as it is now: the same two
        page.locator("input[name=everything][value='1']").check()
    page.locator("#bulk-action").select_option("move")
    page.locator("#bulk-to").select_option("qualified")
    page.get_by_role("button", name=words["apply"]).click()
    result = page.locator("#bulk-result")
    expect(result.locator(".bulk-done")).to_have_text(words["done"])
    expect(result.locator(f'li[data-deal-id="{blocked["id"]}"]')).to_contain_text(words["why"])
    check_page(page)
    shot(page, "bulk")
    assert live.deal(ready["id"])["stage"] == "qualified"
    assert live.deal(blocked["id"])["stage"] == "lead" and live.deal(blocked["id"])["version"] == 1


def test_an_amount_and_an_owner_keep_to_their_line_beside_a_long_title(open_page, live):
    """Chinese on a desktop, with four declared columns: the title wraps, not inside a number or a name."""
    page = open_page("desktop", "zh-CN")
    login(page, "mgr.zhao")
    page.goto("/deals?sort=-data.amount&col=seats&col=amount&col=demo_date&col=expected_close")
    rows = page.locator("#deal-list-body tr.deal-row")
    expect(rows.first).to_be_visible()
    for row in rows.all()[:10]:
        cells = row.locator("td").all()  # pick, title, stage, status, owner, last change, seats, amount…
        for cell in (cells[4], cells[6], cells[7]):
            assert lines(cell) == 1, cell.inner_text()
    check_page(page)

"""Creating a deal through the generated form: a bad value is refused beside its field."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.browser.conftest import check_page, login


def test_a_new_deal_shows_a_bad_value_in_place_then_lands_on_its_page(open_page, live, shot):
    page = open_page(expect=(422,))
    login(page, "rep.li")
    page.goto("/board/software")
    page.get_by_role("link", name="New deal").click()
    expect(page).to_have_url(re.compile(r"/deals/new\?funnel=software$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("New deal in “Software B2B”")
    check_page(page)

    form = page.locator("form:has(#new-title)")
    form.get_by_role("textbox", name="Title", exact=True).fill("Browser-made deal")
    form.get_by_label("Company").fill("Hangzhou Browser Co., Ltd.")
    form.get_by_label("Expected amount").fill("-5")  # the schema's minimum is 0
    form.get_by_label("Email").fill("buyer@example.com")
    form.get_by_role("button", name="Create deal").click()

    amount = page.get_by_label("Expected amount")
    expect(amount).to_have_attribute("aria-invalid", "true")
    error = page.locator('[data-field="amount"] .field-error')
    expect(error).to_be_visible()
    assert error.get_attribute("id") in amount.get_attribute("aria-describedby").split()
    expect(page.locator(".field-error")).to_have_count(1)  # only the bad field complains
    expect(page.get_by_role("textbox", name="Title", exact=True)).to_have_value("Browser-made deal")  # kept
    expect(page.get_by_label("Company")).to_have_value("Hangzhou Browser Co., Ltd.")
    expect(amount).to_have_value("-5")
    assert urlsplit(page.url).path == "/deals/new"
    check_page(page)
    shot(page, "refused")

    amount.fill("250000")
    page.get_by_role("button", name="Create deal").click()
    expect(page).to_have_url(re.compile(r"/deals/\d+$"))
    deal_id = int(urlsplit(page.url).path.rsplit("/", 1)[1])
    expect(page.locator("#deal-summary h1")).to_have_text("Browser-made deal")
    expect(page.locator("#deal-summary")).to_contain_text("Potential customer")
    expect(page.locator("#timeline")).to_contain_text("Created in “Potential customer”")
    check_page(page)
    shot(page, "created")
    stored = live.deal(deal_id)
    assert (stored["title"], stored["stage"], stored["owner"]) == ("Browser-made deal", "lead", "rep.li")
    assert stored["data"] == {"company": "Hangzhou Browser Co., Ltd.", "amount": 250000,
                              "email": "buyer@example.com"}

"""The customer pages in Chromium (issue 15): the list, a new customer, its page, a contact,
releasing it to the pool and claiming it back, and the search as you type, at desktop and phone
size, in English and Chinese."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_page, login

WORDS = {
    "en-US": {"customers": "Customers", "new": "New customer", "create": "Create customer",
              "add": "Add a contact", "contact": "Add contact", "primary": "Primary",
              "pool": "In the pool", "claimed": "You claimed this customer.",
              "released": "The customer went back to the pool.", "created": "Customer created"},
    "zh-CN": {"customers": "客户", "new": "新建客户", "create": "创建客户", "add": "添加联系人",
              "contact": "添加联系人", "primary": "主要", "pool": "在公海中",
              "claimed": "你已领取这个客户。", "released": "客户已放回公海。", "created": "创建了客户"},
}


@pytest.mark.parametrize("form", ["desktop", "phone"])
@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_list_new_customer_contact_release_and_claim(open_page, live, shot, form, locale):
    words = WORDS[locale]
    name = f"Browser Hospital {form} {locale}"
    page = open_page(form, locale, expect=(422,))
    login(page, "rep.li")
    page.get_by_role("navigation", name=re.compile(".")).first.get_by_role(
        "link", name=words["customers"], exact=True).click()
    expect(page).to_have_url(re.compile(r"/customers$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(words["customers"])
    check_page(page)
    shot(page, "list")

    page.get_by_role("link", name=words["new"]).click()
    page.locator("#new-customer-name").fill(" ")
    page.get_by_role("button", name=words["create"]).click()  # no name: refused in place
    expect(page.locator("#new-customer-name")).to_have_attribute("aria-invalid", "true")
    check_page(page)
    shot(page, "refused")
    page.locator("#new-customer-name").fill(name)
    page.get_by_role("button", name=words["create"]).click()
    expect(page).to_have_url(re.compile(r"/customers/\d+$"))
    customer_id = int(urlsplit(page.url).path.rsplit("/", 1)[1])
    expect(page.locator("#customer-title")).to_have_text(name)
    expect(page.locator(".timeline")).to_contain_text(words["created"])
    check_page(page)
    shot(page, "page")

    page.locator(".contact-add summary").click()
    page.locator("#contact-name").fill("Dr. Gu")
    page.locator("#contact-form input[name=primary]").check()
    page.locator("#contact-form").get_by_role("button", name=words["contact"]).click()
    expect(page.locator(".contact-list")).to_contain_text("Dr. Gu")
    expect(page.locator(".contact-list .primary-tag")).to_have_text(words["primary"])
    check_page(page)

    page.locator("#release").click()
    expect(page.locator(".flashes")).to_contain_text(words["released"])
    expect(page.locator("#customer-owner")).to_have_text(words["pool"])
    check_page(page)
    shot(page, "released")
    page.locator("#claim").click()
    expect(page.locator(".flashes")).to_contain_text(words["claimed"])
    status, stored = live.api("GET", f"/api/v1/customers/{customer_id}")
    assert status == 200 and stored["owner"] == "rep.li"
    check_page(page)
    shot(page, "claimed")

    page.goto("/customers")
    page.locator("#customer-q").press_sequentially(f"Hospital {form} {locale}")
    rows = page.locator(".customer-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(name)
    expect(page).to_have_url(re.compile(rf"[?&]q=Hospital(%20|\+){form}"))  # in the address: a reload keeps it
    check_page(page)
    shot(page, "search")

    # the new-deal form creates a customer in place and picks it
    page.goto("/deals/new?funnel=software")
    page.locator("#new-customer-q").press_sequentially(f"Picked {form} {locale}")
    page.locator("#customer-choices button.create-customer").click()
    picked = page.locator("#customer-choices input[name=customer_id]:checked")
    expect(picked).not_to_have_value("")
    status, stored = live.api("GET", f"/api/v1/customers/{picked.input_value()}")
    assert status == 200 and stored["name"] == f"Picked {form} {locale}"
    check_page(page)
    shot(page, "created-in-place")


ANALYTICS_WORDS = {"en-US": ("Customer field", "Won amount", "The customer pool per week"),
                   "zh-CN": ("客户字段", "赢单金额", "每周客户公海")}


@pytest.mark.parametrize("form", ["desktop", "phone"])
@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_analytics_customer_section(open_page, live, shot, form, locale):
    field_label, amount, pool = ANALYTICS_WORDS[locale]
    page = open_page(form, locale)
    login(page, "mgr.zhao")
    page.goto("/analytics/software?from=2025-01-01&to=2027-01-01&interval=month")
    section = page.locator("#customers")
    chooser = section.get_by_label(field_label)
    expect(chooser).to_be_visible()
    chooser.select_option(index=0)
    section.get_by_role("button").click()
    expect(page).to_have_url(re.compile(r"customer_field="))
    groups = page.locator("#customer-groups")
    expect(groups).to_contain_text(amount)
    expect(groups.locator("tbody tr").first).to_be_visible()
    expect(page.locator("#pool-weeks caption")).to_have_text(pool)
    section.scroll_into_view_if_needed()
    check_page(page)
    shot(page, "analytics-customers")

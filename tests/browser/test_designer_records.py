"""The designer's records page in Chromium: a consultant adds a field to the customers with the
funnel designer's field editor, in English and in Chinese, and the new-customer form asks for it
at once, without a restart."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_page, login
from tests.browser.test_designer import no_axe_violations, submit, titles

WORDS = {
    "en-US": {"heading": "Fields of “Customers”", "added": "the forms ask for it now"},
    "zh-CN": {"heading": "“客户”的字段", "added": "表单现在就会询问它"},
}


@pytest.fixture
def customer_file(live):
    """The demo's records/customer.json, put back afterwards for the session's other tests."""
    path = live.runtime.workspace.path / "records" / "customer.json"
    kept = path.read_bytes()
    yield path
    path.write_bytes(kept)
    live.runtime.records.refresh()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_consultant_adds_a_customer_field_and_the_new_customer_form_asks_for_it(
        open_page, live, shot, customer_file, locale):
    words, name = WORDS[locale], f"beds_{locale[:2]}"
    before = customer_file.read_bytes()
    page = open_page(locale=locale, expect=(422,))
    login(page, "admin")
    page.goto("/designer/")
    page.locator("a[href$='/designer/records/']").click()
    page.locator("li[data-record=customer] a").click()
    expect(page.locator("#designer h1")).to_have_text(words["heading"])
    no_axe_violations(page)

    page.locator("details.add-field-box > summary").click()
    form = page.locator("form.add-field")
    form.locator("input[name=name]").fill("industry")  # the demo declares it already: refused in place
    submit(form)
    box = page.locator("details.add-field-box")
    expect(box.locator(".finding-error")).to_contain_text("industry")
    expect(box).to_have_attribute("open", "")
    expect(page.locator("#designer [role=alert]")).to_be_visible()
    check_page(page)
    shot(page, "refused")
    assert customer_file.read_bytes() == before  # nothing written
    form = page.locator("form.add-field")
    form.locator("input[name=name]").fill(name)
    form.locator("select[name=type]").select_option("integer")
    titles(form, "Licensed beds", "核定床位")
    form.locator("fieldset.texts").nth(1).get_by_label("English", exact=True).fill("As on the licence")
    submit(form)
    expect(page.locator(f'#designer li[data-field="{name}"]')).to_have_count(1)
    expect(page.locator("#designer .notice")).to_contain_text(words["added"])
    expect(page.locator("#preview")).to_contain_text("核定床位" if locale == "zh-CN" else "Licensed beds")
    check_page(page)
    no_axe_violations(page)
    shot(page, "designer")

    page.goto("/customers/new")
    label = page.locator(f'[data-field="{name}"] label')
    expect(label).to_have_text("核定床位" if locale == "zh-CN" else "Licensed beds")
    expect(page.locator(f'[data-field="{name}"] input')).to_have_attribute("type", "number")
    check_page(page)
    shot(page, "new-customer")
    assert name in live.runtime.customers.types.customer.fields["properties"]

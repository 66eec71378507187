"""Every page, at desktop and phone size, in English and Chinese: no wider than the viewport,
every form control named, and on a phone every control a finger can hit."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import TAP, check_page, login, open_dialog

SURVEY = "Cloud ERP for the finance team, 40 users; budget set; the CFO decides in June."


@pytest.fixture(scope="module")
def deals(live) -> dict[str, int]:
    """A deal with some history, and a lost one."""
    worked = live.create_deal("Page tour deal", {"company": "Wuxi Tour Co., Ltd.", "amount": 480000,
                                                 "email": "cfo@example.com"})
    status, body = live.api("POST", f"/api/v1/deals/{worked['id']}/move", {
        "to": "qualified", "data": {"needs_survey": SURVEY, "decision_maker": "Ms. Gu, CFO"}})
    assert status == 200, body
    status, body = live.api("POST", f"/api/v1/deals/{worked['id']}/notes",
                            {"text": "Called Ms. Gu; demo next Tuesday."})
    assert status == 201, body
    lost = live.create_deal("Page tour lost deal")
    status, body = live.api("POST", f"/api/v1/deals/{lost['id']}/move",
                            {"to": "lost", "lost_reason": "timing", "note": "Project postponed."})
    assert status == 200, body
    status, customer = live.api("POST", "/api/v1/customers", {"name": "Wuxi Tour Co., Ltd."})
    assert status == 201, customer
    status, body = live.api("POST", "/api/v1/contacts", {"customer_id": customer["id"], "name": "Ms. Gu",
                                                         "primary": True})
    assert status == 201, body
    status, linked = live.api("POST", "/api/v1/deals", {"funnel": "software", "title": "Page tour follow-up",
                                                        "data": {"company": "Wuxi Tour Co., Ltd.", "amount": 90000},
                                                        "customer_id": customer["id"]})
    assert status == 201, linked
    return {"worked": worked["id"], "lost": lost["id"], "customer": customer["id"], "linked": linked["id"]}


def small_controls(page) -> list[str]:
    """Visible form controls (or, for a check box or radio button, its label) under 44 px."""
    return page.evaluate("""(tap) => {
        const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
        const hidden = el => el.closest('.visually-hidden');
        return [...document.querySelectorAll('input, select, textarea, button, a.button')]
          .filter(el => el.type !== 'hidden' && shown(el) && !hidden(el))
          .map(el => ['checkbox', 'radio'].includes(el.type) ? (el.closest('label') || el) : el)
          .filter(el => { const r = el.getBoundingClientRect(); return r.height < tap - 0.5 || r.width < tap - 0.5; })
          .map(el => { const r = el.getBoundingClientRect();
                       return `${Math.round(r.width)}×${Math.round(r.height)} ${el.outerHTML.slice(0, 120)}`; });
    }""", TAP)


@pytest.mark.parametrize("form", ["desktop", "phone"])
@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_every_page_fits_and_names_its_controls(open_page, live, deals, shot, form, locale):
    page = open_page(form, locale, expect=(422,))

    def visit(name: str, path: str | None = None) -> None:
        if path is not None:
            page.goto(path)
        check_page(page)
        if form == "phone":
            small = small_controls(page)
            assert not small, f"{name}: tap targets under {TAP} px: {small}"
        shot(page, name)

    visit("login", "/login")
    login(page, "rep.li")  # the owner of the tour deals
    visit("start")
    visit("board", "/board/software")
    card = page.locator('[data-stage="lead"] [data-deal-id]').first
    card.locator("select[name=to]").select_option("qualified")
    card.locator("form.card-move button").click()
    expect(open_dialog(page)).to_be_visible()
    visit("board-dialog")
    page.keyboard.press("Escape")
    expect(page.locator("dialog#dialog")).not_to_be_visible()

    visit("deal", f"/deals/{deals['worked']}")
    visit("deal-lost", f"/deals/{deals['lost']}")
    visit("new-deal", "/deals/new?funnel=software")
    page.locator("#new-title").fill("Tour")
    page.locator("form:has(#new-title) button[type=submit]").click()  # no company: refused
    expect(page.locator('[data-field="company"] .field-error')).to_be_visible()
    visit("new-deal-refused")
    visit("move-page", f"/deals/{deals['worked']}/move?to=demo")
    page.locator("form.move-form button[type=submit]").click()  # the demo date is missing
    expect(page.locator('[data-field="demo_date"] .field-error')).to_be_visible()
    visit("move-page-refused")
    visit("move-page-lost", f"/deals/{deals['worked']}/move?to=lost")
    visit("customers", "/customers")
    visit("customers-pool", "/customers?filter=pool")
    visit("customer", f"/customers/{deals['customer']}")
    page.locator(".contact-add summary").click()
    visit("customer-contact-form")
    visit("deal-with-customer", f"/deals/{deals['linked']}")
    visit("new-customer", "/customers/new")
    page.locator("form:has(#new-customer-name) button[type=submit]").click()  # no name: refused
    expect(page.locator("#new-customer-name")).to_have_attribute("aria-invalid", "true")
    visit("new-customer-refused")
    page.goto("/deals/new?funnel=software")
    page.locator("#new-customer-q").press_sequentially("Wuxi Tour")
    expect(page.locator(f'#customer-choices input[value="{deals["customer"]}"]')).to_be_attached()
    visit("new-deal-customer-picked")

"""The deal page's stage path and its Won and Lost buttons, at desktop and phone size, in English
and Chinese: the path fits the page, Won goes through the gate dialog for what it still needs,
Lost asks for a reason."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_tap_target, check_page, login, open_dialog

#: what the software funnel's gates ask for up to negotiation (the contract number is left for Won)
WALK = [
    ("qualified", {"needs_survey": "Cloud ERP for 40 users, the CFO decides.", "decision_maker": "Ms. Gu"}),
    ("demo", {"demo_date": "2026-11-02"}),
    ("trial", {"trial_start": "2026-11-09", "seats": 40}),
    ("quote", {"quote_no": "Q-2026-118", "trial_feedback": "The finance team liked the reports."}),
    ("negotiation", {"expected_close": "2026-12-20"}),
]

#: (the current stage's title, the won stage's, the caption of Won's gate) per language
WORDS = {"en-US": ("Negotiation", "Won", "Asks for: Contract number"),
         "zh-CN": ("商务谈判", "赢单", "需要：合同编号")}


def walked_deal(live, title: str) -> dict:
    deal = live.create_deal(title, {"company": f"{title} Co., Ltd.", "amount": 480000})
    for stage, data in WALK:
        status, body = live.api("POST", f"/api/v1/deals/{deal['id']}/move", {"to": stage, "data": data})
        assert status == 200, body
    return body


@pytest.mark.parametrize("form", ["desktop", "phone"])
@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_path_then_won_through_the_dialog(open_page, live, shot, form, locale):
    deal = walked_deal(live, f"Path {form} {locale}")
    current, won, asks = WORDS[locale]
    page = open_page(form, locale)
    login(page, "rep.li")
    page.goto(f"/deals/{deal['id']}")

    path = page.locator("nav.stage-path")
    expect(path).to_be_visible()
    expect(path.locator('li[aria-current="step"] .step-label')).to_have_text(current)
    expect(path.locator("li.step-done")).to_have_count(5)  # lead … quote: no executive visit under 1M
    expect(path.locator("li.step-ahead .step-asks")).to_have_text(asks)
    expect(path.locator("li.step-ahead")).to_have_attribute("title", asks)
    check_page(page)  # the path wraps: the page is no wider than the viewport
    if form == "phone":
        assert_tap_target(page.locator(".won-button"), "the Won button")
        assert_tap_target(page.locator(".lost-button"), "the Lost button")
    shot(page, "path")

    page.locator(".won-button").click()  # the won stage's gate still wants the contract number
    dialog = open_dialog(page)
    expect(dialog).to_be_visible()
    contract = dialog.locator('[data-field="contract_no"] input')
    expect(contract).to_be_visible()
    check_page(page)
    shot(page, "won-dialog")
    contract.fill("C-2026-0042")
    dialog.locator("button.primary").click()
    expect(page.locator("dialog#dialog")).not_to_be_visible()
    expect(path.locator('li[aria-current="step"] .step-label')).to_have_text(won)  # refreshed
    expect(page.locator(".won-button")).to_have_count(0)
    shot(page, "won")
    stored = live.deal(deal["id"])
    assert (stored["status"], stored["data"]["contract_no"]) == ("won", "C-2026-0042")


@pytest.mark.parametrize("form", ["desktop", "phone"])
@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_lost_from_the_path_asks_for_a_reason(open_page, live, shot, form, locale):
    deal = live.create_deal(f"Lost {form} {locale}")
    page = open_page(form, locale, expect=(422,))
    login(page, "rep.li")
    page.goto(f"/deals/{deal['id']}")
    # from the first stage no skipping reaches Won: the button is disabled and says why
    expect(page.locator(".won-button")).to_be_disabled()
    expect(page.locator("#won-blocked")).to_be_visible()
    page.locator(".lost-button").click()

    dialog = open_dialog(page)
    reason = dialog.locator("#move-lost-reason")
    expect(reason).to_be_visible()
    dialog.locator("button.primary").click()  # no reason chosen: refused, nothing moved
    expect(dialog.locator("#move-lost-reason-error")).to_be_visible()
    assert live.deal(deal["id"])["status"] == "open"
    check_page(page)
    shot(page, "no-reason")
    reason.select_option("timing")
    dialog.locator("button.primary").click()
    expect(page.locator("dialog#dialog")).not_to_be_visible()
    expect(page.locator('nav.stage-path li[aria-current="step"]')).to_have_class("step step-current step-lost")
    check_page(page)
    shot(page, "lost")
    stored = live.deal(deal["id"])
    assert (stored["status"], stored["lost_reason"]) == ("lost", "timing")

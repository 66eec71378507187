"""The designer's newer parts in Chromium, desktop and phone, English and Chinese: highlight rules,
the assignment rule and the activity gate in forms; then a review that lists the deals a change
moves (paged), the deals that will lack fields, the automation whose stage goes; and the audit
log keeping that summary after the save."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_page, login
from tests.browser.test_designer import add_automation, no_axe_violations, open_stage, stage, submit, titles

DEALS = 22  # a page of twenty and two more


def saved(page, form) -> None:
    """Submit a designer form and wait for its answer (200: the edit was kept)."""
    with page.expect_response(lambda r: r.request.method == "POST" and "/designer/drafts/" in r.url) as answer:
        submit(form)
    assert answer.value.status == 200, answer.value.text()[:500]


def lines(cell) -> int:
    """How many lines the text of an element takes on the screen."""
    return cell.evaluate("""el => {
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT), tops = [];
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const range = document.createRange(); range.selectNodeContents(node);
          for (const box of range.getClientRects()) if (box.width > 0) tops.push(box.top);
        }
        tops.sort((a, b) => a - b);  // a tag's padding shifts its text a little, a new line a lot
        return tops.filter((top, i) => i === 0 || top - tops[i - 1] > 8).length; }""")


@pytest.mark.parametrize("form, locale", [("desktop", "en-US"), ("phone", "zh-CN")])
def test_rules_and_gates_in_forms_then_a_review_that_names_every_deal(open_page, live, shot, form, locale):
    chinese = locale == "zh-CN"
    funnel_id = f"cargo-{form}"
    page = open_page(form, locale)
    login(page, "admin")
    page.goto("/designer/")
    page.locator("details:has(form[data-template=trade]) > summary").click()
    template = page.locator('form[data-template="trade"]')
    template.locator("input[name=id]").fill(funnel_id)
    titles(template, f"Cargo {form}", f"货运 {form}")
    submit(template)
    page.wait_for_url(re.compile(r"/designer/drafts/\d+$"))

    before = page.locator("li[data-highlight]").count()
    rule = page.locator("form.add-highlight")
    rule.locator("select[name=when_field]").select_option("amount")
    rule.locator("select[name=when_op]").select_option("at_least")
    rule.locator("input[name=when_value]").fill("100000")
    rule.locator("select[name=style]").select_option("warning")
    saved(page, rule)
    expect(page.locator("li[data-highlight]")).to_have_count(before + 1)

    assignment = page.locator("form.assignment-form")
    assignment.locator("input[name=rule][value=round_robin]").check()
    assignment.locator("select[name=team]").select_option("east")
    saved(page, assignment)
    expect(page.locator("form.assignment-form input[name=rule][value=round_robin]")).to_be_checked()

    item = open_stage(page, "qualified")
    update = item.locator("form:has(input[name=op][value=update_stage])")
    update.locator("select[name=activity_type]").first.select_option("visit")
    update.locator("input[name=next_step]").check()
    saved(page, update)
    expect(stage(page, "qualified").locator("summary")).to_contain_text("拜访" if chinese else "Visit")
    add_automation(page, "greet", "stage_entered", "inquiry", "owner")
    expect(page.locator("#lint .finding-error")).to_have_count(0)
    check_page(page)
    no_axe_violations(page)
    page.locator("section.designer-highlight").scroll_into_view_if_needed()
    shot(page, "rules")
    page.locator("a[href$='/plan']").click()
    page.locator("form[action$='/apply'] button").click()
    page.wait_for_url(f"**/board/{funnel_id}")
    applied = live.runtime.funnels.get(funnel_id).definition
    assert applied["highlight"][-1]["style"] == "warning"
    # the trade template ships "the reps in turn"; the form names a team and keeps the role
    assert applied["assignment"] == {"rule": "round_robin", "team": "east", "role": "rep"}
    qualified = next(s for s in applied["stages"] if s["id"] == "qualified")
    assert (qualified["required_activities"], qualified["next_step"]) == ([{"type": "visit"}], True)

    deals = [live.create_deal(f"Crate {n:02}", {"company": f"Crate {n} Ltd.", "country": "CN"}, funnel=funnel_id)
             for n in range(DEALS)]
    page.goto("/designer/")
    page.locator(f"form:has(input[value='funnel:{funnel_id}']) button[type=submit]").click()
    page.wait_for_url(re.compile(r"/designer/drafts/\d+$"))
    item = open_stage(page, "inquiry")
    remove = item.locator("form:has(input[name=op][value=remove_stage])")
    remove.locator("select[name=map_to]").select_option("qualified")
    submit(remove)
    expect(stage(page, "inquiry")).to_have_count(0)
    page.locator("a[href$='/plan']").click()

    changes = page.locator(".plan-changes > li").first
    expect(changes.locator("tbody tr")).to_have_count(20)
    first = deals[0]
    expect(changes.locator(f"a[href='/deals/{first['id']}']")).to_have_text(f"#{first['id']} Crate 00")
    expect(page.locator("#missing tbody tr")).to_have_count(20)
    expect(page.locator("#missing")).to_contain_text("买家类型" if chinese else "Buyer type")
    expect(page.locator(".plan-orphans")).to_contain_text("greet")
    expect(page.locator(".plan-orphans")).to_contain_text("买家核实" if chinese else "Buyer checked")
    check_page(page)
    no_axe_violations(page)
    shot(page, "review")
    for cell in changes.locator("tbody tr").first.locator("td").all()[1:3]:
        assert lines(cell) == 1, cell.inner_text()  # a stage, even in Chinese on a phone, not a column of characters
    changes.locator("a[rel=next]").click()
    expect(page.locator(".plan-changes > li").first.locator("tbody tr")).to_have_count(DEALS - 20)
    expect(page.locator(".plan-changes > li").first.locator(".pager")).to_contain_text(
        "第 2 页，共 2 页" if chinese else "Page 2 of 2")
    shot(page, "review-page-2")
    page.locator("form[action$='/apply'] button").click()
    page.wait_for_url(f"**/board/{funnel_id}")
    moved = live.deal(deals[-1]["id"])
    assert moved["stage"] == "qualified"

    page.goto("/admin/audit")
    row = page.locator("tr", has_text="funnel_applied").first
    expect(row).to_contain_text("deals_missing_fields")
    expect(row).to_contain_text(f"{{\"deal\": {first['id']}, \"fields\": [")  # JSON, keys sorted
    expect(row).to_contain_text("\"stage\": \"qualified\"}")
    no_axe_violations(page)
    shot(page, "audit")

"""The Chinese UI: chosen from the browser's Accept-Language, or by the switcher in the header."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import card_in, check_page, login, open_dialog

HAN = re.compile(r"[\u4e00-\u9fff]")


def zh(value) -> str:
    return value["zh-Hans"]


def test_the_browser_language_gives_the_chinese_ui_and_the_funnel_s_chinese_titles(open_page, live, shot):
    _, funnel = live.api("GET", "/api/v1/funnels/software")
    deal = live.create_deal("中文测试商机", {"company": "杭州测试有限公司"}, user="rep.zhang")
    page = open_page(locale="zh-CN", expect=(422,))
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("heading", level=1)).to_have_text("登录")
    expect(page.get_by_role("textbox", name="用户名")).to_be_visible()
    expect(page.get_by_role("button", name="登录")).to_be_visible()
    expect(page.get_by_role("combobox", name="语言")).to_have_value("zh_Hans")
    check_page(page)
    shot(page, "login")

    login(page, "rep.zhang")
    page.goto("/board/software")
    expect(page.get_by_role("heading", level=1)).to_have_text(zh(funnel["title"]))
    for stage in funnel["stages"]:
        if stage["kind"] == "open":
            expect(page.locator(f'#column-{stage["id"]}-title')).to_have_text(zh(stage["title"]))
    expect(page.get_by_role("link", name="新建商机")).to_be_visible()
    expect(page.locator('[data-stage="lead"] .column-total')).to_have_text(re.compile(r"^¥[\d,]+\.\d\d$"))
    card = card_in(page, "lead", deal["id"])
    expect(card.locator("select[name=to] option[value=qualified]")).to_have_text(zh(funnel["stages"][1]["title"]))
    check_page(page)
    shot(page, "board")

    card.locator("select[name=to]").select_option("qualified")
    card.get_by_role("button", name="移动").click()
    dialog = open_dialog(page)
    expect(dialog.get_by_role("heading")).to_have_text("将“中文测试商机”移至“需求确认”")
    survey = dialog.get_by_role("textbox", name="需求调研")
    expect(survey).to_be_visible()
    expect(dialog.get_by_role("textbox", name="决策人")).to_be_visible()
    dialog.get_by_role("button", name="移动").click()  # nothing filled in
    for name in ("needs_survey", "decision_maker"):
        expect(dialog.locator(f'[data-field="{name}"] .field-error')).to_have_text(HAN)
    check_page(page)
    shot(page, "dialog-error")


def test_the_switcher_changes_the_language_and_the_user_keeps_it(open_page, live, shot):
    page = open_page(locale="en-US")
    page.goto("/login")
    with page.expect_navigation():
        page.get_by_role("combobox", name="Language").select_option("zh_Hans")
    expect(page.get_by_role("heading", level=1)).to_have_text("登录")  # before logging in, too
    with page.expect_navigation():
        page.get_by_role("combobox", name="语言").select_option("en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")

    page = open_page(locale="zh-CN")
    login(page, "rep.liu")
    page.goto("/board/software?owner=rep.liu")
    expect(page.get_by_role("heading", level=1)).to_have_text("软件行业（B2B）")
    with page.expect_navigation():
        page.get_by_role("combobox", name="语言").select_option("en")
    assert urlsplit(page.url).path + "?" + urlsplit(page.url).query == "/board/software?owner=rep.liu"
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Software B2B")
    expect(page.locator("#column-lead-title")).to_have_text("Potential customer")

    # the user's choice beats the browser's language in the next session too
    later = open_page(locale="zh-CN")
    login(later, "rep.liu")
    later.goto("/board/software")
    expect(later.get_by_role("heading", level=1)).to_have_text("Software B2B")
    with later.expect_navigation():
        later.get_by_role("combobox", name="Language").select_option("zh_Hant")
    expect(later.locator("html")).to_have_attribute("lang", "zh-Hant")
    expect(later.locator("a[href^='/deals/new']")).to_have_text(HAN)
    expect(later.locator("#column-lead-title")).to_have_text(HAN)  # a Chinese title, by fallback
    shot(later, "traditional")
    with later.expect_navigation():
        later.get_by_role("combobox").first.select_option("zh_Hans")
    expect(later.get_by_role("heading", level=1)).to_have_text("软件行业（B2B）")


def test_a_refused_value_is_explained_in_chinese(open_page, live):
    deal = live.create_deal("边界值商机", {"company": "苏州测试有限公司"}, user="rep.zhang")
    page = open_page(locale="zh-CN", expect=(422,))
    login(page, "rep.zhang")
    page.goto(f"/deals/{deal['id']}/move?to=qualified")  # the gate form without JavaScript
    page.get_by_role("textbox", name="需求调研").fill("太短了")  # at least 10 characters wanted
    page.get_by_role("textbox", name="决策人").fill("王总")
    page.get_by_role("button", name="移动").click()
    error = page.locator('[data-field="needs_survey"] .field-error')
    expect(error).to_be_visible()
    message = error.inner_text().replace("太短了", "")  # the echoed value proves nothing
    assert HAN.search(message), f"the refusal is not in Chinese: {error.inner_text()!r}"


@pytest.mark.parametrize("form", ["desktop", "phone"])
def test_a_refused_field_reads_as_the_command_line_says_it(open_page, live, shot, form):
    """Issue 21, part 3: the words beside a field are the words `goldsieve import` prints after
    the field's title (tests/cli/test_cli_messages.py), in Chinese, on the desktop and the phone."""
    page = open_page(form=form, locale="zh-CN", expect=(422,))
    login(page, "rep.zhang")
    page.goto("/deals/new?funnel=software")
    form_ = page.locator("form:has(#new-title)")
    form_.get_by_role("textbox", name="名称", exact=True).fill("邮箱有误的商机")
    form_.get_by_label("客户公司").fill("苏州测试有限公司")
    form_.get_by_label("邮箱").fill("not-an-email")
    form_.get_by_label("预计金额").fill("-5")
    form_.locator("button[type=submit]").click()
    email = page.locator('[data-field="email"] .field-error')
    expect(email).to_have_text("“not-an-email” 不是电子邮件地址")
    expect(page.locator('[data-field="amount"] .field-error')).to_have_text("请输入不小于 0 的数字。")
    expect(page.get_by_label("邮箱")).to_have_attribute("aria-invalid", "true")
    check_page(page)
    shot(page, f"refused-field-{form}")

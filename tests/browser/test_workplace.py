"""Signing in with DingTalk, WeCom or Feishu in a real browser, in English and Chinese, on the
desktop and the phone: the login page offers the three beside the password form, and a click
goes through the platform's (fake) sign-in page and back, signed in."""
from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest

from goldsieve.clock import utc_now
from goldsieve.people.users import add_user
from goldsieve.testing import TEST_PASSWORD
from goldsieve.workplace.signin import link_account
from goldsieve.workspace import init_workspace

from tests.browser.conftest import LiveServer, check_page, new_page
from tests.browser.test_accessibility import violations
from tests.workplace.fakes import FAKES, toml_table

SECRET_ENV = "GOLDSIEVE_BROWSER_WORKPLACE_SECRET"


@pytest.fixture(scope="module")
def workplace_live(tmp_path_factory):
    """A workspace configured for all three platforms, each at its fake, with Lin linked to all."""
    from goldsieve.plugins import templates

    template = next(t for t in templates.goldsieve_funnel_templates() if t["id"] == "software")
    workspace = init_workspace(tmp_path_factory.mktemp("workplace") / "ws", template)
    fakes = {name: cls(utc_now).__enter__() for name, cls in FAKES.items()}
    os.environ[SECRET_ENV] = next(iter(fakes.values())).secret
    config = workspace.path / "goldsieve.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n" + "\n".join(
        toml_table(name, fake, SECRET_ENV) for name, fake in fakes.items()), encoding="utf-8")
    try:
        with LiveServer(workspace.path) as server:
            store = server.runtime.store
            add_user(store, "admin", "admin", TEST_PASSWORD)
            add_user(store, "lin", "rep", TEST_PASSWORD, display_name="林")
            server.fakes = fakes
            for name, fake in fakes.items():
                fake.add_person("lin-1", "林", ["1"])
                fake.consenting = "lin-1"
                link_account(store, "lin", name, "lin-1")
            yield server
    finally:
        for fake in fakes.values():
            fake.__exit__(None)
        os.environ.pop(SECRET_ENV, None)


@pytest.mark.parametrize("form", ["desktop", "phone"])
@pytest.mark.parametrize("locale, labels", [
    ("en-US", ["Sign in with DingTalk", "Sign in with WeCom", "Sign in with Feishu"]),
    ("zh-CN", ["使用钉钉登录", "使用企业微信登录", "使用飞书登录"]),
])
def test_the_login_page_offers_the_work_accounts_beside_the_password(chromium, workplace_live, shot, form,
                                                                     locale, labels):
    page, guard = new_page(chromium, workplace_live.url, form, locale)
    try:
        page.goto("/login")
        links = page.get_by_role("link")
        for label in labels:
            assert links.filter(has_text=label).is_visible()
        assert page.locator("input[name=password]").is_visible()
        check_page(page)
        assert violations(page) == []
        shot(page, f"login-{form}-{locale}")
    finally:
        page.context.close()
    assert not guard.problems()


@pytest.mark.parametrize("platform, label", [("dingtalk", "使用钉钉登录"), ("wecom", "使用企业微信登录"),
                                             ("feishu", "使用飞书登录")], ids=["dingtalk", "wecom", "feishu"])
def test_a_click_signs_in_through_the_platform(chromium, workplace_live, shot, platform, label):
    page, guard = new_page(chromium, workplace_live.url, "phone", "zh-CN")
    try:
        page.goto("/login?next=/deals")
        page.get_by_role("link", name=label).click()
        page.wait_for_url(workplace_live.url + "/deals")
        assert page.locator(".whoami").inner_text() == "lin"
        assert urlsplit(page.url).path == "/deals"
        shot(page, f"signed-in-{platform}")
    finally:
        page.context.close()
    assert not guard.problems()


@pytest.mark.parametrize("form", ["desktop", "phone"])
@pytest.mark.parametrize("locale, sign_in, field, choice, saved", [
    ("en-US", "Sign in with WeCom", "Task reminders", "Inbox and WeCom", "Your notice settings are saved."),
    ("zh-CN", "使用企业微信登录", "任务提醒", "收件箱和企业微信", "通知设置已保存。"),
], ids=["en-US", "zh-CN"])
def test_the_personal_notices_page_saves_a_choice(chromium, workplace_live, shot, form, locale, sign_in, field,
                                                  choice, saved):
    page, guard = new_page(chromium, workplace_live.url, form, locale)
    try:
        page.goto("/login?next=/inbox")
        page.get_by_role("link", name=sign_in).click()
        page.wait_for_url(workplace_live.url + "/inbox")
        page.get_by_role("link", name="Personal notices" if locale == "en-US" else "个人通知").click()
        select = page.get_by_label(field)
        select.select_option(label=choice)
        check_page(page)
        assert violations(page) == []
        shot(page, f"notices-{form}-{locale}")
        page.locator("form#notices button[type=submit]").click()
        page.wait_for_url(workplace_live.url + "/account/notices")
        assert saved in page.locator("body").inner_text()
        assert page.get_by_label(field).input_value() == "wecom"
        user = next(u for u in workplace_live.runtime.store.find("users") if u["username"] == "lin")
        assert user["notices"]["reminders"] == "wecom"
    finally:
        page.context.close()
    assert not guard.problems()


@pytest.mark.parametrize("locale, heading, button, done", [
    ("en-US", "What a sync with DingTalk would change", "Make these changes", "change(s) made."),
    ("zh-CN", "与钉钉同步将做的变更", "执行这些变更", "项变更。"),
], ids=["en-US", "zh-CN"])
def test_the_admins_sync_report_shows_the_diff_and_syncs(chromium, workplace_live, shot, locale, heading,
                                                         button, done):
    dingtalk = workplace_live.fakes["dingtalk"]
    dept = str(10 + len(dingtalk.departments))
    dingtalk.add_department(dept, f"销售{dept}部", "1")
    dingtalk.add_person(f"rep{dept}", f"销售员{dept}", [dept])
    page, guard = new_page(chromium, workplace_live.url, "desktop", locale)
    try:
        page.goto("/login")
        page.locator("input[name=username]").fill("admin")
        page.locator("input[name=password]").fill(TEST_PASSWORD)
        page.locator("form:has(input[name=password]) button[type=submit]").click()
        page.wait_for_url(workplace_live.url + "/")
        page.goto("/admin/workplace?platform=dingtalk")
        assert page.get_by_role("heading", name=heading).is_visible()
        diff = page.locator(".sync-diff").inner_text()
        assert f"rep{dept}" in diff and f"dingtalk-{dept}" in diff
        check_page(page)
        assert violations(page) == []
        shot(page, f"sync-report-{locale}")
        page.get_by_role("button", name=button).click()
        page.wait_for_url("**/admin/workplace?platform=dingtalk")
        assert done in page.locator("body").inner_text()
        assert any(u["username"] == f"rep{dept}" for u in workplace_live.runtime.store.find("users"))
    finally:
        page.context.close()
    assert not guard.problems()

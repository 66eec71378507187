"""Signing in with DingTalk, WeCom or Feishu in a real browser, in English and Chinese, on the
desktop and the phone: the login page offers the three beside the password form, a click goes
through the platform's (fake) sign-in page and back, signed in, and inside DingTalk's own
browser the page signs in by itself through DingTalk's JS API (the real library, talking to a
stand-in for the app's native bridge that the test puts in the page)."""
from __future__ import annotations

import json
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
from tests.workplace.fakes import FAKES, FakeDingTalk, toml_table

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
    corp = {"dingtalk": {"corp_id": f'"{FakeDingTalk.corp}"'}}  # DingTalk's JS API signs in inside DingTalk
    config.write_text(config.read_text(encoding="utf-8") + "\n" + "\n".join(
        toml_table(name, fake, SECRET_ENV, **corp.get(name, {})) for name, fake in fakes.items()), encoding="utf-8")
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


#: DingTalk's browser on an iPhone and on an iPad: its JS API talks to the app through the
#: native bridge ``WebViewJavascriptBridge`` there
IN_DINGTALK = {
    "phone": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Mobile/15E148 AliApp(DingTalk/7.6.0) com.laiwang.DingTalk/33000000 Channel/201200 language/zh-Hans-CN",
    "desktop": "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
               "Mobile/15E148 AliApp(DingTalk/7.6.0) com.laiwang.DingTalk/33000000 language/en-US",
}
#: the stand-in for DingTalk's native side, put in the page by the test (never by the app): it
#: records each call, and answers the sign-in code request with ``answer`` (errorCode "0": done)
#: once the test calls ``window.__dingtalk_answer()``, so the test sees the page while it waits
BRIDGE = """(answer) => {
  window.__dingtalk_calls = [];
  const waiting = [];
  window.__dingtalk_answer = () => waiting.splice(0).forEach((reply) => reply(answer));
  window.WebViewJavascriptBridge = {
    init() {},
    registerHandler() {},
    callHandler(name, params, reply) {
      window.__dingtalk_calls.push({ name, params });
      if (name === "runtime.permission.requestAuthCode") waiting.push(reply);
      else reply({ errorCode: "0", result: {} });
    },
  };
}"""


def _in_dingtalk(chromium, workplace_live, form, locale, answer):
    page, guard = new_page(chromium, workplace_live.url, form, locale, user_agent=IN_DINGTALK[form])
    page.add_init_script(f"({BRIDGE})({json.dumps(answer)})")
    return page, guard


def _asked_once(page) -> dict:
    """What the page asked DingTalk's JS API for a sign-in code with, waiting for it (once)."""
    page.wait_for_function("window.__dingtalk_calls.some((c) => c.name.endsWith('requestAuthCode'))")
    [asked] = [c["params"] for c in page.evaluate("window.__dingtalk_calls")
               if c["name"] == "runtime.permission.requestAuthCode"]
    return asked


@pytest.mark.parametrize("form", ["desktop", "phone"])
@pytest.mark.parametrize("locale, waiting", [("en-US", "Signing you in with DingTalk…"), ("zh-CN", "正在用钉钉登录…")],
                         ids=["en-US", "zh-CN"])
def test_inside_dingtalk_the_login_page_signs_in_without_a_click(chromium, workplace_live, shot, form, locale,
                                                                 waiting):
    dingtalk = workplace_live.fakes["dingtalk"]
    code = dingtalk.in_app_code_for("lin-1")
    page, guard = _in_dingtalk(chromium, workplace_live, form, locale, {"errorCode": "0", "result": {"code": code}})
    try:
        page.goto("/deals")  # not signed in: to the login page, which asks DingTalk by itself
        asked = _asked_once(page)
        assert asked["corpId"] == FakeDingTalk.corp and asked["clientId"] == dingtalk.key
        assert page.get_by_role("status").inner_text() == waiting
        check_page(page)
        assert violations(page) == []
        shot(page, f"in-app-waiting-{form}-{locale}")
        page.evaluate("window.__dingtalk_answer()")
        page.wait_for_url(workplace_live.url + "/deals")
        exchanged = [seen.body for seen in dingtalk.seen("/topapi/v2/user/getuserinfo")]
        assert exchanged[-1] == {"code": code} and page.locator(".whoami").inner_text() == "lin"
    finally:
        page.context.close()
    assert not guard.problems()


@pytest.mark.parametrize("form", ["desktop", "phone"])
@pytest.mark.parametrize("locale, failed, button", [
    ("en-US", "DingTalk did not sign you in here. Use the button below or your password.", "Sign in with DingTalk"),
    ("zh-CN", "钉钉未能在此为你登录。请使用下方的按钮或密码登录。", "使用钉钉登录"),
], ids=["en-US", "zh-CN"])
def test_when_dingtalk_gives_no_code_the_page_says_so_and_keeps_the_other_ways(
        chromium, workplace_live, shot, form, locale, failed, button):
    page, guard = _in_dingtalk(chromium, workplace_live, form, locale, {"errorCode": "3", "errorMessage": "no"})
    try:
        page.goto("/login")
        assert _asked_once(page)["corpId"] == FakeDingTalk.corp
        page.evaluate("window.__dingtalk_answer()")
        alert = page.get_by_role("alert")
        alert.wait_for()
        assert alert.inner_text() == failed
        assert not page.get_by_role("status").is_visible()
        assert page.get_by_role("link", name=button).is_visible()
        assert page.locator("input[name=password]").is_visible()
        assert urlsplit(page.url).path == "/login"
        check_page(page)
        assert violations(page) == []
        shot(page, f"in-app-refused-{form}-{locale}")
    finally:
        page.context.close()
    assert not guard.problems()


def test_a_dingtalk_browser_whose_bridge_never_answers_shows_the_other_ways(chromium, workplace_live, shot):
    """A page that says DingTalk in its User-Agent but has no bridge to the app behind it (a
    browser pretending, an old client): after a few seconds the page stops waiting."""
    page, guard = new_page(chromium, workplace_live.url, "phone", "en-US", user_agent=IN_DINGTALK["phone"])
    try:
        page.goto("/login")
        assert page.get_by_role("status").inner_text() == "Signing you in with DingTalk…"
        page.get_by_role("alert").wait_for(timeout=15_000)
        assert not page.get_by_role("status").is_visible()
        assert page.get_by_role("link", name="Sign in with DingTalk").is_visible()
        shot(page, "in-app-no-bridge")
    finally:
        page.context.close()
    assert not guard.problems()

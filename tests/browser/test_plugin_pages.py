"""What a person meets in a real browser when a workspace's plugin refuses or errs: a 403 page
saying forbidden with the plugin's reason, a 500 page naming the plugin, in their language and
on the phone as on the desktop; never a traceback."""
from __future__ import annotations

import pytest

from tests.browser.conftest import LiveServer, build_demo, login, new_page

PLUGIN = '''
from goldsieve import hookimpl
from goldsieve.errors import Deny

LOCKED = {"en": "The audit log is locked while the auditors work.",
          "zh-Hans": "审计期间，审计日志已锁定。", "zh-Hant": "審計期間，審計日誌已鎖定。"}


FROZEN = {"en": "Frozen deals stay as they are.", "zh-Hans": "冻结的商机保持原样。", "zh-Hant": "凍結的商機保持原樣。"}


@hookimpl
def goldsieve_permission(user, action, deal):
    if action == "manage_users" and user["username"] == "admin":
        return Deny(LOCKED)
    if action == "edit" and deal is not None and deal.get("title", "").startswith("Frozen:"):
        return Deny(FROZEN)
    return None


@hookimpl
def goldsieve_visibility(user):
    if user["username"] == "rep.liu":
        return {"owner": "rep.liu"}  # the mistake: a dict, not a store filter
    return None
'''


@pytest.fixture(scope="module")
def plugged(tmp_path_factory):
    """A small demo workspace running the plugin file above."""
    folder = build_demo(tmp_path_factory.mktemp("plugged") / "demo", deals=12)
    (folder / "plugins").mkdir(exist_ok=True)
    (folder / "plugins" / "audit_lock.py").write_text(PLUGIN, encoding="utf-8")
    with LiveServer(folder) as server:
        yield server


@pytest.fixture
def open_plugged(chromium, plugged):
    opened = []

    def open_(form: str, locale: str, expect: tuple[int, ...]):
        page, guard = new_page(chromium, plugged.url, form, locale, expect)
        opened.append((page, guard))
        return page

    yield open_
    problems = []
    for page, guard in opened:
        page.context.close()
        problems += guard.problems()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("form", ["desktop", "phone"])
@pytest.mark.parametrize("locale, title, reason", [
    ("en-US", "Forbidden", "The audit log is locked while the auditors work."),
    ("zh-CN", "无权访问", "审计期间，审计日志已锁定。")])
def test_a_denial_is_a_forbidden_page_with_the_plugin_reason(open_plugged, shot, form, locale, title, reason):
    page = open_plugged(form, locale, expect=(403,))
    page.goto("/login")
    login(page, "admin")
    response = page.goto("/admin/audit")
    assert response.status == 403
    assert page.locator("h1").inner_text() == title
    assert page.locator(".error-reason").inner_text() == reason
    assert page.locator("a[href='/admin/audit']").count() == 0  # the top bar offers no admin link
    shot(page, f"forbidden-{form}-{locale}")


@pytest.mark.parametrize("form", ["desktop", "phone"])
@pytest.mark.parametrize("locale, title, words", [
    ("en-US", "A plugin failed", "The plugin workspace:audit_lock.py answered"),
    ("zh-CN", "插件出错", "插件 workspace:audit_lock.py 的回答")])
def test_a_plugin_mistake_is_a_500_page_naming_the_plugin(open_plugged, shot, form, locale, title, words):
    page = open_plugged(form, locale, expect=(500,))
    page.goto("/login")
    login(page, "rep.liu")
    response = page.goto("/board/software")  # the board asks the broken visibility hook
    assert response.status == 500
    assert page.locator("h1").inner_text() == title
    text = page.locator("main").inner_text()
    assert words in text
    assert "Traceback" not in text and "TypeError" not in text and "goldsieve_visibility" not in text
    shot(page, f"plugin-error-{form}-{locale}")


@pytest.mark.parametrize("form", ["desktop", "phone"])
@pytest.mark.parametrize("locale, note", [("en-US", "You may not change this deal. Frozen deals stay as they are."),
                                          ("zh-CN", "你不能修改此商机。 冻结的商机保持原样。")])
def test_a_deal_the_reader_may_not_change_shows_its_form_locked_and_why(open_plugged, plugged, shot, form,
                                                                        locale, note):
    deal = plugged.create_deal("Frozen: Acme")
    page = open_plugged(form, locale, expect=())
    page.goto("/login")
    login(page, "rep.li")
    page.goto(f"/deals/{deal['id']}")
    assert page.locator("#deal-form-locked").inner_text() == note
    assert page.locator("#deal-title").is_disabled()
    assert page.locator("#deal-form button[type=submit]").count() == 0
    page.locator("#deal-form-locked").scroll_into_view_if_needed()
    shot(page, f"locked-{form}-{locale}")

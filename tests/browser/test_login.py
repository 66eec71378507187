"""Logging in through the real form, as a rep would."""
from __future__ import annotations

from urllib.parse import urlsplit

from goldsieve.demo.builder import password_for

from tests.browser.conftest import check_page, login


def test_wrong_password_is_refused_then_the_right_one_logs_in(open_page, live, shot):
    page = open_page(expect=(401,))  # the refused login answers 401
    login(page, "rep.li", password="not-the-password")
    alert = page.get_by_role("alert")
    assert "Wrong user name or password" in alert.inner_text()
    assert urlsplit(page.url).path == "/login"
    check_page(page)
    shot(page, "refused")

    page.locator("input[name=password]").fill(password_for("rep.li"))
    page.locator("input[name=username]").fill("rep.li")
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    page.wait_for_url(live.url + "/")
    assert page.locator(".whoami").inner_text() == "rep.li"
    assert page.get_by_role("link", name="Software B2B").is_visible()
    check_page(page)


def test_pages_require_a_login(open_page, live):
    page = open_page()
    page.goto("/board/software")
    assert urlsplit(page.url).path == "/login"
    login(page, "rep.li")
    assert urlsplit(page.url).path == "/board/software"  # back where the visitor wanted to go

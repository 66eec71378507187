"""Refused page requests answer with the app's own page, in the layout and the reader's
language (not Werkzeug's plain English HTML), keep the status and its headers, write nothing,
and show a raiser's reason escaped; the API keeps its JSON envelope for the same errors."""
from __future__ import annotations

import re

import pytest
from markupsafe import escape
from werkzeug.exceptions import Forbidden

from goldsieve import errors as kernel

from tests.ui.conftest import Browser
from tests.ui.test_i18n import speaking

BOTH_STORES = pytest.mark.parametrize("goldsieve_store_url", ["tinydb:data", "postgresql"],
                                      indirect=True)


def title(response) -> str:
    return re.search(r"<title>(.*?) · goldsieve</title>", response.get_data(as_text=True)).group(1)


def in_layout(response) -> bool:
    """The page is the app's own: the top bar and the main landmark are there."""
    body = response.get_data(as_text=True)
    return 'class="topbar"' in body and "<main" in body and "Werkzeug" not in body


@pytest.fixture
def login(goldsieve_app, goldsieve_make_user):
    goldsieve_app.config["WTF_CSRF_ENABLED"] = True
    for name, role in (("rita", "rep"), ("admin", "admin")):
        goldsieve_make_user(name, role)

    def as_user(name: str, language: str = "en") -> Browser:
        browser = speaking(Browser(goldsieve_app.test_client()), language)
        assert browser.login(name).status_code == 302
        return browser

    return as_user


@pytest.mark.parametrize("language, expected, other", [
    ("en", "Forbidden", "Not found"), ("zh-CN", "无权访问", "未找到"), ("zh-TW", "無權存取", "未找到")])
def test_403_says_forbidden_in_the_readers_language(login, language, expected, other):
    for path in ("/designer/", "/admin/audit", "/admin/users"):
        response = login("rita", language).get(path)
        assert response.status_code == 403, path
        assert title(response) == expected and f"<h1>{expected}</h1>" in response.get_data(as_text=True)
        assert other not in response.get_data(as_text=True) and in_layout(response)


@pytest.mark.parametrize("language, expected", [("en", "Not found"), ("zh-CN", "未找到")])
def test_404_is_the_apps_page_and_a_deal_says_what_is_missing(login, language, expected):
    browser = login("rita", language)
    nowhere = browser.get("/no/such/page")
    assert nowhere.status_code == 404 and title(nowhere) == expected and in_layout(nowhere)
    deal = browser.get("/deals/987654")
    assert deal.status_code == 404 and title(deal) == expected
    text = deal.get_data(as_text=True)
    assert ("There is no such deal" if language == "en" else "该商机不存在") in text


@pytest.mark.parametrize("language, expected", [("en", "Method not allowed"), ("zh-CN", "不允许的请求方式")])
def test_405_is_the_apps_page_and_keeps_its_allow_header(login, language, expected):
    response = login("rita", language).get("/logout")
    assert response.status_code == 405 and title(response) == expected and in_layout(response)
    assert "POST" in response.headers["Allow"]


@BOTH_STORES
@pytest.mark.parametrize("language, expected", [("en", "Too large"), ("zh-CN", "内容过大")])
def test_413_is_the_apps_page_and_nothing_is_written(goldsieve_app, goldsieve_runtime, login,
                                                      language, expected):
    goldsieve_app.config["MAX_CONTENT_LENGTH"] = 4096
    browser = login("rita", language)
    response = browser.post("/deals/new?funnel=handmade", {"title": "x" * 5000, "company": "Acme"})
    assert response.status_code == 413 and title(response) == expected and in_layout(response)
    assert "4" in response.get_data(as_text=True).split("<h1>", 1)[1]  # the limit, in kilobytes
    assert goldsieve_runtime.store.count("deals") == 0


@BOTH_STORES
@pytest.mark.parametrize("language, expected, words", [
    ("en", "Bad request", "This form has expired"), ("zh-CN", "请求无效", "此表单已过期")])
def test_a_post_without_its_csrf_token_is_the_apps_400_page_and_writes_nothing(
        goldsieve_runtime, login, language, expected, words):
    browser = login("rita", language)
    browser.token = "forged"
    response = browser.post("/deals/new?funnel=handmade", {"title": "Deal", "company": "Acme"})
    assert response.status_code == 400 and title(response) == expected and in_layout(response)
    text = response.get_data(as_text=True)
    assert words in text and "CSRF token" not in text
    assert goldsieve_runtime.store.count("deals") == 0


def test_a_400_shows_the_reason_the_page_gave(login):
    response = login("rita", "zh-CN").get("/customers?filter=bogus")
    assert response.status_code == 400 and title(response) == "请求无效" and in_layout(response)
    assert "“filter” 只能是 mine、team 或 pool。" in response.get_data(as_text=True)


def test_a_403_shows_a_given_reason_escaped_and_hides_the_kernels_own_text(goldsieve_app, login):
    hostile = '<img src=x onerror="alert(1)"> quota reached'

    def http_refusal():
        raise Forbidden(description=hostile)

    def kernel_refusal():
        refusal = kernel.Forbidden("rita may not do this (internal wording)")
        refusal.reason = hostile
        raise refusal

    def bare_refusal():
        raise kernel.Forbidden("rita may not do this (internal wording)")

    for rule, view in (("/refused/http", http_refusal), ("/refused/kernel", kernel_refusal),
                       ("/refused/bare", bare_refusal)):
        goldsieve_app.add_url_rule(rule, view.__name__, view)
    browser = login("rita")
    for path in ("/refused/http", "/refused/kernel"):
        response = browser.get(path)
        text = response.get_data(as_text=True)
        assert response.status_code == 403 and title(response) == "Forbidden"
        assert str(escape(hostile)) in text and "<img" not in text
        assert "internal wording" not in text
    bare = browser.get("/refused/bare")
    assert bare.status_code == 403 and "internal wording" not in bare.get_data(as_text=True)
    assert 'class="error-reason"' not in bare.get_data(as_text=True)


def test_the_api_keeps_its_json_envelope(goldsieve_api):
    missing = goldsieve_api.request("GET", "nowhere")
    assert missing.status_code == 404 and missing.json["errors"][0]["code"] == "not_found"
    wrong = goldsieve_api.request("DELETE", "funnels")
    assert wrong.status_code == 405 and wrong.json["errors"][0]["code"] == "method_not_allowed"
    assert "GET" in wrong.headers["Allow"]

"""Signing in inside DingTalk's own browser without a click (免登), against the fake: the login
page hands DingTalk's JS API the organisation and posts the code it gets, with its CSRF token;
the server turns the code into the person with the app's token and opens an ordinary session —
the same mapping, refusals, audit rows and throttle as the redirect's callback."""
from __future__ import annotations

import re

import pytest
from goldsieve.people.users import set_active
from goldsieve.workplace.signin import link_account

from tests.ui.conftest import csrf_token

from .fakes import FakeDingTalk

DINGTALK = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AliApp(DingTalk/7.6.0) DingTalk/7.6.0"
EXCHANGE = "/topapi/v2/user/getuserinfo"


@pytest.fixture
def platform() -> str:
    return "dingtalk"


@pytest.fixture
def workplace_settings() -> dict[str, str]:
    return {"corp_id": f'"{FakeDingTalk.corp}"'}


@pytest.fixture
def web(goldsieve_app):
    goldsieve_app.config["WTF_CSRF_ENABLED"] = True
    return goldsieve_app.test_client()


@pytest.fixture
def lin(goldsieve_runtime, goldsieve_make_user, fake):
    user = goldsieve_make_user("lin", "rep")
    fake.add_person("lin-1", "林", ["1"])
    link_account(goldsieve_runtime.store, "lin", "dingtalk", "lin-1")
    return user


def post_code(web, code, next_path=None, **data):
    token = csrf_token(web)
    url = "/login/dingtalk/in-app" + (f"?next={next_path}" if next_path else "")
    return web.post(url, data={"csrf_token": token, "code": code, **data}, headers={"User-Agent": DINGTALK})


def audit(runtime, action):
    return [row for row in runtime.store.find("audit") if row["action"] == action]


def test_inside_dingtalk_the_login_page_asks_dingtalks_js_api_instead_of_redirecting(web, fake):
    response = web.get("/login?next=/deals", headers={"User-Agent": DINGTALK})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'src="/static/vendor/dingtalk.js"' in page and 'src="/static/workplace-login.js"' in page
    form = re.search(r'<form id="in-app-sign-in"[^>]*>', page).group(0)
    assert f'data-corp-id="{fake.corp}"' in form and f'data-client-id="{fake.key}"' in form
    assert 'action="/login/dingtalk/in-app?next=/deals"' in form
    assert 'name="password"' in page and 'href="/login/dingtalk' in page  # the fallbacks stay
    # elsewhere, the page loads neither script
    outside = web.get("/login").get_data(as_text=True)
    assert "dingtalk.js" not in outside and "in-app-sign-in" not in outside


def test_the_code_signs_in_to_an_ordinary_session_by_the_stored_account_id(web, fake, lin, goldsieve_runtime):
    response = post_code(web, fake.in_app_code_for("lin-1"), "/deals")
    assert response.status_code == 302 and response.headers["Location"] == "/deals"
    assert web.get("/").status_code == 200
    [login] = audit(goldsieve_runtime, "login")
    assert login["by"] == "lin"
    assert goldsieve_runtime.store.count("sessions") == 1
    # the one request to DingTalk (after the app token): the code, with the app's live token
    [asked] = fake.seen(EXCHANGE)
    assert asked.method == "POST" and asked.body == {"code": asked.body["code"]}
    assert asked.body["code"].startswith("jsapi-") and fake.token_state(asked.query["access_token"]) == "ok"
    # every request made: the app token once, then the code; nothing of the redirect's sign-in
    assert [(r.method, r.path) for r in fake.requests] == [("GET", "/gettoken"), ("POST", EXCHANGE)]
    assert fake.requests[0].query == {"appkey": fake.key, "appsecret": fake.secret}
    web.post("/logout", data={"csrf_token": csrf_token(web, "/")})
    assert goldsieve_runtime.store.count("sessions") == 0


def test_an_earlier_session_in_the_browser_is_replaced_not_kept(web, fake, lin, goldsieve_runtime,
                                                               goldsieve_make_user):
    goldsieve_make_user("mei", "rep")
    assert web.post("/login", data={"username": "mei", "password": "correct-horse-battery",
                                    "csrf_token": csrf_token(web)}).status_code == 302
    [before] = goldsieve_runtime.store.find("sessions")
    with web.session_transaction() as saved:
        saved.pop("signed_out", None)
    assert post_code(web, fake.in_app_code_for("lin-1")).status_code == 302
    [after] = goldsieve_runtime.store.find("sessions")
    assert after["username"] == "lin" and after["digest"] != before["digest"]


def test_a_post_without_the_pages_csrf_token_is_refused_before_dingtalk_is_asked(web, fake, lin,
                                                                                goldsieve_runtime):
    asked = len(fake.requests)
    response = web.post("/login/dingtalk/in-app", data={"code": fake.in_app_code_for("lin-1")},
                        headers={"User-Agent": DINGTALK})
    assert response.status_code == 400
    assert len(fake.requests) == asked and goldsieve_runtime.store.count("sessions") == 0


@pytest.mark.parametrize("who, reason, status, text", [
    ("stranger", "unknown", 403, "is not linked to a goldsieve user"),
    ("lin-1", "inactive", 403, "deactivated"),
])
def test_an_unlinked_or_deactivated_account_is_refused_with_a_page_and_an_audit_row(
        web, fake, lin, goldsieve_runtime, who, reason, status, text):
    fake.add_person("stranger", "lin", ["1"])  # the same display name is no link
    if reason == "inactive":
        set_active(goldsieve_runtime.store, "lin", False)
    response = post_code(web, fake.in_app_code_for(who))
    assert response.status_code == status and text in response.get_data(as_text=True)
    [row] = audit(goldsieve_runtime, "workplace_login_refused")
    assert row["reason"] == reason and row["by"] == f"dingtalk:{who}"
    assert goldsieve_runtime.store.count("sessions") == 0


@pytest.mark.parametrize("code", ["made-up", "redirect", "used", "", "x" * 513, "bad\x00", "tab\tcode"])
def test_a_code_dingtalk_does_not_confirm_is_refused_and_audited(web, fake, lin, goldsieve_runtime, code):
    if code == "redirect":  # a code of the redirect's sign-in page is not one of the JS API's
        code = fake.code_for("lin-1")
    elif code == "used":
        code = fake.in_app_code_for("lin-1")
        assert post_code(web, code).status_code == 302
        web.post("/logout", data={"csrf_token": csrf_token(web, "/")})
    response = post_code(web, code)
    assert response.status_code in (400, 403)
    if response.status_code == 403:
        assert "did not confirm who you are" in response.get_data(as_text=True)
        [row] = audit(goldsieve_runtime, "workplace_login_refused")
        assert row["reason"] == "not_confirmed" and fake.secret not in str(row)
    assert goldsieve_runtime.store.count("sessions") == 0


def test_the_in_app_sign_in_is_throttled_like_the_callback(web, fake, lin):
    for _ in range(5):
        assert post_code(web, "wrong").status_code == 403
    response = post_code(web, fake.in_app_code_for("lin-1"))
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    # the callback of the redirect shares the count: the same client failing at the same platform
    assert web.get("/login/dingtalk/callback", query_string={"code": "x", "state": "y"}).status_code == 429


def test_an_expired_app_token_is_renewed_once_and_the_sign_in_goes_on(web, fake, lin, client):
    client.token()
    fake.expire_tokens()
    assert post_code(web, fake.in_app_code_for("lin-1")).status_code == 302
    first, second = fake.seen(EXCHANGE)
    assert fake.token_state(first.query["access_token"]) == "expired"
    assert fake.token_state(second.query["access_token"]) == "ok"


def test_a_next_address_off_the_site_lands_on_the_home_page(web, fake, lin):
    response = post_code(web, fake.in_app_code_for("lin-1"), "//evil.example.com/x")
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_the_refusal_speaks_the_readers_language(web, fake, goldsieve_runtime):
    fake.add_person("nobody", "无名", ["1"])
    token = csrf_token(web)
    response = web.post("/login/dingtalk/in-app", data={"csrf_token": token, "code": fake.in_app_code_for("nobody")},
                        headers={"User-Agent": DINGTALK, "Accept-Language": "zh-TW"})
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and "goldsieve 使用者" in page
    login = web.get("/login", headers={"User-Agent": DINGTALK, "Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "正在用钉钉登录" in login


@pytest.mark.parametrize("goldsieve_store_url", ["postgresql"], indirect=True)
def test_on_postgresql_the_code_signs_in(web, fake, lin, goldsieve_runtime):
    assert post_code(web, fake.in_app_code_for("lin-1")).status_code == 302
    assert goldsieve_runtime.store.count("sessions") == 1


def test_after_logging_out_inside_dingtalk_the_login_page_waits_for_a_click(web, fake, lin):
    assert post_code(web, fake.in_app_code_for("lin-1")).status_code == 302
    web.post("/logout", data={"csrf_token": csrf_token(web, "/")})
    page = web.get("/login", headers={"User-Agent": DINGTALK}).get_data(as_text=True)
    assert "in-app-sign-in" not in page and "dingtalk.js" not in page and 'href="/login/dingtalk"' in page

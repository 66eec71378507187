"""Signing in with the work account, against each platform's fake: the redirect with a signed
state bound to the browser, the callback that maps the account by its stored id to a user and
opens an ordinary session, and every refusal (a clear page, an audit row, the throttle)."""
from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

import pytest

from goldsieve.people.users import set_active
from goldsieve.workplace.signin import link_account

from tests.ui.conftest import csrf_token

AUTHORIZE = {"dingtalk": "/oauth2/auth", "wecom": "/wwlogin/sso/login", "feishu": "/open-apis/authen/v1/authorize"}


@pytest.fixture
def web(goldsieve_app):
    goldsieve_app.config["WTF_CSRF_ENABLED"] = True
    return goldsieve_app.test_client()


@pytest.fixture
def lin(goldsieve_runtime, goldsieve_make_user, fake, platform):
    """Lin: a rep, linked to the platform account ``lin-1``."""
    user = goldsieve_make_user("lin", "rep")
    fake.add_person("lin-1", "林", ["1"])
    link_account(goldsieve_runtime.store, "lin", platform, "lin-1")
    return user


def start(web, platform, next_path=None, **headers):
    response = web.get(f"/login/{platform}" + (f"?next={next_path}" if next_path else ""), headers=headers)
    assert response.status_code == 302
    location = urllib.parse.urlsplit(response.headers["Location"])
    return location, dict(urllib.parse.parse_qsl(location.query))


def audit(runtime, action):
    return [row for row in runtime.store.find("audit") if row["action"] == action]


def test_the_login_page_offers_the_configured_platform_beside_the_password(web, platform):
    page = web.get("/login").get_data(as_text=True)
    assert f'href="/login/{platform}"' in page and 'name="password"' in page
    others = {"dingtalk", "wecom", "feishu"} - {platform}
    assert not any(f"/login/{other}" in page for other in others)


def test_the_redirect_names_the_app_the_callback_and_a_signed_state(web, platform, fake):
    location, query = start(web, platform)
    assert f"{location.scheme}://{location.netloc}" == fake.url and location.path == AUTHORIZE[platform]
    assert query["redirect_uri"] == f"https://crm.example.com/login/{platform}/callback"  # base_url
    assert query[{"dingtalk": "client_id", "wecom": "appid", "feishu": "app_id"}[platform]] == fake.key
    assert len(query["state"]) > 40


def test_a_linked_account_signs_in_to_an_ordinary_session_and_lands_on_next(web, platform, fake, lin,
                                                                            goldsieve_runtime):
    _, query = start(web, platform, "/deals")
    response = web.get(f"/login/{platform}/callback", query_string={"code": fake.code_for("lin-1"),
                                                                   "state": query["state"]})
    assert response.status_code == 302 and response.headers["Location"] == "/deals"
    assert web.get("/").status_code == 200
    [login] = audit(goldsieve_runtime, "login")
    assert login["by"] == "lin"
    assert goldsieve_runtime.store.count("sessions") == 1
    # the session is the usual one: logging out ends it
    web.post("/logout", data={"csrf_token": csrf_token(web, "/")})
    assert goldsieve_runtime.store.count("sessions") == 0


def test_an_account_linked_to_nobody_is_refused_with_a_page_and_an_audit_row(web, platform, fake,
                                                                             goldsieve_runtime, goldsieve_make_user):
    goldsieve_make_user("stranger", "rep")
    fake.add_person("stranger", "stranger", ["1"])  # the same name is no link
    _, query = start(web, platform)
    response = web.get(f"/login/{platform}/callback", query_string={"code": fake.code_for("stranger"),
                                                                   "state": query["state"]})
    assert response.status_code == 403
    assert "is not linked to a goldsieve user" in response.get_data(as_text=True)
    [row] = audit(goldsieve_runtime, "workplace_login_refused")
    assert row["by"] == f"{platform}:stranger" and row["reason"] == "unknown"
    assert goldsieve_runtime.store.count("sessions") == 0


def test_a_deactivated_user_cannot_sign_in(web, platform, fake, lin, goldsieve_runtime, goldsieve_user):
    set_active(goldsieve_runtime.store, "lin", False)
    _, query = start(web, platform)
    response = web.get(f"/login/{platform}/callback", query_string={"code": fake.code_for("lin-1"),
                                                                   "state": query["state"]})
    assert response.status_code == 403 and "deactivated" in response.get_data(as_text=True)
    [row] = audit(goldsieve_runtime, "workplace_login_refused")
    assert row["reason"] == "inactive" and row["target"]["id"] == "lin"
    assert goldsieve_runtime.store.count("sessions") == 0


def test_the_refusal_speaks_the_readers_language(web, platform, fake, goldsieve_runtime):
    fake.add_person("nobody", "无名", ["1"])
    _, query = start(web, platform)
    response = web.get(f"/login/{platform}/callback", headers={"Accept-Language": "zh-CN"},
                       query_string={"code": fake.code_for("nobody"), "state": query["state"]})
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and "登录被拒绝" in page and "goldsieve 用户" in page


@pytest.mark.parametrize("forge", ["other_browser", "tampered", "other_platform", "replayed"])
def test_a_callback_this_browser_did_not_start_is_refused_before_the_platform_is_asked(
        web, platform, fake, lin, goldsieve_app, goldsieve_runtime, forge):
    _, query = start(web, platform)
    state, code = query["state"], fake.code_for("lin-1")
    client = web
    if forge == "other_browser":
        client = goldsieve_app.test_client()
    elif forge == "tampered":
        state = state[:-2] + ("AA" if not state.endswith("AA") else "BB")
    elif forge == "other_platform":
        other = next(p for p in ("dingtalk", "wecom", "feishu") if p != platform)
        response = client.get(f"/login/{other}/callback", query_string={"code": code, "state": state})
        assert response.status_code == 404  # not configured here: no such page
        return
    elif forge == "replayed":
        assert web.get(f"/login/{platform}/callback",
                       query_string={"code": code, "state": state}).status_code == 302
        web.post("/logout", data={"csrf_token": csrf_token(web, "/")})
        code = fake.code_for("lin-1")
    asked = len(fake.requests)
    response = client.get(f"/login/{platform}/callback", query_string={"code": code, "state": state})
    assert response.status_code == 400 and "not started in this browser" in response.get_data(as_text=True)
    assert len(fake.requests) == asked
    assert goldsieve_runtime.store.count("sessions") == 0


def test_a_code_the_platform_does_not_know_is_refused(web, platform, fake, lin, goldsieve_runtime):
    _, query = start(web, platform)
    response = web.get(f"/login/{platform}/callback", query_string={"code": "made-up", "state": query["state"]})
    assert response.status_code == 403 and "did not confirm who you are" in response.get_data(as_text=True)
    [row] = audit(goldsieve_runtime, "workplace_login_refused")
    assert row["reason"] == "not_confirmed" and fake.secret not in str(row)


def test_the_callback_is_throttled_like_the_password_form(web, platform, fake, lin):
    for _ in range(5):
        _, query = start(web, platform)
        assert web.get(f"/login/{platform}/callback",
                       query_string={"code": "wrong", "state": query["state"]}).status_code == 403
    _, query = start(web, platform)
    response = web.get(f"/login/{platform}/callback", query_string={"code": fake.code_for("lin-1"),
                                                                   "state": query["state"]})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0


def test_inside_the_platforms_own_browser_the_login_page_signs_in_without_a_click(web, platform):
    agent = {"dingtalk": "Mozilla/5.0 AliApp(DingTalk/7.0.10)", "wecom": "Mozilla/5.0 wxwork/4.1.0 MicroMessenger",
             "feishu": "Mozilla/5.0 Lark/5.1.0 LarkLocale/zh_CN"}[platform]
    response = web.get("/login?next=/deals", headers={"User-Agent": agent})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login/{platform}?next=/deals"
    location, query = start(web, platform, **{"User-Agent": agent})
    if platform == "wecom":  # WeCom's in-app page: the silent snsapi_base grant
        assert location.path == "/connect/oauth2/authorize" and query["scope"] == "snsapi_base"
    # after logging out, the page waits for a click
    web.get("/login")  # a session exists now
    with web.session_transaction() as saved:
        saved["signed_out"] = True
    assert web.get("/login", headers={"User-Agent": agent}).status_code == 200


def test_a_password_login_still_works_beside_it(web, platform, lin):
    token = csrf_token(web)
    response = web.post("/login", data={"username": "lin", "password": "correct-horse-battery",
                                        "csrf_token": token})
    assert response.status_code == 302


def test_an_account_links_to_one_user_only(goldsieve_runtime, platform, lin, goldsieve_make_user):
    from goldsieve.errors import ValidationFailed

    goldsieve_make_user("mei", "rep")
    before = goldsieve_runtime.store.count("audit")
    with pytest.raises(ValidationFailed, match="is linked to “lin”"):
        link_account(goldsieve_runtime.store, "mei", platform, "lin-1")
    assert goldsieve_runtime.store.count("audit") == before


def test_the_whole_round_trip_through_the_platforms_sign_in_page(web, platform, fake, lin):
    """The fake's own sign-in page sends the browser back as the platform does (DingTalk: with
    ``authCode``)."""
    fake.consenting = "lin-1"
    location = web.get(f"/login/{platform}?next=/deals").headers["Location"]

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        urllib.request.build_opener(Stay).open(location)
    except urllib.error.HTTPError as error:
        back = error.headers["Location"]
    callback = urllib.parse.urlsplit(back)
    assert callback.path == f"/login/{platform}/callback"
    response = web.get(f"{callback.path}?{callback.query}")
    assert response.status_code == 302 and response.headers["Location"] == "/deals"


def test_an_account_id_no_store_could_keep_is_refused_not_a_crash(web, platform, fake, goldsieve_runtime):
    fake.add_person("bad\x00id", "NUL", ["1"])
    _, query = start(web, platform)
    response = web.get(f"/login/{platform}/callback", query_string={"code": fake.code_for("bad\x00id"),
                                                                   "state": query["state"]})
    assert response.status_code == 403
    [row] = audit(goldsieve_runtime, "workplace_login_refused")
    assert row["reason"] == "not_confirmed" and "\x00" not in str(row)


@pytest.mark.parametrize("goldsieve_store_url", ["postgresql"], indirect=True)
def test_on_postgresql_a_linked_account_signs_in_and_an_unlinked_one_is_refused(web, platform, fake, lin):
    fake.add_person("nobody", "无名", ["1"])
    for person, status in (("nobody", 403), ("lin-1", 302)):
        _, query = start(web, platform)
        response = web.get(f"/login/{platform}/callback", query_string={"code": fake.code_for(person),
                                                                       "state": query["state"]})
        assert response.status_code == status


@pytest.mark.parametrize("account", ["lin-1", "4220", 4220, "x" * 128, "x" * 129, "", "bad\x00id", "\ud800",
                                     "tab\tid", "\u3000", True, ["lin-1"], 4.2],
                         ids=lambda v: repr(v)[:12])
def test_linking_reads_an_account_id_by_the_rule_the_sign_in_and_the_sync_read_it(
        goldsieve_runtime, platform, goldsieve_make_user, account):
    """One rule (``ident``): an id the sign-in would look up can be linked, as the same text; one
    it would refuse cannot, and nothing is written."""
    from goldsieve.errors import ValidationFailed
    from goldsieve.people.users import find_user
    from goldsieve.workplace.client import ident
    from goldsieve.workplace.signin import FIELD, linked_user

    goldsieve_make_user("mei", "rep")
    before = goldsieve_runtime.store.count("audit")
    if ident(account) is None:
        with pytest.raises(ValidationFailed, match="printable characters"):
            link_account(goldsieve_runtime.store, "mei", platform, account)
        assert goldsieve_runtime.store.count("audit") == before
        assert not find_user(goldsieve_runtime.store, "mei").get(FIELD)
    else:
        link_account(goldsieve_runtime.store, "mei", platform, account)
        assert find_user(goldsieve_runtime.store, "mei")[FIELD] == {platform: str(account)}
        assert linked_user(goldsieve_runtime.store, platform, str(account))["username"] == "mei"


def test_a_numeric_account_id_links_as_the_text_the_sign_in_looks_up(web, platform, fake, goldsieve_runtime,
                                                                     goldsieve_make_user):
    """Before, ``link_account`` refused the number 4220 that ``ident`` (the sign-in's and the
    sync's rule) reads as the account "4220": the two disagreed on what an id is."""
    goldsieve_make_user("mei", "rep")
    fake.add_person("4220", "梅", ["1"])
    link_account(goldsieve_runtime.store, "mei", platform, 4220)
    _, query = start(web, platform)
    response = web.get(f"/login/{platform}/callback", query_string={"code": fake.code_for("4220"),
                                                                   "state": query["state"]})
    assert response.status_code == 302
    [login] = audit(goldsieve_runtime, "login")
    assert login["by"] == "mei"


def test_a_posted_in_app_code_is_no_page_where_no_js_api_signs_in(web, platform, fake, lin):
    """WeCom and Feishu sign in inside their own browsers by the redirect (which passes without a
    click there); DingTalk without ``corp_id`` cannot ask its JS API. None takes a posted code."""
    response = web.post(f"/login/{platform}/in-app", data={"csrf_token": csrf_token(web), "code": "x"})
    assert response.status_code == 404 and not fake.requests

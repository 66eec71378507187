"""Login, logout, sessions, CSRF and the headers every page carries."""
from __future__ import annotations

from goldsieve.testing import TEST_PASSWORD

from tests.ui.conftest import csrf_token


def test_every_page_but_login_requires_a_login(browser):
    response = browser.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/"
    htmx = browser.get("/", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/login")
    assert browser.get("/login").status_code == 200
    assert browser.get("/static/app.css").status_code == 200


def test_login_form_has_named_inputs_and_logs_in(browser, goldsieve_make_user):
    goldsieve_make_user("rita", "rep")
    page = browser.get("/login").get_data(as_text=True)
    assert 'name="username"' in page and 'name="password"' in page
    response = browser.login("rita")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "rita" in browser.get("/").get_data(as_text=True)


def test_wrong_password_is_refused(browser, goldsieve_make_user):
    goldsieve_make_user("rita", "rep")
    response = browser.login("rita", "not-the-password")
    assert response.status_code == 401 and "Wrong user name or password" in response.get_data(as_text=True)
    assert browser.get("/").status_code == 302


def test_login_without_csrf_token_is_refused_and_creates_no_session(browser, goldsieve_make_user, goldsieve_runtime):
    goldsieve_make_user("rita", "rep")
    response = browser.client.post("/login", data={"username": "rita", "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert goldsieve_runtime.store.count("sessions") == 0


def test_session_cookie_is_hardened_and_renewed_at_login(browser, goldsieve_make_user):
    goldsieve_make_user("rita", "rep")
    browser.get("/login")
    before = browser.client.get_cookie("goldsieve_session")
    response = browser.login("rita")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    after = browser.client.get_cookie("goldsieve_session")
    assert after is not None and (before is None or before.value != after.value)
    https = browser.client.post("/login", base_url="https://localhost", data={
        "username": "rita", "password": TEST_PASSWORD, "csrf_token": csrf_token(browser.client)},
        headers={"Referer": "https://localhost/login"})
    assert "Secure" in https.headers.get("Set-Cookie", "")


def test_logout_ends_the_session_server_side(browser, goldsieve_make_user, goldsieve_runtime):
    goldsieve_make_user("rita", "rep")
    browser.login("rita")
    stolen = browser.client.get_cookie("goldsieve_session").value
    assert browser.post("/logout").status_code == 302
    assert goldsieve_runtime.store.count("sessions") == 0
    browser.client.set_cookie("goldsieve_session", stolen)
    assert browser.get("/").status_code == 302, "a copied cookie is dead after logout"


def test_next_parameter_cannot_redirect_off_site(browser, goldsieve_make_user):
    goldsieve_make_user("rita", "rep")
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = browser.client.post(f"/login?next={target}", data={
            "username": "rita", "password": TEST_PASSWORD, "csrf_token": csrf_token(browser.client)})
        assert response.headers["Location"] == "/"


def test_security_headers_on_pages(browser):
    response = browser.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_language_follows_user_then_browser_then_workspace(rep_browser, goldsieve_runtime):
    assert 'lang="zh-Hans"' in rep_browser.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert 'lang="zh-Hant"' in rep_browser.get("/", headers={"Accept-Language": "zh-TW"}).get_data(as_text=True)
    assert 'lang="en"' in rep_browser.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert rep_browser.post("/locale", {"locale": "zh_Hant", "next": "/"}).status_code == 302
    page = rep_browser.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="zh-Hant"' in page
    from goldsieve.people.users import find_user

    assert find_user(goldsieve_runtime.store, "rita")["locale"] == "zh_Hant"

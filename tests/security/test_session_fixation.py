"""Session fixation (issue 4, item 6): the session id changes at login, and one planted before
the login (or kept from a logout) never authenticates anyone."""
from __future__ import annotations

from goldsieve.testing import TEST_PASSWORD

from tests.ui.conftest import Browser, csrf_token


def test_the_session_id_changes_at_login_and_the_old_one_is_dead(app, org):
    browser = Browser(app.test_client())
    token = csrf_token(browser.client)
    with browser.client.session_transaction() as session:
        session["sid"] = "planted-by-the-attacker"
        before = session.get("sid")
    response = browser.client.post("/login", data={"username": "rita", "password": TEST_PASSWORD,
                                                   "csrf_token": token})
    assert response.status_code == 302
    with browser.client.session_transaction() as session:
        after = session["sid"]
    assert after and after != before

    # a second login (same browser) gets yet another id; the first one stops working
    browser.token = csrf_token(browser.client, "/")
    assert browser.post("/logout").status_code == 302
    replay = Browser(app.test_client())
    with replay.client.session_transaction() as session:
        session["sid"] = after
    response = replay.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")

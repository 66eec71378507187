"""Credentials that end: a new password revokes tokens, tokens expire, idle and old sessions end,
and https behind a trusted proxy gets Secure cookies and HSTS."""
from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner

from goldsieve.cli import cli
from goldsieve.errors import GoldsieveError
from goldsieve.people.sessions import SessionPolicy
from goldsieve.people.users import (
    change_password,
    issue_token,
    set_password,
    token_days,
    user_for_token,
)
from goldsieve.runtime import open_runtime
from goldsieve.testing import TEST_PASSWORD
from goldsieve.web.app import create_app
from tests.ui.conftest import Browser

NEW_PASSWORD = "a brand new passphrase for the quarter"


@pytest.fixture
def rita(goldsieve_make_user):
    return goldsieve_make_user("rita", "rep")


def audit_of(store, action):
    return [row for row in store.find("audit") if row["action"] == action]


@pytest.mark.parametrize("how", ["reset", "change"])
def test_a_new_password_revokes_the_users_api_tokens(goldsieve_runtime, rita, goldsieve_make_user, how):
    store = goldsieve_runtime.store
    goldsieve_make_user("mia", "rep")
    token, others = issue_token(store, "rita"), issue_token(store, "mia")
    assert user_for_token(store, token)["username"] == "rita"
    if how == "reset":
        set_password(store, "rita", NEW_PASSWORD, actor="admin")
    else:
        change_password(store, "rita", TEST_PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
    assert user_for_token(store, token) is None
    assert user_for_token(store, others)["username"] == "mia", "only rita's tokens go"
    [row] = audit_of(store, "password_reset" if how == "reset" else "password_changed")
    assert row["revoked_tokens"] == 1


def test_a_refused_password_change_revokes_nothing(goldsieve_runtime, rita):
    store = goldsieve_runtime.store
    token = issue_token(store, "rita")
    with pytest.raises(Exception):
        change_password(store, "rita", "wrong current password", NEW_PASSWORD, NEW_PASSWORD)
    assert user_for_token(store, token)["username"] == "rita"


def test_a_token_with_days_expires(goldsieve_runtime, rita, goldsieve_clock):
    store = goldsieve_runtime.store
    token = issue_token(store, "rita", days=30, clock=goldsieve_clock)
    forever = issue_token(store, "rita", clock=goldsieve_clock)
    goldsieve_clock.advance(days=29, hours=23)
    assert user_for_token(store, token, goldsieve_clock)["username"] == "rita"
    goldsieve_clock.advance(hours=1)
    assert user_for_token(store, token, goldsieve_clock) is None
    goldsieve_clock.advance(days=3000)
    assert user_for_token(store, forever, goldsieve_clock)["username"] == "rita"


def test_the_api_refuses_an_expired_token(goldsieve_app, goldsieve_runtime, rita, goldsieve_clock):
    token = issue_token(goldsieve_runtime.store, "rita", days=1, clock=goldsieve_clock)
    client = goldsieve_app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/deals", headers=headers).status_code == 200
    goldsieve_clock.advance(days=1)
    assert client.get("/api/v1/deals", headers=headers).status_code == 401


@pytest.mark.parametrize(("config", "days"), [({}, None), ({"tokens": {"days": 90}}, 90)])
def test_the_workspace_default_token_lifetime(config, days):
    assert token_days(config) == days


@pytest.mark.parametrize("tokens", [{"days": 0}, {"days": -1}, {"days": 3651}, {"days": "30"},
                                    {"days": True}, {"days": 1.5}, "30"])
def test_a_bad_token_lifetime_is_one_clear_error(tokens):
    with pytest.raises(GoldsieveError, match=r"\[tokens\] days"):
        token_days({"tokens": tokens})


def test_users_token_days_on_the_command_line(goldsieve_workspace, goldsieve_clock):
    with open_runtime(goldsieve_workspace, entry_points=False) as rt:
        from goldsieve.people.users import add_user

        add_user(rt.store, "rita", "rep", TEST_PASSWORD)
    runner = CliRunner()
    done = runner.invoke(cli, ["users", "token", "rita", "--days", "30", "-w", str(goldsieve_workspace.path)])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("gs_") and len(done.output.split()) == 1, \
        "into a pipe the token comes alone (a terminal also shows how long it lasts)"
    refused = runner.invoke(cli, ["users", "token", "rita", "--days", "0", "-w", str(goldsieve_workspace.path)])
    assert refused.exit_code == 2 and "--days" in refused.output
    with open_runtime(goldsieve_workspace, entry_points=False) as rt:
        [row] = rt.store.find("tokens")
        assert row["expires_at"] > row["created_at"]


def test_a_password_reset_on_the_command_line_says_the_tokens_are_revoked(goldsieve_workspace):
    with open_runtime(goldsieve_workspace, entry_points=False) as rt:
        from goldsieve.people.users import add_user

        add_user(rt.store, "rita", "rep", TEST_PASSWORD)
        issue_token(rt.store, "rita")
    done = CliRunner().invoke(cli, ["users", "password", "rita", "-w", str(goldsieve_workspace.path)],
                              input=f"{NEW_PASSWORD}\n")
    assert done.exit_code == 0, done.output
    assert "API tokens are revoked" in done.output
    with open_runtime(goldsieve_workspace, entry_points=False) as rt:
        assert rt.store.count("tokens") == 0


def app_with(goldsieve_runtime, **sections):
    goldsieve_runtime.workspace.config.update(sections)
    goldsieve_runtime.sessions = SessionPolicy.from_config(goldsieve_runtime.workspace.config)
    app = create_app(runtime=goldsieve_runtime, config={"TESTING": True})
    app.config["WTF_CSRF_ENABLED"] = True
    return Browser(app.test_client())


def logged_in(browser) -> bool:
    return browser.get("/board/handmade").status_code == 200


def test_a_session_idle_for_longer_than_idle_hours_ends(goldsieve_runtime, rita, goldsieve_clock):
    browser = app_with(goldsieve_runtime, sessions={"idle_hours": 2})
    assert browser.login("rita").status_code == 302
    for _ in range(5):  # a request every 1 h 50: still in, ten hours on
        goldsieve_clock.advance(hours=1, minutes=50)
        assert logged_in(browser)
    goldsieve_clock.advance(hours=2)
    assert not logged_in(browser)


def test_a_busy_session_still_ends_after_max_days(goldsieve_runtime, rita, goldsieve_clock):
    browser = app_with(goldsieve_runtime, sessions={"max_days": 2, "idle_hours": 24})
    assert browser.login("rita").status_code == 302
    goldsieve_clock.advance(hours=23)
    assert logged_in(browser)
    goldsieve_clock.advance(hours=23)
    assert logged_in(browser)
    goldsieve_clock.advance(hours=2)  # 48 hours after the login
    assert not logged_in(browser)


def test_seen_at_is_written_once_in_a_while_not_at_every_request(goldsieve_runtime, rita, goldsieve_clock):
    browser = app_with(goldsieve_runtime, sessions={"idle_hours": 10})
    browser.login("rita")
    [before] = goldsieve_runtime.store.find("sessions")
    for _ in range(3):
        goldsieve_clock.advance(minutes=10)
        assert logged_in(browser)
    [same] = goldsieve_runtime.store.find("sessions")
    assert same["version"] == before["version"], "30 minutes of requests: no write (a tenth is 1 hour)"
    goldsieve_clock.advance(minutes=40)
    assert logged_in(browser)
    [later] = goldsieve_runtime.store.find("sessions")
    assert later["version"] == before["version"] + 1 and later["seen_at"] > before["seen_at"]


@pytest.mark.parametrize(("section", "message"), [
    ({"idle_hours": 0}, "idle_hours"), ({"max_days": 400}, "max_days"), ({"idle_hours": "8"}, "idle_hours"),
    ({"max_days": 1, "idle_hours": 48}, "longer than max_days"),
])
def test_a_bad_sessions_setting_is_refused_at_start(goldsieve_workspace, section, message):
    goldsieve_workspace.config["sessions"] = section
    with pytest.raises(GoldsieveError, match=message):
        open_runtime(goldsieve_workspace, entry_points=False)


def test_the_policy_defaults():
    assert SessionPolicy.from_config({}) == SessionPolicy(max_age=timedelta(days=14), idle=timedelta(days=7))


def test_https_behind_a_trusted_proxy_gets_secure_cookies_and_hsts(goldsieve_runtime, rita):
    browser = app_with(goldsieve_runtime, proxies=1)
    page = browser.client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Secure" in page.headers["Set-Cookie"]
    plain = browser.client.get("/login")
    assert "Strict-Transport-Security" not in plain.headers


def test_an_untrusted_forwarded_proto_gets_no_hsts(goldsieve_app):
    page = goldsieve_app.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in page.headers
    assert "Secure" not in page.headers.get("Set-Cookie", "")

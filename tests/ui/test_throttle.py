"""Login throttling: guessing slows down per account and per client; the real user gets back in."""
from __future__ import annotations

from pathlib import Path

import pytest

from goldsieve.people.throttle import LoginThrottle
from goldsieve.store import open_store
from goldsieve.testing import TEST_PASSWORD
from goldsieve.testing.postgres import ENVIRONMENT, scratch_schema, server_url

from tests.ui.conftest import csrf_token


def attempt(browser, username, password, client="10.0.0.1"):
    return browser.client.post("/login", data={"username": username, "password": password,
                                               "csrf_token": csrf_token(browser.client)},
                               environ_base={"REMOTE_ADDR": client})


def test_an_account_is_slowed_after_five_failures_then_let_in_again(browser, goldsieve_make_user, goldsieve_clock, goldsieve_runtime):
    goldsieve_make_user("rita", "rep")
    for _ in range(5):
        assert attempt(browser, "rita", "wrong-guess").status_code == 401
    blocked = attempt(browser, "rita", TEST_PASSWORD)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) == 30
    assert "Too many failed attempts" in blocked.get_data(as_text=True)
    assert goldsieve_runtime.store.count("sessions") == 0, "a throttled request logs nobody in"
    # another account from another address is not affected
    goldsieve_make_user("omar", "rep")
    assert attempt(browser, "omar", TEST_PASSWORD, client="10.0.0.2").status_code == 302
    goldsieve_clock.advance(seconds=31)
    assert attempt(browser, "rita", TEST_PASSWORD).status_code == 302, "the wait is bounded"


def test_waits_double_but_never_exceed_fifteen_minutes(browser, goldsieve_make_user, goldsieve_clock):
    goldsieve_make_user("rita", "rep")
    waits = []
    for _ in range(12):
        response = attempt(browser, "rita", "wrong-guess")
        if response.status_code == 429:
            waits.append(int(response.headers["Retry-After"]))
            goldsieve_clock.advance(seconds=waits[-1])
            response = attempt(browser, "rita", "wrong-guess")
        assert response.status_code == 401
    assert waits[:3] == [30, 60, 120] and max(waits) <= 15 * 60


def test_a_client_address_is_slowed_across_accounts(browser, goldsieve_make_user):
    goldsieve_make_user("rita", "rep")
    for n in range(20):
        assert attempt(browser, f"nobody{n}", "wrong-guess", client="10.9.9.9").status_code == 401
    assert attempt(browser, "rita", TEST_PASSWORD, client="10.9.9.9").status_code == 429
    assert attempt(browser, "rita", TEST_PASSWORD, client="10.0.0.3").status_code == 302


@pytest.mark.skipif(not server_url(), reason=f"set {ENVIRONMENT}=postgresql://… to test it")
def test_app_processes_sharing_postgresql_count_the_same_failures(goldsieve_clock):
    """Two stores on one database stand for two app processes behind a proxy."""
    with scratch_schema(server_url()) as url:
        with open_store(url, Path(".")) as one, open_store(url, Path(".")) as other:
            first, second = LoginThrottle(one, goldsieve_clock), LoginThrottle(other, goldsieve_clock)
            for throttle in (first, second, first, second, first):
                assert throttle.retry_after("Rita", "10.0.0.1") == 0
                throttle.failed("Rita", "10.0.0.1")
            assert second.retry_after("rita", "10.0.0.2") == 30, "the account is slowed everywhere"
            goldsieve_clock.advance(seconds=10)
            assert first.retry_after("rita", "10.0.0.2") == 20
            second.succeeded("rita")
            assert first.retry_after("rita", "10.0.0.1") == 0
            assert one.count("login_failures") == 5, "the client's record stays"
            goldsieve_clock.advance(minutes=16)
            first.failed("someone", "10.0.0.1")
            assert other.count("login_failures") == 2, "expired failures of the keys are pruned"


def test_behind_a_configured_proxy_the_client_is_the_forwarded_address(goldsieve_runtime, goldsieve_make_user):
    from goldsieve.web.app import create_app

    goldsieve_make_user("rita", "rep")
    goldsieve_runtime.workspace.config["proxies"] = 1
    behind = create_app(runtime=goldsieve_runtime, config={"TESTING": True}).test_client()

    def attempt_via_proxy(client_address: str, username: str, password: str):
        behind.get("/login")
        return behind.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_token(behind)},
                           environ_base={"REMOTE_ADDR": "127.0.0.1"},
                           headers={"X-Forwarded-For": client_address})

    for n in range(20):
        assert attempt_via_proxy("203.0.113.9", f"nobody{n}", "wrong").status_code == 401
    assert attempt_via_proxy("203.0.113.9", "rita", TEST_PASSWORD).status_code == 429
    assert attempt_via_proxy("198.51.100.7", "rita", TEST_PASSWORD).status_code == 302, \
        "another client behind the same proxy is not slowed"


@pytest.mark.parametrize("hops", [-1, 6, "1", True])
def test_a_bad_proxies_setting_is_refused_at_start(goldsieve_runtime, hops):
    from goldsieve.web.app import create_app
    from goldsieve.workspace import WorkspaceError

    goldsieve_runtime.workspace.config["proxies"] = hops
    with pytest.raises(WorkspaceError, match="proxies"):
        create_app(runtime=goldsieve_runtime)

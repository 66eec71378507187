"""Page tests log in through the real form, CSRF token and all."""
from __future__ import annotations

import re

import pytest

from goldsieve.people.users import find_user
from goldsieve.testing import TEST_PASSWORD

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


class Browser:
    """A logged-in test client that sends the CSRF token the way the pages do."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def login(self, username: str, password: str = TEST_PASSWORD):
        token = csrf_token(self.client)
        response = self.client.post("/login", data={"username": username, "password": password,
                                                    "csrf_token": token})
        if response.status_code == 302:
            self.token = csrf_token(self.client, "/")
        return response

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, htmx: bool = False, **kwargs):
        headers = kwargs.pop("headers", {})
        headers["X-CSRFToken"] = self.token or ""
        if htmx:
            headers["HX-Request"] = "true"
        return self.client.post(path, data=data or {}, headers=headers, **kwargs)


@pytest.fixture
def browser(goldsieve_app) -> Browser:
    goldsieve_app.config["WTF_CSRF_ENABLED"] = True
    return Browser(goldsieve_app.test_client())


@pytest.fixture
def rep_browser(browser, goldsieve_make_user) -> Browser:
    goldsieve_make_user("rita", "rep")
    assert browser.login("rita").status_code == 302
    return browser


@pytest.fixture
def customer_deal(goldsieve_runtime, goldsieve_make_user):
    """Reps rita and sam; rita's deal Acme ERP, linked to her customer Ruijin."""
    goldsieve_make_user("rita", "rep")
    goldsieve_make_user("sam", "rep")
    rita = find_user(goldsieve_runtime.store, "rita")
    customer = goldsieve_runtime.customers.create(rita, "Ruijin")
    return goldsieve_runtime.engine.create(rita, "handmade", "Acme ERP", {"company": "Acme"},
                                           customer_id=customer["id"])

"""Page tests log in through the real form, CSRF token and all (the kit's ``Browser``)."""
from __future__ import annotations

import pytest

from goldsieve.people.users import find_user
from goldsieve.testing import Browser


def csrf_token(client, path: str = "/login") -> str:
    return Browser(client).csrf_token(path)


@pytest.fixture
def browser(goldsieve_browser) -> Browser:
    return goldsieve_browser


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

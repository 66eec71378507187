"""Page tests log in through the real form, CSRF token and all (the kit's ``Browser``)."""
from __future__ import annotations

import pytest

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

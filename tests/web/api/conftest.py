"""The API suite runs on both stores: the embedded one, and PostgreSQL (a schema per test)
when ``GOLDSIEVE_TEST_POSTGRES`` names a server."""
from __future__ import annotations

import pytest


def pytest_generate_tests(metafunc):
    if "goldsieve_store_url" in metafunc.fixturenames:
        metafunc.parametrize("goldsieve_store_url", ["tinydb:data", "postgresql"], indirect=True)


def errors(response) -> list[tuple[str, str]]:
    """A refusal's ``(path, code)`` pairs, in order."""
    return [(e["path"], e["code"]) for e in response.json["errors"]]


@pytest.fixture
def api(goldsieve_api):
    """The admin's API client (``goldsieve_api``), by its short name."""
    return goldsieve_api


@pytest.fixture
def deal(api):
    """An open deal of the hand-written funnel, as the API returned it."""
    made = api.post("deals", {"funnel": "handmade", "title": "Acme", "data": {"company": "Acme", "amount": 5}})
    assert made.status_code == 201
    return made.json


def send(api, method: str, path: str, text: str):
    """A body sent as written: ``json=`` could not carry ``NaN`` or 400 digits unchanged."""
    return api.request(method, path, headers={"Content-Type": "application/json"}, data=text)

"""A workspace with declared customers and contacts, a pool, and an organisation of two teams.

Team ``north``: manager mia, reps rita and rob; team ``south``: rep sam; also an admin and an
executive (eve). Reps may own at most 3 customers; the cool-down is 7 days; customers idle for
30 days go back to the pool.
"""
from __future__ import annotations

import json

import pytest

from goldsieve.people.teams import update_team
from goldsieve.people.users import find_user, issue_token
from goldsieve.testing import ApiClient

BOTH_STORES = pytest.mark.parametrize("goldsieve_store_url", ["tinydb:data", "postgresql"],
                                      indirect=True)

CUSTOMER = {
    "fields": {"type": "object", "properties": {
        "grade": {"type": "string", "enum": ["3A", "2A", "1A"], "title": {"en": "Grade", "zh-Hans": "等级"}},
        "credit_code": {"type": "string", "title": {"en": "Credit code", "zh-Hans": "统一社会信用代码"}},
        "beds": {"type": "integer", "minimum": 0},
    }},
    "match": ["name", "credit_code"],
}
CONTACT = {
    "fields": {"type": "object", "properties": {"email": {"type": "string", "format": "email"}}},
    "roles": [{"id": "decision_maker", "title": {"en": "Decision maker", "zh-Hans": "决策人"}},
              {"id": "user", "title": {"en": "User", "zh-Hans": "使用人"}}],
}
POOL = """
[pool]
reclaim_days = 30
cooldown_days = 7
[pool.max_owned]
rep = 3
"""


@pytest.fixture
def goldsieve_workspace(goldsieve_workspace):
    folder = goldsieve_workspace.path / "records"
    folder.mkdir()
    (folder / "customer.json").write_text(json.dumps(CUSTOMER), encoding="utf-8")
    (folder / "contact.json").write_text(json.dumps(CONTACT), encoding="utf-8")
    config = goldsieve_workspace.path / "goldsieve.toml"
    config.write_text(config.read_text(encoding="utf-8") + POOL, encoding="utf-8")
    return type(goldsieve_workspace).load(goldsieve_workspace.path)


class People:
    """The organisation's users by name."""

    def __init__(self, store):
        self.store = store

    def __getattr__(self, name: str) -> dict:
        user = find_user(self.store, name)
        assert user, name
        return user


@pytest.fixture
def people(goldsieve_runtime, goldsieve_make_user, goldsieve_make_team) -> People:
    goldsieve_make_team("north")
    goldsieve_make_team("south")
    goldsieve_make_user("admin", "admin")
    goldsieve_make_user("eve", "executive")
    goldsieve_make_user("mia", "manager", team="north")
    goldsieve_make_user("rita", "rep", team="north")
    goldsieve_make_user("rob", "rep", team="north")
    goldsieve_make_user("sam", "rep", team="south")
    update_team(goldsieve_runtime.store, "north", manager="mia")
    return People(goldsieve_runtime.store)


@pytest.fixture
def customers(goldsieve_runtime):
    return goldsieve_runtime.customers


def counts(store) -> dict[str, int]:
    return {t: store.count(t) for t in ("customers", "customer_events", "customer_keys", "contacts",
                                        "audit", "notifications")}


@pytest.fixture
def client(goldsieve_app, goldsieve_runtime, people):
    """``client("rita")`` → an API client with a token of that user (one each: issuing is audited)."""
    made: dict[str, ApiClient] = {}

    def as_user(name: str) -> ApiClient:
        if name not in made:
            made[name] = ApiClient(goldsieve_app.test_client(), issue_token(goldsieve_runtime.store, name))
        return made[name]
    return as_user


@pytest.fixture
def login(goldsieve_app, people):
    """``login("rita")`` → a page client logged in as that user, CSRF checked as in production."""
    from tests.ui.conftest import Browser

    goldsieve_app.config["WTF_CSRF_ENABLED"] = True

    def as_user(name: str) -> Browser:
        browser = Browser(goldsieve_app.test_client())
        assert browser.login(name).status_code == 302
        return browser
    return as_user

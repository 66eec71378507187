"""One organisation for the attack suite: every role, two teams, deals owned by different reps.

Team ``north``: manager mia, reps rita and rob; team ``south``: rep sam. Also an admin, an
executive (eve), marketing (mark) and after-sales (cara). rita, rob and sam own deals whose
titles name them, so a page or list that leaks one is easy to spot.
"""
from __future__ import annotations

import pytest

from goldsieve.people.teams import update_team
from goldsieve.people.users import find_user, issue_token
from goldsieve.testing import ApiClient
from goldsieve.web.app import create_app

from tests.ui.conftest import Browser, csrf_token

FUNNEL = "handmade"
OWNERS = ("rita", "rob", "sam")
#: who sees whose deals (of the owners above)
SEES = {
    "admin": {"rita", "rob", "sam"}, "eve": {"rita", "rob", "sam"},
    "mia": {"rita", "rob"}, "rita": {"rita"}, "rob": {"rob"}, "sam": {"sam"},
    "mark": set(), "cara": set(),
}


class Org:
    def __init__(self, runtime):
        self.runtime = runtime
        self.engine = runtime.engine
        self.store = runtime.store
        self.deals: dict[str, list[int]] = {}

    def user(self, name: str) -> dict:
        return find_user(self.store, name)

    def owner_of(self, deal_id: int) -> str:
        return next(name for name, ids in self.deals.items() if deal_id in ids)

    def visible(self, name: str) -> set[int]:
        return {i for owner in SEES[name] for i in self.deals[owner]}

    def hidden(self, name: str) -> set[int]:
        return {i for ids in self.deals.values() for i in ids} - self.visible(name)

    def counts(self) -> dict[str, int]:
        return {c: self.store.count(c)
                for c in ("deals", "events", "users", "sessions", "teams", "tokens", "audit")}

    def api(self, app, name: str | None) -> ApiClient:
        token = issue_token(self.store, name) if name else None
        return ApiClient(app.test_client(), token)

    def browser(self, app, name: str | None) -> Browser:
        browser = Browser(app.test_client())
        if name is None:
            browser.token = csrf_token(browser.client)  # an anonymous session's valid token
        else:
            assert browser.login(name).status_code == 302, name
        return browser


@pytest.fixture
def org(goldsieve_runtime, goldsieve_user, goldsieve_make_user, goldsieve_make_team) -> Org:
    org = Org(goldsieve_runtime)
    goldsieve_make_team("north")
    goldsieve_make_team("south")
    for name, role, team in (("mia", "manager", "north"), ("rita", "rep", "north"),
                             ("rob", "rep", "north"), ("sam", "rep", "south"),
                             ("eve", "executive", None), ("mark", "marketing", None),
                             ("cara", "after_sales", None)):
        goldsieve_make_user(name, role, team=team)
    update_team(goldsieve_runtime.store, "north", manager="mia")
    for name in OWNERS:
        user = org.user(name)
        org.deals[name] = [
            org.engine.create(user, FUNNEL, f"deal-of-{name}-{n}", {"company": f"{name} Ltd",
                                                                  "amount": 1000 + n})["id"]
            for n in range(2)]
    return org


@pytest.fixture
def make_app(goldsieve_runtime):
    def make():
        app = create_app(runtime=goldsieve_runtime, config={"TESTING": True})
        app.config["WTF_CSRF_ENABLED"] = True
        return app

    return make


@pytest.fixture
def app(make_app):
    return make_app()

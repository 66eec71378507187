"""Pytest fixtures for plugin authors (and goldsieve's own tests).

Installed as a pytest plugin through the ``pytest11`` entry point, so a rule-plugin package gets
these fixtures just by depending on goldsieve:

- ``goldsieve_clock``: a settable UTC clock (``.advance(days=3)``), so nothing sleeps;
- ``goldsieve_funnel``: the funnel definition the workspace runs (override it in your tests);
- ``goldsieve_store_url``: the ``store`` setting of that workspace, ``"tinydb:data"``; to run a
  test on both stores, ``@pytest.mark.parametrize("goldsieve_store_url", ["tinydb:data",
  "postgresql"], indirect=True)``: ``"postgresql"`` is a schema of its own on the server
  ``GOLDSIEVE_TEST_POSTGRES`` names, dropped afterwards (the test is skipped without one);
- ``goldsieve_workspace``: a fresh workspace folder holding that funnel;
- ``goldsieve_runtime`` / ``goldsieve_engine``: the assembled kernel on that workspace;
- ``goldsieve_register``: register an ad-hoc plugin object for the current test;
- ``goldsieve_user``: an admin user; ``goldsieve_make_user(name, role, team)`` makes more,
  ``goldsieve_make_team(name, parent, manager)`` the teams they belong to;
- ``goldsieve_app`` and ``goldsieve_api``: the Flask app and an API client with a bearer token.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator

import pytest

TEST_PASSWORD = "correct-horse-battery"


@dataclass
class FrozenClock:
    """A clock that only moves when told to."""

    now: datetime = field(default_factory=lambda: datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class ApiClient:
    """A thin JSON client over Flask's test client that sends a bearer token."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def as_token(self, token: str | None) -> "ApiClient":
        return ApiClient(self.client, token)

    def request(self, method: str, path: str, json_body: Any = None, **kwargs: Any):
        headers = kwargs.pop("headers", {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        url = path if path.startswith("/") else f"/api/v1/{path}"
        return self.client.open(url, method=method, json=json_body, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json_body: Any = None, **kwargs: Any):
        return self.request("POST", path, json_body, **kwargs)

    def patch(self, path: str, json_body: Any = None, **kwargs: Any):
        return self.request("PATCH", path, json_body, **kwargs)


@pytest.fixture
def goldsieve_clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def goldsieve_funnel() -> dict[str, Any]:
    """The software template; override this fixture to test a plugin on your own funnel."""
    from goldsieve.plugins import templates as bundled

    definitions = {d["id"]: d for d in bundled.goldsieve_funnel_templates()}
    return copy.deepcopy(definitions["software"])


@pytest.fixture
def goldsieve_store_url(request) -> Iterator[str]:
    from goldsieve.testing.postgres import ENVIRONMENT, scratch_schema, server_url

    wanted = getattr(request, "param", "tinydb:data")
    if wanted != "postgresql":
        yield wanted
        return
    if not server_url():
        pytest.skip(f"set {ENVIRONMENT}=postgresql://… to run it on PostgreSQL")
    with scratch_schema(server_url()) as url:
        yield url


@pytest.fixture
def goldsieve_workspace(tmp_path, goldsieve_funnel, goldsieve_store_url):
    from goldsieve.workspace import init_workspace, set_store_url

    workspace = init_workspace(tmp_path / "workspace", goldsieve_funnel)
    if workspace.store_url == goldsieve_store_url:
        return workspace
    return set_store_url(workspace, goldsieve_store_url)


@pytest.fixture
def goldsieve_runtime(goldsieve_workspace, goldsieve_clock) -> Iterator[Any]:
    from goldsieve.runtime import open_runtime

    runtime = open_runtime(goldsieve_workspace, clock=goldsieve_clock, entry_points=False)
    yield runtime
    runtime.close()


@pytest.fixture
def goldsieve_engine(goldsieve_runtime):
    return goldsieve_runtime.engine


@pytest.fixture
def goldsieve_register(goldsieve_runtime) -> Iterator[Callable[[Any], Any]]:
    """Register a plugin (module, class instance or namespace) for this test only."""
    registered: list[Any] = []

    def register(plugin: Any) -> Any:
        goldsieve_runtime.pm.register(plugin)
        registered.append(plugin)
        return plugin

    yield register
    for plugin in registered:
        goldsieve_runtime.pm.unregister(plugin)


@pytest.fixture
def goldsieve_make_user(goldsieve_runtime) -> Callable[..., dict]:
    from goldsieve.people.users import add_user

    def make(username: str, role: str = "rep", team: str | None = None) -> dict:
        return add_user(goldsieve_runtime.store, username, role, TEST_PASSWORD, team=team)

    return make


@pytest.fixture
def goldsieve_make_team(goldsieve_runtime) -> Callable[..., dict]:
    from goldsieve.people.teams import add_team

    def make(name: str, parent: str | None = None, manager: str | None = None) -> dict:
        return add_team(goldsieve_runtime.store, name, parent=parent, manager=manager)

    return make


@pytest.fixture
def goldsieve_user(goldsieve_make_user) -> dict:
    return goldsieve_make_user("admin", "admin")


@pytest.fixture
def goldsieve_app(goldsieve_runtime):
    from goldsieve.web.app import create_app

    app = create_app(runtime=goldsieve_runtime, config={"TESTING": True})
    return app


@pytest.fixture
def goldsieve_api(goldsieve_app, goldsieve_runtime, goldsieve_user) -> ApiClient:
    from goldsieve.people.users import issue_token

    token = issue_token(goldsieve_runtime.store, goldsieve_user["username"])
    return ApiClient(goldsieve_app.test_client(), token)

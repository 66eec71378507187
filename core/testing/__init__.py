"""Pytest fixtures for plugin authors (and goldsieve's own tests).

Installed as a pytest plugin through the ``pytest11`` entry point, so a rule-plugin package gets
these fixtures just by depending on goldsieve:

- ``goldsieve_clock``: a settable UTC clock (``.advance(days=3)``), so nothing sleeps;
- ``goldsieve_funnel``: the funnel definition the workspace runs (override it in your tests);
- ``goldsieve_store_url``: the ``store`` setting of that workspace, ``"tinydb:data"``; to run a
  test on both stores, ``@pytest.mark.parametrize("goldsieve_store_url", ["tinydb:data",
  "postgresql"], indirect=True)``: ``"postgresql"`` is a schema of its own on the server
  ``GOLDSIEVE_TEST_POSTGRES`` names, with no rows at the start (the test is skipped without one);
- ``goldsieve_workspace``: a fresh workspace folder holding that funnel;
- ``goldsieve_plugins``: the plugins the runtime and the app are built with (override it with
  your module: its actions, channels and blueprints are then part of them, as in production);
  ``goldsieve_entry_points``: ``True`` to load the installed entry points too (your installed
  package, by its entry point);
- ``goldsieve_runtime`` / ``goldsieve_engine``: the assembled kernel on that workspace;
- ``goldsieve_register``: register an ad-hoc plugin object for the current test (after the
  runtime was built: it takes part in every later hook call, not in actions or blueprints);
- ``goldsieve_user``: an admin user; ``goldsieve_make_user(name, role, team)`` makes more,
  ``goldsieve_make_team(name, parent, manager)`` the teams they belong to;
- ``goldsieve_app`` and ``goldsieve_api``: the Flask app and an API client with a bearer token
  (``goldsieve_api.as_token(...)``, ``goldsieve_token(username)`` for another user's);
- ``goldsieve_browser``: a client of the pages that logs in through the login form and sends
  the CSRF token as the pages do (``goldsieve_browser.login("ann")``);
- ``goldsieve_worker``: one round of the background work: ``goldsieve_worker.outbox()``
  delivers what is due (actions, notifications), ``goldsieve_worker.scanners()`` runs the scans
  (stale deals, overdue tasks, reminders, digests, the pool) and then delivers;
- ``goldsieve_cli``: ``goldsieve_cli("check")`` runs a ``goldsieve`` command in-process on the
  test workspace (it opens its own runtime: do not hold ``goldsieve_runtime`` open with it on
  the embedded store, which one runtime holds at a time);
- ``goldsieve_serve``: ``goldsieve_serve()`` starts the real ``goldsieve serve`` on the test
  workspace in a child process, on a free port of 127.0.0.1, and returns it once it answers
  (``.url``); it is stopped (SIGTERM, waited for) at the end of the test.
"""
from __future__ import annotations

import copy
import re
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


CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A client of the pages that logs in through the real form and sends the CSRF token the way
    the pages do (the ``X-CSRFToken`` header htmx sends)."""

    def __init__(self, client):
        self.client = client
        self.token: str | None = None

    def csrf_token(self, path: str = "/login") -> str:
        """The CSRF token of the form ``path`` serves."""
        return CSRF_FIELD.search(self.client.get(path).get_data(as_text=True)).group(1)

    def login(self, username: str, password: str = TEST_PASSWORD):
        """Log in through ``/login``; the response (302 when it worked)."""
        response = self.client.post("/login", data={"username": username, "password": password,
                                                    "csrf_token": self.csrf_token()})
        if response.status_code == 302:
            self.token = self.csrf_token("/")
        return response

    def get(self, path: str, **kwargs: Any):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, htmx: bool = False, **kwargs: Any):
        """Post a form, CSRF token included; ``htmx``: as htmx does (``HX-Request``)."""
        headers = kwargs.pop("headers", {})
        headers["X-CSRFToken"] = self.token or ""
        if htmx:
            headers["HX-Request"] = "true"
        return self.client.post(path, data=data or {}, headers=headers, **kwargs)


@dataclass
class WorkerRound:
    """The background work, one round at a time, so a test says when it happens."""

    runtime: Any

    def outbox(self) -> int:
        """Deliver every outbox row that is due now; how many were delivered."""
        from goldsieve.automation.worker import Worker

        return Worker(self.runtime).run_once(scan=False)["delivered"]

    def scanners(self) -> dict[str, int]:
        """Run the scans, then deliver what is due; what each did."""
        from goldsieve.automation.worker import Worker

        return Worker(self.runtime).run_once(scan=True)


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
    from goldsieve.testing.postgres import ENVIRONMENT, reused_schema, server_url

    wanted = getattr(request, "param", "tinydb:data")
    if wanted != "postgresql":
        yield wanted
        return
    if not server_url():
        pytest.skip(f"set {ENVIRONMENT}=postgresql://… to run it on PostgreSQL")
    with reused_schema(server_url()) as url:
        yield url


@pytest.fixture
def goldsieve_workspace(tmp_path, goldsieve_funnel, goldsieve_store_url):
    from goldsieve.workspace import init_workspace, set_store_url

    workspace = init_workspace(tmp_path / "workspace", goldsieve_funnel)
    if workspace.store_url == goldsieve_store_url:
        return workspace
    return set_store_url(workspace, goldsieve_store_url)


@pytest.fixture
def goldsieve_plugins() -> list[Any]:
    """The plugins (modules, objects) the runtime is built with; override it with yours."""
    return []


@pytest.fixture
def goldsieve_entry_points() -> bool:
    """Whether the runtime loads the installed entry points; override it to ``True`` to test
    your installed package as goldsieve loads it."""
    return False


@pytest.fixture
def goldsieve_runtime(goldsieve_workspace, goldsieve_clock, goldsieve_plugins,
                      goldsieve_entry_points) -> Iterator[Any]:
    from goldsieve.runtime import open_runtime
    from goldsieve.workspace import Workspace

    # read again: a test may have written goldsieve.toml (a [plugin.NAME] table) since
    workspace = Workspace.load(goldsieve_workspace.path)
    runtime = open_runtime(workspace, clock=goldsieve_clock, plugins=goldsieve_plugins,
                           entry_points=goldsieve_entry_points)
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
def goldsieve_token(goldsieve_runtime) -> Callable[[str], str]:
    """``goldsieve_token("ann")``: a new API token of that user."""
    from goldsieve.people.users import issue_token

    return lambda username: issue_token(goldsieve_runtime.store, username)


@pytest.fixture
def goldsieve_api(goldsieve_app, goldsieve_token, goldsieve_user) -> ApiClient:
    return ApiClient(goldsieve_app.test_client(), goldsieve_token(goldsieve_user["username"]))


@pytest.fixture
def goldsieve_browser(goldsieve_app) -> Browser:
    goldsieve_app.config["WTF_CSRF_ENABLED"] = True
    return Browser(goldsieve_app.test_client())


@pytest.fixture
def goldsieve_worker(goldsieve_runtime) -> WorkerRound:
    return WorkerRound(goldsieve_runtime)


@pytest.fixture
def goldsieve_cli(goldsieve_workspace, goldsieve_plugins, monkeypatch) -> Callable[..., Any]:
    """``goldsieve_cli("check", lang="zh-Hans")``: the command's click result (``exit_code``,
    ``output``, ``stdout``, ``stderr``), run on the test workspace: from its folder, with
    ``GOLDSIEVE_WORKSPACE`` naming it, and with the test's ``goldsieve_plugins`` besides the
    workspace's plugins and the installed entry points."""
    from click.testing import CliRunner

    from goldsieve.cli import cli
    from goldsieve.plugin_manager import plugins_in_context

    def run(*args: str, lang: str | None = None, input: str | None = None) -> Any:
        options = ["--lang", lang] if lang else []
        with monkeypatch.context() as scope, plugins_in_context(goldsieve_plugins):
            scope.chdir(goldsieve_workspace.path)
            scope.setenv("GOLDSIEVE_WORKSPACE", str(goldsieve_workspace.path))
            return CliRunner().invoke(cli, [*options, *args], input=input)

    return run


@pytest.fixture
def goldsieve_serve(goldsieve_workspace) -> Iterator[Callable[..., Any]]:
    """``goldsieve_serve("--threads", "2", env={...})``: the real server on the test workspace
    (:class:`goldsieve.testing.serving.LiveServer`, with its ``url``), with the workspace's
    plugins and the installed entry points as ``goldsieve serve`` loads them — not the test's
    ``goldsieve_plugins``, which live in the test's process. Every server started is stopped at
    teardown. On the embedded store the server holds the store: do not use ``goldsieve_runtime``
    in the same test (``goldsieve_cli`` commands are carried out by the server, as in production).
    """
    from goldsieve.testing.serving import LiveServer, ServerFailed

    started: list[LiveServer] = []

    def start(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> LiveServer:
        started.append(LiveServer(goldsieve_workspace.path, *args, env=env, timeout=timeout))
        return started[-1]

    yield start
    failures = []
    for server in started:  # each one, even after one that would not stop: no orphan
        try:
            server.stop()
        except ServerFailed as failure:
            failures.append(failure)
    if failures:
        raise failures[0]

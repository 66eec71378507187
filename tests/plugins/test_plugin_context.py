"""The ``context`` every hook may name: the store read through it, the plugin's own settings, the
clock, the reader's language; and ``goldsieve_startup``, called once a runtime is open."""
from __future__ import annotations

import inspect

import pytest
from click.testing import CliRunner

from goldsieve import hookimpl, hookspecs, locales
from goldsieve.cli import cli
from goldsieve.errors import Violation
from goldsieve.people.users import issue_token
from goldsieve.plugin_context import PluginContext, StoreNotOpen
from goldsieve.plugin_manager import PluginLoadError
from goldsieve.runtime import open_runtime
from goldsieve.store.filters import Eq
from goldsieve.testing import ApiClient
from goldsieve.web.app import create_app
from goldsieve.workspace import Workspace

NEEDS_MANAGER = {"en": "%(name)s is not a manager.", "zh-Hans": "%(name)s 不是经理。",
                 "zh-Hant": "%(name)s 不是經理。"}


class ApproverIsAManager:
    """The issue's case: a gate that looks the approver up, switched on by its own settings."""

    @hookimpl
    def goldsieve_gate_check(self, deal, context):
        approver = deal["data"].get("approver")
        if not approver or not context.plugin_config("approvals").get("managers_only"):
            return []
        found = context.store.find("users", Eq("username", approver), limit=1)
        if not found or found[0]["role"] != "manager":
            return [Violation("/data/approver", "approver", context.translate(NEEDS_MANAGER, name=approver))]
        return []


@pytest.fixture
def goldsieve_funnel(goldsieve_funnel):
    """The suite's funnel with the field the gate reads."""
    goldsieve_funnel["fields"]["properties"]["approver"] = {"type": "string"}
    return goldsieve_funnel


@pytest.fixture
def approvals_workspace(goldsieve_workspace):
    """The test workspace with ``[plugin.approvals]`` and an ``approver`` field on its funnel."""
    with (goldsieve_workspace.path / "goldsieve.toml").open("a", encoding="utf-8") as toml:
        toml.write("\n[plugin.approvals]\nmanagers_only = true\n")
    return Workspace.load(goldsieve_workspace.path)


def test_every_hook_may_name_the_context():
    for name, spec in inspect.getmembers(hookspecs, inspect.isfunction):
        if name.startswith("goldsieve_"):
            assert list(inspect.signature(spec).parameters)[-1] == "context", name


@pytest.mark.parametrize("goldsieve_store_url", ["tinydb:data", "postgresql"], indirect=True)
def test_a_gate_reads_the_store_and_its_settings_through_the_context(approvals_workspace, goldsieve_clock):
    from goldsieve.people.users import add_user
    from goldsieve.testing import TEST_PASSWORD

    with open_runtime(approvals_workspace, clock=goldsieve_clock, entry_points=False,
                      plugins=[ApproverIsAManager()]) as runtime:
        add_user(runtime.store, "admin", "admin", TEST_PASSWORD)
        add_user(runtime.store, "mia", "manager", TEST_PASSWORD)
        add_user(runtime.store, "rita", "rep", TEST_PASSWORD)
        api = ApiClient(create_app(runtime=runtime, config={"TESTING": True}).test_client(),
                        issue_token(runtime.store, "admin"))
        refused = api.post("deals", {"funnel": "handmade", "title": "T",
                                     "data": {"company": "C", "approver": "rita"}})
        assert refused.status_code == 422
        assert refused.json["errors"] == [{"path": "/data/approver", "code": "approver",
                                           "message": "rita is not a manager."}]
        assert runtime.store.count("deals") == 0
        created = api.post("deals", {"funnel": "handmade", "title": "T",
                                     "data": {"company": "C", "approver": "mia"}})
        assert created.status_code == 201, created.json


def test_without_its_settings_the_gate_is_inert(goldsieve_api, goldsieve_register):
    goldsieve_register(ApproverIsAManager())
    created = goldsieve_api.post("deals", {"funnel": "handmade", "title": "T",
                                           "data": {"company": "C", "approver": "nobody"}})
    assert created.status_code == 201


def test_the_context_reads_but_never_writes(goldsieve_runtime, goldsieve_user):
    context = goldsieve_runtime.pm.context
    assert not hasattr(context.store, "insert") and not hasattr(context.store, "transaction")
    [admin] = context.store.find("users", Eq("username", "admin"))
    assert "password_hash" not in admin and context.store.count("users") == 1
    assert context.store.get("users", admin["id"])["role"] == "admin"
    issue_token(goldsieve_runtime.store, "admin")
    for table in ("tokens", "sessions", "audit"):
        with pytest.raises(PermissionError, match=table):
            context.store.count(table)
    with pytest.raises(TypeError):
        context.config["store"] = "elsewhere"  # type: ignore[index]
    admin["role"] = "rep"  # a plugin changing what it read changes nothing stored
    assert goldsieve_runtime.store.get("users", admin["id"])["role"] == "admin"


def test_the_context_tells_the_runtime_clock(goldsieve_runtime, goldsieve_clock):
    assert goldsieve_runtime.pm.context.now() == goldsieve_clock.now
    goldsieve_clock.advance(days=3)
    assert goldsieve_runtime.pm.context.now() == goldsieve_clock.now


@pytest.mark.parametrize("language, expected", [(None, "ann is not a manager."), ("zh_Hans", "ann 不是经理。"),
                                                ("zh_Hant", "ann 不是經理。")])
def test_translate_speaks_the_reader_language(language, expected):
    context = PluginContext({"locale": "en"})
    token = locales.reader.set(language)
    try:
        assert context.translate(NEEDS_MANAGER, name="ann") == expected
        assert context.translate("plain") == "plain"
    finally:
        locales.reader.reset(token)


def test_translate_falls_back_to_the_workspace_language_then_english():
    assert PluginContext({"locale": "zh-Hant"}).translate(NEEDS_MANAGER, name="ann") == "ann 不是經理。"
    assert PluginContext({}).translate({"en": "Hi", "zh-Hans": "你好"}) == "Hi"
    assert PluginContext({"locale": "zh-Hans"}).translate({"en": "Hi"}) == "Hi"


def test_a_page_reader_gets_their_language(goldsieve_app, goldsieve_runtime):
    context = goldsieve_runtime.pm.context
    with goldsieve_app.test_request_context("/board/handmade", headers={"Accept-Language": "zh-CN"}):
        assert context.locale == "zh_Hans"
    with goldsieve_app.test_request_context("/api/v1/deals", headers={"Accept-Language": "zh-CN"}):
        assert context.locale == "en"  # the API speaks English, as the kernel's own messages do


def test_lint_hooks_get_the_workspace_context_without_a_store(goldsieve_workspace):
    (goldsieve_workspace.path / "goldsieve.toml").open("a", encoding="utf-8").write(
        '\n[plugin.house]\nmax_stages = 2\n')
    (goldsieve_workspace.path / "plugins" / "house.py").write_text(
        "from goldsieve import hookimpl\n"
        "from goldsieve.funnels.check import Finding\n\n"
        "@hookimpl\n"
        "def goldsieve_lint_funnel(definition, context):\n"
        "    limit = context.plugin_config('house')['max_stages']\n"
        "    if len(definition['stages']) > limit:\n"
        "        return [Finding('/stages', f'at most {limit} stages here', 'split the funnel', 'error')]\n"
        "    return []\n")
    result = CliRunner().invoke(cli, ["check", str(goldsieve_workspace.path)])
    assert result.exit_code == 1
    assert "at most 2 stages here" in result.output + result.stderr
    with pytest.raises(StoreNotOpen):
        PluginContext({}).store.count("deals")


class Startup:
    def __init__(self):
        self.calls = []

    @hookimpl
    def goldsieve_startup(self, context):
        self.calls.append((context.store.count("deals"), dict(context.plugin_config("approvals"))))


def test_hook_goldsieve_startup(approvals_workspace, goldsieve_clock):
    plugin = Startup()
    with open_runtime(approvals_workspace, clock=goldsieve_clock, entry_points=False, plugins=[plugin]):
        assert plugin.calls == [(0, {"managers_only": True})]


def test_a_startup_that_raises_stops_start_up_by_name_and_frees_the_store(approvals_workspace,
                                                                          goldsieve_clock):
    class Picky:
        @hookimpl
        def goldsieve_startup(self, context):
            raise ValueError("[plugin.approvals] needs a team")

    with pytest.raises(PluginLoadError, match=r"^plugin .*Picky: goldsieve_startup: ValueError: "
                                              r"\[plugin.approvals\] needs a team$"):
        open_runtime(approvals_workspace, clock=goldsieve_clock, entry_points=False, plugins=[Picky()])
    with open_runtime(approvals_workspace, clock=goldsieve_clock, entry_points=False) as runtime:
        assert runtime.store.count("deals") == 0

"""A plugin's mistake is an error that names the plugin: a wrong answer at run time (500 in the
API and on pages, never a ``TypeError``), a wrong signature or a double listing at start-up (one
line saying the fix), and ``GOLDSIEVE_TRACE_PLUGINS`` showing every call under every command."""
from __future__ import annotations

import sys
import types

import pytest
from click.testing import CliRunner

from goldsieve import hookimpl
from goldsieve.cli import cli
from goldsieve.errors import PluginResultError, Violation
from goldsieve.plugin_manager import PluginLoadError, assign_owner, list_of, make_plugin_manager
from goldsieve.store.filters import Everything

from tests.ui.conftest import Browser


class BareViolation:
    """A gate forgetting the list around its violation."""

    @hookimpl
    def goldsieve_gate_check(self, deal):
        return Violation("/data/discount", "approval", "Ask a manager.")


class DictFilter:
    @hookimpl
    def goldsieve_visibility(self, user):
        return {"owner": user["username"]}


class YesVote:
    @hookimpl
    def goldsieve_permission(self, action):
        return "yes"


def test_a_gate_answering_a_bare_violation_is_a_500_naming_it_and_nothing_is_written(
        goldsieve_api, goldsieve_register, goldsieve_runtime):
    goldsieve_register(BareViolation())
    response = goldsieve_api.post("deals", {"funnel": "handmade", "title": "T", "data": {"company": "C"}})
    assert response.status_code == 500
    [error] = response.json["errors"]
    assert error["code"] == "plugin_error"
    assert "BareViolation" in error["message"] and "goldsieve_gate_check" in error["message"]
    assert "a list of Violation" in error["message"] and "TypeError" not in error["message"]
    assert goldsieve_runtime.store.count("deals") == 0


def test_a_permission_vote_that_is_not_a_bool_is_refused_by_name(goldsieve_api, goldsieve_register,
                                                                 goldsieve_runtime):
    goldsieve_register(YesVote())
    response = goldsieve_api.post("deals", {"funnel": "handmade", "title": "T", "data": {"company": "C"}})
    assert response.status_code == 500
    assert "goldsieve_permission returned a str; it must return True, False, None or Deny(reason)" in \
        response.json["errors"][0]["message"]
    assert goldsieve_runtime.store.count("deals") == 0


def test_the_error_names_the_plugin_by_its_registered_name(goldsieve_runtime, goldsieve_user):
    goldsieve_runtime.pm.register(DictFilter(), name="acme_visibility")
    with pytest.raises(PluginResultError) as raised:
        goldsieve_runtime.engine.list(goldsieve_user)
    assert raised.value.plugin == "acme_visibility" and raised.value.hook == "goldsieve_visibility"
    assert str(raised.value) == ("plugin acme_visibility: goldsieve_visibility returned a dict; it must "
                                 "return a store filter (goldsieve.store.filters) or None")


@pytest.mark.parametrize("language, words", [("en", "The plugin acme_visibility answered"),
                                             ("zh-CN", "插件 acme_visibility")])
def test_a_page_meeting_a_plugin_mistake_is_a_500_page_naming_it(goldsieve_app, goldsieve_runtime,
                                                                  goldsieve_make_user, language, words):
    goldsieve_make_user("rita", "rep")
    browser = Browser(goldsieve_app.test_client())
    assert browser.login("rita").status_code == 302
    goldsieve_runtime.pm.register(DictFilter(), name="acme_visibility")
    page = browser.get("/board/handmade", headers={"Accept-Language": language})
    text = page.get_data(as_text=True)
    assert page.status_code == 500
    assert words in text
    assert "TypeError" not in text and "Traceback" not in text and "goldsieve_visibility" not in text


def test_a_hook_naming_an_argument_it_does_not_have_is_one_line_with_the_fix():
    class WantsStore:
        @hookimpl
        def goldsieve_gate_check(self, deal, store):
            return []

    with pytest.raises(PluginLoadError) as raised:
        make_plugin_manager(extra=[WantsStore()], entry_points=False)
    message = str(raised.value)
    assert "\n" not in message
    assert "goldsieve_gate_check has no argument 'store'; name only some of funnel, deal, target, user" \
        in message


def test_a_misspelled_hook_is_one_line_with_the_nearest_hook():
    class Typo:
        @hookimpl
        def goldsieve_gate_chek(self, deal):
            return []

    with pytest.raises(PluginLoadError, match=r"goldsieve_gate_chek is not a goldsieve hook; "
                                              r"did you mean goldsieve_gate_check\?$"):
        make_plugin_manager(extra=[Typo()], entry_points=False)


def test_a_module_listed_as_entry_point_and_in_plugins_is_one_line(monkeypatch):
    from importlib.metadata import EntryPoint

    import goldsieve.plugin_manager as manager

    module = types.ModuleType("acme_rules")
    module.goldsieve_visibility = hookimpl(lambda user: Everything())
    monkeypatch.setitem(sys.modules, "acme_rules", module)
    monkeypatch.setattr(manager.importlib.metadata, "entry_points",
                        lambda group: [EntryPoint("acme", "acme_rules", "goldsieve")])
    with pytest.raises(PluginLoadError) as raised:
        make_plugin_manager(modules=["acme_rules"])
    assert str(raised.value) == (
        "plugin acme_rules is already registered as acme: it is listed twice (an installed entry "
        "point and plugins = [...] in goldsieve.toml, say); keep one of them")


def test_check_says_a_signature_mistake_in_one_line(goldsieve_workspace):
    (goldsieve_workspace.path / "plugins" / "rules.py").write_text(
        "from goldsieve import hookimpl\n\n@hookimpl\ndef goldsieve_permission(user, stor):\n    return None\n")
    result = CliRunner().invoke(cli, ["check", str(goldsieve_workspace.path)])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: plugin workspace:rules.py: goldsieve_permission has no argument 'stor'; name only "
        "some of user, action, deal, config, store, context")


def test_trace_plugins_prints_each_call_on_stderr_under_a_command(goldsieve_workspace, monkeypatch):
    monkeypatch.setenv("GOLDSIEVE_TRACE_PLUGINS", "1")
    result = CliRunner().invoke(cli, ["check", str(goldsieve_workspace.path)])
    assert result.exit_code == 0, result.output
    traced = [line for line in result.stderr.splitlines() if line.startswith("goldsieve trace: ")]
    lint = [line for line in traced if " goldsieve_lint_funnel [" in line]
    assert lint and lint[0].endswith(" ms")
    assert "goldsieve.plugins.lint" in lint[0]


def test_without_trace_plugins_nothing_is_traced(goldsieve_workspace, monkeypatch):
    monkeypatch.delenv("GOLDSIEVE_TRACE_PLUGINS", raising=False)
    result = CliRunner().invoke(cli, ["check", str(goldsieve_workspace.path)])
    assert "goldsieve trace" not in result.stderr


class ListOwner:
    """An assignment plugin answering a list where a username is due."""

    @hookimpl
    def goldsieve_assign_owner(self, rule):
        return ["ann"]


class SilentOwner:
    @hookimpl
    def goldsieve_assign_owner(self, rule):
        return None


@pytest.mark.parametrize("answer, shape", [(["ann"], "a list of str"), ({"user": "ann"}, "a dict"),
                                           ("", "a str"), (7, "a int")])
def test_an_owner_of_the_wrong_shape_is_refused_by_name(goldsieve_runtime, answer, shape):
    class Wrong:
        @hookimpl
        def goldsieve_assign_owner(self, rule):
            return answer

    goldsieve_runtime.pm.register(Wrong(), name="acme_assignment")
    with pytest.raises(PluginResultError) as raised:
        assign_owner(goldsieve_runtime.pm, deal={"data": {}}, funnel=None, rule={"rule": "mine"},
                     store=goldsieve_runtime.store)
    assert raised.value.plugin == "acme_assignment" and raised.value.hook == "goldsieve_assign_owner"
    assert str(raised.value) == (f"plugin acme_assignment: goldsieve_assign_owner returned {shape}; it must "
                                 "return a username (a non-empty str) or None")


def test_the_first_plugin_answering_an_owner_decides_and_none_passes_the_question_on(
        goldsieve_runtime, goldsieve_make_user):
    goldsieve_make_user("ann", "rep")
    goldsieve_runtime.pm.register(SilentOwner(), name="silent")  # asked first, answers nothing
    funnel = next(iter(goldsieve_runtime.funnels))
    ask = {"deal": {"data": {}}, "funnel": funnel, "store": goldsieve_runtime.store}
    assert assign_owner(goldsieve_runtime.pm, rule={"rule": "round_robin", "role": "rep"}, **ask) == "ann"
    assert assign_owner(goldsieve_runtime.pm, rule={"rule": "nobody_knows"}, **ask) is None


def test_a_lead_meeting_an_owner_of_the_wrong_shape_is_a_500_naming_it_and_nothing_is_written(
        goldsieve_api, goldsieve_runtime):
    goldsieve_runtime.pm.register(ListOwner(), name="acme_assignment")
    funnel = next(iter(goldsieve_runtime.funnels))
    funnel.assignment = {"rule": "round_robin", "role": "rep"}
    response = goldsieve_api.post("leads", {"funnel": funnel.id, "title": "Web lead", "data": {"company": "C"}})
    assert response.status_code == 500
    assert response.json["errors"][0]["message"] == (
        "plugin acme_assignment: goldsieve_assign_owner returned a list of str; it must return a username "
        "(a non-empty str) or None")
    assert goldsieve_runtime.store.count("deals") == 0


def test_every_hook_answering_a_list_is_checked_by_the_one_shape():
    violations = list_of(Violation)
    assert violations([Violation("/a", "x", "m")]) and violations(()) and not violations(Violation("/a", "x", "m"))
    assert not violations([Violation("/a", "x", "m"), "text"]) and not violations({"a": 1})
    named = list_of(dict, each=lambda item: isinstance(item.get("id"), str))
    assert named([{"id": "a"}]) and not named([{"id": 1}]) and not named(["a"])  # type first, then each
    shaped = list_of(each=lambda item: hasattr(item, "name"))
    assert shaped([types.SimpleNamespace(name="x")]) and not shaped([object()])

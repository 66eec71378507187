"""Every hook: documented in docs/plugins.md, and exercised here by a plugin that uses it.

The meta-tests at the top fail when a hook is added without documentation or without a
``test_hook_<name>`` test in this module.
"""
from __future__ import annotations

import inspect
import logging
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from goldsieve import hookimpl, hookspecs
from goldsieve.checking import check_paths
from goldsieve.cli import cli
from goldsieve.errors import DefinitionError, Forbidden, NotFound, ValidationFailed, Violation
from goldsieve.funnels.check import Finding
from goldsieve.plugin_manager import PluginLoadError, field_widgets, make_plugin_manager, templates
from goldsieve.records.activity import DealActivity
from goldsieve.runtime import open_runtime
from goldsieve.store.filters import Eq, Everything, Nothing

from tests.automation.receiver import receiver  # noqa: F401  (a fixture)
from tests.conftest import load_funnel

DOCS = Path(__file__).parents[2] / "docs" / "plugins.md"
HOOKS = sorted(name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
               if name.startswith("goldsieve_"))


def test_every_hook_is_documented_with_its_signature():
    text = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"^### `(goldsieve_\w+)\(", text, flags=re.M))
    assert documented == set(HOOKS)
    for name in HOOKS:
        params = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
        assert f"### `{name}({params})`" in text, f"{name}: signature in docs differs from the spec"


def test_every_hook_has_a_test():
    """A ``test_hook_<name>`` in this module or another of tests/plugins (the context's hooks
    live with the context's tests)."""
    tested = {name for path in Path(__file__).parent.glob("test_*.py")
              for name in re.findall(r"^def test_hook_(goldsieve_\w+)\(", path.read_text(encoding="utf-8"), re.M)}
    assert set(HOOKS) <= tested, f"hooks without a test: {sorted(set(HOOKS) - tested)}"


def test_every_hookspec_says_how_results_combine():
    for name in HOOKS:
        assert "Combine:" in (getattr(hookspecs, name).__doc__ or ""), name


# --- one test per hook ----------------------------------------------------------------------


class ExtraTemplate:
    def __init__(self, definition):
        self.definition = definition

    @hookimpl
    def goldsieve_funnel_templates(self):
        return [self.definition]


def test_hook_goldsieve_funnel_templates(goldsieve_funnel, monkeypatch):
    custom = {**goldsieve_funnel, "id": "solar"}
    pm = make_plugin_manager(extra=[ExtraTemplate(custom)], entry_points=False)
    offered = templates(pm)
    assert {"software", "fmcg", "solar"} <= set(offered)
    clash = make_plugin_manager(extra=[ExtraTemplate({**custom, "id": "software"})], entry_points=False)
    with pytest.raises(PluginLoadError, match="software"):
        templates(clash)


HOUSE_RULES = """
from goldsieve import hookimpl
from goldsieve.funnels.check import Finding

@hookimpl
def goldsieve_lint_funnel(definition):
    if len(definition["stages"]) > 6:
        return [Finding("/stages", "more than six stages", "merge some", "warning")]
    return []
"""


class RefuseEverything:
    @hookimpl
    def goldsieve_lint_funnel(self, definition):
        return [Finding("/id", "this workspace forbids funnels", None, "error")]


def test_hook_goldsieve_lint_funnel(goldsieve_workspace):
    (goldsieve_workspace.path / "plugins" / "house_rules.py").write_text(HOUSE_RULES, encoding="utf-8")
    findings, files = check_paths([goldsieve_workspace.path])
    house = [(f.pointer, f.message, f.severity) for _, f in findings if f.message == "more than six stages"]
    assert house == [("/stages", "more than six stages", "warning")]
    result = CliRunner().invoke(cli, ["check", "--strict", str(goldsieve_workspace.path)])
    assert result.exit_code == 1 and "/stages: error: more than six stages" in result.output
    with pytest.raises(DefinitionError, match="forbids funnels"):
        open_runtime(goldsieve_workspace, plugins=[RefuseEverything()], entry_points=False)


class DiscountApproval:
    """The example from docs/plugins.md: a discount above 20% needs an approval note."""

    @hookimpl
    def goldsieve_gate_check(self, funnel, deal, target, user):
        data = deal["data"]
        if target.kind != "lost" and data.get("discount", 0) > 0.2 and not data.get("approval_note"):
            return [Violation("/data/approval_note", "approval",
                              "A discount above 20% needs an approval note.")]
        return []


def test_hook_goldsieve_gate_check(goldsieve_api, goldsieve_register):
    goldsieve_register(DiscountApproval())
    created = goldsieve_api.post("deals", {"funnel": "handmade", "title": "Big discount",
                                           "data": {"company": "Acme", "discount": 0.3}})
    assert created.status_code == 422
    assert created.json["errors"] == [{"path": "/data/approval_note", "code": "approval",
                                       "message": "A discount above 20% needs an approval note."}]
    deal = goldsieve_api.post("deals", {"funnel": "handmade", "title": "Small",
                                        "data": {"company": "Acme"}}).json
    refused = goldsieve_api.post(f"deals/{deal['id']}/move", {
        "to": "qualified", "data": {"discount": 0.25}})
    assert refused.status_code == 422
    assert {e["path"] for e in refused.json["errors"]} == {"/data/approval_note", "/data/needs_survey"}
    assert goldsieve_api.get(f"deals/{deal['id']}").json["version"] == 1
    lost = goldsieve_api.post(f"deals/{deal['id']}/move", {
        "to": "lost", "lost_reason": "price", "data": {"discount": 0.25}})
    assert lost.status_code == 200


def test_hook_goldsieve_deal_event(goldsieve_engine, goldsieve_user, goldsieve_register):
    seen = []

    class Recorder:
        @hookimpl
        def goldsieve_deal_event(self, event, deal, funnel):
            seen.append((event["type"], event["id"], deal["stage"]))

    goldsieve_register(Recorder())
    deal = goldsieve_engine.create(goldsieve_user, "handmade", "T", {"company": "C"})
    goldsieve_engine.lose(goldsieve_user, deal["id"], "price")
    assert [(t, s) for t, _, s in seen] == [("created", "lead"), ("stage_changed", "lost")]
    assert all(isinstance(event_id, int) for _, event_id, _ in seen), "observers see committed events"



def test_an_observer_takes_only_the_arguments_it_names(goldsieve_runtime, goldsieve_user):
    seen = []

    class EventOnly:
        @hookimpl
        def goldsieve_deal_event(self, event):
            seen.append(("event", event["type"]))

    class EventAndDeal:
        @hookimpl
        def goldsieve_deal_event(self, event, deal):
            seen.append(("event and deal", event["type"], deal["title"]))

    goldsieve_runtime.pm.register(EventOnly(), name="event-only")
    goldsieve_runtime.pm.register(EventAndDeal(), name="event-and-deal")
    goldsieve_runtime.engine.create(goldsieve_user, "handmade", "Acme", {"company": "C"})
    assert sorted(seen) == [("event", "created"), ("event and deal", "created", "Acme")]


def test_an_observer_that_raises_is_logged_and_stops_neither_the_others_nor_the_write(
        goldsieve_runtime, goldsieve_user, caplog):
    seen = []

    class Recorder:
        @hookimpl
        def goldsieve_deal_event(self, event):
            seen.append(event["type"])

    class Broken:
        @hookimpl
        def goldsieve_deal_event(self, event, deal, funnel):
            raise RuntimeError("observer down")

    pm = goldsieve_runtime.pm
    pm.register(Recorder(), name="recorder")
    pm.register(Broken(), name="broken")  # registered last: pluggy calls it first
    with caplog.at_level(logging.ERROR, logger="goldsieve.deals.engine"):
        deal = goldsieve_runtime.engine.create(goldsieve_user, "handmade", "T", {"company": "C"})
    assert seen == ["created"], "the observer after the broken one still ran"
    assert goldsieve_runtime.engine.get(goldsieve_user, deal["id"])["version"] == 1, "the write stands"
    [record] = [r for r in caplog.records if r.name == "goldsieve.deals.engine"]
    assert record.getMessage() == "plugin broken failed observing created"
    assert str(record.exc_info[1]) == "observer down"


def test_observers_are_called_through_pluggy_so_tracing_sees_each(goldsieve_runtime, goldsieve_user):
    calls = []

    def before(hook_name, impls, kwargs):
        names = [impl.plugin_name for impl in impls]
        if hook_name == "goldsieve_deal_event" and names != [DealActivity.NAME]:  # the runtime's own
            calls.append((names, kwargs["event"]["type"]))

    class Recorder:
        @hookimpl
        def goldsieve_deal_event(self, event):
            pass

    pm = goldsieve_runtime.pm
    pm.register(Recorder(), name="first")
    pm.register(Recorder(), name="second")
    undo = pm.add_hookcall_monitoring(before, lambda outcome, hook_name, impls, kwargs: None)
    goldsieve_runtime.engine.create(goldsieve_user, "handmade", "T", {"company": "C"})
    undo()
    assert calls == [(["second"], "created"), (["first"], "created")]


def test_trace_plugins_prints_each_observer_call(goldsieve_workspace, goldsieve_clock, monkeypatch, capsys):
    monkeypatch.setenv("GOLDSIEVE_TRACE_PLUGINS", "1")

    class Recorder:
        @hookimpl
        def goldsieve_deal_event(self, event):
            pass

    with open_runtime(goldsieve_workspace, clock=goldsieve_clock, entry_points=False,
                      plugins=[Recorder()]) as runtime:
        capsys.readouterr()
        runtime.engine.create({"username": "ann", "role": "admin"}, "handmade", "T", {"company": "C"})
    traced = capsys.readouterr().err.splitlines()
    assert f"goldsieve trace: goldsieve_deal_event [{__name__}.{Recorder.__qualname__}]" in \
        [line.rsplit(" ", 2)[0] for line in traced]


REMIND_PLUGIN = """
from goldsieve import hookimpl
from goldsieve.automation.actions import Action


def remind(context):
    with context.transaction() as txn:
        txn.insert("notifications", {"user": context.deal["owner"], "deal_id": context.deal["id"],
                                     "funnel": context.deal["funnel"], "read_at": None,
                                     "text": context.render(context.params["text"], ""),
                                     "at": context.row["at"], "key": context.key})


@hookimpl
def goldsieve_actions():
    schema = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"],
              "additionalProperties": False}
    return [Action("remind_owner", schema, remind)]
"""


def test_hook_goldsieve_actions(goldsieve_workspace, goldsieve_clock):
    import json

    from goldsieve.people.users import add_user
    from goldsieve.plugin_manager import actions

    (goldsieve_workspace.path / "plugins" / "remind.py").write_text(REMIND_PLUGIN)
    [funnel_file] = goldsieve_workspace.funnel_files()
    definition = json.loads(funnel_file.read_text())
    definition["automations"].append({"id": "hello", "on": "deal_created",
                                      "do": [{"action": "remind_owner", "text": "Call {company}"}]})
    funnel_file.write_text(json.dumps(definition))
    with open_runtime(goldsieve_workspace, clock=goldsieve_clock, entry_points=False) as runtime:
        assert {"notify", "webhook", "create_task", "assign", "set_field", "handoff",
                "remind_owner"} <= set(runtime.dispatcher.actions)
        rep = add_user(runtime.store, "rita", "rep", "long-enough-pw")
        deal = runtime.engine.create(rep, "handmade", "T", {"company": "Acme"})
        runtime.dispatcher.deliver_due("test")
        [note] = runtime.store.find("notifications")
        assert (note["user"], note["text"], note["deal_id"]) == ("rita", "Call Acme", deal["id"])
    # the parameters are checked against the action's schema before anything runs
    definition["automations"][-1]["do"][0] = {"action": "remind_owner", "txt": "typo"}
    funnel_file.write_text(json.dumps(definition))
    findings, _ = check_paths([goldsieve_workspace.path])
    assert {f.pointer for _, f in findings if f.severity == "error"} == {
        "/automations/2/do/0", "/automations/2/do/0/txt"}
    # a second plugin with an action of the same name is refused
    class Clash:
        @hookimpl
        def goldsieve_actions(self):
            from goldsieve.automation.actions import Action
            return [Action("notify", {"type": "object"}, lambda context: None)]

    with pytest.raises(PluginLoadError, match="notify"):
        actions(make_plugin_manager(extra=[Clash()], entry_points=False))


class EveryLeadToLi:
    @hookimpl
    def goldsieve_assign_owner(self, deal, funnel, rule, store):
        return "li" if rule.get("rule") == "always_li" else None


def test_hook_goldsieve_assign_owner(goldsieve_runtime, goldsieve_register, goldsieve_make_user,
                                     goldsieve_make_team):
    hook = goldsieve_runtime.pm.hook
    funnel = goldsieve_runtime.funnels.get("handmade")
    goldsieve_make_team("east")
    for name in ("ann", "bo"):
        goldsieve_make_user(name, "rep", team="east")
    goldsieve_make_user("li", "rep")

    def ask(rule, **data):
        return hook.goldsieve_assign_owner(deal={"data": data}, funnel=funnel, rule=rule,
                                           store=goldsieve_runtime.store, context=goldsieve_runtime.pm.context)

    assert ask({"rule": "round_robin", "team": "east"}) == "ann"
    engine = goldsieve_runtime.engine
    ann = goldsieve_runtime.store.find("users", Eq("username", "ann"))[0]
    engine.create(ann, "handmade", "Ann's", {"company": "A"})
    assert ask({"rule": "round_robin", "team": "east"}) == "bo"  # ann holds one: bo's turn
    assert ask({"rule": "least_loaded", "team": "east"}) == "bo"
    assert ask({"rule": "by_field", "field": "region", "map": {"north": "user:li"},
                "default": "team:east"}, region="north") == "li"
    assert ask({"rule": "always_li"}) is None  # nobody handles it yet
    goldsieve_register(EveryLeadToLi())
    assert ask({"rule": "always_li"}) == "li"
    assert ask({"rule": "round_robin", "team": "east"}) == "bo"  # the built-in still answers


class PilotRegionOnly:
    """The example from docs/plugins.md: interns see only the pilot region's deals."""

    @hookimpl
    def goldsieve_visibility(self, user):
        if user.get("role") == "rep" and user["username"].startswith("intern."):
            return Eq("data.region", "pilot")
        return None


def _with_region() -> dict:
    """The example funnel declaring the ``region`` the docs' example filters on."""
    funnel = load_funnel("design_example")
    funnel["fields"]["properties"]["region"] = {"type": "string", "title": "Region"}
    return funnel


@pytest.mark.parametrize("goldsieve_funnel", [_with_region()], ids=["region"])
def test_hook_goldsieve_visibility(goldsieve_engine, goldsieve_make_user, goldsieve_register,
                                   goldsieve_user):
    intern = goldsieve_make_user("intern.ivy", "rep")
    pilot = goldsieve_engine.create(intern, "handmade", "Pilot", {"company": "A", "region": "pilot"})
    other = goldsieve_engine.create(intern, "handmade", "Other", {"company": "B", "region": "south"})
    assert {d["id"] for d in goldsieve_engine.list(intern)} == {pilot["id"], other["id"]}
    goldsieve_register(PilotRegionOnly())
    # AND-ed with the built-in "own deals": narrower, inside the store query
    assert [d["id"] for d in goldsieve_engine.list(intern)] == [pilot["id"]]
    with pytest.raises(NotFound):
        goldsieve_engine.get(intern, other["id"])
    assert len(goldsieve_engine.list(goldsieve_user)) == 2, "an admin is not an intern"

    class SeeEverything:
        @hookimpl
        def goldsieve_visibility(self):
            return Everything()

    goldsieve_register(SeeEverything())
    assert [d["id"] for d in goldsieve_engine.list(intern)] == [pilot["id"]], "cannot widen"


def test_without_a_visibility_filter_nobody_sees_anything(goldsieve_runtime, goldsieve_user):
    engine = goldsieve_runtime.engine
    deal = engine.create(goldsieve_user, "handmade", "T", {"company": "C"})
    goldsieve_runtime.pm.set_blocked("goldsieve.plugins.permissions")
    assert engine.scope(goldsieve_user) == Nothing()
    assert engine.list(goldsieve_user) == []
    with pytest.raises(NotFound):
        engine.get(goldsieve_user, deal["id"])


class NoBigDeals:
    """The example from docs/plugins.md: nobody but an admin touches a deal above ten million."""

    @hookimpl
    def goldsieve_permission(self, user, action, deal):
        big = deal is not None and deal["data"].get("amount", 0) > 10_000_000
        if big and action in ("edit", "move") and user.get("role") != "admin":
            return False
        return None


def test_hook_goldsieve_permission(goldsieve_engine, goldsieve_make_user, goldsieve_register,
                                   goldsieve_user):
    rep = goldsieve_make_user("rita", "rep")
    big = goldsieve_engine.create(rep, "handmade", "Big", {"company": "A", "amount": 20_000_000})
    goldsieve_register(NoBigDeals())
    with pytest.raises(Forbidden):
        goldsieve_engine.update(rep, big["id"], {"amount": 30_000_000})
    with pytest.raises(Forbidden):
        goldsieve_engine.move(rep, big["id"], "lost", lost_reason="price")
    assert goldsieve_engine.get(rep, big["id"])["version"] == 1, "nothing written"
    assert goldsieve_engine.update(goldsieve_user, big["id"], {"amount": 1})["version"] == 2

    class RepsMayReopen:  # the built-in rules never deny: another plugin can grant more
        @hookimpl
        def goldsieve_permission(self, user, action):
            return True if action == "reopen" and user.get("role") == "rep" else None

    goldsieve_engine.lose(rep, big["id"], "price")
    with pytest.raises(Forbidden):
        goldsieve_engine.reopen(rep, big["id"])
    goldsieve_register(RepsMayReopen())
    assert goldsieve_engine.reopen(rep, big["id"])["status"] == "open"


class Widgets:
    @hookimpl
    def goldsieve_field_widgets(self):
        return {"stars": lambda name, value: f'<input name="{name}" type="range" max="5">'}


def test_hook_goldsieve_field_widgets():
    registry = field_widgets(make_plugin_manager(extra=[Widgets()], entry_points=False))
    assert registry["stars"]("rating", 3).startswith('<input name="rating"')
    with pytest.raises(PluginLoadError, match="stars"):
        field_widgets(make_plugin_manager(extra=[Widgets(), Widgets()], entry_points=False))


class Pages:
    def __init__(self, name="extra"):
        from flask import Blueprint

        from goldsieve.ui.access import public

        self.bp = Blueprint(name, __name__, url_prefix="/extra")
        self.bp.add_url_rule("/private", "private", lambda: "private page")
        self.bp.add_url_rule("/open", "open", public(lambda: "open page"))

    @hookimpl
    def goldsieve_blueprints(self):
        return [self.bp]


def test_hook_goldsieve_blueprints(goldsieve_workspace, goldsieve_clock):
    from goldsieve.web.app import create_app

    with open_runtime(goldsieve_workspace, clock=goldsieve_clock, entry_points=False,
                      plugins=[Pages()]) as runtime:
        app = create_app(runtime=runtime, config={"TESTING": True})
        endpoints = list(app.view_functions)
        assert endpoints.index("extra.private") > endpoints.index("deals.page")  # after built-ins
        client = app.test_client()
        assert client.get("/extra/open").get_data(as_text=True) == "open page"
        response = client.get("/extra/private")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    with open_runtime(goldsieve_workspace, clock=goldsieve_clock, entry_points=False,
                      plugins=[Pages(), Pages()]) as runtime, \
            pytest.raises(PluginLoadError, match="extra"):
        create_app(runtime=runtime, config={"TESTING": True})


TEAMS_PLUGIN = """
import json
from goldsieve import hookimpl
from goldsieve.automation.channels import Channel


class TeamsChannel(Channel):
    type = "teams"
    options = {"theme": {"type": "string", "pattern": "^[0-9A-F]{6}$", "default": "0076D7"}}

    def request(self, message, now):
        card = {"@type": "MessageCard", "themeColor": self.settings["theme"],
                "summary": message.title, "text": message.text}
        return self.url, json.dumps(card).encode(), {"Content-Type": "application/json"}


@hookimpl
def goldsieve_channels():
    return [TeamsChannel]
"""


class SecondSlack:
    @hookimpl
    def goldsieve_channels(self):
        from goldsieve.plugins.channels import SlackChannel

        return [type("OtherSlack", (SlackChannel,), {})]


def test_hook_goldsieve_channels(goldsieve_workspace, goldsieve_clock, receiver):
    from goldsieve.automation.channels import ChannelConfigError, Message
    from goldsieve.workspace import Workspace

    (goldsieve_workspace.path / "plugins" / "teams.py").write_text(TEAMS_PLUGIN, encoding="utf-8")
    config = goldsieve_workspace.path / "goldsieve.toml"
    config.write_text(config.read_text(encoding="utf-8") + (
        f'\n[channels.sales_room]\ntype = "teams"\nurl = "{receiver.url("/webhookb2/x")}"\n'
        'theme = "FF8800"\n'), encoding="utf-8")
    workspace = Workspace.load(goldsieve_workspace.path)
    with open_runtime(workspace, clock=goldsieve_clock, entry_points=False) as runtime:
        teams = runtime.channels["sales_room"]
        teams.send(Message(event="won", text="Acme won", deal={"id": 1, "title": "Acme"},
                           funnel="software", at="2026-01-05T09:00:00.000Z", key="k-1"))
    assert receiver.last.path == "/webhookb2/x"
    assert receiver.last.json == {"@type": "MessageCard", "themeColor": "FF8800",
                                  "summary": "Acme", "text": "Acme won"}
    config.write_text(config.read_text(encoding="utf-8").replace("FF8800", "orange"), encoding="utf-8")
    with pytest.raises(ChannelConfigError, match=r"\[channels.sales_room\] theme: 'orange' does not match"):
        open_runtime(Workspace.load(goldsieve_workspace.path), entry_points=False)
    with pytest.raises(PluginLoadError, match="channel type 'slack'"):
        open_runtime(goldsieve_workspace, plugins=[SecondSlack()], entry_points=False)


# --- loading --------------------------------------------------------------------------------


def test_workspace_plugin_files_are_loaded(goldsieve_workspace, goldsieve_clock):
    (goldsieve_workspace.path / "plugins" / "no_friday.py").write_text(
        "from goldsieve import hookimpl\n"
        "from goldsieve.errors import Violation\n\n"
        "@hookimpl\n"
        "def goldsieve_gate_check(funnel, deal, target, user):\n"
        "    return [Violation('/to', 'friday', 'no moves today')] if target.id == 'qualified' else []\n",
        encoding="utf-8")
    with open_runtime(goldsieve_workspace, clock=goldsieve_clock, entry_points=False) as runtime:
        assert "workspace:no_friday.py" in dict(runtime.pm.list_name_plugin())
        user = {"username": "ann", "role": "rep"}
        deal = runtime.engine.create(user, "handmade", "T", {"company": "C", "needs_survey": "s"})
        with pytest.raises(ValidationFailed, match="no moves today"):
            runtime.engine.move(user, deal["id"], "qualified")


def test_a_plugin_that_fails_to_load_is_named(goldsieve_workspace):
    (goldsieve_workspace.path / "plugins" / "broken.py").write_text("import nonexistent_module_xyz\n")
    with pytest.raises(PluginLoadError, match="broken.py.*nonexistent_module_xyz"):
        make_plugin_manager(files=goldsieve_workspace.plugin_files(), entry_points=False)
    result = CliRunner().invoke(cli, ["check", str(goldsieve_workspace.path)])
    assert result.exit_code != 0


def test_a_plugin_with_a_misspelled_hook_is_refused():
    class Typo:
        @hookimpl
        def goldsieve_gate_chek(self, funnel, deal, target, user):
            return []

    with pytest.raises(PluginLoadError, match="gate_chek"):
        make_plugin_manager(extra=[Typo()], entry_points=False)


def test_trace_plugins_prints_hook_calls(monkeypatch, capsys):
    monkeypatch.setenv("GOLDSIEVE_TRACE_PLUGINS", "1")
    pm = make_plugin_manager(entry_points=False)
    templates(pm)
    assert "goldsieve trace: goldsieve_funnel_templates [goldsieve.plugins.templates]" in capsys.readouterr().err


ENTRY_POINT_PLUGIN = Widgets()


def test_entry_point_plugins_are_loaded_and_a_broken_one_is_named(monkeypatch):
    from importlib.metadata import EntryPoint

    import goldsieve.plugin_manager as manager

    good = EntryPoint("stars", f"{__name__}:ENTRY_POINT_PLUGIN", "goldsieve")
    monkeypatch.setattr(manager.importlib.metadata, "entry_points", lambda group: [good])
    assert "stars" in field_widgets(make_plugin_manager())
    broken = EntryPoint("crm_extras", "crm_extras_not_installed:plugin", "goldsieve")
    monkeypatch.setattr(manager.importlib.metadata, "entry_points", lambda group: [broken])
    with pytest.raises(PluginLoadError, match="crm_extras.*ModuleNotFoundError"):
        make_plugin_manager()

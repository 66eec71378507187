"""``disable_plugins`` in goldsieve.toml: a disabled plugin is never registered, wherever the
workspace's plugins are built (the runtime, the web app, ``goldsieve check``, the commands)."""
from __future__ import annotations

import json
from importlib.metadata import EntryPoint

import pytest
from click.testing import CliRunner

from goldsieve import hookimpl
from goldsieve.checking import check_paths
from goldsieve.cli import cli
from goldsieve.errors import ValidationFailed
from goldsieve.plugin_manager import PluginLoadError, field_widgets, make_plugin_manager
from goldsieve.runtime import open_runtime
from goldsieve.workspace import Workspace, WorkspaceError

from tests.plugins.test_plugin_hooks import HOUSE_RULES

ADMIN = {"username": "ann", "role": "admin"}


def disable(workspace: Workspace, setting: str) -> Workspace:
    """The workspace with ``disable_plugins = <setting>`` (TOML) in its goldsieve.toml."""
    config = workspace.path / "goldsieve.toml"
    lines = [line for line in config.read_text(encoding="utf-8").splitlines()
             if not line.startswith("disable_plugins")]
    config.write_text(f"disable_plugins = {setting}\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return Workspace.load(workspace.path)


def test_a_disabled_gate_plugin_lets_a_gated_move_through(goldsieve_workspace, goldsieve_clock):
    with open_runtime(goldsieve_workspace, clock=goldsieve_clock, entry_points=False) as runtime:
        deal = runtime.engine.create(ADMIN, "handmade", "Gated", {"company": "C"})
        with pytest.raises(ValidationFailed, match="needs_survey"):
            runtime.engine.move(ADMIN, deal["id"], "qualified")
    workspace = disable(goldsieve_workspace, '["goldsieve.plugins.gates"]')
    with open_runtime(workspace, clock=goldsieve_clock, entry_points=False) as runtime:
        assert runtime.pm.is_blocked("goldsieve.plugins.gates")
        assert not any(impl.plugin_name == "goldsieve.plugins.gates"
                       for impl in runtime.pm.hook.goldsieve_gate_check.get_hookimpls())
        assert runtime.engine.move(ADMIN, deal["id"], "qualified")["stage"] == "qualified"


def test_an_unknown_name_fails_start_up_naming_it_and_writes_nothing(goldsieve_workspace):
    from goldsieve.web.app import create_app

    workspace = disable(goldsieve_workspace, '["goldsieve.plugins.gates", "goldsieve.plugins.lnt"]')
    data = workspace.path / "data"
    with pytest.raises(PluginLoadError, match=r"disable_plugins: no plugin is named 'goldsieve.plugins.lnt'; "
                                              r"the plugins are: goldsieve.plugins.channels, .*lint"):
        open_runtime(workspace, entry_points=False)
    with pytest.raises(PluginLoadError, match="goldsieve.plugins.lnt"):
        create_app(workspace)
    assert not data.exists() or list(data.iterdir()) == [], "the store was never opened"


def test_the_command_line_prints_one_line_and_exits_1(goldsieve_workspace, monkeypatch):
    import goldsieve.plugin_manager as manager

    monkeypatch.setattr(manager.importlib.metadata, "entry_points", lambda group: [])  # the defaults only
    disable(goldsieve_workspace, '["nope"]')
    for command in (["check", str(goldsieve_workspace.path)],
                    ["channels", "list", "--workspace", str(goldsieve_workspace.path)],
                    ["users", "list", "--workspace", str(goldsieve_workspace.path)]):
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 1, command
        assert result.output.splitlines() == [
            f"Error: disable_plugins: no plugin is named 'nope'; the plugins are: "
            "goldsieve.plugins.channels, goldsieve.plugins.gates, goldsieve.plugins.lint, "
            "goldsieve.plugins.permissions, goldsieve.plugins.templates, goldsieve.plugins.actions, "
            "goldsieve.plugins.assignment"], command


@pytest.mark.parametrize("setting", ['"goldsieve.plugins.gates"', '["goldsieve.plugins.gates", 3]',
                                     "{ gates = true }"])
def test_a_setting_that_is_not_a_list_of_names_is_refused(goldsieve_workspace, setting):
    with pytest.raises(WorkspaceError, match=r"goldsieve.toml: disable_plugins must be a list of plugin names"):
        disable(goldsieve_workspace, setting)
    result = CliRunner().invoke(cli, ["check", str(goldsieve_workspace.path)])
    assert result.exit_code == 1 and len(result.output.splitlines()) == 1
    assert "disable_plugins must be a list" in result.output


def test_check_leaves_out_a_disabled_workspace_plugin(goldsieve_workspace):
    (goldsieve_workspace.path / "plugins" / "house_rules.py").write_text(HOUSE_RULES, encoding="utf-8")

    def house_findings() -> list[str]:
        findings, _ = check_paths([goldsieve_workspace.path])
        return [f.message for _, f in findings if f.message == "more than six stages"]

    assert house_findings() == ["more than six stages"]
    disable(goldsieve_workspace, '["workspace:house_rules.py"]')
    assert house_findings() == []


class Stars:
    @hookimpl
    def goldsieve_field_widgets(self):
        return {"stars": lambda name, value: ""}


STARS = Stars()


def test_an_entry_point_is_disabled_by_its_name_and_never_loaded(monkeypatch):
    import goldsieve.plugin_manager as manager

    installed = [EntryPoint("stars", f"{__name__}:STARS", "goldsieve"),
                 EntryPoint("crm_extras", "crm_extras_not_installed:plugin", "goldsieve")]
    monkeypatch.setattr(manager.importlib.metadata, "entry_points", lambda group: installed)
    with pytest.raises(PluginLoadError, match="crm_extras"):
        make_plugin_manager()
    pm = make_plugin_manager(disabled=["crm_extras"])  # the broken one is never imported
    assert "stars" in field_widgets(pm) and pm.is_blocked("crm_extras")
    # without entry points (as in tests), an installed entry point is still a known name
    assert make_plugin_manager(entry_points=False, disabled=["stars"]).is_blocked("stars")


def test_two_workspaces_are_checked_each_with_its_own_plugins(goldsieve_workspace, tmp_path):
    from goldsieve.workspace import init_workspace

    [funnel] = goldsieve_workspace.funnel_files()
    other = init_workspace(tmp_path / "other", json.loads(funnel.read_text(encoding="utf-8")))
    (other.path / "plugins" / "house_rules.py").write_text(HOUSE_RULES, encoding="utf-8")
    findings, files = check_paths([goldsieve_workspace.path, other.path])
    assert len(files) == 2
    assert [path.parents[1] for path, f in findings if f.message == "more than six stages"] == [other.path]

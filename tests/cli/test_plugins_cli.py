"""``goldsieve plugins``: every plugin, where it came from, the hooks it implements."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from goldsieve import hookimpl
from goldsieve.cli import cli

OBSERVER = """
from goldsieve import hookimpl

@hookimpl
def goldsieve_deal_event(event):
    pass

@hookimpl
def goldsieve_lint_funnel(definition):
    return []
"""


class Stars:
    @hookimpl
    def goldsieve_field_widgets(self):
        return {"stars": lambda name, value: ""}


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Path:
    """A workspace with a plugin file and the lint plugin disabled; one installed entry point."""
    import goldsieve.plugin_manager as manager

    installed = SimpleNamespace(name="stars", load=Stars,
                                dist=SimpleNamespace(name="solar-crm", version="1.2.0"))
    monkeypatch.setattr(manager.importlib.metadata, "entry_points", lambda group: [installed])
    monkeypatch.delenv("GOLDSIEVE_WORKSPACE", raising=False)
    folder = tmp_path / "acme"
    assert run("init", str(folder)).exit_code == 0
    (folder / "plugins" / "observer.py").write_text(OBSERVER, encoding="utf-8")
    config = folder / "goldsieve.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "disable_plugins = []", 'disable_plugins = ["goldsieve.plugins.lint"]'), encoding="utf-8")
    return folder


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def blocks(output: str) -> dict[str, list[str]]:
    """The listing's blocks, by plugin name: the lines under each name."""
    found = {}
    for block in output.strip().split("\n\n"):
        name, *lines = block.splitlines()
        found[name] = lines
    return found


def test_lists_each_plugin_with_its_origin_and_hooks(workspace):
    result = run("plugins", "--workspace", str(workspace))
    assert result.exit_code == 0, result.output
    listed = blocks(result.output)
    assert list(listed)[:2] == ["goldsieve.plugins.channels", "goldsieve.plugins.gates"]
    assert list(listed)[-2:] == ["stars", "workspace:observer.py"]
    assert listed["goldsieve.plugins.permissions"] == [
        "  from:  default plugin", "  hooks: goldsieve_permission, goldsieve_visibility"]
    assert listed["stars"] == ["  from:  entry point stars from solar-crm 1.2.0",
                               "  hooks: goldsieve_field_widgets"]
    assert listed["workspace:observer.py"] == [
        f"  from:  workspace file {workspace / 'plugins' / 'observer.py'}",
        "  hooks: goldsieve_deal_event, goldsieve_lint_funnel"]
    assert listed["goldsieve.plugins.lint"] == [
        "  from:  default plugin", "  disabled in goldsieve.toml (disable_plugins)"]


def test_json_for_machines(workspace):
    result = run("plugins", "--json", "--workspace", str(workspace))
    assert result.exit_code == 0, result.output
    plugins = {p["name"]: p for p in json.loads(result.output)}
    assert plugins["stars"] == {
        "name": "stars", "disabled": False, "hooks": ["goldsieve_field_widgets"],
        "origin": {"kind": "entry_point", "entry_point": "stars", "distribution": "solar-crm",
                   "version": "1.2.0", "file": None}}
    assert plugins["goldsieve.plugins.lint"]["disabled"] is True
    assert plugins["goldsieve.plugins.lint"]["hooks"] == []
    assert plugins["workspace:observer.py"]["origin"]["kind"] == "workspace_file"
    assert plugins["goldsieve.plugins.gates"]["origin"]["kind"] == "default"


def test_outside_a_workspace_lists_the_installed_plugins(workspace, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # holds the workspace, is none
    result = run("plugins")
    assert result.exit_code == 0, result.output
    listed = blocks(result.output)
    assert "stars" in listed and "goldsieve.plugins.lint" in listed
    assert not any(name.startswith("workspace:") for name in listed)
    assert listed["goldsieve.plugins.lint"][-1] == "  hooks: goldsieve_lint_funnel", "enabled here"


def test_a_folder_named_must_be_a_workspace_and_its_plugins_must_load(workspace, tmp_path):
    result = run("plugins", "--workspace", str(tmp_path / "missing"))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Error: {tmp_path / 'missing'} is not a goldsieve workspace (no goldsieve.toml); "
        "create one with `goldsieve init DIR`"]
    (workspace / "plugins" / "broken.py").write_text("import nonexistent_module_xyz\n", encoding="utf-8")
    result = run("plugins", "--workspace", str(workspace))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Error: plugin workspace:broken.py failed to load: ModuleNotFoundError: "
        "No module named 'nonexistent_module_xyz'"]

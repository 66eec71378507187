"""``goldsieve check``: which files to check, validation, then the plugins' lint."""
from __future__ import annotations

from pathlib import Path

import pluggy

from .automation.check import automation_findings
from .funnels.check import Finding, load_file
from .plugin_manager import actions, lint, make_plugin_manager
from .workspace import CONFIG_NAME, Workspace


def funnel_files(path: Path) -> list[Path]:
    """A file is itself; a workspace folder means its ``funnels/*.json``; another folder, its ``*.json``."""
    if path.is_dir():
        if (path / CONFIG_NAME).is_file():
            return Workspace.load(path).funnel_files()
        return sorted(path.glob("*.json"))
    return [path]


def lint_findings(pm: pluggy.PluginManager, definition: dict, channels: set[str] | None
                  ) -> list[Finding]:
    """What follows validation of a valid definition: the plugins' lint and the check of its
    automations against the installed actions and (unless ``None``) the workspace's channels.
    ``goldsieve check``, the runtime's start-up and the designer all ask this one question."""
    return lint(pm, definition) + automation_findings(definition, actions(pm), channels)


def check_paths(paths: list[Path]) -> tuple[list[tuple[Path, Finding]], list[Path]]:
    """Every finding of every funnel file under ``paths``, and the files that were checked.

    Lint runs only on definitions without validation errors: its rules may assume a valid shape.
    A workspace's own plugins take part, so its custom lint rules and actions count where they
    apply; its ``[channels]`` are the channels a workspace's automations may name (a lone file
    is checked without: any channel name passes).
    """
    files: list[tuple[Path, set[str] | None]] = []
    plugin_files: list[Path] = []
    modules: list[str] = []
    for path in paths:
        channels = None
        if path.is_dir() and (path / CONFIG_NAME).is_file():
            workspace = Workspace.load(path)
            plugin_files += workspace.plugin_files()
            modules += workspace.plugin_modules
            channels = set(workspace.config.get("channels") or {})
        files += [(file, channels) for file in funnel_files(path)]
    pm = make_plugin_manager(modules=modules, files=plugin_files)
    results: list[tuple[Path, Finding]] = []
    for file, channels in files:
        definition, found = load_file(file)
        if definition is not None and not any(f.severity == "error" for f in found):
            found += lint_findings(pm, definition, channels)
        results += [(file, f) for f in found]
    return results, [file for file, _ in files]

"""``goldsieve check``: which files to check, validation, then the plugins' lint."""
from __future__ import annotations

from pathlib import Path

import pluggy

from .automation.check import automation_findings
from .deals.activity_gates import gate_findings
from .errors import DefinitionError
from .funnels.check import Finding, load_file
from .plugin_manager import PluginManager, actions, lint, make_plugin_manager
from .records.check import load_record
from .records.model import RecordTypes, load_types, record_files
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
    A workspace's funnels are checked with the workspace's own plugins (its ``plugins/`` files,
    ``plugins = […]`` modules, less ``disable_plugins``), so its custom lint rules and actions
    count where they apply, and only there; its ``[channels]`` are the channels its automations
    may name. A lone file, or a folder outside a workspace, is checked with the installed
    plugins, and any channel name passes. A workspace's record-type files
    (``records/customer.json``, ``records/contact.json``, ``records/activity.json``) are checked
    too, and its funnels' activity gates against its declared activity types and contact roles.
    """
    checks: list[tuple[list[Path], PluginManager, set[str] | None, RecordTypes | None]] = []
    installed: PluginManager | None = None
    records: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir() and (path / CONFIG_NAME).is_file():
            workspace = Workspace.load(path)
            checks.append((workspace.funnel_files(), workspace.plugin_manager(),
                           set(workspace.config.get("channels") or {}), _types(workspace.path)))
            records += [(file, kind) for kind, file in record_files(workspace.path).items()]
        else:
            installed = installed or make_plugin_manager()
            checks.append((funnel_files(path), installed, None, None))
    results: list[tuple[Path, Finding]] = []
    for files, pm, channels, types in checks:
        for file in files:
            definition, found = load_file(file)
            if definition is not None and not any(f.severity == "error" for f in found):
                found += lint_findings(pm, definition, channels)
                if types is not None:
                    found += gate_findings(definition, types.activity.ids, types.contact.role_ids)
            results += [(file, f) for f in found]
    for file, kind in records:
        results += [(file, f) for f in load_record(file, kind)[1]]
    return results, [file for files, *_ in checks for file in files] + [file for file, _ in records]


def _types(workspace: Path) -> RecordTypes | None:
    """The workspace's record types, or ``None`` when a record file is broken (its own findings
    say why; gates are then not checked against it)."""
    try:
        return load_types(workspace)
    except DefinitionError:
        return None

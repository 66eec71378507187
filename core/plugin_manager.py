"""Building the plugin manager: specs, default plugins, entry points, workspace plugins.

There is no global plugin manager: each app (and each CLI command that needs hooks) builds its
own, so tests and several apps in one process never see each other's plugins.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import logging
import os
import sys
from pathlib import Path
from typing import Any, Iterable

import pluggy

from . import hookspecs
from .errors import GoldsieveError

log = logging.getLogger("goldsieve.plugins")

#: Built-in features, registered exactly as a third-party plugin would be.
DEFAULT_PLUGINS = (
    "goldsieve.plugins.channels",
    "goldsieve.plugins.gates",
    "goldsieve.plugins.lint",
    "goldsieve.plugins.permissions",
    "goldsieve.plugins.templates",
    "goldsieve.plugins.actions",
    "goldsieve.plugins.assignment",
)
ENTRY_POINT_GROUP = "goldsieve"


class PluginLoadError(GoldsieveError):
    """A plugin could not be loaded; the message names it and its error."""


def make_plugin_manager(
    modules: Iterable[str] = (),
    files: Iterable[Path] = (),
    extra: Iterable[Any] = (),
    entry_points: bool = True,
) -> pluggy.PluginManager:
    """A plugin manager with the default plugins, entry points, ``modules``, ``files``, ``extra``."""
    pm = pluggy.PluginManager("goldsieve")
    pm.add_hookspecs(hookspecs)
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    if entry_points:
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if pm.get_plugin(ep.name) is None:
                pm.register(_load(ep.name, ep.load), name=ep.name)
    for name in modules:
        if pm.get_plugin(name) is None:
            pm.register(_load(name, lambda: importlib.import_module(name)), name=name)
    for path in files:
        pm.register(_load(path.name, lambda: _import_file(path)), name=f"workspace:{path.name}")
    for plugin in extra:
        pm.register(plugin)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as error:
        raise PluginLoadError(f"plugin {error.plugin!r}: {error}") from None
    if os.environ.get("GOLDSIEVE_TRACE_PLUGINS"):
        pm.trace.root.setwriter(lambda message: log.info("%s", message.rstrip()))
        pm.enable_tracing()
    return pm


def _load(name: str, loader) -> Any:
    try:
        return loader()
    except Exception as error:
        raise PluginLoadError(f"plugin {name} failed to load: {type(error).__name__}: {error}") from error


def _import_file(path: Path) -> Any:
    module_name = f"goldsieve_workspace_plugin_{abs(hash(str(path.resolve())))}_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def call_each_plugin(pm: pluggy.PluginManager, name: str, **kwargs: Any) -> list[tuple[str, Exception]]:
    """Call hook ``name`` once for each plugin implementing it, so one that raises stops no other.

    A plain hook call stops at the first implementation that raises, and calling
    ``impl.function`` directly would skip what pluggy does for us: passing an implementation
    only the arguments it names, and tracing (``GOLDSIEVE_TRACE_PLUGINS``,
    ``pm.add_hookcall_monitoring``). So each plugin is called through its own
    :meth:`pluggy.PluginManager.subset_hook_caller` (the hook without every other plugin that
    implements it): a public pluggy API whose calls run through the manager like any hook call,
    tracing included, and that reads the registered plugins at call time, so one registered
    after the engine was built takes part. Wrappers stay in every subset, so a plugin that wraps
    the hook wraps each call. Plugins are called in pluggy's order (the last registered first).

    :returns: ``(plugin name, exception)`` for each plugin that raised; the caller logs them.
    """
    impls = reversed(getattr(pm.hook, name).get_hookimpls())
    plugins = list(dict.fromkeys(impl.plugin for impl in impls if not (impl.wrapper or impl.hookwrapper)))
    failures: list[tuple[str, Exception]] = []
    for plugin in plugins:
        others = [other for other in plugins if other is not plugin]
        try:
            pm.subset_hook_caller(name, others)(**kwargs)
        except Exception as error:
            failures.append((pm.get_name(plugin) or repr(plugin), error))
    return failures


def collect_registry(results: Iterable[dict[str, Any]], what: str) -> dict[str, Any]:
    """Merge the mappings plugins return into one; the same name twice is an error."""
    merged: dict[str, Any] = {}
    for result in results:
        for name, value in (result or {}).items():
            if name in merged:
                raise PluginLoadError(f"two plugins register the {what} {name!r}")
            merged[name] = value
    return merged


def templates(pm: pluggy.PluginManager) -> dict[str, dict]:
    """Every industry template the plugins provide, by id; a duplicate id is an error."""
    return collect_registry(
        ({t["id"]: t for t in batch} for batch in pm.hook.goldsieve_funnel_templates()),
        "template",
    )


def lint(pm: pluggy.PluginManager, definition: dict) -> list:
    """The plugins' lint findings for a valid funnel definition."""
    return [finding for batch in pm.hook.goldsieve_lint_funnel(definition=definition) for finding in batch or []]


def field_widgets(pm: pluggy.PluginManager) -> dict[str, Any]:
    """Every form widget the plugins register, by name; a duplicate name is an error."""
    return collect_registry(pm.hook.goldsieve_field_widgets(), "widget")


def actions(pm: pluggy.PluginManager) -> dict[str, Any]:
    """Every automation action the plugins register, by name; a duplicate name is an error."""
    return collect_registry(({a.name: a for a in batch or []} for batch in pm.hook.goldsieve_actions()),
                            "action")


def blueprints(pm: pluggy.PluginManager) -> list[Any]:
    """Every Flask blueprint the plugins add, in registration order."""
    return [bp for batch in pm.hook.goldsieve_blueprints() for bp in batch or []]

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
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable

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


@dataclass(frozen=True)
class Origin:
    """Where a plugin came from, for ``goldsieve plugins``.

    ``kind`` is ``default``, ``entry_point`` (with the entry point's name and, when installed
    from one, its distribution and version), ``module`` (named in ``plugins = […]``),
    ``workspace_file`` (with the file) or ``extra`` (registered by code, as tests do).
    """

    kind: str
    entry_point: str | None = None
    distribution: str | None = None
    version: str | None = None
    file: str | None = None

    def describe(self) -> str:
        """The origin as a person reads it."""
        if self.kind == "entry_point":
            source = f" from {self.distribution} {self.version}" if self.distribution else ""
            return f"entry point {self.entry_point}{source}"
        if self.kind == "workspace_file":
            return f"workspace file {self.file}"
        return {"default": "default plugin", "module": "module named in goldsieve.toml plugins",
                "extra": "registered by the program"}[self.kind]


class PluginManager(pluggy.PluginManager):
    """pluggy's plugin manager, remembering where each plugin it was built with came from."""

    def __init__(self) -> None:
        super().__init__("goldsieve")
        #: plugin name → origin, for every plugin :func:`make_plugin_manager` registered or
        #: blocked, in that order
        self.origins: dict[str, Origin] = {}


def make_plugin_manager(
    modules: Iterable[str] = (),
    files: Iterable[Path] = (),
    extra: Iterable[Any] = (),
    entry_points: bool = True,
    disabled: Iterable[str] = (),
) -> PluginManager:
    """A plugin manager with the default plugins, entry points, ``modules``, ``files``, ``extra``.

    The names in ``disabled`` (a workspace's ``disable_plugins``) are blocked before anything
    is registered, so a disabled plugin is never imported, and its hooks never run; a name that
    is no plugin's is refused, so a typo cannot leave a plugin running that was meant to be off.
    An installed entry point counts as a plugin even when ``entry_points`` is false (tests), so
    a workspace's setting means the same there.
    """
    pm = PluginManager()
    pm.add_hookspecs(hookspecs)
    installed = list(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)) \
        if entry_points or disabled else []
    sources = _sources(modules, files, installed if entry_points else [])
    known = list(sources) + [ep.name for ep in installed if ep.name not in sources]
    for name in disabled:
        if name not in known:
            raise PluginLoadError(f"disable_plugins: no plugin is named {name!r}; "
                                  f"the plugins are: {', '.join(known)}")
        pm.set_blocked(name)
    for name, (origin, loader) in sources.items():
        pm.origins[name] = origin
        if not pm.is_blocked(name):
            pm.register(_load(name, loader), name=name)
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


def _sources(modules: Iterable[str], files: Iterable[Path], installed: list[importlib.metadata.EntryPoint]
             ) -> dict[str, tuple[Origin, Callable[[], Any]]]:
    """Every plugin to register, by the name it is registered under: its origin and its loader.

    The order is the registration order (defaults, entry points, modules, workspace files); a
    name already taken keeps its first plugin.
    """
    found: dict[str, tuple[Origin, Callable[[], Any]]] = {}
    for name in DEFAULT_PLUGINS:
        found[name] = (Origin("default"), partial(importlib.import_module, name))
    for ep in installed:
        dist = ep.dist
        found.setdefault(ep.name, (Origin("entry_point", entry_point=ep.name,
                                          distribution=dist.name if dist else None,
                                          version=dist.version if dist else None), ep.load))
    for name in modules:
        found.setdefault(name, (Origin("module"), partial(importlib.import_module, name)))
    for path in files:
        found.setdefault(f"workspace:{path.name}", (Origin("workspace_file", file=str(path)),
                                                    partial(_import_file, path)))
    return found


def _load(name: str, loader: Callable[[], Any]) -> Any:
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


@dataclass(frozen=True)
class PluginInfo:
    """One plugin as ``goldsieve plugins`` shows it: a disabled one implements no hooks."""

    name: str
    origin: Origin
    disabled: bool
    hooks: tuple[str, ...]


def describe_plugins(pm: PluginManager) -> list[PluginInfo]:
    """Every plugin the manager knows, registered or disabled, in registration order."""
    plugins = dict(pm.list_name_plugin())
    described = []
    for name in [*(n for n in pm.origins if n in plugins), *(n for n in plugins if n not in pm.origins)]:
        callers = pm.get_hookcallers(plugins[name]) if plugins[name] is not None else None
        described.append(PluginInfo(name, pm.origins.get(name, Origin("extra")), plugins[name] is None,
                                    tuple(sorted(caller.name for caller in callers or []))))
    return described


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

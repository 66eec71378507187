"""Building the plugin manager: specs, default plugins, entry points, workspace plugins.

There is no global plugin manager: each app (and each CLI command that needs hooks) builds its
own, so tests and several apps in one process never see each other's plugins.
"""
from __future__ import annotations

import contextvars
import difflib
import importlib
import importlib.metadata
import importlib.util
import inspect
import logging
import os
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import pluggy

from . import hookspecs
from .errors import GoldsieveError, PluginResultError
from .plugin_context import PluginContext

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
        #: what every hook call passes as ``context`` (the workspace's, once there is one)
        self.context = PluginContext()


def make_plugin_manager(
    modules: Iterable[str] = (),
    files: Iterable[Path] = (),
    extra: Iterable[Any] = (),
    entry_points: bool = True,
    disabled: Iterable[str] = (),
    context: PluginContext | None = None,
) -> PluginManager:
    """A plugin manager with the default plugins, entry points, ``modules``, ``files``, ``extra``.

    The names in ``disabled`` (a workspace's ``disable_plugins``) are blocked before anything
    is registered, so a disabled plugin is never imported, and its hooks never run; a name that
    is no plugin's is refused, so a typo cannot leave a plugin running that was meant to be off.
    An installed entry point counts as a plugin even when ``entry_points`` is false (tests), so
    a workspace's setting means the same there.
    """
    pm = PluginManager()
    pm.context = context or pm.context
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
            register(pm, _load(name, loader), name)
    for plugin in (*extra, *(p for p in _in_context.get() if p not in extra)):
        register(pm, plugin)
    _check_hook_names(pm)
    if os.environ.get("GOLDSIEVE_TRACE_PLUGINS"):
        trace_calls(pm)
    return pm


#: Plugins every manager built in this context registers besides its workspace's: how the
#: testing kit's in-process commands (``goldsieve_cli``) run with the test's plugins.
_in_context: contextvars.ContextVar[tuple[Any, ...]] = contextvars.ContextVar("goldsieve_plugins", default=())


@contextmanager
def plugins_in_context(plugins: Iterable[Any]) -> Iterator[None]:
    """Within the block, every plugin manager built also registers ``plugins`` (as ``extra``)."""
    token = _in_context.set(tuple(plugins))
    try:
        yield
    finally:
        _in_context.reset(token)


def register(pm: pluggy.PluginManager, plugin: Any, name: str | None = None) -> None:
    """Register ``plugin``; a mistake is one :class:`PluginLoadError` line that says the fix.

    pluggy's own errors are a multi-line ``PluginValidationError`` for an argument the hook
    does not have, and ``ValueError: Plugin already registered under a different name`` for a
    module listed twice (an entry point and ``plugins = […]``): neither says what to change.
    """
    shown = name or pm.get_canonical_name(plugin)
    if pm.is_registered(plugin):
        raise PluginLoadError(
            f"plugin {shown} is already registered as {plugin_name(pm, plugin)}: it is listed twice "
            "(an installed entry point and plugins = [...] in goldsieve.toml, say); keep one of them")
    if name is not None and pm.has_plugin(name):
        raise PluginLoadError(f"two plugins are named {name}: rename one of them")
    try:
        pm.register(plugin, name=name)
    except pluggy.PluginValidationError as error:
        raise PluginLoadError(_argument_mistake(pm, plugin, shown) or
                              f"plugin {shown}: {' '.join(str(error).split())}") from None


def _argument_mistake(pm: pluggy.PluginManager, plugin: Any, name: str) -> str | None:
    """The first hook of ``plugin`` naming an argument its specification does not have."""
    for attr in dir(plugin):
        spec = getattr(hookspecs, attr, None)
        if spec is None or pm.parse_hookimpl_opts(plugin, attr) is None:
            continue
        allowed = list(inspect.signature(spec).parameters)
        for param in inspect.signature(getattr(plugin, attr)).parameters:
            if param not in allowed:
                return (f"plugin {name}: {attr} has no argument {param!r}; "
                        f"name only some of {', '.join(allowed)}")
    return None


def _check_hook_names(pm: pluggy.PluginManager) -> None:
    """Refuse a plugin implementing a hook goldsieve does not have, with the nearest real one."""
    for name, plugin in pm.list_name_plugin():
        for attr in dir(plugin) if plugin is not None else ():
            opts = pm.parse_hookimpl_opts(plugin, attr)
            if opts is None or opts.get("optionalhook") or hasattr(hookspecs, attr):
                continue
            hooks = [h for h in dir(hookspecs) if h.startswith("goldsieve_")]
            near = difflib.get_close_matches(attr, hooks, n=1)
            hint = f"did you mean {near[0]}?" if near else "docs/plugins.md lists the hooks"
            raise PluginLoadError(f"plugin {name}: {attr} is not a goldsieve hook; {hint}")


def trace_calls(pm: pluggy.PluginManager) -> None:
    """``GOLDSIEVE_TRACE_PLUGINS``: one line on standard error for each hook call, naming the
    hook, the plugins it ran (in calling order) and how long it took.

    Written straight to standard error, not through logging, so every command and the server
    print it without configuring a logger; arguments are left out (they hold deals and users).
    """
    local = threading.local()

    def before(hook_name: str, impls: list, kwargs: dict) -> None:
        local.__dict__.setdefault("started", []).append(time.perf_counter())

    def after(outcome: Any, hook_name: str, impls: list, kwargs: dict) -> None:
        took = (time.perf_counter() - local.started.pop()) * 1000
        plugins = ", ".join(plugin_name(pm, impl.plugin) for impl in reversed(impls)) or "no plugin"
        sys.stderr.write(f"goldsieve trace: {hook_name} [{plugins}] {took:.2f} ms\n")

    pm.add_hookcall_monitoring(before, after)


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


def each_plugin(pm: pluggy.PluginManager, name: str) -> Iterator[tuple[str, Callable[..., Any]]]:
    """Each plugin implementing hook ``name``, in pluggy's order (the last registered first),
    with a caller of the hook for that plugin alone.

    Calling ``impl.function`` directly would skip what pluggy does for us: passing an
    implementation only the arguments it names, and call monitoring (``GOLDSIEVE_TRACE_PLUGINS``,
    ``pm.add_hookcall_monitoring``). So each caller is a
    :meth:`pluggy.PluginManager.subset_hook_caller` (the hook without every other plugin that
    implements it), a public pluggy API whose calls run through the manager like any hook call.
    The plugins are read at call time, so one registered after the engine was built takes part;
    wrappers stay in every subset, so a plugin that wraps the hook wraps each call.
    """
    impls = reversed(getattr(pm.hook, name).get_hookimpls())
    plugins = list(dict.fromkeys(impl.plugin for impl in impls if not (impl.wrapper or impl.hookwrapper)))
    for plugin in plugins:
        others = [other for other in plugins if other is not plugin]
        yield plugin_name(pm, plugin), pm.subset_hook_caller(name, others)


def plugin_name(pm: pluggy.PluginManager, plugin: Any) -> str:
    """The name a message about ``plugin`` uses: its registered name, or for an object registered
    without one (pluggy names it by its ``id``) its class, which a reader can find."""
    name = pm.get_name(plugin) or str(id(plugin))
    if name == str(id(plugin)):
        return f"{type(plugin).__module__}.{type(plugin).__qualname__}"
    return name


def call_each_plugin(pm: pluggy.PluginManager, name: str, **kwargs: Any) -> list[tuple[str, Exception]]:
    """Call hook ``name`` once for each plugin implementing it, so one that raises stops no other
    (a plain hook call stops at the first implementation that raises).

    :returns: ``(plugin name, exception)`` for each plugin that raised; the caller logs them.
    """
    failures: list[tuple[str, Exception]] = []
    for plugin, call in each_plugin(pm, name):
        try:
            call(**hook_arguments(pm, **kwargs))
        except Exception as error:
            failures.append((plugin, error))
    return failures


def hook_arguments(pm: pluggy.PluginManager, **kwargs: Any) -> dict[str, Any]:
    """``kwargs`` and the manager's ``context``: every hook call passes it (an implementation
    that does not name it never sees it), so no call site can forget it."""
    return {"context": getattr(pm, "context", None), **kwargs}


def start_plugins(pm: pluggy.PluginManager) -> None:
    """Call every plugin's ``goldsieve_startup`` once; one that raises stops start-up, named."""
    for plugin, call in each_plugin(pm, "goldsieve_startup"):
        try:
            call(**hook_arguments(pm))
        except Exception as error:
            kind = "" if isinstance(error, GoldsieveError) else f"{type(error).__name__}: "
            raise PluginLoadError(f"plugin {plugin}: goldsieve_startup: {kind}{error}") from error


def collect(pm: pluggy.PluginManager, name: str, expected: str, valid: Callable[[Any], bool],
            **kwargs: Any) -> list[Any]:
    """Every plugin's answer to hook ``name`` (``None``, no answer, left out), in pluggy's order.

    An answer that is not ``valid`` raises :class:`~goldsieve.errors.PluginResultError` naming
    the plugin, the hook and the ``expected`` shape: the one place a plugin's mistake becomes an
    error that says whose it is, where a plain hook call would hand the kernel a value that fails
    later as a ``TypeError``.
    """
    answers = []
    for plugin, call in each_plugin(pm, name):
        for answer in call(**hook_arguments(pm, **kwargs)):
            if not valid(answer):
                raise PluginResultError(plugin, name, answer, expected)
            answers.append(answer)
    return answers


def _has(value: Any, *attributes: str) -> bool:
    """Duck typing for the shapes of objects this layer may not import (actions, findings,
    blueprints live in layers above the plugin manager)."""
    return all(hasattr(value, name) for name in attributes)


def list_of(*types: type, each: Callable[[Any], bool] | None = None) -> Callable[[Any], bool]:
    """A shape for :func:`collect`: a list (or tuple) whose items are all of ``types`` (when
    given) and all pass ``each`` (when given) — the one check of every hook answering a list."""
    def valid(answer: Any) -> bool:
        return isinstance(answer, (list, tuple)) and all(
            (not types or isinstance(item, types)) and (each is None or each(item)) for item in answer)

    return valid


def first_answer(pm: pluggy.PluginManager, name: str, expected: str, valid: Callable[[Any], bool],
                 **kwargs: Any) -> Any:
    """The answer of a ``firstresult`` hook: the first plugin's (in pluggy's order) that is not
    ``None``; one that is not ``valid`` raises :class:`~goldsieve.errors.PluginResultError`
    naming the plugin, as :func:`collect` does for the hooks whose answers are all collected."""
    for plugin, call in each_plugin(pm, name):
        answer = call(**hook_arguments(pm, **kwargs))
        if answer is None:
            continue
        if not valid(answer):
            raise PluginResultError(plugin, name, answer, expected)
        return answer
    return None


def assign_owner(pm: pluggy.PluginManager, **kwargs: Any) -> str | None:
    """Who the assignment plugins give a deal to (``goldsieve_assign_owner``'s arguments):
    a username, or ``None`` when no plugin handles the rule."""
    return first_answer(pm, "goldsieve_assign_owner", "a username (a non-empty str) or None",
                        lambda answer: isinstance(answer, str) and bool(answer), **kwargs)


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
    batches = collect(pm, "goldsieve_funnel_templates", "a list of funnel definitions (dicts with an id)",
                      list_of(dict, each=lambda template: isinstance(template.get("id"), str)))
    return collect_registry(({t["id"]: t for t in batch} for batch in batches), "template")


def lint(pm: pluggy.PluginManager, definition: dict) -> list:
    """The plugins' lint findings for a valid funnel definition."""
    batches = collect(pm, "goldsieve_lint_funnel", "a list of Finding (goldsieve.funnels.check)",
                      list_of(each=lambda f: _has(f, "pointer", "message", "severity")), definition=definition)
    return [finding for batch in batches for finding in batch]


def field_widgets(pm: pluggy.PluginManager) -> dict[str, Any]:
    """Every form widget the plugins register, by name; a duplicate name is an error."""
    return collect_registry(collect(pm, "goldsieve_field_widgets", "a dict of widget name to callable",
                                    lambda answer: isinstance(answer, dict)
                                    and all(isinstance(k, str) and callable(v) for k, v in answer.items())),
                            "widget")


def actions(pm: pluggy.PluginManager) -> dict[str, Any]:
    """Every automation action the plugins register, by name; a duplicate name is an error."""
    batches = collect(pm, "goldsieve_actions", "a list of Action (goldsieve.automation.actions)",
                      list_of(each=lambda a: isinstance(getattr(a, "name", None), str)
                              and callable(getattr(a, "run", None))))
    return collect_registry(({a.name: a for a in batch} for batch in batches), "action")


def blueprints(pm: pluggy.PluginManager) -> list[Any]:
    """Every Flask blueprint the plugins add, in registration order."""
    batches = collect(pm, "goldsieve_blueprints", "a list of flask.Blueprint",
                      list_of(each=lambda bp: _has(bp, "name", "register")))
    return [bp for batch in batches for bp in batch]

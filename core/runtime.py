"""Everything a workspace needs at run time, assembled once: plugins, store, funnels, engine.

Flask-free, so the CLI, the worker and tests use the very same assembly as the web app.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import pluggy

from .access import allowed, visibility
from .automation_check import automation_findings
from .channels import Channel, load_channels
from .clock import Clock, utc_now
from .delivery import Dispatcher
from .engine import Engine
from .plugin_manager import actions, lint, make_plugin_manager
from .registry import FunnelRegistry
from .store import Store, open_store
from .workspace import Workspace


@dataclass
class Runtime:
    workspace: Workspace
    pm: pluggy.PluginManager
    store: Store
    funnels: FunnelRegistry
    engine: Engine
    channels: dict[str, Channel]
    dispatcher: Dispatcher

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Runtime":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_runtime(
    workspace: Workspace,
    *,
    clock: Clock = utc_now,
    plugins: Iterable[Any] = (),
    entry_points: bool = True,
) -> Runtime:
    """Load plugins, check and load the funnels, open the store, build the engine.

    The engine's scope and permission checks ask the permissions hooks
    (``goldsieve_visibility``, ``goldsieve_permission``) with the workspace's configuration.

    The channels of ``goldsieve.toml`` are checked here, at start-up, not at the first delivery.
    The store is opened last, so a bad funnel, plugin or channel never leaves the store locked.
    """
    pm = make_plugin_manager(
        modules=workspace.plugin_modules,
        files=workspace.plugin_files(),
        extra=plugins,
        entry_points=entry_points,
    )
    registry = actions(pm)
    channels = load_channels(pm, workspace.config)
    funnels = FunnelRegistry.from_files(
        workspace.funnel_files(),
        lint=lambda d: lint(pm, d) + automation_findings(d, registry, set(channels)))
    store = open_store(workspace.store_url, workspace.path)
    config, hook = workspace.config, pm.hook
    engine = Engine(
        store, funnels, hook, clock=clock,
        scope=lambda user: visibility(hook, user, config, store),
        permit=lambda user, action, deal: allowed(hook, user, action, deal, config, store),
    )
    dispatcher = Dispatcher(engine, registry, channels, config, hook, clock=clock)
    return Runtime(workspace, pm, store, funnels, engine, channels, dispatcher)

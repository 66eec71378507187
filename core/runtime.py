"""Everything a workspace needs at run time, assembled once: plugins, store, funnels, engine.

Flask-free, so the CLI, the worker and tests use the very same assembly as the web app.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from .analytics.cache import HistoryCache
from .analytics.history_file import NAME as HISTORY_FILE
from .automation.channels import Channel, load_channels
from .automation.digest import Schedule
from .automation.digest_channel import DigestDelivery
from .automation.dispatch import Dispatcher
from .automation.reminders import ReminderSettings
from .checking import lint_findings
from .clock import Clock, stamp, utc_now
from .deals.activities import Activities
from .deals.engine import Engine
from .deals.search_fill import fill_search
from .funnels.registry import FunnelRegistry, read_drafts
from .funnels.versions import load_stored, record_first_versions
from .people.permissions import allowed, visibility
from .people.sessions import SessionPolicy
from .people.users import token_days
from .plugin_manager import PluginManager, actions, start_plugins
from .records.activity import DealActivity
from .records.contacts import Contacts
from .records.customers import Customers
from .records.edit import RecordFiles
from .records.model import load_types
from .records.pool import PoolSettings
from .store import Store, open_store
from .store.tinydb.store import TinyStore
from .workdays import Workdays
from .workplace.client import PlatformClient
from .workplace.config import load_workplace
from .workplace.notices import notice_channels
from .workplace.platforms import open_clients
from .workspace import Workspace

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    workspace: Workspace
    pm: PluginManager
    store: Store
    funnels: FunnelRegistry
    engine: Engine
    channels: dict[str, Channel]
    dispatcher: Dispatcher
    #: the customers (records/customer.json, ``[pool]``) and their contacts
    customers: Customers
    contacts: Contacts
    #: the activities logged and planned on deals and customers (records/activity.json)
    activities: Activities
    #: the record types' files: reloaded when they change, saved by the designer's records page
    records: RecordFiles
    #: the id of the last ``funnel_versions`` row loaded into ``funnels``
    funnels_seen: int | None = None
    #: when the weekly digest is due (``[digest] weekday``, ``hour``)
    digest_schedule: Schedule = field(default_factory=Schedule)
    #: which channel each manager's digest goes to (``[digest] channel``, ``[digest.teams]``)
    digest_delivery: DigestDelivery = field(default_factory=DigestDelivery)
    #: how long browser sessions last (``[sessions]``)
    sessions: SessionPolicy = field(default_factory=SessionPolicy)
    #: how long a new API token lasts unless said otherwise (``[tokens] days``; ``None``: until revoked)
    token_days: int | None = None
    #: when the assignees of tasks due soon are reminded (``[tasks]``)
    task_reminders: ReminderSettings = field(default_factory=ReminderSettings)
    #: the clients of the ``[workplace.*]`` platforms (DingTalk, WeCom, Feishu), by name
    workplace: dict[str, PlatformClient] = field(default_factory=dict)
    #: every funnel's deal histories for the reports, the forecast and the digest, shared by the
    #: pages, the API and the worker; kept in the embedded store's folder across starts
    histories: HistoryCache = field(init=False)

    def __post_init__(self) -> None:
        folder = self.store.folder if isinstance(self.store, TinyStore) else None
        self.histories = HistoryCache(self.store, self.funnels, folder / HISTORY_FILE if folder else None)

    def refresh_funnels(self) -> None:
        """Load the versions other processes applied since (one keyset query on a small table).

        The web app calls it before each request, so a server sharing a PostgreSQL store with
        ``goldsieve funnel apply`` runs a new version from the next request on.
        """
        self.funnels_seen = load_stored(self.store, self.funnels, self.funnels_seen)

    def close(self) -> None:
        """Save the histories (so that the next start reads them), then close the store."""
        try:
            self.histories.save()
        finally:
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
    progress: Callable[[str, int, int], None] | None = None,
) -> Runtime:
    """Load plugins, check the funnel files, open the store, load the funnels, build the engine.

    The funnels that run are the stored versions; a funnel file only counts on the first start
    that sees its funnel (see :mod:`goldsieve.funnels.versions`).

    The engine's scope and permission checks ask the permissions hooks
    (``goldsieve_visibility``, ``goldsieve_permission``) with the workspace's configuration.

    The channels of ``goldsieve.toml``, and ``[digest]`` (whose channels must be among them),
    ``[sessions]``, ``[tokens]`` and ``[workplace.*]`` are checked here, at start-up, not when first used; so are
    the record types (``records/*.json``), ``[calendar]`` and ``[pool]``.
    The store is opened last, so a bad funnel, plugin or channel never leaves the store locked.
    ``progress`` is told how far a large embedded store's open has got (:func:`open_store`).
    Every plugin's ``goldsieve_startup`` is called last, once, with the hooks' context (which has
    the store from then on); one that raises closes the store again.
    """
    pm = workspace.plugin_manager(extra=plugins, entry_points=entry_points, clock=clock)
    registry = actions(pm)
    channels = load_channels(pm, workspace.config)
    schedule = Schedule.from_config(workspace.config)
    delivery = DigestDelivery.from_config(workspace.config, channels)
    reminders = ReminderSettings.from_config(workspace.config, channels)
    sessions, days = SessionPolicy.from_config(workspace.config), token_days(workspace.config)
    workdays = Workdays.from_config(workspace.config)
    types, pool = load_types(workspace.path), PoolSettings.from_config(workspace.config, workdays)
    platforms = load_workplace(workspace.config, workspace.path)
    drafts, broken = read_drafts(
        workspace.funnel_files(),
        lint=lambda d: lint_findings(pm, d, set(channels)))
    store = open_store(workspace.store_url, workspace.path, progress)
    pm.context.attach(store)
    funnels = FunnelRegistry()
    try:
        seen = load_stored(store, funnels)
        if broken and not len(funnels):
            raise broken[0]  # nothing has run yet: the workspace is being set up, say what is wrong
        for error in broken:
            log.warning("%s does not run (goldsieve check %s says why): %s", error.source,
                        error.source, error.findings[0].message)
        record_first_versions(store, funnels, drafts, stamp(clock()))
        fill_search(store, funnels)
    except BaseException:
        store.close()
        raise
    config = workspace.config
    engine = Engine(
        store, funnels, pm, clock=clock,
        scope=lambda user: visibility(pm, user, config, store),
        permit=lambda user, action, deal: allowed(pm, user, action, deal, config, store),
    )
    dispatcher = Dispatcher(engine, registry, channels, config, pm.hook, clock=clock)
    customers = Customers(store, types, pool, scope=engine.scope, clock=clock, locale=workspace.locale,
                          permit=lambda user, action, record: allowed(pm, user, action, record, config, store))
    engine.customers, engine.workdays = customers, workdays
    pm.register(DealActivity(customers), name=DealActivity.NAME)
    runtime = Runtime(workspace, pm, store, funnels, engine, channels, dispatcher, customers,
                      Contacts(customers), Activities(engine), RecordFiles(workspace.path, customers, store),
                      seen, schedule, delivery,
                      sessions, days, reminders)
    runtime.workplace = open_clients(platforms, store, clock)
    channels.update(notice_channels(runtime.workplace, store))  # the dispatcher's, after the funnels' lint
    runtime.refresh_funnels()  # the versions the first start just recorded
    try:
        start_plugins(pm)
    except BaseException:
        store.close()
        raise
    return runtime

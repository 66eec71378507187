"""The one object every hook can receive: ``context``, the workspace as a plugin may read it.

A hook names a ``context`` argument to get it (pluggy passes arguments by name, so a hook that
does not name it never sees it). It replaces what plugins used to smuggle in through
thread-locals: the store to look something up, the configuration (with the plugin's own
``[plugin.NAME]`` table), the clock tests set, and the reader's language for messages.
Nothing in it writes: a gate or a permission that wrote would change the workspace while
answering a question.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from . import locales
from .clock import Clock, utc_now
from .errors import GoldsieveError

if TYPE_CHECKING:
    from .store import Store
    from .store.filters import Filter


class StoreNotOpen(GoldsieveError):
    """A hook read the store before the runtime opened it (a lint hook under ``goldsieve check``)."""


#: Tables no hook reads: credentials (API tokens, sessions) and the audit log, whose entries
#: quote the password hashes they changed.
CLOSED_TABLES = frozenset({"tokens", "sessions", "audit"})
#: Fields left out of what a hook reads, by table.
HIDDEN_FIELDS = {"users": frozenset({"password_hash"})}


class StoreReader:
    """The store's read API and nothing else: ``get``, ``find``, ``count``, ``iterate``.

    The reads are the store's own, unfiltered by anyone's visibility: a hook that shows what it
    read to a user must only show what that user may see. Credentials are not readable at all
    (:data:`CLOSED_TABLES`, :data:`HIDDEN_FIELDS`).
    """

    def __init__(self, store: "Store"):
        self._store = store

    def get(self, table: str, id: int) -> dict[str, Any] | None:
        """The document ``id`` of ``table``, or ``None``."""
        found = self._store.get(_open(table), id)
        return None if found is None else _shown(table, found)

    def find(self, table: str, where: "Filter | None" = None, *, limit: int | None = None,
             descending: bool = False) -> list[dict[str, Any]]:
        """The documents of ``table`` matching ``where`` (a :mod:`goldsieve.store.filters`
        filter), by id (the newest first when ``descending``), at most ``limit``."""
        return [_shown(table, doc) for doc in
                self._store.find(_open(table), where, limit=limit, descending=descending)]

    def count(self, table: str, where: "Filter | None" = None) -> int:
        """How many documents of ``table`` match ``where``."""
        return self._store.count(_open(table), where)

    def iterate(self, table: str, where: "Filter | None" = None) -> Iterator[dict[str, Any]]:
        """Every matching document, read in batches (for tables too large for one list)."""
        return (_shown(table, doc) for doc in self._store.iterate(_open(table), where))


def _open(table: str) -> str:
    if table in CLOSED_TABLES:
        raise PermissionError(f"plugins do not read the {table} table (it holds credentials)")
    return table


def _shown(table: str, doc: dict[str, Any]) -> dict[str, Any]:
    hidden = HIDDEN_FIELDS.get(table, frozenset())
    return {key: value for key, value in doc.items() if key not in hidden}


class PluginContext:
    """What every hook may read about the workspace it serves.

    Built by the plugin manager of a workspace (:meth:`goldsieve.workspace.Workspace.plugin_manager`)
    and given its store when the runtime opens it; ``goldsieve check`` lints with a context that
    has no store yet.
    """

    def __init__(self, config: Mapping[str, Any] | None = None, clock: Clock = utc_now,
                 locale_of: Callable[[], str | None] = locales.reader.get):
        self._config = _frozen(copy.deepcopy(dict(config or {})))
        self._clock = clock
        self._locale_of = locale_of
        self._store: StoreReader | None = None

    @property
    def config(self) -> Mapping[str, Any]:
        """The workspace's ``goldsieve.toml``, read only (a copy: nothing a hook does changes it)."""
        return self._config

    def plugin_config(self, name: str) -> Mapping[str, Any]:
        """The ``[plugin.NAME]`` table of ``goldsieve.toml`` (empty when there is none): where a
        plugin keeps its own settings, by the name it documents."""
        return self._config.get("plugin", {}).get(name, MappingProxyType({}))

    @property
    def store(self) -> StoreReader:
        """The workspace's store, read only; :class:`StoreNotOpen` before the runtime opened it."""
        if self._store is None:
            raise StoreNotOpen("the store is not open yet: this hook runs before the runtime "
                               "opens it (goldsieve check); read it from the other hooks")
        return self._store

    def attach(self, store: "Store") -> None:
        """Give the context its store, once the runtime opened it."""
        self._store = StoreReader(store)

    def now(self) -> datetime:
        """The time by the runtime's clock (a test's frozen clock in tests)."""
        return self._clock()

    @property
    def locale(self) -> str:
        """The language of whoever reads what the hook says: the page's reader, the command's
        (``--lang``, the shell's), else the workspace's ``locale``; ``en``, ``zh_Hans`` or
        ``zh_Hant``."""
        return (locales.normalize(self._locale_of()) or locales.normalize(str(self._config.get("locale", "")))
                or "en")

    def read_locale_from(self, source: Callable[[], str | None]) -> None:
        """Where :attr:`locale` comes from (the web app: the request's language)."""
        self._locale_of = source

    def translate(self, texts: str | Mapping[str, str], **params: Any) -> str:
        """A plugin's message in the reader's language: ``texts`` maps BCP 47 tags (``en``,
        ``zh-Hans``, ``zh-Hant``) to texts, as a funnel's labels do (the nearest language is
        taken, else English), with ``%(name)s`` placeholders filled from ``params``."""
        text = locales.localized(dict(texts) if isinstance(texts, Mapping) else texts,
                                 locales.bcp47(self.locale))
        return text % params if params else text


def _frozen(value: Any) -> Any:
    """A read-only view of a configuration: tables become mappings that refuse assignment."""
    if isinstance(value, dict):
        return MappingProxyType({key: _frozen(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    return value

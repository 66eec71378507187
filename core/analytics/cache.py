"""Every deal's history of a funnel, kept in memory and current: what makes a report over a
million events answer in well under a second, from the first request of a process on.

Reading and parsing the whole event log costs seconds at 100,000 deals; doing it on every page
view is the slow part of a report, not the counting. So the histories of all of a funnel's deals
are kept, and maintained as the log grows: before each use the cache reads only the events
appended since it last looked (``find(after=newest id)``: the store probes those ids, it does
not scan) and folds them into the histories of their deals (:class:`.stays.HistoryFold`), the
way PostgreSQL's trigger extends its stays tables. That keeps every number exact after every
write: events are only ever appended (docs/architecture.md, principle 5), in the log's order,
and each write appends at least one, in the same transaction as the deal.

With a ``path`` (the embedded store's folder, :func:`goldsieve.runtime.open_runtime` gives it),
the histories are also saved there (:mod:`.history_file`): when the runtime closes, after they
were built, and every :data:`SAVE_EVERY` events; a start loads the file and folds only the
events written after it, and :meth:`HistoryCache.warm` does that in a thread while the server
already answers (a report asked meanwhile waits for it). A file that is damaged, of another
store or of another funnel version is ignored and the histories built from the log.

Visibility stays in the store: for a user who may not see everything, the ids of the deals they
may see come from a store query with their scope, exactly as without the cache (the answer is
remembered until the next write of any deal, user or team); the cache only spares re-reading
the events of those deals. Histories contain events after a report's end, so
the report functions read everything "as of" their window (see :mod:`.metrics`).
"""
from __future__ import annotations

import gc
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from ..funnels.registry import FunnelRegistry
from ..store import Store
from ..store.filters import Eq, Everything, Filter
from . import history_file
from .history_file import SavedFunnel, Unusable, event_mark
from .loading import close_date_field, visible_deal_ids
from .stays import DealHistory, HistoryFold, StageMapper

log = logging.getLogger(__name__)

#: scopes whose visible deal ids are remembered
MAX_SCOPES = 64
#: events read per query while folding the log
FOLD_BATCH = 20_000
#: events folded since the file was written after which it is written again (in a thread)
SAVE_EVERY = 50_000


class _FunnelHistories:
    def __init__(self, funnel_id: str, signature: tuple, fold: HistoryFold):
        self.funnel_id, self.signature, self.fold = funnel_id, signature, fold
        self.newest = 0  # id of the newest event seen (of any funnel)

    @property
    def by_deal(self) -> dict[int, DealHistory]:
        return self.fold.histories


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while histories are made: it would walk the growing heap
    again and again (ten times the work of loading), and histories hold no cycles."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class HistoryCache:
    """Histories per funnel for one store and one funnel registry; safe to share across threads.

    ``path``: the file to keep them in across starts (``None``: kept in memory only).
    """

    def __init__(self, store: Store, funnels: FunnelRegistry, path: Path | None = None):
        self.store, self.funnels, self.path = store, funnels, path
        self._funnels: dict[str, _FunnelHistories] = {}
        self._ids: OrderedDict[tuple, tuple[tuple[int, int], list[int]]] = OrderedDict()
        self._lock = threading.Lock()
        self._saved: dict[str, SavedFunnel] | None = None  # what the file held, until used
        self._loaded = path is None
        self._saved_newest = 0  # the newest event id the file holds
        self._saving: threading.Thread | None = None
        self._changed = False  # folded or built anything since the file was read or written

    def histories(self, funnel_id: str, scope: Filter, before: datetime) -> list[DealHistory]:
        """The visible deals' histories (deals created before ``before``), current as of now."""
        self.funnels.get(funnel_id)  # NotFound for an unknown funnel, before any work
        ids = None if isinstance(scope, Everything) else self._visible(funnel_id, scope)
        with self._lock:
            found = self._current(funnel_id).by_deal
            if ids is None:
                found_all = [h for h in found.values() if h.created_at < before]
            else:
                found_all = [h for i in ids if (h := found.get(i)) is not None and h.created_at < before]
        self._save_when_due()
        return found_all

    def held(self) -> list[str]:
        """The funnels whose histories are in memory."""
        with self._lock:
            return sorted(self._funnels)

    def warm(self) -> threading.Thread | None:
        """Load (or build) every funnel's histories in a thread of their own, started here: a
        server calls it once it is open, and a report asked before it ends waits for it. Only
        with a ``path`` (the embedded store): processes sharing a PostgreSQL store compute the
        report in SQL and build histories only when a page needs them."""
        if self.path is None:
            return None
        thread = threading.Thread(target=self._warm, name="goldsieve-histories", daemon=True)
        thread.start()
        return thread

    def _warm(self) -> None:
        """Prime, then move everything the process holds so far — the store's documents and
        indexes, the histories — out of the cycle collector's reach (``gc.freeze``): they live
        as long as the process, and a full collection walking those millions of objects costs
        seconds, which would otherwise fall on whichever request came next."""
        self.prime()
        gc.freeze()

    def prime(self) -> None:
        """Every funnel's histories current, from the file where it serves; written back when
        that took folding many events."""
        with self._lock:
            for funnel in self.funnels:
                self._current(funnel.id)
        self._save_when_due()

    def save(self) -> None:
        """Write the file (with a ``path``, when any histories are held): what the runtime does
        when it closes. A failure is logged; the histories can always be built again."""
        if self.path is None:
            return
        with self._lock:
            if not self._funnels or not self._changed:
                return
            newest = self._newest_event()
            for funnel_id in list(self._funnels):
                self._current(funnel_id)
            mark = event_mark(self.store.get("events", newest)) if newest else ()
            data = history_file.encode(mark, {
                f.funnel_id: SavedFunnel(f.signature, f.by_deal, f.fold.bypassing)
                for f in self._funnels.values()})
            self._changed = False
        try:
            history_file.write(self.path, data)
        except OSError as error:
            self._changed = True
            log.warning("could not write %s (the histories will be built at the next start): %s",
                        self.path, error)
            return
        self._saved_newest = newest

    def _save_when_due(self) -> None:
        """Write the file in a thread when :data:`SAVE_EVERY` events came since it was."""
        if self.path is None or not self._funnels or (self._saving is not None and self._saving.is_alive()):
            return
        if min(f.newest for f in self._funnels.values()) - self._saved_newest < SAVE_EVERY:
            return
        self._saving = threading.Thread(target=self.save, name="goldsieve-histories-save", daemon=True)
        self._saving.start()

    def _visible(self, funnel_id: str, scope: Filter) -> list[int]:
        """The ids the store query with ``scope`` returns, remembered until anything is written.

        Who sees which deal changes only by a write: of a deal (which appends an event) or of a
        user or team (which appends an audit row, in the same transaction). So the answer is kept
        together with the newest event and audit ids, and asked again once either moved.
        """
        key = (funnel_id, scope)
        try:
            hash(key)
        except TypeError:  # a filter holding a list: not hashable, ask every time
            return visible_deal_ids(self.store, funnel_id, scope, None)
        written = (self._newest_event(), self._newest("audit"))
        with self._lock:
            known = self._ids.get(key)
        if known is not None and known[0] == written:
            return known[1]
        ids = visible_deal_ids(self.store, funnel_id, scope, None)
        with self._lock:
            self._ids[key] = (written, ids)
            self._ids.move_to_end(key)
            while len(self._ids) > MAX_SCOPES:
                self._ids.popitem(last=False)
        return ids

    def _current(self, funnel_id: str) -> _FunnelHistories:
        """The funnel's histories folded up to the newest event (called holding the lock)."""
        if not self._loaded:
            self._load()
        newest = self._newest_event()
        signature, mapper, close_field = self._signature(funnel_id)
        entry = self._funnels.get(funnel_id)
        if entry is None or entry.signature != signature:
            saved = (self._saved or {}).pop(funnel_id, None)
            if saved is not None and saved.signature == signature:
                fold = HistoryFold(mapper, close_field=close_field, histories=saved.histories,
                                   bypassing=saved.bypassing)
                entry = _FunnelHistories(funnel_id, signature, fold)
                entry.newest = self._saved_newest
            else:
                entry = _FunnelHistories(funnel_id, signature, HistoryFold(mapper, close_field=close_field))
                self._changed = True
            self._funnels[funnel_id] = entry
        if newest > entry.newest:
            self._fold(entry, newest)
            self._changed = True
        return entry

    def _load(self) -> None:
        """Take the file's histories, if it is about this store as it is now."""
        self._loaded = True
        assert self.path is not None
        if not self.path.exists():
            return
        try:
            with _collector_paused():
                mark, saved = history_file.read(self.path)
            newest = mark[0] if mark else 0
            if mark != event_mark(self.store.get("events", newest) if newest else None):
                raise Unusable(f"stale: the store's event {newest} is not the one it saw")
        except Unusable as error:
            log.warning("%s is not used, the histories are built from the event log: %s", self.path, error)
            return
        self._saved, self._saved_newest = saved, newest

    def _newest_event(self) -> int:
        return self._newest("events")

    def _newest(self, table: str) -> int:
        latest = self.store.find(table, limit=1, descending=True)
        return latest[0]["id"] if latest else 0

    def _signature(self, funnel_id: str) -> tuple[tuple, StageMapper, str | None]:
        """What the histories depend on besides the log: the version they map stages onto, the
        renames that mapping makes and the closing date field."""
        funnel = self.funnels.get(funnel_id)
        mapper, close_field = StageMapper(self.funnels, funnel_id), close_date_field(funnel)
        signature = (funnel.version, tuple(tuple(r) for r in mapper.renames()), close_field)
        return signature, mapper, close_field

    def _fold(self, entry: _FunnelHistories, newest: int) -> None:
        """Fold the funnel's events after ``entry.newest`` up to ``newest``, a batch at a time."""
        cursor = entry.newest
        with _collector_paused():
            while True:
                rows = self.store.find("events", Eq("funnel", entry.funnel_id), after=cursor, limit=FOLD_BATCH)
                for event in rows:
                    if event["id"] > newest:
                        break
                    entry.fold.add(event)
                if len(rows) < FOLD_BATCH or rows[-1]["id"] >= newest:
                    break
                cursor = rows[-1]["id"]
        entry.newest = newest

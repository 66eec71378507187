"""Every deal's history of a funnel, kept in memory and current: what makes a report over a
million events answer in well under two seconds.

Reading and parsing the whole event log costs several seconds at 100,000 deals; doing it on
every page view is the slow part of a report, not the counting. So the histories of all of a
funnel's deals are built once, and before each use the cache reads only the events appended
since it last looked (``find(after=newest id)``: the store probes those ids, it does not scan),
and rebuilds the histories of the deals they name from those deals' events. That keeps every
number exact after every write: events are only ever appended (docs/architecture.md, principle 5), and
each write appends at least one, in the same transaction as the deal.

Visibility stays in the store: for a user who may not see everything, the ids of the deals they
may see come from a store query with their scope, exactly as without the cache (the answer is
remembered until the next write of any deal, user or team); the cache only spares re-reading
the events of those deals. Histories contain events after a report's end, so
the report functions read everything "as of" their window (see :mod:`.metrics`).
"""
from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from datetime import datetime

from ..funnels.registry import FunnelRegistry
from ..store import Store
from ..store.filters import Eq, Everything, Filter, In, all_of
from .loading import BATCH, close_date_field, visible_deal_ids
from .stays import DealHistory, StageMapper, build_history

#: scopes whose visible deal ids are remembered
MAX_SCOPES = 64
#: more new events than this and rebuilding the funnel is cheaper than replaying deal by deal
REPLAY_MAX = 20_000


class _FunnelHistories:
    def __init__(self, funnel_id: str, version: int):
        self.funnel_id, self.version = funnel_id, version  # the newest funnel version it maps to
        self.by_deal: dict[int, DealHistory] = {}
        self.newest = 0  # id of the newest event seen (of any funnel)


class HistoryCache:
    """Histories per funnel for one store and one funnel registry; safe to share across threads."""

    def __init__(self, store: Store, funnels: FunnelRegistry):
        self.store, self.funnels = store, funnels
        self._funnels: dict[str, _FunnelHistories] = {}
        self._ids: OrderedDict[tuple, tuple[tuple[int, int], list[int]]] = OrderedDict()
        self._lock = threading.Lock()

    def histories(self, funnel_id: str, scope: Filter, before: datetime) -> list[DealHistory]:
        """The visible deals' histories (deals created before ``before``), current as of now."""
        self.funnels.get(funnel_id)  # NotFound for an unknown funnel, before any work
        ids = None if isinstance(scope, Everything) else self._visible(funnel_id, scope)
        with self._lock:
            found = self._current(funnel_id).by_deal
            if ids is None:
                return [h for h in found.values() if h.created_at < before]
            return [h for i in ids if (h := found.get(i)) is not None and h.created_at < before]

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
        entry = self._funnels.get(funnel_id)
        newest = self._newest_event()
        if entry is None or entry.version != self.funnels.get(funnel_id).version:
            entry = self._funnels[funnel_id] = self._build(funnel_id, newest)
        elif newest > entry.newest:
            entry = self._catch_up(entry, newest)
        return entry

    def _newest_event(self) -> int:
        return self._newest("events")

    def _newest(self, table: str) -> int:
        latest = self.store.find(table, limit=1, descending=True)
        return latest[0]["id"] if latest else 0

    def _mapper(self, funnel_id: str) -> tuple[StageMapper, str | None]:
        return StageMapper(self.funnels, funnel_id), close_date_field(self.funnels.get(funnel_id))

    def _build(self, funnel_id: str, newest: int) -> _FunnelHistories:
        entry = _FunnelHistories(funnel_id, self.funnels.get(funnel_id).version)
        mapper, close_field = self._mapper(funnel_id)
        by_deal: dict[int, list[dict]] = defaultdict(list)
        for event in self.store.iterate("events", Eq("funnel", funnel_id), batch=20_000):
            if event["id"] <= newest:
                by_deal[event["deal_id"]].append(event)
        for deal_id, events in by_deal.items():
            history = build_history(deal_id, events, mapper, close_field=close_field)
            if history is not None:
                entry.by_deal[deal_id] = history
        entry.newest = newest
        return entry

    def _catch_up(self, entry: _FunnelHistories, newest: int) -> _FunnelHistories:
        new = self.store.find("events", Eq("funnel", entry.funnel_id), after=entry.newest)
        new = [e for e in new if e["id"] <= newest]
        if len(new) > REPLAY_MAX:
            entry = self._funnels[entry.funnel_id] = self._build(entry.funnel_id, newest)
            return entry
        mapper, close_field = self._mapper(entry.funnel_id)
        changed = sorted({e["deal_id"] for e in new})
        for start in range(0, len(changed), BATCH):
            by_deal: dict[int, list[dict]] = defaultdict(list)
            batch = tuple(changed[start:start + BATCH])
            for event in self.store.find("events", all_of(In("deal_id", batch), Eq("funnel", entry.funnel_id))):
                if event["id"] <= newest:
                    by_deal[event["deal_id"]].append(event)
            for deal_id in batch:
                history = build_history(deal_id, by_deal.get(deal_id, []), mapper, close_field=close_field)
                if history is None:
                    entry.by_deal.pop(deal_id, None)
                else:
                    entry.by_deal[deal_id] = history
        entry.newest = newest
        return entry

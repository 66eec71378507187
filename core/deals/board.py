"""The board's read model: the open deals of a funnel by stage, and each column's totals.

Every deal on the board is read through the engine (``Engine.list``, ``Engine.get``), so the
user's visibility scope is part of every query. Column totals (count, amount) are over *every*
deal the user may see in a stage, not just the cards shown. A store that sums in its own query
(PostgreSQL: ``Store.aggregate`` is one GROUP BY with the scope in its WHERE) is asked every
time, which is also right for several app processes. On the embedded store summing means
reading every open deal, far too slow for each render, so :class:`BoardModel` keeps a small
materialized view per (funnel, scope, filters): built once by paging through ``Engine.list``,
then kept current by replaying the events written since — each names the deal it changed,
which is re-read through ``Engine.get`` (the scope still decides). That is sound because every
change of a deal appends an event in the same transaction (docs/architecture.md, principle 5)
and events are never deleted; a read first takes the event count and newest event id, and when
they moved, it catches up before answering.
"""
from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import NotFound
from ..funnels.model import OPEN, Funnel, Stage
from ..funnels.validation import compile_schema
from ..limits import in_range
from ..store import Group, Store
from ..store.filters import Filter, all_of, matches
from .listing import Criteria, criteria_filter

if TYPE_CHECKING:
    from .engine import Engine

REPLAY_MAX = 500  # new events beyond which rebuilding the totals is cheaper than replaying
BUILD_BATCH = 2000  # deals per Engine.list call while building totals
MAX_TOTALS = 32  # totals views kept (one per funnel, scope and filters)
MAX_STYLES = 100_000  # remembered highlight results
_MISSING = object()


def event_marker(store: Store) -> tuple[int, int]:
    """(number of events, newest event id): moves with every committed change of a deal."""
    newest = store.find("events", descending=True, limit=1)
    return store.count("events"), newest[0]["id"] if newest else 0


def deal_filter(funnel_id: str, owner: str | None, q: str | None) -> Filter:
    """What :func:`open_deals` asks ``Engine.list`` for, besides the scope the engine adds:
    the same :func:`.listing.criteria_filter`."""
    return criteria_filter(Criteria(funnel=funnel_id, status=OPEN, owner=owner, title=q))


def open_deals(engine: Engine, user: dict, funnel: Funnel, stage: Stage | None, owner: str | None,
               q: str | None, after: int | None, limit: int) -> list[dict]:
    """Open deals of the funnel the user may see, newest first (keep in step with deal_filter)."""
    return engine.list(user, funnel=funnel.id, stage=stage.id if stage else None, status=OPEN,
                       owner=owner, text=q, after=after, limit=limit)


@dataclass
class Totals:
    """The open deals of one (funnel, scope, filters) by stage: deal id -> amount."""

    marker: tuple[int, int] = (-1, -1)
    by_stage: dict[str, dict[int, float]] = field(default_factory=dict)
    stage_of: dict[int, str] = field(default_factory=dict)
    sums: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, stage: str) -> int:
        return len(self.by_stage.get(stage, ()))

    def put(self, deal_id: int, deal: dict | None) -> set[str]:
        """Count the deal as it is now (``None``: not on this board); returns changed stages."""
        touched = set()
        old = self.stage_of.pop(deal_id, None)
        if old is not None:
            del self.by_stage[old][deal_id]
            touched.add(old)
        if deal is not None and deal.get("stage") in self.by_stage:
            data = deal.get("data")
            amount = data.get("amount") if isinstance(data, dict) else None
            self.by_stage[deal["stage"]][deal_id] = amount if in_range(amount) else 0
            self.stage_of[deal_id] = deal["stage"]
            touched.add(deal["stage"])
        return touched

    def refresh(self, engine: Engine, user: dict, funnel: Funnel, owner: str | None, q: str | None,
                marker: tuple[int, int]) -> None:
        """Bring the view up to ``marker``: replay the events since, or build it afresh."""
        stages = [s.id for s in funnel.open_stages()]
        if self.marker == marker and list(self.by_stage) == stages:
            return
        if self.marker[0] >= 0 and list(self.by_stage) == stages and self._replay(
                engine, user, funnel, owner, q, marker):
            return
        # Build from scratch, into a fresh view so that a failure leaves nothing half-built.
        # The marker was read before the deals: a write landing meanwhile is replayed next
        # time (counting a deal again is idempotent).
        fresh = Totals(by_stage={stage: {} for stage in stages})
        after = None
        while True:
            rows = open_deals(engine, user, funnel, None, owner, q, after, BUILD_BATCH)
            for deal in rows:
                fresh.put(deal["id"], deal)
            if len(rows) < BUILD_BATCH:
                break
            after = rows[-1]["id"]
        fresh._resum(stages)
        self.by_stage, self.stage_of, self.sums = fresh.by_stage, fresh.stage_of, fresh.sums
        self.marker = marker

    def _replay(self, engine: Engine, user: dict, funnel: Funnel, owner: str | None, q: str | None,
                marker: tuple[int, int]) -> bool:
        events = engine.store.find("events", after=self.marker[1], limit=REPLAY_MAX + 1)
        # The cursor misses events committed with an id below the newest one seen (possible
        # with concurrent writers in a database); then the count does not add up: rebuild.
        if len(events) > REPLAY_MAX or self.marker[0] + len(events) != marker[0]:
            return False
        wanted = deal_filter(funnel.id, owner, q)
        touched: set[str] = set()
        for deal_id in dict.fromkeys(e.get("deal_id") for e in events):
            if not isinstance(deal_id, int):
                continue
            try:
                deal = engine.get(user, deal_id)  # the scope decides, as in the query
            except NotFound:
                deal = None
            touched |= self.put(deal_id, deal if deal and matches(wanted, deal) else None)
        self._resum(touched)
        self.marker = marker
        return True

    def _resum(self, stages) -> None:
        for stage in stages:
            self.sums[stage] = math.fsum(self.by_stage[stage].values())


@dataclass
class Summed:
    """Column totals as the store summed them: stage -> (count, amount)."""

    groups: dict[str, Group]

    def count(self, stage: str) -> int:
        group = self.groups.get(stage)
        return group.count if group else 0

    @property
    def sums(self) -> dict[str, float]:
        return {stage: group.total for stage, group in self.groups.items()}


class BoardModel:
    """What a board remembers between requests: the column totals views and the highlight
    styles. One per app (the pages keep it in ``app.extensions``); thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.totals: OrderedDict[Any, Totals] = OrderedDict()
        self.rules: dict[tuple[str, int], list[tuple[Any, str]]] = {}
        self.styles: dict[tuple[str, int, int, int], str | None] = {}

    def column_totals(self, engine: Engine, user: dict, funnel: Funnel, owner: str | None,
                      q: str | None) -> Totals | Summed:
        """Count and amount by stage of the open deals ``user`` may see on this board."""
        store, scope = engine.store, engine.scope(user)
        if store.aggregates_natively:
            where = all_of(scope, deal_filter(funnel.id, owner, q))
            return Summed(store.aggregate("deals", where, "stage", "data.amount"))
        marker = event_marker(store)
        key = ("totals", funnel.id, scope, owner, q)
        try:
            hash(key)
        except TypeError:  # a scope filter holding a list: not shareable, still correct
            key = None
        with self.lock:
            totals = self.totals.get(key) if key else None
            if totals is None:
                totals = Totals()
                if key:
                    self.totals[key] = totals
                    while len(self.totals) > MAX_TOTALS:
                        self.totals.popitem(last=False)
            elif key:
                self.totals.move_to_end(key)
        with totals.lock:
            totals.refresh(engine, user, funnel, owner, q, marker)
            return totals

    def style(self, funnel: Funnel, deal: dict) -> str | None:
        """The style of the funnel's first ``highlight`` rule matching the deal's data.

        Each ``when`` is compiled once per funnel version; a result is remembered per deal
        version, since the engine raises the version with every change of the data.
        """
        key = (funnel.id, funnel.version, deal["id"], deal["version"])
        style = self.styles.get(key, _MISSING)
        if style is _MISSING:
            rules = self.rules.get(key[:2])
            if rules is None:
                rules = self.rules[key[:2]] = [
                    (compile_schema(rule["when"]), rule["style"])
                    for rule in funnel.definition.get("highlight", [])]
            data = deal.get("data")
            style = next((style for validator, style in rules if validator.is_valid(data)), None)
            if len(self.styles) >= MAX_STYLES:
                self.styles.clear()
            self.styles[key] = style
        return style

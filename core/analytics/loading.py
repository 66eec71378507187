"""Reading the histories of the deals a user may see, with the filtering done by the store.

The visible deals come from one query (the user's scope AND the funnel AND created before the end
of the window); their events from queries by ``deal_id`` in batches, each also bounded by time.
Nothing is loaded and then thrown away in Python: what the scope hides is never read.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from ..clock import stamp
from ..funnels.model import Funnel
from ..funnels.registry import FunnelRegistry
from ..store import Store
from ..store.filters import Eq, Filter, In, Range, all_of
from .stays import DealHistory, StageMapper, build_history

if TYPE_CHECKING:
    from .cache import HistoryCache

#: names a funnel may give the expected closing date field, first match wins
CLOSE_FIELDS = ("close_date", "expected_close")
#: deal ids per events query: large enough to keep queries few, small enough to bound a batch
BATCH = 2000


def close_date_field(funnel: Funnel) -> str | None:
    """The field holding a deal's expected closing date: the first of :data:`CLOSE_FIELDS` the
    funnel declares as a date."""
    properties = funnel.fields_schema.get("properties", {})
    return next((name for name in CLOSE_FIELDS
                 if properties.get(name, {}).get("format") == "date"), None)


def visible_filter(funnel_id: str, scope: Filter, before: datetime | None) -> Filter:
    """The funnel's deals the scope lets through (created before ``before``, if given)."""
    return all_of(scope, Eq("funnel", funnel_id),
                  Range("created_at", None, stamp(before)) if before else None)


def visible_deal_ids(store: Store, funnel_id: str, scope: Filter, before: datetime | None) -> list[int]:
    """Ids of the deals :func:`visible_filter` selects."""
    return [deal["id"] for deal in store.iterate("deals", visible_filter(funnel_id, scope, before), batch=5000)]


def load_histories(store: Store, funnels: FunnelRegistry, funnel_id: str, scope: Filter,
                   before: datetime) -> dict[int, DealHistory]:
    """Every visible deal's history, made only of events before ``before``."""
    ids = visible_deal_ids(store, funnel_id, scope, before)
    to_latest = StageMapper(funnels, funnel_id)
    close_field = close_date_field(funnels.get(funnel_id))
    until = Range("at", None, stamp(before))
    histories: dict[int, DealHistory] = {}
    for start in range(0, len(ids), BATCH):
        by_deal: dict[int, list[dict]] = defaultdict(list)
        for event in store.find("events", all_of(In("deal_id", tuple(ids[start:start + BATCH])), until)):
            by_deal[event["deal_id"]].append(event)
        for deal_id, events in by_deal.items():
            history = build_history(deal_id, events, to_latest, close_field=close_field)
            if history is not None:
                histories[deal_id] = history
    return histories


def visible_histories(store: Store, funnels: FunnelRegistry, funnel_id: str, scope: Filter, end: datetime,
                      cache: HistoryCache | None = None) -> Iterable[DealHistory]:
    """The histories of the deals ``scope`` lets through that were created before ``end``: from
    ``cache`` (the runtime's, current and shared) when given, else read now. The one choice every
    report from histories makes."""
    if cache is not None:
        return cache.histories(funnel_id, scope, end)
    return load_histories(store, funnels, funnel_id, scope, end).values()

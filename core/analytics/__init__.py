"""Funnel analytics: what the event log says about conversion, dwell, losses and the quarter ahead.

Flask-free. On a store that keeps stays itself (PostgreSQL, :attr:`Store.keeps_stays`) the funnel
report and the trend are computed by the database (:mod:`.pushdown`); otherwise every report
starts from the visible deals' histories — :func:`loading.load_histories`, or an app's :class:`.cache.HistoryCache`
— and is computed in memory from the stays (:mod:`.stays`).
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, cast

from ..funnels.registry import FunnelRegistry
from ..store import Store
from ..store.base import StaysSql
from ..store.filters import Filter
from .loading import load_histories, visible_histories
from .metrics import FunnelMetrics, funnel_metrics
from .trend import trend

if TYPE_CHECKING:
    from .cache import HistoryCache

__all__ = ["funnel_report", "funnel_trend", "load_histories", "funnel_metrics", "FunnelMetrics"]


def funnel_report(store: Store, funnels: FunnelRegistry, funnel_id: str, scope: Filter,
                  start: datetime, end: datetime, now: datetime | None = None,
                  cache: "HistoryCache | None" = None) -> FunnelMetrics:
    """The funnel's numbers for [start, end) over the deals ``scope`` lets through: by the
    database when it keeps stays, else from ``cache``'s histories, else from histories read now."""
    if store.keeps_stays:
        from .sql import sql_funnel_report

        return sql_funnel_report(cast(StaysSql, store), funnels, funnel_id, scope, start, end, now)
    return funnel_metrics(visible_histories(store, funnels, funnel_id, scope, end, cache),
                          funnels.get(funnel_id), start, end, now)


def funnel_trend(store: Store, funnels: FunnelRegistry, funnel_id: str, scope: Filter, start: datetime,
                 end: datetime, interval: str, now: datetime | None = None,
                 cache: "HistoryCache | None" = None) -> list[dict]:
    """The trend's buckets (see :func:`.trend.trend`), chosen the way :func:`funnel_report` is."""
    if store.keeps_stays:
        from .sql import sql_trend

        return sql_trend(cast(StaysSql, store), funnels, funnel_id, scope, start, end, interval, now)
    return trend(visible_histories(store, funnels, funnel_id, scope, end, cache), funnels.get(funnel_id),
                 start, end, interval, now)

"""Funnel analytics: what the event log says about conversion, dwell, losses and the quarter ahead.

Flask-free. Every report starts from :func:`loading.load_histories` (the visible deals' events,
filtered by the store) and is then computed in memory from the stays (:mod:`.stays`).
"""
from __future__ import annotations

from datetime import datetime

from ..registry import FunnelRegistry
from ..store import Store
from ..store.filters import Filter
from .loading import load_histories
from .metrics import FunnelMetrics, funnel_metrics

__all__ = ["funnel_report", "load_histories", "funnel_metrics", "FunnelMetrics"]


def funnel_report(store: Store, funnels: FunnelRegistry, funnel_id: str, scope: Filter,
                  start: datetime, end: datetime, now: datetime | None = None) -> FunnelMetrics:
    """The funnel's numbers for [start, end) over the deals ``scope`` lets through."""
    histories = load_histories(store, funnels, funnel_id, scope, end)
    return funnel_metrics(histories.values(), funnels.get(funnel_id), start, end, now)

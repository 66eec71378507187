"""Conversion over time: the funnel numbers of each week or month of a window, side by side."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from ..funnel import OPEN, Funnel
from .metrics import funnel_metrics
from .stays import DealHistory
from .windows import buckets


def trend(histories: Iterable[DealHistory], funnel: Funnel, start: datetime, end: datetime,
          interval: str, now: datetime | None = None) -> list[dict]:
    """Per week or month of [start, end) (up to ``now``): entered, advanced and conversion per
    open stage — the deals entering in that bucket, their outcome as known at the end of the
    whole trend (a week's entries rarely move on within the week) — and the win rate of the
    deals closed in the bucket."""
    histories = list(histories)
    last = min(end, now) if now else end
    found = []
    for low, high in buckets(start, last, interval):
        low, high = max(low, start), min(high, last)
        report = funnel_metrics(histories, funnel, low, high, judged_at=last)
        found.append({
            "from": low.isoformat(), "to": high.isoformat(), "win_rate": report.win_rate,
            "won": report.won, "lost": report.closed_lost,
            "stages": [{"stage": row.stage, "entered": row.entered, "advanced": row.advanced,
                        "conversion": row.conversion}
                       for row in report.stages if row.kind == OPEN],
        })
    return found

"""Conversion over time: the funnel numbers of each week or month of a window, side by side."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from ..funnel import OPEN, Funnel
from .metrics import funnel_metrics
from .stays import DealHistory
from .windows import buckets


def trend(histories: Iterable[DealHistory], funnel: Funnel, start: datetime, end: datetime,
          interval: str) -> list[dict]:
    """Per week or month of [start, end): entered, advanced and conversion per open stage, and
    the win rate. Each bucket is judged as of its own end, like a report run on that day."""
    histories = list(histories)
    found = []
    for low, high in buckets(start, end, interval):
        low, high = max(low, start), min(high, end)
        report = funnel_metrics(histories, funnel, low, high)
        found.append({
            "from": low.isoformat(), "to": high.isoformat(), "win_rate": report.win_rate,
            "won": report.won, "lost": report.closed_lost,
            "stages": [{"stage": row.stage, "entered": row.entered, "advanced": row.advanced,
                        "conversion": row.conversion}
                       for row in report.stages if row.kind == OPEN],
        })
    return found

"""Conversion over time: the funnel numbers of each week or month of a window, side by side."""
from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from datetime import datetime
from typing import Iterable

from ..funnels.model import LOST, OPEN, WON, Funnel
from .metrics import outcome, ratio
from .stays import DealHistory
from .windows import buckets


def trend(histories: Iterable[DealHistory], funnel: Funnel, start: datetime, end: datetime,
          interval: str, now: datetime | None = None) -> list[dict]:
    """Per week or month of [start, end) (up to ``now``): entered, advanced and conversion per
    open stage — the deals entering in that bucket, their outcome as known at the end of the
    whole trend (a week's entries rarely move on within the week) — and the win rate of the
    deals closed in the bucket.

    The same numbers as :func:`.metrics.funnel_metrics` of each bucket with ``judged_at`` at the
    trend's end, in one pass over the stays instead of one per bucket.
    """
    last, spans = trend_spans(start, end, interval, now)
    starts = [low for low, _ in spans]
    kinds = {s.id: s.kind for s in funnel.stages}
    entered: Counter = Counter()
    advanced: Counter = Counter()
    closed: Counter = Counter()
    for history in histories:
        entries, closes = {}, {}
        for stay in history.stays:
            if not start <= stay.entered_at < last:
                continue
            bucket = bisect_right(starts, stay.entered_at) - 1
            kind = kinds.get(stay.stage)
            if kind == OPEN:
                entries[(bucket, stay.stage)] = stay
            elif kind in (WON, LOST):
                closes[bucket] = kind
        for key, stay in entries.items():
            entered[key] += 1
            advanced[key] += outcome(stay, last, funnel) == "advanced"
        for bucket, kind in closes.items():
            closed[(bucket, kind)] += 1
    return trend_rows(funnel, spans, entered, advanced, closed)


def trend_spans(start: datetime, end: datetime, interval: str,
                now: datetime | None) -> tuple[datetime, list[tuple[datetime, datetime]]]:
    """Where the trend stops (``end``, or ``now`` if earlier) and its buckets, clipped to the window."""
    last = min(end, now) if now else end
    return last, [(max(low, start), min(high, last)) for low, high in buckets(start, last, interval)]


def trend_rows(funnel: Funnel, spans: list[tuple[datetime, datetime]], entered: Counter,
               advanced: Counter, closed: Counter) -> list[dict]:
    """The buckets as the API shows them, from counts keyed by ``(bucket number, stage)`` and
    ``(bucket number, won or lost)``."""
    open_stages = [s.id for s in funnel.stages if s.kind == OPEN]
    return [{
        "from": low.isoformat(), "to": high.isoformat(),
        "win_rate": ratio(closed[(n, WON)], closed[(n, WON)] + closed[(n, LOST)]),
        "won": closed[(n, WON)], "lost": closed[(n, LOST)],
        "stages": [{"stage": stage, "entered": entered[(n, stage)], "advanced": advanced[(n, stage)],
                    "conversion": ratio(advanced[(n, stage)], entered[(n, stage)])}
                   for stage in open_stages],
    } for n, (low, high) in enumerate(spans)]

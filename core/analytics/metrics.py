"""The funnel's numbers for a window [start, end), exactly as issue 6 defines them.

Per stage: ``entered`` (distinct deals entering in the window), and what became of each such deal
by ``end`` — judged by its last entry in the window: ``advanced`` (left for a later stage or a won
one), ``lost`` (left for a lost stage, by reason), ``backward`` (left for an earlier stage) or
still there — so entered = advanced + lost + backward + still_in always holds. ``to_won`` is the
share of the entered deals that are won at ``end``. ``current`` are the open deals in the stage at
``end`` with their amount, weighted amount and age; ``dwell`` the durations of the stays that
ended in the window; ``bypassed`` the entries into the stage in the window that an admin moved
past its gates (entries, not deals: a deal let in twice counts twice). Durations are in days
(fractional). Percentiles are nearest-rank.

Means and sums are exact, then rounded once, so that they do not depend on the order the deals
come in — the same numbers whether this module counts or PostgreSQL does (:mod:`.pushdown`):
durations are summed as whole microseconds, amounts as decimals of 15 significant digits (what
PostgreSQL makes of a ``float8`` as ``numeric``), the weighted amount is a stage's amount times
its probability.
"""
from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Iterable

from ..funnels.model import LOST, OPEN, WON, Funnel
from .stays import DealHistory, Stay

DAY = 86400.0
MICROSECOND = timedelta(microseconds=1)
MICROS_PER_DAY = 86_400 * 10**6


def days(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / DAY


def span(start: datetime, end: datetime) -> int:
    """The time from ``start`` to ``end`` in whole microseconds (exact)."""
    return (end - start) // MICROSECOND


def days_of(micros: int) -> float:
    """:func:`days` of a span in microseconds (the same rounding: seconds first, then days)."""
    return micros / 10**6 / DAY


def mean_days(total: int | Decimal | None, count: int) -> float | None:
    """The mean of ``count`` spans summing to ``total`` microseconds, in days, rounded once."""
    return None if not count or total is None else int(total) / (count * MICROS_PER_DAY)


def money(value: float) -> Decimal:
    """An amount as the decimal the sums add: its 15 significant digits."""
    return Decimal(format(value, ".15g"))


def amounts_of(row: "StageMetrics", total: Decimal, probability: float) -> None:
    """Set the row's current and weighted amounts from the exact total of its open deals."""
    row.current_amount = float(total)
    row.weighted_amount = float(total * money(probability))


def mean_amount(total: Decimal | None, count: int) -> float | None:
    """The mean of ``count`` amounts summing exactly to ``total``, rounded once."""
    return None if not count or total is None else float(Decimal(total) / count)


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least ``share`` of the values at or
    below it. Chosen because it is always an observed value, easy to check by hand."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summary(spans: list[int]) -> dict[str, float | None]:
    """Median, mean and p90 in days of durations given in microseconds (``None`` each when
    there are none)."""
    if not spans:
        return {"count": 0, "median": None, "mean": None, "p90": None}
    values = [days_of(n) for n in spans]
    return {"count": len(values), "median": statistics.median(values),
            "mean": mean_days(sum(spans), len(spans)), "p90": percentile(values, 0.9)}


def summary_of(count: int, lower_middle: float | None, upper_middle: float | None,
               mean: float | None, p90: float | None) -> dict[str, float | None]:
    """:func:`summary` from numbers a database worked out: the median is the mean of the two
    middle values (one and the same when the count is odd), as :func:`statistics.median` does."""
    if not count:
        return summary([])
    return {"count": count, "median": (lower_middle + upper_middle) / 2, "mean": mean, "p90": p90}


def ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


@dataclass
class StageMetrics:
    stage: str
    kind: str
    entered: int = 0
    advanced: int = 0
    lost: int = 0
    backward: int = 0
    still_in: int = 0
    won: int = 0
    lost_by_reason: dict[str, int] = field(default_factory=dict)
    lost_deals: dict[str, list[int]] = field(default_factory=dict)
    current: int = 0
    current_amount: float = 0.0
    weighted_amount: float = 0.0
    current_age_days: dict[str, float | None] = field(default_factory=dict)
    dwell_days: dict[str, float | None] = field(default_factory=dict)
    target: float | None = None
    bypassed: int = 0

    @property
    def conversion(self) -> float | None:
        """Share of the entered deals that moved on; none for won and lost stages (nowhere to go)."""
        return ratio(self.advanced, self.entered) if self.kind == OPEN else None

    @property
    def to_won(self) -> float | None:
        return ratio(self.won, self.entered)

    @property
    def shortfall(self) -> bool:
        """The conversion is below the funnel's target for the next stage."""
        return self.target is not None and self.conversion is not None and self.conversion < self.target

    def as_dict(self) -> dict:
        return {
            "stage": self.stage, "kind": self.kind, "entered": self.entered,
            "advanced": self.advanced, "conversion": self.conversion, "to_won": self.to_won,
            "won": self.won, "lost": self.lost, "backward": self.backward, "still_in": self.still_in,
            "lost_by_reason": dict(self.lost_by_reason), "current": self.current,
            "current_amount": self.current_amount, "weighted_amount": self.weighted_amount,
            "current_age_days": dict(self.current_age_days), "dwell_days": dict(self.dwell_days),
            "target": self.target, "shortfall": self.shortfall, "bypassed": self.bypassed,
        }


@dataclass
class FunnelMetrics:
    funnel: str
    start: datetime
    end: datetime
    stages: list[StageMetrics]
    deals: int
    won: int
    closed_lost: int
    win_rate: float | None
    cycle_days: float | None
    average_won_amount: float | None
    open_deals: int
    velocity: float | None

    def stage(self, stage_id: str) -> StageMetrics:
        return next(s for s in self.stages if s.stage == stage_id)

    @property
    def empty(self) -> bool:
        """No deal was in the funnel in the window: none entered or left a stage, none was open
        at its end, none closed. Such a report is all zeros, which a digest leaves out."""
        return not (self.open_deals or self.won or self.closed_lost
                    or any(s.entered or s.dwell_days.get("count") for s in self.stages))

    def as_dict(self) -> dict:
        return {
            "funnel": self.funnel, "from": self.start.isoformat(), "to": self.end.isoformat(),
            "deals": self.deals, "stages": [s.as_dict() for s in self.stages],
            "won": self.won, "lost": self.closed_lost, "win_rate": self.win_rate,
            "cycle_days": self.cycle_days, "average_won_amount": self.average_won_amount,
            "open_deals": self.open_deals, "velocity": self.velocity,
        }


def targets_by_stage(funnel: Funnel) -> dict[str, float]:
    """The target each stage's conversion is held to: ``targets`` names the stage reached, so a
    stage is compared with the target of the next stage in the funnel's order (or won's)."""
    targets = funnel.definition.get("targets") or {}
    order = [s for s in funnel.stages if s.kind != LOST]
    found = {}
    for stage, following in zip(order, order[1:]):
        if stage.kind == OPEN and following.id in targets:
            found[stage.id] = targets[following.id]
    return found


def outcome(stay: Stay, end: datetime, funnel: Funnel) -> str:
    """``advanced``, ``lost``, ``backward`` or ``still_in``: where the stay led, known at ``end``."""
    went = stay.left_by(end)
    if went is None:
        return "still_in"
    here, there = funnel.stage(stay.stage), funnel.stage(went)
    if there is None or here is None:
        return "backward"
    if there.kind == LOST:
        return "lost"
    if there.kind == WON or (there.kind == OPEN and here.kind == OPEN and there.position > here.position):
        return "advanced"
    return "backward"


def last_close(history: DealHistory, start: datetime, end: datetime,
               funnel: Funnel) -> tuple[str, Stay] | None:
    """The deal's last entry into a won or lost stage within [start, end), with its kind."""
    for stay in reversed(history.stays):
        if start <= stay.entered_at < end:
            stage = funnel.stage(stay.stage)
            if stage is not None and stage.kind in (WON, LOST):
                return stage.kind, stay
    return None


def funnel_metrics(histories: Iterable[DealHistory], funnel: Funnel, start: datetime,
                   end: datetime, now: datetime | None = None,
                   judged_at: datetime | None = None) -> FunnelMetrics:
    """Every number of the funnel report for the window [start, end).

    ``now`` caps the moment ages are measured at, so a window ending in the future (this
    quarter) reports today's ages, not the quarter end's. ``judged_at`` (default ``end``) is when
    the entered deals' outcomes are read: a trend judges a week's entries as known later.
    """
    as_of = min(end, now) if now else end
    judged_at = judged_at or end
    rows = stage_rows(funnel)
    lost_deals: dict[str, defaultdict[str, list[int]]] = {s: defaultdict(list) for s in rows}
    dwell: dict[str, list[int]] = defaultdict(list)
    ages: dict[str, list[int]] = defaultdict(list)
    current_totals: dict[str, Decimal] = defaultdict(Decimal)
    won_cycles: list[int] = []
    won_amounts: list[Decimal] = []
    closed = Counter()
    count = 0
    for history in histories:
        if history.created_at >= end:
            continue
        count += 1
        at_end = history.stay_at(end)
        judged = history.stay_at(judged_at) if judged_at != end else at_end
        status = funnel.stage(judged.stage).kind if judged and funnel.stage(judged.stage) else None
        last_entry: dict[str, Stay] = {}
        for stay in history.stays:
            if start <= stay.entered_at < end:
                last_entry[stay.stage] = stay
                if stay.bypassed and stay.stage in rows:
                    rows[stay.stage].bypassed += 1
            if stay.left_at is not None and start <= stay.left_at < end and stay.stage in rows:
                dwell[stay.stage].append(span(stay.entered_at, stay.left_at))
        for stage_id, stay in last_entry.items():
            row = rows.get(stage_id)
            if row is None:
                continue
            row.entered += 1
            result = outcome(stay, judged_at, funnel)
            setattr(row, result, getattr(row, result) + 1)
            if result == "lost":
                reason = stay.lost_reason or "unknown"
                lost_deals[stage_id][reason].append(history.deal_id)
            if status == WON:
                row.won += 1
        if at_end is not None and at_end.stage in rows and rows[at_end.stage].kind == OPEN:
            row = rows[at_end.stage]
            row.current += 1
            current_totals[at_end.stage] += money(history.amount_at(end))
            ages[at_end.stage].append(span(at_end.entered_at, max(as_of, at_end.entered_at)))
        close = last_close(history, start, end, funnel)
        if close is not None:
            closed[close[0]] += 1
            if close[0] == WON:
                won_cycles.append(span(history.created_at, close[1].entered_at))
                won_amounts.append(money(history.amount_at(close[1].entered_at, inclusive=True)))
    for stage_id, row in rows.items():
        row.lost_deals = {reason: ids for reason, ids in sorted(lost_deals[stage_id].items())}
        row.lost_by_reason = {reason: len(ids) for reason, ids in row.lost_deals.items()}
        row.dwell_days = summary(dwell[stage_id])
        age = summary(ages[stage_id])
        row.current_age_days = {"median": age["median"], "mean": age["mean"],
                                "max": days_of(max(ages[stage_id])) if ages[stage_id] else None}
        if row.kind == OPEN:
            amounts_of(row, current_totals[stage_id], funnel.stage(stage_id).probability)
    return totals(funnel, start, end, rows, count, closed[WON], closed[LOST],
                  mean_days(sum(won_cycles), len(won_cycles)),
                  mean_amount(sum(won_amounts, Decimal()), len(won_amounts)))


def stage_rows(funnel: Funnel) -> dict[str, StageMetrics]:
    """An empty row per stage of the funnel, in its order, each with its target."""
    targets = targets_by_stage(funnel)
    return {s.id: StageMetrics(s.id, s.kind, target=targets.get(s.id)) for s in funnel.stages}


def totals(funnel: Funnel, start: datetime, end: datetime, rows: dict[str, StageMetrics],
           deals: int, won: int, lost: int, cycle: float | None,
           won_amount: float | None) -> FunnelMetrics:
    """The report from its filled stage rows and the closes of the window: win rate, open
    deals and velocity are derived here, once for every way of counting the rest."""
    win_rate = ratio(won, won + lost)
    open_deals = sum(r.current for r in rows.values())
    velocity = (open_deals * win_rate * won_amount / cycle
                if win_rate is not None and won_amount is not None and cycle else None)
    return FunnelMetrics(funnel.id, start, end, list(rows.values()), deals, won, lost,
                         win_rate, cycle, won_amount, open_deals, velocity)

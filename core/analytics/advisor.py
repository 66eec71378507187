"""The stage advisor: how the stage division could change, each suggestion with its numbers.

Rules, all on the funnel report of a window (and the histories behind it for amounts):

- ``split``: a stage whose median dwell is long (``LONG`` × the median of all open stages'
  medians) and spread (p90 ≥ ``SPREAD`` × median) or where losses concentrate (≥ ``CONCENTRATED``
  of all losses) — it probably hides several steps (negotiation → bargaining, contract, payment);
- ``merge``: consecutive open stages where ≥ ``PASS_THROUGH`` of the deals move on within
  ``QUICK_DAYS``: the first adds a click, not a decision;
- ``gate``: a stage that loses ≥ ``HEAVY_LOSS`` of the deals entering it and has no gate: a
  qualification gate on entering it would stop deals that are lost anyway;
- ``losses``: the stage where most losses happen, with its top reason;
- ``stage_count``: fewer than 5 or more than 7 open stages;
- ``conditional``: high-value deals (top quartile of amount) win clearly less often than the
  rest and no stage applies only to them: a conditional step (an executive visit) might pay off.

A rule speaks only when the stage saw at least ``MIN_DEALS`` deals.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable

from ..funnels.model import OPEN, WON, Funnel
from .metrics import FunnelMetrics, last_close, percentile
from .stays import DealHistory

LONG = 1.3
SPREAD = 3.0
CONCENTRATED = 0.3
PASS_THROUGH = 0.95
QUICK_DAYS = 1.0
HEAVY_LOSS = 0.3
MOST_LOSSES = 0.35
MIN_DEALS = 20
HIGH_VALUE_GAP = 0.1


@dataclass
class Suggestion:
    kind: str
    stages: tuple[str, ...]
    numbers: dict[str, float | int | str | None] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "stages": list(self.stages), "numbers": dict(self.numbers),
                "message": describe(self)}


def describe(s: Suggestion) -> str:
    """The suggestion in plain English (the pages translate their own wording)."""
    n = s.numbers
    if s.kind == "split":
        return (f"Split “{s.stages[0]}”: median {n['median_days']:.1f} days against "
                f"{n['typical_days']:.1f} for a typical stage, p90 {n['p90_days']:.1f} days, "
                f"{n['loss_share']:.0%} of all losses.")
    if s.kind == "merge":
        return (f"Merge “{s.stages[0]}” into “{s.stages[1]}”: {n['conversion']:.0%} move on, "
                f"median {n['median_days']:.1f} days.")
    if s.kind == "gate":
        return (f"Add a gate to “{s.stages[0]}”: {n['lost_share']:.0%} of the deals entering it "
                f"are lost there, and entering asks for nothing.")
    if s.kind == "losses":
        return (f"Most losses happen in “{s.stages[0]}” ({n['loss_share']:.0%}); the top reason is "
                f"“{n['top_reason']}” ({n['top_reason_share']:.0%}).")
    if s.kind == "stage_count":
        return f"The funnel has {n['open_stages']} open stages; 5 to 7 are easier to work with."
    return (f"Deals of {n['threshold']:,.0f} or more win {n['high_win_rate']:.0%} of the time, the "
            f"rest {n['other_win_rate']:.0%}: a step only for them (say, an executive visit) may pay off.")


def advise(report: FunnelMetrics, funnel: Funnel, histories: Iterable[DealHistory]) -> list[Suggestion]:
    """Every suggestion the numbers support, most specific first."""
    rows = [r for r in report.stages if r.kind == OPEN]
    stages = {s.id: s for s in funnel.stages}
    total_lost = sum(r.lost for r in rows)
    medians = [r.dwell_days["median"] for r in rows if r.dwell_days["median"] is not None]
    typical = statistics.median(medians) if medians else None
    found: list[Suggestion] = []
    for row in rows:
        if row.entered < MIN_DEALS:
            continue
        dwell = row.dwell_days
        loss_share = row.lost / total_lost if total_lost else 0.0
        if typical and dwell["median"] and dwell["median"] >= LONG * typical and (
                dwell["p90"] >= SPREAD * dwell["median"] or loss_share >= CONCENTRATED):
            found.append(Suggestion("split", (row.stage,), {
                "median_days": dwell["median"], "p90_days": dwell["p90"], "typical_days": typical,
                "loss_share": loss_share, "lost": row.lost, "entered": row.entered}))
        lost_share = row.lost / row.entered
        if lost_share >= HEAVY_LOSS and not stages[row.stage].gate:
            found.append(Suggestion("gate", (row.stage,), {
                "lost_share": lost_share, "lost": row.lost, "entered": row.entered}))
    for row, following in zip(rows, rows[1:]):
        if (row.entered >= MIN_DEALS and row.conversion is not None and row.conversion >= PASS_THROUGH
                and row.dwell_days["median"] is not None and row.dwell_days["median"] <= QUICK_DAYS):
            found.append(Suggestion("merge", (row.stage, following.stage), {
                "conversion": row.conversion, "median_days": row.dwell_days["median"],
                "entered": row.entered}))
    if total_lost >= MIN_DEALS:
        worst = max(rows, key=lambda r: r.lost)
        if worst.lost / total_lost >= MOST_LOSSES:
            reason, count = max(worst.lost_by_reason.items(), key=lambda item: item[1])
            found.append(Suggestion("losses", (worst.stage,), {
                "loss_share": worst.lost / total_lost, "lost": worst.lost, "top_reason": reason,
                "top_reason_share": count / worst.lost}))
    if not 5 <= len(funnel.open_stages()) <= 7:
        found.append(Suggestion("stage_count", (), {"open_stages": len(funnel.open_stages())}))
    conditional = _conditional(report, funnel, histories)
    if conditional:
        found.append(conditional)
    return found


def _conditional(report: FunnelMetrics, funnel: Funnel, histories: Iterable[DealHistory]) -> Suggestion | None:
    """High-value deals losing more often than the rest, when no stage applies only to them."""
    if any(s.applies_when for s in funnel.stages):
        return None
    closed: list[tuple[float, bool]] = []
    for history in histories:
        close = last_close(history, report.start, report.end, funnel)
        if close is not None:
            closed.append((history.amount_at(close[1].entered_at, inclusive=True), close[0] == WON))
    if len(closed) < 2 * MIN_DEALS:
        return None
    threshold = percentile([amount for amount, _ in closed], 0.75)
    high = [won for amount, won in closed if amount >= threshold]
    other = [won for amount, won in closed if amount < threshold]
    if len(high) < MIN_DEALS or len(other) < MIN_DEALS:
        return None
    high_rate, other_rate = sum(high) / len(high), sum(other) / len(other)
    if other_rate - high_rate < HIGH_VALUE_GAP:
        return None
    return Suggestion("conditional", (), {"threshold": threshold, "high_win_rate": high_rate,
                                          "other_win_rate": other_rate, "high_deals": len(high)})


def advice_window(now: datetime) -> tuple[datetime, datetime]:
    """The default window of the advisor: the half year up to now (a quarter is often too thin)."""
    return now - timedelta(days=182), now

"""What a quarter will bring, two ways, and how right each would have been (the backtest).

(a) **Weighted pipeline**: the open deals expected to close in the quarter — by their expected
closing date when the funnel has such a field and the deal has a value, else by the median time
deals in their stage took to be won — each weighted by its stage's ``probability``.

(b) **Empirical**: learnt from the history known at the moment of the forecast, never later:
P(win | stage, age in stage) from the deals already won or lost, and the time from entering a
stage to winning. For a deal that has been ``a`` days in stage ``s``, the chance it is won within
the quarter is P(win | s, a) × the share of past winners from ``s`` (still there at age ``a``)
whose remaining time lands in the quarter. The sum over deals of amount × Bernoulli(that chance)
is drawn ``RUNS`` times with a fixed seed: mean, p10, p50, p90. Added to it: what was already
won in the quarter, and the amount won from deals created and won within a quarter, averaged
over the four quarters before (pro rata for what is left of the quarter) — the deals that do not
exist yet.

The backtest runs both for each of the four quarters before, as of each quarter's first
instant, and sets them against what was actually won.
"""
from __future__ import annotations

import math
import random
import statistics
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Iterable

from ..funnels.model import LOST, OPEN, WON, Funnel
from .metrics import days, last_close, percentile
from .stays import DealHistory
from .windows import midnight, previous_quarter, quarter_label, quarter_window

AGE_BUCKETS = (0, 7, 30, 90)  # lower bounds, in days in the stage
MIN_SAMPLE = 5  # closed deals below which a (stage, age) cell falls back to the stage, then to `probability`
RUNS = 2000
NORMAL_FROM = 200  # expected wins per draw above which the normal law replaces the draws
SEED = 6
BACKTEST_QUARTERS = 4


def age_bucket(age: float) -> int:
    return max(b for b in AGE_BUCKETS if age >= b) if age >= 0 else 0


@dataclass
class Model:
    """What history known at ``as_of`` says about winning, per stage and age in the stage."""

    as_of: datetime
    cells: dict[tuple[str, int], list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    to_win: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    sorted_to_win: dict[str, list[float]] = field(default_factory=dict)
    sorted_all: list[float] = field(default_factory=list)

    def p_win(self, funnel: Funnel, stage: str, age: float) -> tuple[float, str]:
        """The chance and where it came from: ``history`` (stage and age), ``stage`` or ``funnel``."""
        won, closed = self.cells.get((stage, age_bucket(age)), (0, 0))
        if closed >= MIN_SAMPLE:
            return won / closed, "history"
        won, closed = self.cells.get((stage, 0), (0, 0))
        if closed >= MIN_SAMPLE:
            return won / closed, "stage"
        found = funnel.stage(stage)
        return (found.probability if found else 0.0), "funnel"

    def ahead(self, stage: str, age: float, low: float, high: float) -> tuple[float | None, float]:
        """For past winners from ``stage`` (any stage when it has none) that were there at least
        ``age`` days: the median of the days they still took, and the share of them that took
        between ``low`` and ``high`` more days. ``(None, 1.0)`` without any past winner; a deal
        older than every past winner would be won now, if at all.

        By bisection on sorted durations: a forecast asks this for every open deal.
        """
        past = self.sorted_to_win.get(stage) or self.sorted_all
        if not past:
            return None, 1.0
        first = bisect_left(past, age)
        count = len(past) - first
        if not count:
            return 0.0, 1.0 if low <= 0 < high else 0.0
        median = (past[first + (count - 1) // 2] + past[first + count // 2]) / 2 - age
        inside = (bisect_left(past, high + age, lo=first)
                  - bisect_left(past, max(low, 0.0) + age, lo=first))
        return median, inside / count

    def freeze(self) -> "Model":
        """Sort the durations once learning is done."""
        self.sorted_to_win = {stage: sorted(d) for stage, d in self.to_win.items()}
        self.sorted_all = sorted(d for durations in self.to_win.values() for d in durations)
        return self


def learn(histories: Iterable[DealHistory], funnel: Funnel, as_of: datetime) -> Model:
    """The model from the deals that were won or lost before ``as_of``."""
    model = Model(as_of)
    for history in histories:
        final = history.stay_at(as_of)
        kind = funnel.stage(final.stage).kind if final and funnel.stage(final.stage) else None
        if kind not in (WON, LOST):
            continue
        for stay in history.stays:
            stage = funnel.stage(stay.stage)
            if stay.entered_at >= as_of or stage is None or stage.kind != OPEN or stay.left_at is None:
                continue
            lasted = days(stay.entered_at, stay.left_at)
            for bucket in AGE_BUCKETS:
                if lasted >= bucket:
                    cell = model.cells[(stay.stage, bucket)]
                    cell[0] += kind == WON
                    cell[1] += 1
            if kind == WON:
                model.to_win[stay.stage].append(days(stay.entered_at, final.entered_at))
    return model.freeze()


@dataclass
class OpenDeal:
    deal_id: int
    stage: str
    age: float
    amount: float
    weighted: float
    expected_close: datetime | None
    in_quarter: bool  # for the weighted pipeline
    p_win: float
    source: str
    p_in_quarter: float

    @property
    def chance(self) -> float:
        return self.p_win * self.p_in_quarter


def open_deals(histories: Iterable[DealHistory], funnel: Funnel, model: Model, start: datetime,
               end: datetime) -> list[OpenDeal]:
    """Every deal open at the model's moment, with what each method expects of it."""
    as_of = model.as_of
    found = []
    for history in histories:
        stay = history.stay_at(as_of)
        stage = funnel.stage(stay.stage) if stay else None
        if stage is None or stage.kind != OPEN:
            continue
        age = days(stay.entered_at, as_of)
        amount = history.amount_at(as_of)
        median, share = model.ahead(stage.id, age, days(as_of, start), days(as_of, end))
        expected = _close_date(history.close_date_at(as_of))
        if expected is None and median is not None:
            expected = as_of + timedelta(days=median)
        if expected is not None:
            expected = max(expected, as_of)  # overdue: expected now
        p_win, source = model.p_win(funnel, stage.id, age)
        found.append(OpenDeal(
            history.deal_id, stage.id, age, amount, amount * stage.probability, expected,
            expected is not None and start <= expected < end, p_win, source, share,
        ))
    return found


def _close_date(text: str | None) -> datetime | None:
    try:
        return midnight(date.fromisoformat(text)) if text else None
    except ValueError:
        return None


def _bernoulli_runs(rng: random.Random, chance: float, runs: int) -> Iterable[int]:
    """The runs (0..runs-1) in which a Bernoulli(chance) trial succeeds, by geometric skips: the
    cost follows the successes, not runs × deals."""
    if chance >= 1:
        yield from range(runs)
        return
    if chance <= 0:
        return
    log_miss = math.log1p(-chance)
    run = -1
    while True:
        run += int(math.log(1.0 - rng.random()) / log_miss) + 1
        if run >= runs:
            return
        yield run


def simulate(deals: list[OpenDeal], runs: int = RUNS, seed: int = SEED) -> list[float]:
    """Won amount within the quarter in each of ``runs`` draws, sorted."""
    rng = random.Random(seed)
    totals = [0.0] * runs
    for deal in deals:
        if deal.amount:
            for run in _bernoulli_runs(rng, deal.chance, runs):
                totals[run] += deal.amount
    return sorted(totals)


def spread(deals: list[OpenDeal], runs: int = RUNS) -> tuple[float, float, float, float]:
    """Mean, p10, p50 and p90 of the won amount: drawn when the draws are cheap, else (more than
    ``NORMAL_FROM`` expected wins per draw) from the normal law the sum of that many independent
    wins follows (central limit), with the exact mean and variance."""
    mean = sum(d.amount * d.chance for d in deals)
    if sum(d.chance for d in deals if d.amount) <= NORMAL_FROM:
        totals = simulate(deals, runs) if deals else [0.0]
        return (statistics.fmean(totals), percentile(totals, 0.1), percentile(totals, 0.5),
                percentile(totals, 0.9))
    sigma = math.sqrt(sum(d.amount ** 2 * d.chance * (1 - d.chance) for d in deals))
    low, high = statistics.NormalDist(mean, sigma).inv_cdf(0.1), statistics.NormalDist(mean, sigma).inv_cdf(0.9)
    return mean, max(0.0, low), mean, high


def won_between(histories: Iterable[DealHistory], funnel: Funnel, start: datetime, end: datetime,
                created_from: datetime | None = None) -> float:
    """Amount of the deals whose last close in [start, end) was a win (optionally: created from)."""
    total = 0.0
    for history in histories:
        if created_from is not None and history.created_at < created_from:
            continue
        close = last_close(history, start, end, funnel)
        if close is not None and close[0] == WON:
            total += history.amount_at(close[1].entered_at, inclusive=True)
    return total


def new_deal_rate(histories: list[DealHistory], funnel: Funnel, year: int, quarter: int) -> float:
    """Average amount won per quarter from deals created and won within that quarter, over the
    ``BACKTEST_QUARTERS`` quarters before (those with any deal)."""
    amounts = []
    for _ in range(BACKTEST_QUARTERS):
        year, quarter = previous_quarter(year, quarter)
        start, end = quarter_window(year, quarter)
        if any(h.created_at < end for h in histories):
            amounts.append(won_between(histories, funnel, start, end, created_from=start))
    return statistics.fmean(amounts) if amounts else 0.0


@dataclass
class Forecast:
    quarter: str
    as_of: datetime
    won_so_far: float
    weighted_pipeline: float
    weighted_deals: int
    pipeline_expected: float
    new_deals: float
    expected: float
    p10: float
    p50: float
    p90: float
    deals: list[OpenDeal]
    model: Model

    @property
    def won_and_expected(self) -> float:
        """What is won in the quarter so far plus what the open deals are expected to add."""
        return self.won_so_far + self.weighted_pipeline

    def as_dict(self) -> dict:
        return {
            "quarter": self.quarter, "as_of": self.as_of.isoformat(), "won_so_far": self.won_so_far,
            "weighted": {"amount": self.won_and_expected,
                         "pipeline": self.weighted_pipeline, "deals": self.weighted_deals},
            "empirical": {"expected": self.expected, "p10": self.p10, "p50": self.p50, "p90": self.p90,
                          "pipeline": self.pipeline_expected, "new_deals": self.new_deals},
            "open_deals": len(self.deals),
        }


def expected_to_close(deals: Iterable[OpenDeal]) -> float:
    """The figure "expected to close this quarter" of these deals: amount × stage probability of
    those whose expected closing date lies in the quarter."""
    return sum(d.weighted for d in deals if d.in_quarter)


def forecast(histories: Iterable[DealHistory], funnel: Funnel, year: int, quarter: int,
             now: datetime, runs: int = RUNS) -> Forecast:
    """Both forecasts for the quarter, made at ``now`` (clamped into the quarter): a past quarter
    is all won already, a future one starts from today's pipeline."""
    histories = list(histories)
    start, end = quarter_window(year, quarter)
    as_of = min(max(now, start), end)
    model = learn(histories, funnel, as_of)
    deals = open_deals(histories, funnel, model, start, end)
    won = won_between(histories, funnel, start, as_of)
    left = (end - max(as_of, start)).total_seconds() / (end - start).total_seconds()
    new = new_deal_rate(histories, funnel, year, quarter) * left
    mean, p10, p50, p90 = spread(deals, runs)
    base = won + new
    return Forecast(
        quarter_label(year, quarter), as_of, won, expected_to_close(deals), sum(d.in_quarter for d in deals),
        sum(d.amount * d.chance for d in deals), new, base + mean, base + p10, base + p50, base + p90,
        deals, model,
    )


def deals_during(histories: Iterable[DealHistory], funnel: Funnel, start: datetime, end: datetime) -> int:
    """How many deals were in the funnel at some moment of [start, end): created in it, or open
    at its start. None means the quarter has no data to judge a forecast by."""
    count = 0
    for history in histories:
        if history.created_at >= end:
            continue
        stay = history.stay_at(start)
        stage = funnel.stage(stay.stage) if stay is not None else None
        count += history.created_at >= start or (stage is not None and stage.kind == OPEN)
    return count


def backtest(histories: Iterable[DealHistory], funnel: Funnel, year: int, quarter: int,
             runs: int = RUNS) -> list[dict]:
    """For each of the four quarters before, oldest first: what (a) and (b) said at its start
    against what was won in it, with the errors (forecast − actual, and that ÷ actual).

    ``deals`` counts the deals the quarter had (:func:`deals_during`); with none there is no
    data, and ``within_p10_p90`` is ``None`` rather than a "yes" an empty quarter did not earn.
    ``miss`` says that a quarter with data ended outside p10–p90."""
    histories = list(histories)
    rows = []
    for _ in range(BACKTEST_QUARTERS):
        year, quarter = previous_quarter(year, quarter)
        start, end = quarter_window(year, quarter)
        said = forecast(histories, funnel, year, quarter, start, runs)
        actual = won_between(histories, funnel, start, end)
        weighted = said.weighted_pipeline
        had = deals_during(histories, funnel, start, end)
        within = said.p10 <= actual <= said.p90 if had else None
        rows.append({
            "quarter": said.quarter, "deals": had, "actual": actual,
            "weighted": weighted, "weighted_error": weighted - actual,
            "weighted_error_share": (weighted - actual) / actual if actual else None,
            "empirical": said.expected, "p10": said.p10, "p90": said.p90,
            "empirical_error": said.expected - actual,
            "empirical_error_share": (said.expected - actual) / actual if actual else None,
            "within_p10_p90": within, "miss": within is False,
        })
    return rows[::-1]


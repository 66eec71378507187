"""The quarter's forecast on a hand-made history, worked out from the method's definition.

Funnel "mini" with a ``close_date`` field; forecast for 2026Q1 made on Feb 1. Deals 1–4 were
created in quote on Jan 2 and won on Jan 12 (10 days, 100 each); deal 5 was created in quote on
Jan 2 and lost on Jan 5. Open on Feb 1: A (quote since Jan 29, 1000), B (quote since Jan 20, 500,
close_date May 10), C (lead since Jan 30, 200).
"""
from __future__ import annotations

import copy

import pytest

from goldsieve.analytics.forecast import backtest, forecast, learn
from goldsieve.clock import stamp
from goldsieve.funnels.model import Funnel

from tests.analytics.handmade import FUNNEL, created, day, histories, moved, registry

DEFINITION = copy.deepcopy(FUNNEL)
DEFINITION["fields"]["properties"]["close_date"] = {"type": "string", "format": "date"}
MINI = Funnel(DEFINITION)


def log() -> dict[int, list[dict]]:
    found = {n: [created(n, day(2), 100, stage="quote"), moved(n, day(12), "quote", "won")] for n in range(1, 5)}
    found[5] = [created(5, day(2), 100, stage="quote"), moved(5, day(5), "quote", "lost", "price")]
    found[11] = [created(11, day(29), 1000, stage="quote")]
    b = created(12, day(20), 500, stage="quote")
    b["changes"]["close_date"] = [None, "2026-05-10"]
    found[12] = [b]
    found[13] = [created(13, day(30), 200)]
    return found


@pytest.fixture(scope="module")
def found():
    mapper_registry = registry(DEFINITION)
    from goldsieve.analytics.stays import StageMapper, build_history

    mapper = StageMapper(mapper_registry, "mini")
    return [build_history(n, events, mapper, close_field="close_date") for n, events in log().items()]


def test_the_model_learns_win_chances_by_stage_and_age(found):
    model = learn(found, MINI, day(1, 2))
    assert model.cells[("quote", 0)] == [4, 5] and model.cells[("quote", 7)] == [4, 4]
    assert ("quote", 30) not in model.cells
    assert model.to_win["quote"] == [10.0] * 4
    assert model.p_win(MINI, "quote", 3) == (0.8, "history")
    # 4 closed deals at 7+ days are fewer than MIN_SAMPLE (5): the stage's chance at any age
    assert model.p_win(MINI, "quote", 12) == (0.8, "stage")
    assert model.p_win(MINI, "quote", 40) == (0.8, "stage")
    assert model.p_win(MINI, "lead", 1) == (0.1, "funnel")  # nothing closed from lead: probability


def test_weighted_pipeline_uses_the_close_date_or_the_time_winners_took(found):
    result = forecast(found, MINI, 2026, 1, day(1, 2))
    deals = {d.deal_id: d for d in result.deals}
    # A: no date, winners from quote at 3+ days needed 7 more: Feb 8, inside; 1000 × 0.6
    # B: May 10, outside; C: lead, winners (any stage) at 2+ days needed 8 more: inside, 200 × 0.1
    assert (deals[11].in_quarter, deals[12].in_quarter, deals[13].in_quarter) == (True, False, True)
    assert deals[11].expected_close == day(8, 2)
    assert result.weighted_pipeline == pytest.approx(620.0) and result.weighted_deals == 2
    assert result.won_so_far == 400.0 and result.new_deals == 0.0
    assert result.as_dict()["weighted"]["amount"] == pytest.approx(1020.0)


def test_empirical_forecast_with_its_interval(found):
    result = forecast(found, MINI, 2026, 1, day(1, 2))
    chances = {d.deal_id: round(d.chance, 6) for d in result.deals}
    # B is older than every past winner: if won, then now, so surely inside the quarter
    assert chances == {11: 0.8, 12: 0.8, 13: 0.1}
    assert result.pipeline_expected == pytest.approx(1000 * 0.8 + 500 * 0.8 + 200 * 0.1)
    # 1000·B(.8) + 500·B(.8) + 200·B(.1); cumulative: 0 3.6 %, 200 4 %, 500 18.4 %, 700 20 %,
    # 1000 34.4 %, 1200 36 %, 1500 93.6 %, 1700 100 % → p10 500, p50 1500, p90 1500; + 400 won
    assert (result.p10, result.p50, result.p90) == (900.0, 1900.0, 1900.0)
    assert result.expected == pytest.approx(400 + 1220, rel=0.03)
    assert forecast(found, MINI, 2026, 1, day(1, 2)).as_dict() == result.as_dict()  # fixed seed


def test_a_past_quarter_is_what_was_won(found):
    result = forecast(found, MINI, 2026, 1, day(1, 5))
    assert result.won_so_far == result.expected == result.p10 == result.p90 == 400.0


def test_the_model_never_sees_events_after_its_moment():
    as_of = day(10)
    full = histories(log(), registry(DEFINITION))
    early = {n: [e for e in events if e["at"] < stamp(as_of)] for n, events in log().items()}
    cut = [h for h in histories(early, registry(DEFINITION)) if h is not None]
    assert learn(full, MINI, as_of).cells == learn(cut, MINI, as_of).cells
    assert dict(learn(full, MINI, day(13)).cells) != dict(learn(cut, MINI, day(13)).cells)


def test_backtest_of_the_four_quarters_before(found):
    rows = backtest(found, MINI, 2026, 2)
    assert [r["quarter"] for r in rows] == ["2025Q2", "2025Q3", "2025Q4", "2026Q1"]
    q1 = rows[-1]
    # on Jan 1 nothing existed yet: both forecasts said 0; 400 was won
    assert (q1["actual"], q1["weighted"], q1["empirical"]) == (400.0, 0.0, 0.0)
    assert (q1["weighted_error"], q1["empirical_error_share"], q1["within_p10_p90"]) == (-400.0, -1.0, False)
    assert q1["deals"] > 0 and q1["miss"] is True  # 400 won, outside the p10–p90 of 0–0: flagged
    assert all(r["actual"] == 0 for r in rows[:-1])
    # the quarters before any deal existed have no data: not "inside p10–p90", not a miss
    assert [(r["deals"], r["within_p10_p90"], r["miss"]) for r in rows[:-1]] == [(0, None, False)] * 3


def test_many_deals_use_the_normal_law_which_agrees_with_the_draws():
    from goldsieve.analytics.forecast import NORMAL_FROM, OpenDeal, simulate, spread
    from goldsieve.analytics.metrics import percentile

    deals = [OpenDeal(n, "quote", 1.0, 100.0 + n % 50, 0.0, None, False, 0.5, "history", 0.9)
             for n in range(1000)]
    assert sum(d.chance for d in deals) > NORMAL_FROM
    mean, p10, p50, p90 = spread(deals)
    drawn = simulate(deals)
    assert mean == pytest.approx(sum(d.amount * 0.45 for d in deals))
    assert p10 == pytest.approx(percentile(drawn, 0.1), rel=0.01)
    assert p90 == pytest.approx(percentile(drawn, 0.9), rel=0.01)
    assert p10 < p50 < p90

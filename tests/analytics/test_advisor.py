"""The stage advisor's rules on hand-set numbers: each fires on its case, with its numbers."""
from __future__ import annotations

import copy

from goldsieve.analytics.advisor import advise
from goldsieve.analytics.metrics import FunnelMetrics, StageMetrics
from goldsieve.funnels.model import Funnel

from tests.analytics.handmade import FUNNEL, created, day, histories, moved

SIX = copy.deepcopy(FUNNEL)
SIX["stages"][1:1] = [{"id": f"step{n}", "title": f"Step {n}", "kind": "open", "probability": 0.2,
                       "gate": {"required": ["amount"]}} for n in range(1, 4)]
SIX["stages"][0]["gate"] = {"required": ["amount"]}
FUNNEL6 = Funnel(SIX)  # lead, step1..3, qualified, quote: six open stages, all but two gated


def row(stage, entered=100, advanced=70, lost=10, median=5.0, p90=10.0, reasons=None, kind="open"):
    found = StageMetrics(stage, kind, entered=entered, advanced=advanced, lost=lost,
                         still_in=entered - advanced - lost)
    found.dwell_days = {"count": entered, "median": median, "mean": median, "p90": p90}
    found.lost_by_reason = reasons or ({"price": lost} if lost else {})
    return found


def report(rows, funnel=FUNNEL6):
    rows = {r.stage: r for r in rows}
    stages = [rows.get(s.id) or row(s.id, kind=s.kind, lost=10 if s.kind == "open" else 0)
              for s in funnel.stages]
    return FunnelMetrics(funnel.id, day(1), day(28), stages, 0, 0, 0, None, None, None, 0, None)


def kinds(found):
    return [(s.kind, s.stages) for s in found]


def test_nothing_to_say_about_a_balanced_funnel():
    assert advise(report([]), FUNNEL6, []) == []


def test_split_a_long_spread_stage():
    found = advise(report([row("quote", median=12.0, p90=40.0)]), FUNNEL6, [])
    assert kinds(found) == [("split", ("quote",))]
    assert found[0].numbers["median_days"] == 12.0 and found[0].numbers["typical_days"] == 5.0
    assert "Split “quote”" in found[0].as_dict()["message"]


def test_a_long_stage_that_is_neither_spread_nor_lossy_is_left_alone():
    assert advise(report([row("quote", median=12.0, p90=20.0)]), FUNNEL6, []) == []


def test_merge_a_stage_everyone_passes_quickly():
    found = advise(report([row("step1", advanced=97, lost=1, median=0.5)]), FUNNEL6, [])
    assert kinds(found) == [("merge", ("step1", "step2"))]
    assert found[0].numbers["conversion"] == 0.97


def test_heavy_losses_without_a_gate_and_where_most_losses_happen():
    found = advise(report([row("qualified", advanced=40, lost=50, reasons={"price": 30, "timing": 20})]),
                   FUNNEL6, [])
    assert kinds(found) == [("gate", ("qualified",)), ("losses", ("qualified",))]
    assert found[1].numbers["top_reason"] == "price" and found[1].numbers["top_reason_share"] == 0.6
    # the same losses behind a gate: only the losses remark
    gated = advise(report([row("step1", advanced=40, lost=50)]), FUNNEL6, [])
    assert kinds(gated) == [("losses", ("step1",))]


def test_small_samples_say_nothing():
    assert advise(report([row("qualified", entered=19, advanced=5, lost=12)]), FUNNEL6, []) == []


def test_too_few_stages():
    mini = Funnel(FUNNEL)
    found = advise(report([], mini), mini, [])
    assert kinds(found) == [("stage_count", ())] and found[0].numbers == {"open_stages": 3}


def test_high_value_deals_that_lose_more_suggest_a_conditional_step():
    log = {}
    for n in range(80):  # 21 big deals, 5 won; 59 small ones, 40 won; the top quartile is the big ones
        amount = 1000 if n < 21 else 10
        won = n < 5 or 21 <= n < 61
        log[n] = [created(n, day(1), amount), moved(n, day(3), "lead", "won" if won else "lost",
                                                     None if won else "price")]
    found = advise(report([]), FUNNEL6, histories(log))
    assert kinds(found) == [("conditional", ())]
    assert found[0].numbers == {"threshold": 1000.0, "high_win_rate": 5 / 21,
                                "other_win_rate": 40 / 59, "high_deals": 21}

"""Properties of the funnel report on random histories: counts conserve, rates stay in 0..1."""
from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from goldsieve.analytics.metrics import funnel_metrics
from goldsieve.funnels.model import Funnel

from tests.analytics.handmade import FUNNEL, created, day, event, histories, moved

MINI = Funnel(FUNNEL)
STAGES = [s["id"] for s in FUNNEL["stages"]]

steps = st.lists(st.tuples(st.integers(1, 72), st.sampled_from(STAGES), st.sampled_from(["price", "timing"])),
                 max_size=8)
deals = st.lists(st.tuples(st.integers(0, 24 * 40), st.integers(0, 300), steps), min_size=1, max_size=12)


def log_of(drawn) -> dict[int, list[dict]]:
    log = {}
    for deal_id, (offset, amount, moves) in enumerate(drawn, start=1):
        at = day(1) + timedelta(hours=offset)
        stage = "lead"
        events = [created(deal_id, at, amount)]
        for hours, target, reason in moves:
            if target == stage:
                continue
            at += timedelta(hours=hours)
            if MINI.stage(stage).kind != "open":  # out of won or lost only by reopening
                if target in ("won", "lost"):
                    continue
                events.append(event(deal_id, "reopened", at, to=target, frm=stage))
            else:
                events.append(moved(deal_id, at, stage, target, reason if target == "lost" else None))
            stage = target
        log[deal_id] = events
    return log


@settings(max_examples=150, deadline=None)
@given(deals, st.integers(0, 30), st.integers(1, 30))
def test_counts_conserve_and_rates_are_shares(drawn, start_day, length):
    found = histories(log_of(drawn))
    start = day(1) + timedelta(days=start_day)
    end = start + timedelta(days=length)
    report = funnel_metrics(found, MINI, start, end)
    for row in report.stages:
        assert row.entered == row.advanced + row.lost + row.backward + row.still_in
        assert row.entered >= row.advanced + row.lost
        assert sum(row.lost_by_reason.values()) == row.lost
        assert row.won <= row.entered
        for rate in (row.conversion, row.to_won):
            assert rate is None or 0 <= rate <= 1
        if row.kind != "open":
            assert row.current == 0 and row.advanced == 0
    open_at_end = sum(1 for h in found if (s := h.stay_at(end)) and MINI.stage(s.stage).kind == "open")
    assert report.open_deals == open_at_end
    assert report.win_rate is None or 0 <= report.win_rate <= 1
    assert report.won + report.closed_lost <= report.deals


@settings(max_examples=80, deadline=None)
@given(deals, st.integers(0, 20), st.integers(1, 40), st.sampled_from(["week", "month"]))
def test_the_trend_equals_a_report_per_bucket(drawn, start_day, length, interval):
    from goldsieve.analytics.trend import trend

    found = histories(log_of(drawn))
    start = day(1) + timedelta(days=start_day)
    end = start + timedelta(days=length)
    for bucket in trend(found, MINI, start, end, interval):
        low, high = (datetime.fromisoformat(bucket[k]) for k in ("from", "to"))
        report = funnel_metrics(found, MINI, low, high, judged_at=end)
        assert (bucket["won"], bucket["lost"], bucket["win_rate"]) == (report.won, report.closed_lost, report.win_rate)
        assert bucket["stages"] == [{"stage": r.stage, "entered": r.entered, "advanced": r.advanced,
                                     "conversion": r.conversion} for r in report.stages if r.kind == "open"]

"""Every number of the funnel report on the hand-written log, worked out from the definitions.

Window [Jan 1, Jan 15) 2026. Deal 1 goes lead (d1) → qualified (d3) → quote (d6) → won (d10),
amount 100. Deal 2: lead (d2) → lost for price (d4), 200. Deal 3: lead (d2) → qualified (d5) →
back to lead (d7) → qualified again (d8), 50. Deal 4: lead (d5) → lost for timing (d6) → reopened
into lead (d9), no amount; an unknown automation event follows. Deal 5 is created after the
window (d20). Deal 6 was created on Dec 28 in lead → qualified (Jan 2) → lost for price (Jan 12).
"""
from __future__ import annotations

import pytest

from goldsieve.analytics.metrics import funnel_metrics, percentile, summary
from goldsieve.funnels.model import Funnel

from tests.analytics.handmade import FUNNEL, day, histories

MINI = Funnel(FUNNEL)


@pytest.fixture(scope="module")
def report():
    return funnel_metrics(histories(), MINI, day(1), day(15))


def counts(row):
    return (row.entered, row.advanced, row.lost, row.backward, row.still_in, row.won)


def test_lead_counts_judge_each_deal_by_its_last_entry_in_the_window(report):
    lead = report.stage("lead")
    # entered: deals 1, 2, 3, 4 (6 entered in December); 3's last entry (d7) advanced on d8;
    # 4's last entry is its reopening (d9): still there, so its timing loss is not lead's outcome
    assert counts(lead) == (4, 2, 1, 0, 1, 1)
    assert (lead.conversion, lead.to_won) == (0.5, 0.25)
    assert lead.lost_by_reason == {"price": 1} and lead.lost_deals == {"price": [2]}


def test_qualified_conversion_falls_short_of_the_target(report):
    qualified = report.stage("qualified")
    assert counts(qualified) == (3, 1, 1, 0, 1, 1)  # deals 1, 3 and 6
    assert qualified.conversion == pytest.approx(1 / 3)
    assert (qualified.target, qualified.shortfall) == (0.5, True)
    assert qualified.lost_by_reason == {"price": 1} and qualified.lost_deals == {"price": [6]}


def test_quote_meets_its_target_and_won_and_lost_rows_count_entries(report):
    quote = report.stage("quote")
    assert counts(quote) == (1, 1, 0, 0, 0, 1)
    assert (quote.conversion, quote.target, quote.shortfall) == (1.0, 0.5, False)
    assert counts(report.stage("won")) == (1, 0, 0, 0, 1, 1)
    assert counts(report.stage("lost")) == (3, 0, 0, 1, 2, 0)  # deal 4 reopened out of it


def test_current_deals_with_amount_weighted_amount_and_age(report):
    lead, qualified = report.stage("lead"), report.stage("qualified")
    assert (lead.current, lead.current_amount, lead.weighted_amount) == (1, 0.0, 0.0)
    assert lead.current_age_days == {"median": 6.0, "mean": 6.0, "max": 6.0}  # d9 → d15
    assert (qualified.current, qualified.current_amount) == (1, 50.0)
    assert qualified.weighted_amount == pytest.approx(15.0)
    assert qualified.current_age_days["max"] == 7.0  # d8 → d15
    assert report.stage("quote").current == 0 and report.open_deals == 2


def test_dwell_counts_the_stays_that_ended_in_the_window(report):
    # lead stays ended: 1 (2 days), 2 (2), 3 (3 and 1), 4 (1), 6 (Dec 28 → Jan 2: 5)
    assert report.stage("lead").dwell_days == {"count": 6, "median": 2.0, "mean": pytest.approx(14 / 6),
                                               "p90": 5.0}
    assert report.stage("qualified").dwell_days == {"count": 3, "median": 3.0, "mean": 5.0, "p90": 10.0}
    assert report.stage("quote").dwell_days["median"] == 4.0


def test_win_rate_cycle_and_velocity(report):
    # closed in the window: 1 won; 2, 4 (its last close, though reopened later) and 6 lost
    assert (report.won, report.closed_lost, report.win_rate) == (1, 3, 0.25)
    assert (report.cycle_days, report.average_won_amount) == (9.0, 100.0)
    assert report.velocity == pytest.approx(2 * 0.25 * 100 / 9)
    assert report.deals == 5  # deal 5 was created after the window


def test_window_boundaries_start_inclusive_end_exclusive():
    report = funnel_metrics(histories(), MINI, day(3), day(10))
    # qualified entries on d3 (deal 1) and d8 (deal 3's last) count; deal 6's on Jan 2 does not
    assert counts(report.stage("qualified")) == (2, 1, 0, 0, 1, 0)
    # deal 1 leaves quote on d10, the end: at the end it is still in quote
    assert counts(report.stage("quote")) == (1, 0, 0, 0, 1, 0)
    assert report.stage("won").entered == 0
    assert (report.won, report.closed_lost, report.win_rate) == (0, 2, 0.0)
    assert report.cycle_days is None and report.velocity is None


def test_bypassed_counts_the_entries_past_a_gate_in_the_window():
    from tests.analytics.handmade import LOG, created, moved
    from tests.analytics.test_stays import bypassed

    log = {**LOG,
           # deal 7 is let into qualified twice (two entries), deal 8 once, but before the window
           7: [created(7, day(2)), bypassed(7, day(3), "lead", "qualified"), moved(7, day(3), "lead", "qualified"),
               moved(7, day(4), "qualified", "lead"), bypassed(7, day(5), "lead", "qualified"),
               moved(7, day(5), "lead", "qualified")],
           8: [created(8, day(1)), bypassed(8, day(2), "lead", "qualified"), moved(8, day(2), "lead", "qualified")]}
    report = funnel_metrics(histories(log), MINI, day(3), day(15))
    assert [(row.stage, row.bypassed) for row in report.stages if row.bypassed] == [("qualified", 2)]
    assert report.stage("qualified").entered == 3  # deals 1, 3, 7: a deal counts once there
    assert funnel_metrics(histories(log), MINI, day(1), day(15)).stage("qualified").as_dict()["bypassed"] == 3
    assert funnel_metrics(histories(), MINI, day(1), day(15)).stage("qualified").bypassed == 0


def test_ages_are_measured_at_now_when_the_window_ends_later():
    report = funnel_metrics(histories(), MINI, day(1), day(31), now=day(12))
    assert report.stage("lead").current_age_days["max"] == 3.0  # d9 → d12


def test_percentile_is_nearest_rank_and_summary_of_nothing_is_none():
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == 9
    assert percentile([3, 1, 2], 0.9) == 3
    assert summary([]) == {"count": 0, "median": None, "mean": None, "p90": None}


def test_sums_and_means_do_not_depend_on_the_order_of_the_deals():
    """Added exactly, rounded once: what lets PostgreSQL's sums equal these bit for bit."""
    from tests.analytics.handmade import created

    amounts = [0.1, 0.2, 0.3]
    assert sum(amounts) != 0.6 and sum(reversed(amounts)) == 0.6  # a float sum depends on order
    log = {n: [created(n, day(n, hour=n), amount=a)] for n, a in enumerate(amounts, start=1)}
    for order in (log, dict(reversed(log.items()))):
        lead = funnel_metrics(histories(order), MINI, day(1), day(15)).stage("lead")
        assert (lead.current, lead.current_amount) == (3, 0.6)
        assert lead.weighted_amount == 0.6 * 0.1 == 0.06  # the stage's amount times its probability
    spans = [1, 2, 10**11]  # microseconds
    assert summary(spans)["mean"] == summary(spans[::-1])["mean"] == (10**11 + 3) / (3 * 86_400 * 10**6)


def test_trend_buckets_are_reports_of_their_own_weeks():
    from goldsieve.analytics.trend import trend

    weeks = trend(histories(), MINI, day(1), day(15), "week")
    # Jan 1 2026 is a Thursday: [Jan 1, Jan 5), [Jan 5, Jan 12), [Jan 12, Jan 15)
    assert [(w["from"][:10], w["to"][:10]) for w in weeks] == [
        ("2026-01-01", "2026-01-05"), ("2026-01-05", "2026-01-12"), ("2026-01-12", "2026-01-15")]
    first = {s["stage"]: (s["entered"], s["advanced"]) for s in weeks[0]["stages"]}
    # week 1's entries judged as known on Jan 15: lead by 1, 2, 3 (1 and 3 advanced, 2 lost);
    # qualified by 1 (advanced) and 6 (lost on Jan 12)
    assert first == {"lead": (3, 2), "qualified": (2, 1), "quote": (0, 0)}
    assert len(trend(histories(), MINI, day(1), day(15), "week", now=day(6))) == 2  # not past now
    assert (weeks[0]["won"], weeks[0]["lost"], weeks[1]["won"], weeks[2]["lost"]) == (0, 1, 1, 1)

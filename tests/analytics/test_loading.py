"""Reading histories through the store: a rep's numbers are their own deals', filtered in the query."""
from __future__ import annotations

from datetime import timedelta

import pytest

from goldsieve.analytics import funnel_report
from goldsieve.store.filters import And, Eq, In, Range


@pytest.fixture
def people(goldsieve_make_user, goldsieve_user):
    return goldsieve_make_user("rita", "rep"), goldsieve_make_user("rob", "rep"), goldsieve_user


def make_deals(engine, clock, rep, count: int, lose: int) -> list[int]:
    ids = []
    for n in range(count):
        deal = engine.create(rep, "handmade", f"{rep['username']} {n}", {"company": "Acme", "amount": 10})
        clock.advance(hours=1)
        if n < lose:
            engine.lose(rep, deal["id"], "price")
            clock.advance(hours=1)
        ids.append(deal["id"])
    return ids


def test_a_reps_report_counts_only_their_own_deals(goldsieve_engine, goldsieve_clock, people):
    rita, rob, admin = people
    start = goldsieve_clock.now
    make_deals(goldsieve_engine, goldsieve_clock, rita, 3, lose=1)
    make_deals(goldsieve_engine, goldsieve_clock, rob, 4, lose=3)
    end = goldsieve_clock.advance(days=1)

    def lead(user):
        report = funnel_report(goldsieve_engine.store, goldsieve_engine.funnels, "handmade",
                               goldsieve_engine.scope(user), start, end)
        row = report.stage("lead")
        return row.entered, row.lost_by_reason, row.current, row.current_amount

    assert lead(rita) == (3, {"price": 1}, 2, 20.0)
    assert lead(rob) == (4, {"price": 3}, 1, 10.0)
    assert lead(admin) == (7, {"price": 4}, 3, 30.0)


def test_events_after_the_window_are_not_read(goldsieve_engine, goldsieve_clock, people):
    rita = people[0]
    start = goldsieve_clock.now
    [deal] = make_deals(goldsieve_engine, goldsieve_clock, rita, 1, lose=0)
    end = goldsieve_clock.advance(days=1)
    goldsieve_clock.advance(days=1)
    goldsieve_engine.lose(rita, deal, "competitor")
    report = funnel_report(goldsieve_engine.store, goldsieve_engine.funnels, "handmade",
                           goldsieve_engine.scope(rita), start, end)
    assert (report.stage("lead").current, report.stage("lead").lost) == (1, 0)


def test_the_scope_and_the_window_go_into_the_store_queries(goldsieve_engine, goldsieve_clock,
                                                            people, monkeypatch):
    rita = people[0]
    start = goldsieve_clock.now
    make_deals(goldsieve_engine, goldsieve_clock, rita, 2, lose=0)
    end = goldsieve_clock.now + timedelta(days=1)
    store = goldsieve_engine.store
    seen = []
    real = store.find
    monkeypatch.setattr(store, "find", lambda table, where=None, **kw: seen.append((table, where)) or real(table, where, **kw))
    funnel_report(store, goldsieve_engine.funnels, "handmade", goldsieve_engine.scope(rita), start, end)
    deals = [w for t, w in seen if t == "deals"]
    events = [w for t, w in seen if t == "events"]
    scope = goldsieve_engine.scope(rita)
    assert deals and all(isinstance(w, And) and scope in w.parts and Eq("funnel", "handmade") in w.parts
                         for w in deals)
    assert events and all(isinstance(w, And) and isinstance(w.parts[0], In)
                          and w.parts[0].field == "deal_id" and isinstance(w.parts[1], Range)
                          for w in events)

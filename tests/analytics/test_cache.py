"""The history cache: the same numbers as reading the log afresh, after every write, per scope."""
from __future__ import annotations

from datetime import timedelta

from goldsieve.analytics import funnel_report
from goldsieve.analytics.cache import HistoryCache
from goldsieve.analytics.metrics import funnel_metrics
from goldsieve.store.filters import Eq


def numbers(report):
    return report.as_dict()


def test_cached_numbers_equal_fresh_ones_after_each_write(goldsieve_engine, goldsieve_clock,
                                                          goldsieve_make_user, goldsieve_user):
    engine, clock = goldsieve_engine, goldsieve_clock
    rita, rob = goldsieve_make_user("rita", "rep"), goldsieve_make_user("rob", "rep")
    start = clock.now
    cache = HistoryCache(engine.store, engine.funnels)
    funnel = engine.funnels.get("handmade")

    def same(end):
        for user in (rita, rob, goldsieve_user):
            scope = engine.scope(user)
            cached = funnel_metrics(cache.histories("handmade", scope, end), funnel, start, end)
            fresh = funnel_report(engine.store, engine.funnels, "handmade", scope, start, end)
            assert numbers(cached) == numbers(fresh), user["username"]

    first = engine.create(rita, "handmade", "a", {"company": "A", "amount": 5})
    clock.advance(hours=1)
    same(clock.now + timedelta(days=1))  # built
    engine.create(rob, "handmade", "b", {"company": "B", "amount": 7})
    clock.advance(hours=1)
    engine.lose(rita, first["id"], "price")
    clock.advance(hours=1)
    same(clock.now + timedelta(days=1))  # caught up: a new deal and a changed one
    engine.reopen(goldsieve_user, first["id"])
    clock.advance(hours=1)
    engine.move(rita, first["id"], "qualified", changes={"needs_survey": "x", "amount": 9})
    clock.advance(hours=1)
    same(clock.now + timedelta(days=1))
    same(start + timedelta(minutes=90))  # a window ending in the past: later events do not count
    lead = funnel_metrics(cache.histories("handmade", engine.scope(rita), clock.now), funnel, start,
                          clock.now).stage("lead")
    assert (lead.entered, lead.advanced, lead.current) == (1, 1, 0)


def test_a_team_change_changes_what_a_manager_sees_at_once(goldsieve_engine, goldsieve_clock,
                                                           goldsieve_make_user, goldsieve_make_team):
    from goldsieve.people.users import update_user

    engine, clock = goldsieve_engine, goldsieve_clock
    goldsieve_make_user("mia", "manager")
    goldsieve_make_team("east", manager="mia")
    rita, rob = goldsieve_make_user("rita", "rep", "east"), goldsieve_make_user("rob", "rep")
    for rep in (rita, rob):
        engine.create(rep, "handmade", "d", {"company": "A"})
        clock.advance(hours=1)
    cache = HistoryCache(engine.store, engine.funnels)

    def seen():
        mia = engine.store.find("users", Eq("username", "mia"))[0]
        return len(cache.histories("handmade", engine.scope(mia), clock.now))

    assert seen() == 1
    update_user(engine.store, "rob", team="east")  # no deal event: only the audit log moves
    assert seen() == 2

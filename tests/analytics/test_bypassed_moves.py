"""A move past a gate, written by the engine, on both stores: the same stays as an ordinary
move, one of them marked, and the funnel report counting it (in SQL on PostgreSQL)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from goldsieve.analytics import funnel_report
from goldsieve.analytics.sql import micros
from goldsieve.analytics.stays import StageMapper, build_history
from goldsieve.store.base import STAYS
from goldsieve.store.filters import Everything

pytestmark = pytest.mark.parametrize("goldsieve_store_url", ["tinydb:data", "postgresql"], indirect=True)


def stays_of(runtime, deal_id: int) -> list[tuple]:
    """The deal's stays as its store keeps them: the trigger's table, or built from its events."""
    if runtime.store.keeps_stays:
        rows = runtime.store.read_sql(f"SELECT stage, entered_at, left_at, left_to, bypassed FROM {STAYS} "
                                      "WHERE deal_id = %(deal)s ORDER BY seq", {"deal": deal_id})
        return [tuple(r) for r in rows]
    events = runtime.store.find("events")
    history = build_history(deal_id, [e for e in events if e["deal_id"] == deal_id],
                            StageMapper(runtime.funnels, "handmade"))
    return [(s.stage, micros(s.entered_at), s.left_at and micros(s.left_at), s.left_to, s.bypassed)
            for s in history.stays]


def test_a_bypassed_move_gives_the_stays_of_an_ordinary_one_marked(goldsieve_runtime, goldsieve_user,
                                                                   goldsieve_clock):
    engine, admin = goldsieve_runtime.engine, goldsieve_user
    start = goldsieve_clock()
    ordinary = engine.create(admin, "handmade", "Ordinary", {"company": "A", "needs_survey": "done"})
    forced = engine.create(admin, "handmade", "Forced", {"company": "B"})
    goldsieve_clock.advance(hours=2)
    engine.move(admin, ordinary["id"], "qualified")
    engine.move(admin, forced["id"], "qualified", bypass_gate="Signed before the survey.")
    plain, marked = stays_of(goldsieve_runtime, ordinary["id"]), stays_of(goldsieve_runtime, forced["id"])
    assert [s[-1] for s in marked] == [False, True] and [s[-1] for s in plain] == [False, False]
    assert [s[:-1] for s in marked] == [s[:-1] for s in plain]
    report = funnel_report(goldsieve_runtime.store, goldsieve_runtime.funnels, "handmade", Everything(),
                           start, start + timedelta(days=1))
    qualified = report.stage("qualified")
    assert (qualified.entered, qualified.still_in, qualified.bypassed) == (2, 2, 1)
    assert report.stage("lead").bypassed == 0

"""Stays from events: entries, reopenings, migrations between funnel versions, ignored types."""
from __future__ import annotations

import copy

from goldsieve.analytics.metrics import funnel_metrics
from goldsieve.analytics.stays import StageMapper, build_history
from goldsieve.funnels.model import Funnel

from tests.analytics.handmade import FUNNEL, LOG, created, day, event, histories, moved, registry


def test_stays_follow_moves_and_a_reopening_is_an_entry():
    four = next(h for h in histories() if h.deal_id == 4)
    assert [(s.stage, s.entered_at.day, s.left_to, s.lost_reason) for s in four.stays] == [
        ("lead", 5, "lost", "timing"), ("lost", 6, "lead", None), ("lead", 9, None, None)]
    assert four.stays[1].left_at == day(9) and four.stays[2].left_at is None


def test_the_lost_reason_sits_on_the_stay_that_was_lost():
    two = next(h for h in histories() if h.deal_id == 2)
    assert [(s.stage, s.left_to, s.lost_reason) for s in two.stays] == [
        ("lead", "lost", "price"), ("lost", None, None)]


def test_unknown_event_types_change_nothing():
    log = {4: [e for e in LOG[4] if e["type"] != "automation_fired"]}
    assert histories(log)[0] == histories({4: LOG[4]})[0]


def test_amount_is_read_as_of_a_moment():
    one = histories({1: LOG[1] + [event(1, "updated", day(12), amount=None)]})[0]
    one.amounts.append((day(13), 150))
    assert (one.amount_at(day(1)), one.amount_at(day(2)), one.amount_at(day(14))) == (0.0, 100.0, 150.0)
    assert one.amount_at(day(13), inclusive=True) == 150.0 and one.amount_at(day(13)) == 100.0


def test_events_before_created_are_ignored_and_no_created_means_no_history():
    mapper = StageMapper(registry(), "mini")
    assert build_history(9, [moved(9, day(1), "lead", "qualified")], mapper) is None


def bypassed(deal_id, at, frm, to):
    """The event the engine writes before the ``stage_changed`` of a move past a gate."""
    return {**event(deal_id, "gate_bypassed", at, to=to, frm=frm), "note": "why",
            "violations": [{"path": "/data/x", "code": "required", "message": "x"}]}


def test_a_bypass_marks_the_next_entry_and_changes_nothing_else():
    ordinary = [created(9, day(1)), moved(9, day(2), "lead", "qualified"), moved(9, day(3), "qualified", "quote")]
    forced = [ordinary[0], bypassed(9, day(2), "lead", "qualified"), *ordinary[1:]]
    [plain], [past] = histories({9: ordinary}), histories({9: forced})
    assert [s.bypassed for s in past.stays] == [False, True, False]
    for stay in past.stays:
        stay.bypassed = False
    assert past == plain


def test_a_bypass_before_the_deal_was_created_marks_nothing():
    # (a fresh ``created`` starts the deal over, the mark of the old history with it)
    log = [created(9, day(1)), bypassed(9, day(2), "lead", "qualified"), created(9, day(3)),
           moved(9, day(4), "lead", "qualified")]
    [history] = histories({9: log})
    assert [(s.stage, s.bypassed) for s in history.stays] == [("lead", False), ("qualified", False)]
    [reopened] = histories({9: [created(9, day(1)), moved(9, day(2), "lead", "lost", "price"),
                                bypassed(9, day(3), "lost", "quote"),
                                event(9, "reopened", day(3), to="quote", frm="lost")]})
    assert [s.bypassed for s in reopened.stays] == [False, False, True], "a reopening is an entry"


# --- funnel versions ------------------------------------------------------------------------

def version_two() -> dict:
    """Version 2 renames ``qualified`` to ``needs``; its migration map says so."""
    definition = copy.deepcopy(FUNNEL)
    definition["version"] = 2
    definition["stages"][1]["id"] = "needs"
    definition["targets"] = {"needs": 0.5, "quote": 0.5, "won": 0.5}
    definition["migration"] = {"from_version": 1, "map": {"qualified": "needs"}}
    return definition


def test_old_versions_map_through_the_migration_map():
    funnels = registry(FUNNEL, version_two())
    mapper = StageMapper(funnels, "mini")
    assert (mapper(1, "qualified"), mapper(2, "needs"), mapper(1, "lead"), mapper(None, "x")) == (
        "needs", "needs", "lead", "x")
    log = {
        1: LOG[1],  # all on version 1
        7: [created(7, day(2), 10), moved(7, day(3), "lead", "qualified"),
            {**event(7, "migrated", day(4), frm="qualified", to="needs", version=2)},
            {**moved(7, day(6), "needs", "quote"), "funnel_version": 2}],
    }
    found = histories(log, funnels)
    assert [s.stage for s in found[0].stays] == ["lead", "needs", "quote", "won"]
    # a migration relabels the stay, it is not an exit: one stay in needs from d3 to d6
    assert [(s.stage, s.entered_at.day, s.left_at and s.left_at.day) for s in found[1].stays] == [
        ("lead", 2, 3), ("needs", 3, 6), ("quote", 6, None)]
    report = funnel_metrics(found, Funnel(version_two()), day(1), day(15))
    assert (report.stage("needs").entered, report.stage("needs").advanced) == (2, 2)


def test_a_migration_to_another_stage_than_the_map_moves_the_open_stay():
    funnels = registry(FUNNEL, version_two())
    log = {8: [created(8, day(2)), {**event(8, "migrated", day(4), frm="lead", to="quote"),
                                    "funnel_version": 2}]}
    [history] = histories(log, funnels)
    assert [(s.stage, s.entered_at.day, s.left_at) for s in history.stays] == [("quote", 2, None)]


def test_a_version_the_registry_lacks_is_skipped():
    three = {**version_two(), "version": 3,
             "migration": {"from_version": 2, "map": {"needs": "qualified"}}}
    three["stages"] = copy.deepcopy(FUNNEL["stages"])
    three["targets"] = FUNNEL["targets"]
    mapper = StageMapper(registry(FUNNEL, three), "mini")  # version 2 not loaded
    assert mapper(1, "qualified") == "qualified" and mapper(2, "needs") == "qualified"

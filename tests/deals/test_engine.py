"""The engine on the hand-written example funnel: gates, paths, transitions, versions, history."""
from __future__ import annotations

import pytest

from goldsieve.errors import Forbidden, NotFound, ValidationFailed
from goldsieve.store import Conflict

SURVEY = {"needs_survey": "two warehouses, 40 users"}


@pytest.fixture
def rep(goldsieve_make_user):
    return goldsieve_make_user("rita", "rep")


@pytest.fixture
def admin(goldsieve_user):
    """Reopening a closed deal is for managers and admins (issue 4)."""
    return goldsieve_user


@pytest.fixture
def engine(goldsieve_engine):
    return goldsieve_engine


def new_deal(engine, user, **data):
    return engine.create(user, "handmade", "Acme ERP", {"company": "Acme", **data})


def refused(call) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as info:
        call()
    return [(v.path, v.code) for v in info.value.violations]


def test_create_puts_deal_in_first_stage_with_a_created_event(engine, rep):
    deal = new_deal(engine, rep)
    assert (deal["stage"], deal["status"], deal["version"], deal["owner"]) == ("lead", "open", 1, "rita")
    [event] = engine.history(rep, deal["id"])
    assert event["type"] == "created" and event["to_stage"] == "lead" and event["by"] == "rita"
    assert event["changes"] == {"company": [None, "Acme"]}


def test_create_validates_fields_and_title_and_writes_nothing(engine, rep):
    before = engine.store.count("deals"), engine.store.count("events")
    problems = refused(lambda: engine.create(rep, "handmade", "", {"amount": -1}))
    assert set(problems) == {("/title", "required"), ("/data/company", "required"),
                             ("/data/amount", "minimum")}
    assert (engine.store.count("deals"), engine.store.count("events")) == before


def test_gate_refusal_names_the_field_and_writes_nothing(engine, rep):
    deal = new_deal(engine, rep)
    assert refused(lambda: engine.move(rep, deal["id"], "qualified")) == [("/data/needs_survey", "required")]
    again = engine.get(rep, deal["id"])
    assert (again["stage"], again["version"]) == ("lead", 1)
    assert len(engine.history(rep, deal["id"])) == 1


def test_move_with_the_gate_field_succeeds_and_records_both_events(engine, rep):
    deal = new_deal(engine, rep)
    moved = engine.move(rep, deal["id"], "qualified", changes=SURVEY, version=1)
    assert (moved["stage"], moved["version"], moved["data"]["needs_survey"]) == ("qualified", 2, SURVEY["needs_survey"])
    types = [(e["type"], e["from_stage"], e["to_stage"]) for e in engine.history(rep, deal["id"])]
    assert types == [("created", None, "lead"), ("updated", None, None), ("stage_changed", "lead", "qualified")]


def test_gates_are_cumulative_and_all_violations_come_together(engine, rep, goldsieve_funnel):
    # a funnel that allows skipping, so a deal can jump from lead to quote
    engine.funnels.add({**goldsieve_funnel, "version": 4, "transitions": {"skip": True, "back": True}})
    deal = new_deal(engine, rep)
    problems = refused(lambda: engine.move(rep, deal["id"], "quote", changes={"discount": 3}))
    assert set(problems) == {("/data/discount", "maximum"), ("/data/needs_survey", "required"),
                             ("/data/amount", "required")}


def test_skipping_a_stage_is_refused_when_skip_is_false(engine, rep):
    deal = new_deal(engine, rep, **SURVEY, amount=1000)
    assert refused(lambda: engine.move(rep, deal["id"], "quote")) == [("/to", "skip")]


def test_conditional_stage_is_required_for_matching_deals_and_skipped_for_others(engine, rep):
    big = new_deal(engine, rep, **SURVEY, amount=2_000_000)
    small = new_deal(engine, rep, **SURVEY, amount=10_000)
    for deal in (big, small):
        engine.move(rep, deal["id"], "qualified")
    assert refused(lambda: engine.move(rep, big["id"], "quote")) == [("/to", "skip")]
    assert engine.move(rep, big["id"], "exec_visit")["stage"] == "exec_visit"
    assert engine.move(rep, big["id"], "quote")["stage"] == "quote"
    assert refused(lambda: engine.move(rep, small["id"], "exec_visit")) == [("/to", "not_applicable")]
    assert engine.move(rep, small["id"], "quote")["stage"] == "quote"


def test_lost_needs_a_listed_reason(engine, rep):
    deal = new_deal(engine, rep)
    assert refused(lambda: engine.move(rep, deal["id"], "lost")) == [("/lost_reason", "required")]
    assert refused(lambda: engine.lose(rep, deal["id"], "weather")) == [("/lost_reason", "enum")]
    lost = engine.lose(rep, deal["id"], "price", note="budget frozen")
    assert (lost["status"], lost["lost_reason"]) == ("lost", "price")
    last = engine.history(rep, deal["id"])[-1]
    assert (last["to_stage"], last["lost_reason"], last["note"]) == ("lost", "price", "budget frozen")


def test_closed_deals_do_not_move_until_reopened(engine, rep, admin):
    deal = new_deal(engine, rep)
    engine.lose(rep, deal["id"], "competitor")
    assert refused(lambda: engine.move(rep, deal["id"], "qualified", changes=SURVEY)) == [("/to", "closed")]
    with pytest.raises(Forbidden):
        engine.reopen(rep, deal["id"])
    reopened = engine.reopen(admin, deal["id"])
    assert (reopened["stage"], reopened["status"], reopened["lost_reason"]) == ("lead", "open", None)
    assert engine.history(rep, deal["id"])[-1]["type"] == "reopened"


def test_reopen_is_refused_when_the_funnel_forbids_it(engine, rep, admin, goldsieve_funnel):
    engine.funnels.add({**goldsieve_funnel, "version": 4,
                        "transitions": {"skip": False, "back": True, "reopen": False}})
    deal = new_deal(engine, rep)
    engine.lose(rep, deal["id"], "price")
    assert refused(lambda: engine.reopen(admin, deal["id"])) == [("/to", "no_reopen")]


def test_back_moves_follow_the_policy(engine, rep, goldsieve_funnel):
    deal = new_deal(engine, rep, **SURVEY)
    engine.move(rep, deal["id"], "qualified")
    assert engine.move(rep, deal["id"], "lead")["stage"] == "lead"
    engine.funnels.add({**goldsieve_funnel, "version": 4, "transitions": {"skip": False, "back": False}})
    other = new_deal(engine, rep, **SURVEY)
    engine.move(rep, other["id"], "qualified")
    assert refused(lambda: engine.move(rep, other["id"], "lead")) == [("/to", "back")]


def test_winning_walks_the_whole_path(engine, rep):
    deal = new_deal(engine, rep, **SURVEY, amount=5000)
    for stage in ("qualified", "quote", "negotiation", "won"):
        deal = engine.move(rep, deal["id"], stage)
    assert (deal["status"], deal["version"]) == ("won", 5)


def test_stale_version_is_a_conflict_and_writes_nothing(engine, rep):
    deal = new_deal(engine, rep)
    engine.update(rep, deal["id"], {"amount": 10}, version=1)
    with pytest.raises(Conflict):
        engine.update(rep, deal["id"], {"amount": 20}, version=1)
    with pytest.raises(Conflict):
        engine.move(rep, deal["id"], "qualified", changes=SURVEY, version=1)
    current = engine.get(rep, deal["id"])
    assert (current["version"], current["data"]["amount"], current["stage"]) == (2, 10, "lead")


def test_update_merges_removes_and_records_changes(engine, rep):
    deal = new_deal(engine, rep, amount=10)
    updated = engine.update(rep, deal["id"], {"amount": 12, "demo_date": "2026-02-01"})
    updated = engine.update(rep, deal["id"], {"demo_date": None}, version=updated["version"])
    assert updated["data"] == {"company": "Acme", "amount": 12}
    changes = [e["changes"] for e in engine.history(rep, deal["id"]) if e["type"] == "updated"]
    assert changes == [{"amount": [10, 12], "demo_date": [None, "2026-02-01"]},
                       {"demo_date": ["2026-02-01", None]}]
    assert refused(lambda: engine.update(rep, deal["id"], {"demo_date": "not a date"})) == [
        ("/data/demo_date", "format")]


def test_unchanged_update_writes_nothing(engine, rep):
    deal = new_deal(engine, rep, amount=10)
    assert engine.update(rep, deal["id"], {"amount": 10})["version"] == 1
    assert len(engine.history(rep, deal["id"])) == 1


def test_unknown_deal_and_stage(engine, rep):
    with pytest.raises(NotFound):
        engine.get(rep, 999)
    deal = new_deal(engine, rep)
    assert refused(lambda: engine.move(rep, deal["id"], "nowhere")) == [("/to", "unknown_stage")]


def test_observer_failure_never_undoes_the_write(engine, rep, goldsieve_register):
    seen = []

    class Observer:
        from goldsieve import hookimpl

        @hookimpl
        def goldsieve_deal_event(self, event, deal, funnel):
            seen.append((event["type"], deal["version"], funnel.id))
            raise RuntimeError("observer down")

    goldsieve_register(Observer())
    deal = new_deal(engine, rep)
    moved = engine.move(rep, deal["id"], "qualified", changes=SURVEY)
    assert seen == [("created", 1, "handmade"), ("updated", 2, "handmade"), ("stage_changed", 2, "handmade")]
    assert engine.get(rep, deal["id"])["stage"] == moved["stage"] == "qualified"


def test_timestamps_come_from_the_clock(engine, rep, goldsieve_clock):
    deal = new_deal(engine, rep)
    goldsieve_clock.advance(days=3)
    moved = engine.move(rep, deal["id"], "qualified", changes=SURVEY)
    assert deal["created_at"] == "2026-01-05T09:00:00.000Z"
    assert moved["stage_entered_at"] == moved["updated_at"] == "2026-01-08T09:00:00.000Z"


def test_notes_append_to_history(engine, rep):
    deal = new_deal(engine, rep)
    engine.add_note(rep, deal["id"], "  called the CTO  ")
    assert engine.history(rep, deal["id"])[-1]["note"] == "called the CTO"
    assert refused(lambda: engine.add_note(rep, deal["id"], " ")) == [("/text", "required")]


def test_reopen_into_a_later_stage_still_passes_its_gates(engine, rep, admin):
    deal = new_deal(engine, rep)
    engine.lose(rep, deal["id"], "price")
    assert set(refused(lambda: engine.reopen(admin, deal["id"], to="negotiation"))) == {
        ("/data/needs_survey", "required"), ("/data/amount", "required")}
    assert refused(lambda: engine.reopen(admin, deal["id"], to="exec_visit")) == [("/to", "not_applicable")]
    assert engine.get(rep, deal["id"])["status"] == "lost"


def test_non_finite_numbers_are_refused_field_by_field(engine, rep):
    for bad, code in ((float("nan"), "type"), (float("inf"), "maximum"), (float("-inf"), "minimum")):
        assert refused(lambda: new_deal(engine, rep, amount=bad)) == [("/data/amount", code)]
    deal = new_deal(engine, rep)
    assert refused(lambda: engine.update(rep, deal["id"], {"amount": float("nan")})) == [("/data/amount", "type")]
    assert engine.store.count("deals") == 1


def test_an_unknown_stage_is_reported_with_the_other_problems(engine, rep):
    deal = new_deal(engine, rep)
    assert refused(lambda: engine.move(rep, deal["id"], "nowhere", changes={"amount": -1})) == [
        ("/to", "unknown_stage"), ("/data/amount", "minimum")]

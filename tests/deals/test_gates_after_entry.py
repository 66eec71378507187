"""Gates hold after entry (issue 14, part 7): an edit may not take away what the deal's stage
required to enter it (its cumulative gates), unless an admin saves anyway with a reason."""
from __future__ import annotations

import pytest

from goldsieve.audit import find_audit
from goldsieve.errors import Forbidden, ValidationFailed
from goldsieve.store import Conflict

from tests.deals.test_engine import admin, engine, rep  # noqa: F401  (the same fixtures)
from tests.deals.test_gate_bypass import refused, written


@pytest.fixture
def quoted(engine, rep):
    """A deal in ``quote``: it passed the gates of ``qualified`` (needs_survey) and ``quote`` (amount)."""
    deal = engine.create(rep, "handmade", "Acme ERP", {"company": "Acme"})
    engine.move(rep, deal["id"], "qualified", changes={"needs_survey": "done"})
    return engine.move(rep, deal["id"], "quote", changes={"amount": 500})


def test_an_edit_removing_what_the_stage_requires_is_refused_like_a_move(engine, rep, quoted):
    before = written(engine)
    assert refused(lambda: engine.update(rep, quoted["id"], {"amount": None})) == [("/data/amount", "required")]
    # cumulative: the gate of an earlier stage on the path holds too
    assert refused(lambda: engine.update(rep, quoted["id"], {"needs_survey": None, "amount": None})) == [
        ("/data/needs_survey", "required"), ("/data/amount", "required")]
    assert written(engine) == before
    assert engine.get(rep, quoted["id"])["data"] == {"company": "Acme", "needs_survey": "done", "amount": 500}


def test_the_violations_are_those_a_move_into_the_stage_lists(engine, rep, quoted):
    deal = engine.get(rep, quoted["id"])
    funnel = engine.funnel_of(deal)
    data = {"company": "Acme"}
    _, gates = engine.check_move(rep, {**deal, "stage": "lead"}, funnel, funnel.stage("qualified"), data)
    with pytest.raises(ValidationFailed) as info:
        engine.update(rep, quoted["id"], {"needs_survey": None, "amount": None})
    assert gates and gates[0] in info.value.violations


def test_edits_that_keep_the_gates_and_edits_in_a_stage_without_gates_pass(engine, rep, quoted):
    changed = engine.update(rep, quoted["id"], {"amount": 700, "discount": 0.1})
    assert changed["data"]["amount"] == 700
    lead = engine.create(rep, "handmade", "Bcme", {"company": "Bcme", "amount": 1})
    assert "amount" not in engine.update(rep, lead["id"], {"amount": None})["data"]


def test_a_deal_that_entered_past_its_gates_stays_editable_for_the_rest(engine, admin, rep):
    deal = engine.create(rep, "handmade", "Acme ERP", {"company": "Acme"})
    engine.move(admin, deal["id"], "qualified", bypass_gate="Survey follows.")
    edited = engine.update(rep, deal["id"], {"amount": 10})
    assert edited["data"]["amount"] == 10 and "needs_survey" not in edited["data"]


def test_an_admin_saves_anyway_with_a_reason_and_it_is_recorded(engine, admin, quoted):
    saved = engine.update(admin, quoted["id"], {"amount": None}, version=quoted["version"],
                          bypass_gate="  Amount withdrawn; quote being redone.  ")
    assert "amount" not in saved["data"] and saved["stage"] == "quote"
    events = engine.history(admin, quoted["id"])
    assert [e["type"] for e in events[-2:]] == ["updated", "edit_bypassed"]
    bypass = events[-1]
    assert (bypass["from_stage"], bypass["to_stage"], bypass["note"]) == (
        "quote", "quote", "Amount withdrawn; quote being redone.")
    assert [(v["path"], v["code"]) for v in bypass["violations"]] == [("/data/amount", "required")]
    [audit] = find_audit(engine.store, action="deal_updated")
    assert audit["changes"]["data.amount"] == [500, None]
    assert audit["changes"]["bypass_reason"] == [None, "Amount withdrawn; quote being redone."]


def test_a_bypass_needs_the_permission_and_a_reason_and_sets_aside_only_the_gates(engine, admin, rep, quoted):
    before = written(engine)
    with pytest.raises(Forbidden):
        engine.update(rep, quoted["id"], {"amount": None}, bypass_gate="trust me")
    assert refused(lambda: engine.update(admin, quoted["id"], {"amount": None}, bypass_gate="  ")) == [
        ("/bypass_gate", "required")]
    # invalid data still refuses; the gate is not even asked
    assert refused(lambda: engine.update(admin, quoted["id"], {"amount": -1}, bypass_gate="why")) == [
        ("/data/amount", "minimum")]
    with pytest.raises(Conflict):
        engine.update(admin, quoted["id"], {"amount": None}, version=1, bypass_gate="why")
    assert written(engine) == before


def test_a_bypass_with_nothing_to_bypass_records_no_bypass(engine, admin, quoted):
    engine.update(admin, quoted["id"], {"amount": 900}, bypass_gate="just in case")
    assert engine.history(admin, quoted["id"])[-1]["type"] == "updated"

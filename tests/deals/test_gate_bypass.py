"""An admin's ``bypass_gate``: past the gates with a reason, recorded; nothing else set aside."""
from __future__ import annotations

import pytest

from goldsieve import hookimpl
from goldsieve.audit import find_audit
from goldsieve.deals.bypass import MAX_REASON
from goldsieve.errors import Forbidden, ValidationFailed, Violation
from goldsieve.store import Conflict

from tests.deals.test_engine import admin, engine, rep  # noqa: F401  (the same fixtures)

SURVEY_MISSING = {"path": "/data/needs_survey", "code": "required",
                  "message": "“Needs survey” is required to enter “Needs confirmed”."}


@pytest.fixture
def deal(engine, rep):
    return engine.create(rep, "handmade", "Acme ERP", {"company": "Acme"})


def written(engine) -> tuple[int, int, int]:
    """What a refused move must leave as it was: deals' versions, events and audit rows."""
    versions = sum(d["version"] for d in engine.store.find("deals"))
    return versions, engine.store.count("events"), engine.store.count("audit")


def refused(call) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as info:
        call()
    return [(v.path, v.code) for v in info.value.violations]


def test_an_admin_moves_past_the_gate_and_the_bypass_is_recorded(engine, admin, deal):
    moved = engine.move(admin, deal["id"], "qualified", changes={"amount": 10}, version=1,
                        bypass_gate="  Framework contract signed; survey follows.  ")
    assert (moved["stage"], moved["version"], moved["data"]["amount"]) == ("qualified", 2, 10)
    events = engine.history(admin, deal["id"])
    assert [e["type"] for e in events] == ["created", "updated", "gate_bypassed", "stage_changed"]
    bypass, entry = events[2], events[3]
    assert (bypass["from_stage"], bypass["to_stage"], bypass["by"]) == ("lead", "qualified", "admin")
    assert bypass["note"] == "Framework contract signed; survey follows."
    assert bypass["violations"] == [SURVEY_MISSING]
    assert bypass["at"] == entry["at"] and entry["note"] is None
    [audit] = find_audit(engine.store, action="deal_moved")
    assert audit["changes"]["stage"] == ["lead", "qualified"]
    assert audit["changes"]["bypass_reason"] == [None, "Framework contract signed; survey follows."]
    assert audit["changes"]["bypassed_violations"] == [None, bypass["violations"]]


def test_a_rep_may_not_bypass_and_nothing_is_written(engine, rep, deal):
    before = written(engine)
    with pytest.raises(Forbidden):
        engine.move(rep, deal["id"], "qualified", bypass_gate="trust me")
    assert written(engine) == before
    assert engine.get(rep, deal["id"])["stage"] == "lead"
    # also where there is nothing to bypass, and before anything is said about the reason
    engine.move(rep, deal["id"], "qualified", changes={"needs_survey": "done"})
    before = written(engine)
    for reason in ("trust me", ""):
        with pytest.raises(Forbidden):
            engine.move(rep, deal["id"], "quote", changes={"amount": 5}, bypass_gate=reason)
    assert written(engine) == before


@pytest.mark.parametrize("reason, code", [("", "required"), ("   \n", "required"), (7, "required"),
                                          ("x" * (MAX_REASON + 1), "maxLength")])
def test_the_reason_must_be_some_text_of_at_most_500_characters(engine, admin, deal, reason, code):
    before = written(engine)
    assert refused(lambda: engine.move(admin, deal["id"], "qualified", bypass_gate=reason)) == [
        ("/bypass_gate", code)]
    assert written(engine) == before


def test_a_reason_of_500_characters_is_enough(engine, admin, deal):
    reason = "y" * MAX_REASON
    engine.move(admin, deal["id"], "qualified", bypass_gate=f" {reason} ")
    assert engine.history(admin, deal["id"])[1]["note"] == reason


def test_everything_but_the_gates_still_refuses(engine, admin, deal, goldsieve_funnel):
    before = written(engine)
    # skipping a stage, invalid data, an inapplicable stage, a missing lost reason, an unknown stage
    assert refused(lambda: engine.move(admin, deal["id"], "quote", bypass_gate="r")) == [("/to", "skip")]
    assert refused(lambda: engine.move(admin, deal["id"], "qualified", changes={"discount": 3},
                                       bypass_gate="r")) == [("/data/discount", "maximum")]
    assert ("/to", "not_applicable") in refused(
        lambda: engine.move(admin, deal["id"], "exec_visit", bypass_gate="r"))
    assert refused(lambda: engine.move(admin, deal["id"], "lost", bypass_gate="r")) == [
        ("/lost_reason", "required")]
    assert refused(lambda: engine.move(admin, deal["id"], "nowhere", bypass_gate="r")) == [
        ("/to", "unknown_stage")]
    with pytest.raises(Conflict):
        engine.move(admin, deal["id"], "qualified", version=7, bypass_gate="r")
    assert written(engine) == before
    engine.lose(admin, deal["id"], "price")
    assert refused(lambda: engine.move(admin, deal["id"], "qualified", bypass_gate="r")) == [("/to", "closed")]


def test_a_bad_reason_comes_with_the_other_objections_but_not_the_gates(engine, admin, deal):
    assert refused(lambda: engine.move(admin, deal["id"], "qualified", changes={"discount": 3},
                                       bypass_gate=" ")) == [("/bypass_gate", "required"),
                                                             ("/data/discount", "maximum")]


def test_with_nothing_to_bypass_the_move_is_an_ordinary_one(engine, admin, deal):
    engine.move(admin, deal["id"], "qualified", changes={"needs_survey": "done"}, bypass_gate="just in case")
    assert [e["type"] for e in engine.history(admin, deal["id"])] == ["created", "updated", "stage_changed"]
    [audit] = find_audit(engine.store, action="deal_moved")
    assert "bypass_reason" not in audit["changes"] and "bypassed_violations" not in audit["changes"]


class Veto:
    """A plugin's gate: nothing enters negotiation on a Friday deal."""

    @hookimpl
    def goldsieve_gate_check(self, funnel, deal, target, user):
        if target.id == "negotiation":
            return [Violation("/to", "friday", "No negotiations on Friday deals.")]
        return []


def test_plugins_gates_are_bypassed_too_and_observers_see_the_bypass(engine, admin, goldsieve_register):
    seen = []

    class Observer:
        @hookimpl
        def goldsieve_deal_event(self, event, deal, funnel):
            seen.append(event["type"])

    goldsieve_register(Veto())
    goldsieve_register(Observer())
    deal = engine.create(admin, "handmade", "Friday", {"company": "F", "needs_survey": "s", "amount": 5})
    for stage in ("qualified", "quote"):
        engine.move(admin, deal["id"], stage)
    assert refused(lambda: engine.move(admin, deal["id"], "negotiation")) == [("/to", "friday")]
    seen.clear()
    engine.move(admin, deal["id"], "negotiation", bypass_gate="Signed on Thursday.")
    assert seen == ["gate_bypassed", "stage_changed"]
    bypass = engine.history(admin, deal["id"])[-2]
    assert bypass["violations"] == [{"path": "/to", "code": "friday",
                                     "message": "No negotiations on Friday deals."}]

"""The designer's edit of a stage's activity gate (required_activities, next_step), on plain JSON."""
from __future__ import annotations

import copy

import pytest

from goldsieve.funnels.check import check_definition
from goldsieve.funnels.edit import EditError
from goldsieve.funnels.edit_activities import set_activity_gate

TYPES, ROLES = ("visit", "demo"), ("decision_maker",)


@pytest.fixture
def draft(goldsieve_funnel):
    return {"definition": copy.deepcopy(goldsieve_funnel), "map": {}, "base_version": 3, "base_stages": []}


def stage(draft, stage_id: str) -> dict:
    return next(s for s in draft["definition"]["stages"] if s["id"] == stage_id)


def test_a_stage_asks_for_done_activities_and_a_next_step_then_for_nothing(draft):
    set_activity_gate(draft, "quote", next_step=True, types=TYPES, roles=ROLES,
                      rows=[("visit", "decision_maker"), ("", ""), ("demo", ""), ("demo", "")])
    assert stage(draft, "quote")["required_activities"] == [
        {"type": "visit", "contact_role": "decision_maker"}, {"type": "demo"}]
    assert stage(draft, "quote")["next_step"] is True
    assert not [f for f in check_definition(draft["definition"]) if f.severity == "error"]
    set_activity_gate(draft, "quote", next_step=False, rows=[("", "")], types=TYPES, roles=ROLES)
    assert "required_activities" not in stage(draft, "quote") and "next_step" not in stage(draft, "quote")


def test_an_untouched_activity_gate_stays_the_same_document(draft):
    before = copy.deepcopy(draft)
    set_activity_gate(draft, "quote", next_step=False, rows=[("", "")], types=TYPES, roles=ROLES)
    assert draft == before


@pytest.mark.parametrize("stage_id, next_step, rows, message", [
    ("won", True, [], "only an open stage"),
    ("quote", False, [("call", "")], "no activity type “call”"),
    ("quote", False, [("visit", "cfo")], "no contact role “cfo”"),
    ("quote", False, [("", "decision_maker")], "choose the activity type"),
    ("nowhere", False, [], "no stage"),
])
def test_a_refused_activity_gate_changes_nothing(draft, stage_id, next_step, rows, message):
    before = copy.deepcopy(draft)
    with pytest.raises(EditError, match=message):
        set_activity_gate(draft, stage_id, next_step=next_step, rows=rows, types=TYPES, roles=ROLES)
    assert draft == before

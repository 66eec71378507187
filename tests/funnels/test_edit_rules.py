"""The designer's edits of highlight rules and the assignment rule, on plain JSON."""
from __future__ import annotations

import copy

import pytest

from goldsieve.funnels import edit_rules
from goldsieve.funnels.check import check_definition
from goldsieve.funnels.edit import EditError

TARGETS = ("team:east", "team:north", "user:li")


@pytest.fixture
def draft(goldsieve_funnel):
    return {"definition": copy.deepcopy(goldsieve_funnel), "map": {}, "base_version": 3, "base_stages": []}


def test_highlight_rules_are_added_changed_reordered_and_removed(draft):
    hand_written = copy.deepcopy(draft["definition"]["highlight"][0])
    edit_rules.set_highlight(draft, None, ("amount", "at_least", "10000"), "medium")
    edit_rules.set_highlight(draft, None, ("company", "equals", "Acme"), "warning")
    rules = draft["definition"]["highlight"]
    assert rules[1] == {"when": {"properties": {"amount": {"minimum": 10000}}, "required": ["amount"]},
                        "style": "medium"}
    edit_rules.set_highlight(draft, 0, None, "low")  # no condition chosen: the hand-written one stays
    assert rules[0] == {**hand_written, "style": "low"}
    edit_rules.raise_highlight(draft, 2)
    assert [r["style"] for r in rules] == ["low", "warning", "medium"]
    edit_rules.remove_highlight(draft, 0)
    edit_rules.remove_highlight(draft, 0)
    edit_rules.remove_highlight(draft, 0)
    assert "highlight" not in draft["definition"]
    assert not [f for f in check_definition(draft["definition"]) if f.severity == "error"]


@pytest.mark.parametrize("call, message", [
    (lambda d: edit_rules.set_highlight(d, None, ("amount", "at_least", "1"), "loud"), "highlight style"),
    (lambda d: edit_rules.set_highlight(d, None, None, "high"), "needs a condition"),
    (lambda d: edit_rules.set_highlight(d, None, ("nope", "equals", "1"), "high"), "no field"),
    (lambda d: edit_rules.set_highlight(d, 5, None, "high"), "no such highlight rule"),
    (lambda d: edit_rules.remove_highlight(d, 1), "no such highlight rule"),
    (lambda d: edit_rules.raise_highlight(d, 0), "cannot move further up"),
])
def test_a_refused_highlight_edit_changes_nothing(draft, call, message):
    before = copy.deepcopy(draft)
    with pytest.raises(EditError, match=message):
        call(draft)
    assert draft == before


def test_the_assignment_rule_is_set_changed_and_cleared_keeping_keys_of_its_own(draft):
    draft["definition"]["assignment"] = {"x-weight": 2}
    edit_rules.set_assignment(draft, "round_robin", team="east", role="rep", teams=["east"], roles=["rep"])
    assert draft["definition"]["assignment"] == {"rule": "round_robin", "team": "east", "role": "rep", "x-weight": 2}
    edit_rules.set_assignment(draft, "by_field", field="amount", rows=[("5000", "user:li"), ("", ""), ("7", "team:north")],
                              default="team:east", targets=TARGETS)
    assert draft["definition"]["assignment"] == {
        "rule": "by_field", "field": "amount", "map": {"5000": "user:li", "7": "team:north"},
        "default": "team:east", "x-weight": 2}
    edit_rules.set_assignment(draft, "")
    assert draft["definition"]["assignment"] == {"x-weight": 2}
    draft["definition"]["assignment"] = {"rule": "by_region", "zones": [1]}  # a plugin's rule
    edit_rules.set_assignment(draft, "by_region")
    assert draft["definition"]["assignment"] == {"rule": "by_region", "zones": [1]}


@pytest.mark.parametrize("kwargs, message", [
    ({"rule": "lottery"}, "unknown assignment rule"),
    ({"rule": "round_robin"}, "choose the team"),
    ({"rule": "round_robin", "team": "west"}, "no team “west”"),
    ({"rule": "least_loaded", "role": "pope"}, "no role “pope”"),
    ({"rule": "by_field", "field": "nope"}, "which field"),
    ({"rule": "by_field", "field": "amount", "rows": [("1", "user:ghost")]}, "no user or team “user:ghost”"),
    ({"rule": "by_field", "field": "amount", "rows": [("1", "")]}, "needs a value and whom"),
    ({"rule": "by_field", "field": "amount", "rows": [("x", "user:li")]}, "not a number"),
    ({"rule": "by_field", "field": "amount", "rows": [("1", "user:li"), ("1", "team:east")]}, "listed twice"),
    ({"rule": "by_field", "field": "amount", "default": "team:west"}, "no user or team"),
])
def test_a_refused_assignment_changes_nothing(draft, kwargs, message):
    before = copy.deepcopy(draft)
    rule = kwargs.pop("rule")
    with pytest.raises(EditError, match=message):
        edit_rules.set_assignment(draft, rule, teams=["east"], roles=["rep"], targets=TARGETS, **kwargs)
    assert draft == before

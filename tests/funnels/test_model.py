"""The funnel model's path: a conditional stage remembers its verdicts only where they depend on
the named fields' values alone, and always says what its JSON Schema says."""
from __future__ import annotations

import pytest

from goldsieve.funnels.model import VERDICTS, Funnel


def funnel(condition: dict) -> Funnel:
    return Funnel({"id": "f", "stages": [
        {"id": "lead"},
        {"id": "big", "applies_when": condition},
        {"id": "won", "kind": "won"},
        {"id": "lost", "kind": "lost"},
    ]})


LOCAL = {"properties": {"amount": {"minimum": 1000}, "flag": {"const": 1}}, "required": ["amount"]}
VALUES = [{}, {"amount": 999}, {"amount": 1000}, {"amount": 1000.0}, {"amount": "1000"},
          {"amount": 5000, "flag": 1}, {"amount": 5000, "flag": True}, {"amount": 5000, "flag": 1.0},
          {"amount": 5000, "flag": [1]}, {"amount": [5000]}, {"amount": 5000, "other": "x"}]


@pytest.mark.parametrize("data", VALUES)
def test_a_remembered_verdict_is_the_schema_s_verdict_asked_twice(data):
    stage = funnel(LOCAL).stage("big")
    assert stage.named == ("amount", "flag")
    expected = stage.condition.is_valid(data)
    assert [stage.applies_to(data), stage.applies_to(data)] == [expected, expected]


def test_true_and_one_are_told_apart():
    stage = funnel(LOCAL).stage("big")
    assert stage.applies_to({"amount": 5000, "flag": 1}) is True
    assert stage.applies_to({"amount": 5000, "flag": True}) is False


def test_a_condition_reading_more_than_its_named_fields_is_asked_every_time():
    for condition in ({"properties": {"amount": {"$ref": "#/$defs/big"}}, "$defs": {"big": {"minimum": 1}}},
                      {"anyOf": [{"required": ["amount"]}]}, {"minProperties": 2},
                      {"properties": {"a": {}}, "additionalProperties": False}):
        stage = funnel(condition).stage("big")
        assert stage.named is None
        assert stage.applies_to({"amount": 3}) == stage.condition.is_valid({"amount": 3})
        assert stage.verdicts == {}
    wide = funnel({"properties": {"a": {}}, "additionalProperties": False}).stage("big")
    assert wide.applies_to({"a": 1}) is True and wide.applies_to({"a": 1, "b": 2}) is False


def test_the_memory_is_bounded():
    stage = funnel(LOCAL).stage("big")
    for amount in range(VERDICTS + 10):
        assert stage.applies_to({"amount": amount}) is (amount >= 1000)
    assert len(stage.verdicts) <= VERDICTS

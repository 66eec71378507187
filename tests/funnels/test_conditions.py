"""core/conditions.py: contradictions between JSON Schema conditions are found, and only certain
ones — each case is checked against jsonschema itself on sample values."""
from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from goldsieve.funnels.conditions import Contradiction, contradictions

FIELD = "/fields"


def fields(**props: dict) -> tuple[str, dict]:
    return FIELD, {"type": "object", "properties": props}


def check(conditions: list[tuple[str, dict]]):
    """Both ways in: the field schema as one more condition, and as the funnel's ``fields``."""
    as_condition = contradictions(conditions)
    schema = next((s for p, s in conditions if p == FIELD), None)
    as_fields = contradictions([(p, s) for p, s in conditions if p != FIELD], schema)
    assert [(c.name, c.why) for c in as_condition] == [(c.name, c.why) for c in as_fields]
    return as_fields


def need(**props: dict) -> tuple[str, dict]:
    return "/if", {"properties": props, "required": list(props)}


CLASHING = [
    ([fields(n={"type": "number", "maximum": 10}), need(n={"minimum": 11})], "n"),
    ([fields(n={"type": "number", "maximum": 10}), need(n={"exclusiveMinimum": 10})], "n"),
    ([fields(n={"type": "integer"}), need(n={"exclusiveMinimum": 1, "exclusiveMaximum": 2})], "n"),
    ([fields(n={"type": "integer", "minimum": 1.2}), need(n={"maximum": 1.9})], "n"),
    ([fields(s={"enum": ["a", "b"]}), need(s={"enum": ["c"]})], "s"),
    ([fields(s={"enum": ["a", "b"]}), need(s={"const": "c"})], "s"),
    # labelled choices are the field's values as much as an enum is
    ([fields(s={"type": "string", "oneOf": [{"const": "a", "title": {"en": "A"}}, {"const": "b"}]}),
      need(s={"enum": ["c"]})], "s"),
    ([fields(s={"type": "string"}), need(s={"type": "number"})], "s"),
    ([fields(s={"enum": [1, 2, 30]}), need(s={"minimum": 3, "maximum": 20})], "s"),
    ([fields(b={"type": "boolean"}), need(b={"const": 1})], "b"),
    ([fields(s={"type": "string", "maxLength": 3}), need(s={"minLength": 4})], "s"),
    ([fields(n={"type": "number"}), ("/if", {"allOf": [{"required": ["n"]}, {"properties": {"n": {"minimum": 5}}}]}),
      need(n={"maximum": 4})], "n"),
]

POSSIBLE = [
    [fields(n={"type": "number", "maximum": 10}), need(n={"minimum": 10})],
    [fields(n={"type": "integer"}), need(n={"exclusiveMinimum": 1, "maximum": 2})],
    [fields(n={"type": "number", "maximum": 10}), ("/if", {"properties": {"n": {"minimum": 11}}})],  # may be absent
    [fields(s={"enum": ["a", "b"]}), need(s={"enum": ["b", "c"]})],
    [fields(s={"type": "string", "oneOf": [{"const": "a", "title": {"en": "A"}}, {"const": "b"}]}),
     need(s={"enum": ["b", "c"]})],
    [fields(n={"enum": [1, 2]}), need(n={"const": 1.0})],
    [fields(s={"type": ["string", "number"]}), need(s={"type": "string"})],
    [fields(n={"type": "number", "maximum": 10}), need(n={"anyOf": [{"minimum": 11}]})],  # beyond its reach
    [fields(s={"minLength": 5}), need(s={"maxLength": 2})],  # untyped: a number has no length
]


SAMPLES = [None, True, False, -1, 0, 1, 1.5, 2, 3, 4, 5, 10, 11, 20, 30, "", "a", "b", "c", "abcd", "abcdef", [], {}]


@pytest.mark.parametrize("conditions, name", CLASHING)
def test_contradictions_are_found(conditions, name):
    found = check(conditions)
    assert [c.name for c in found] == [name]
    assert found[0].sources and all(s.startswith(("/fields/", "/if/")) for s in found[0].sources)
    # and they are real: no sample value satisfies every condition
    validators = [Draft202012Validator(schema) for _, schema in conditions]
    assert not any(all(v.is_valid({name: value}) for v in validators) for value in SAMPLES)


@pytest.mark.parametrize("conditions", POSSIBLE)
def test_what_may_hold_is_not_a_contradiction(conditions):
    assert check(conditions) == []


def test_the_message_names_the_bounds():
    found = contradictions([fields(amount={"type": "number", "maximum": 500}), need(amount={"minimum": 1000})])
    assert found[0].why == "no number is at least 1000 and at most 500"
    assert found[0].sources == ("/fields/properties/amount", "/if/properties/amount")
    assert contradictions([need(amount={"minimum": 1000})],
                          {"properties": {"amount": {"type": "number", "maximum": 500}}}) == [
        Contradiction("amount", found[0].why, ("/if/properties/amount", "/fields/properties/amount"))]


def test_fields_required_by_the_funnel_may_contradict_without_the_condition_requiring_them():
    schema = {"properties": {"n": {"type": "number", "maximum": 1}}, "required": ["n"]}
    assert [c.name for c in contradictions([("/if", {"properties": {"n": {"minimum": 2}}})], schema)] == ["n"]
    assert contradictions([("/if", {"properties": {"n": {"minimum": 2}}})], {**schema, "required": []}) == []

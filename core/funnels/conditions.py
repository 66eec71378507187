"""Whether several JSON Schema conditions on a deal's data can hold at the same time.

Lint needs to know when no deal can ever match: a conditional stage whose ``applies_when`` asks
for an amount above the field's ``maximum``, an automation whose ``if`` names a channel the
field's choices do not offer. Deciding this for all of JSON Schema is hard; the conditions
consultants write are conjunctions of ``required`` and per-field ``type``, ``enum``/``const``
(or a ``oneOf`` of ``const`` branches: labelled choices), bounds and lengths, so that is what this
module reasons about. Anything else (other ``anyOf``, ``not``, ``pattern``…) is taken as "could
match", so a contradiction reported here is certain and lint never cries wolf.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..limits import is_number
from .choices import choice_values, field_choices
from .validation import pointer_part

_NUMERIC = frozenset({"number", "integer"})


@dataclass(frozen=True)
class Contradiction:
    """No value of ``name`` meets every condition: ``why`` says what clashes, ``sources`` where."""

    name: str
    why: str
    sources: tuple[str, ...]


@dataclass
class _Field:
    """What the conditions together demand of one field."""

    required: bool = False
    types: set[str] | None = None  # None: any type; "number" includes the integers
    values: list[Any] | None = None  # None: any value; else the only ones allowed
    low: tuple[float, bool] | None = None  # (bound, exclusive)
    high: tuple[float, bool] | None = None
    min_length: int = 0
    max_length: float = math.inf
    sources: list[str] = field(default_factory=list)


def contradictions(conditions: Iterable[tuple[str, dict]], fields_schema: dict | None = None) -> list[Contradiction]:
    """The fields no deal's data can fill so that all ``conditions`` hold, each with why.

    :param conditions: (JSON pointer, JSON Schema) pairs such as
        ``("/stages/3/applies_when", condition)``; the pointers name the sources in the result.
    :param fields_schema: the funnel's ``fields`` (at ``/fields``): each field the conditions
        name must also be valid against its own schema there. Only those fields are read, so the
        cost follows the size of the conditions, not of the funnel.
    :returns: one contradiction per field that cannot be satisfied, in the order first named;
        an empty list when the conditions may all hold (or this module cannot tell).
    """
    fields: dict[str, _Field] = {}
    for pointer, schema in conditions:
        _collect(schema, pointer, fields)
    if fields_schema is not None:
        declared = fields_schema.get("properties", {})
        for name in fields.keys() & set(fields_schema.get("required", [])):
            fields[name].required = True
        for name, demand in fields.items():
            if isinstance(declared.get(name), dict):
                _narrow(demand, declared[name], f"/fields/properties/{pointer_part(name)}")
    found = []
    for name, demand in fields.items():
        why = _clash(demand)
        if why is not None and demand.required:
            found.append(Contradiction(name, why, tuple(dict.fromkeys(demand.sources))))
    return found


def _collect(schema: Any, pointer: str, fields: dict[str, _Field]) -> None:
    if not isinstance(schema, dict):
        return
    for name in schema.get("required", []) if isinstance(schema.get("required"), list) else []:
        if isinstance(name, str):
            fields.setdefault(name, _Field()).required = True
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for name, sub in properties.items():
            if isinstance(sub, dict):
                _narrow(fields.setdefault(name, _Field()), sub, f"{pointer}/properties/{pointer_part(name)}")
    for i, sub in enumerate(schema.get("allOf", []) if isinstance(schema.get("allOf"), list) else []):
        _collect(sub, f"{pointer}/allOf/{i}", fields)


def _narrow(demand: _Field, schema: dict, pointer: str) -> None:
    before = (demand.types, demand.values, demand.low, demand.high, demand.min_length, demand.max_length)
    declared = schema.get("type")
    if isinstance(declared, str):
        declared = [declared]
    if isinstance(declared, list):
        demand.types = _meet_types(demand.types, {t for t in declared if isinstance(t, str)})
    allowed: list[Any] | None = None
    if "const" in schema:
        allowed = [schema["const"]]
    elif isinstance(schema.get("enum"), list) or field_choices(schema):
        allowed = choice_values(schema)
    if allowed is not None:
        demand.values = allowed if demand.values is None else [v for v in demand.values if _member(v, allowed)]
    for key, exclusive in (("minimum", False), ("exclusiveMinimum", True)):
        if is_number(schema.get(key)):
            demand.low = _tighter(demand.low, (schema[key], exclusive), max)
    for key, exclusive in (("maximum", False), ("exclusiveMaximum", True)):
        if is_number(schema.get(key)):
            demand.high = _tighter(demand.high, (schema[key], exclusive), min)
    if isinstance(schema.get("minLength"), int):
        demand.min_length = max(demand.min_length, schema["minLength"])
    if isinstance(schema.get("maxLength"), int):
        demand.max_length = min(demand.max_length, schema["maxLength"])
    if before != (demand.types, demand.values, demand.low, demand.high, demand.min_length, demand.max_length):
        demand.sources.append(pointer)


def _clash(demand: _Field) -> str | None:
    """Why no value can meet ``demand``, or ``None`` when some value can (or we cannot tell)."""
    if demand.types is not None and not demand.types:
        return "the types allowed do not overlap"
    if demand.values is not None:
        if not demand.values:
            return "the allowed values do not overlap"
        if not any(_fits(value, demand) for value in demand.values):
            return f"none of the allowed values {_listing(demand.values)} meets the other conditions"
        return None
    if demand.types is not None and demand.types <= _NUMERIC and not _numbers_exist(demand):
        return f"no number is {_bound_text(demand.low, 'at least', 'greater than')} and " \
               f"{_bound_text(demand.high, 'at most', 'less than')}"
    if demand.types == {"string"} and demand.min_length > demand.max_length:
        return f"no text is at least {demand.min_length} and at most {int(demand.max_length)} characters long"
    return None


def _fits(value: Any, demand: _Field) -> bool:
    if demand.types is not None and not any(_is_type(value, t) for t in demand.types):
        return False
    if is_number(value):
        low, high = demand.low, demand.high
        if low is not None and (value < low[0] or (low[1] and value == low[0])):
            return False
        if high is not None and (value > high[0] or (high[1] and value == high[0])):
            return False
    if isinstance(value, str) and not demand.min_length <= len(value) <= demand.max_length:
        return False
    return True


def _numbers_exist(demand: _Field) -> bool:
    low, high = demand.low, demand.high
    if demand.types == {"integer"}:
        if low is not None:
            low = (math.floor(low[0]) + 1 if low[1] or not float(low[0]).is_integer() else low[0], False)
        if high is not None:
            high = (math.ceil(high[0]) - 1 if high[1] or not float(high[0]).is_integer() else high[0], False)
    if low is None or high is None:
        return True
    if low[0] < high[0]:
        return True
    return low[0] == high[0] and not low[1] and not high[1]


def _meet_types(current: set[str] | None, declared: set[str]) -> set[str]:
    if current is None:
        return set(declared)
    met = current & declared
    if "number" in current and "integer" in declared or "integer" in current and "number" in declared:
        met.add("integer")
    return met


def _tighter(current: tuple[float, bool] | None, new: tuple[float, bool], pick) -> tuple[float, bool]:
    if current is None or new[0] != current[0]:
        return new if current is None or pick(new[0], current[0]) == new[0] else current
    return (new[0], new[1] or current[1])  # the same bound: exclusive wins


def _member(value: Any, allowed: list[Any]) -> bool:
    # JSON equality: 1 == 1.0, but true is not 1
    return any(value == other and isinstance(value, bool) == isinstance(other, bool) for other in allowed)


def _is_type(value: Any, type_: str) -> bool:
    checks = {
        "string": lambda: isinstance(value, str),
        "number": lambda: is_number(value),
        "integer": lambda: is_number(value) and float(value).is_integer(),
        "boolean": lambda: isinstance(value, bool),
        "null": lambda: value is None,
        "array": lambda: isinstance(value, list),
        "object": lambda: isinstance(value, dict),
    }
    return checks.get(type_, lambda: False)()


def _bound_text(bound: tuple[float, bool] | None, inclusive: str, exclusive: str) -> str:
    if bound is None:
        return "any"
    return f"{exclusive if bound[1] else inclusive} {bound[0]:g}"


def _listing(values: list[Any]) -> str:
    return ", ".join(f"`{v}`" for v in values[:6]) + (", …" if len(values) > 6 else "")



"""A tiny, backend-neutral filter language for store queries.

Callers (the engine, the API, visibility plugins) describe *what* rows they want with these
nodes; each backend translates them into its own query (a TinyDB ``Query``, an SQL clause).
That is how access rules end up inside the store's query instead of in Python after loading.
``matches`` evaluates a filter on one document: the reference semantics every backend must
agree with, used by tests and by in-memory models.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union


@dataclass(frozen=True)
class Eq:
    field: str
    value: Any


@dataclass(frozen=True)
class In:
    field: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Range:
    """``low <= field < high``; either bound may be ``None`` (open)."""

    field: str
    low: Any = None
    high: Any = None


@dataclass(frozen=True)
class Contains:
    """Case-insensitive substring match on a text field."""

    field: str
    text: str


@dataclass(frozen=True)
class And:
    parts: tuple["Filter", ...]


@dataclass(frozen=True)
class Or:
    parts: tuple["Filter", ...]


@dataclass(frozen=True)
class Not:
    part: "Filter"


@dataclass(frozen=True)
class Everything:
    """Matches every row: the visibility filter of a role that sees all."""


@dataclass(frozen=True)
class Nothing:
    """Matches no row: the default when no permission plugin grants anything."""


Filter = Union[Eq, In, Range, Contains, And, Or, Not, Everything, Nothing]


def all_of(*parts: Filter | None) -> Filter:
    """AND the given filters, dropping ``None`` and ``Everything``; used to combine scopes."""
    kept = tuple(p for p in parts if p is not None and not isinstance(p, Everything))
    if any(isinstance(p, Nothing) for p in kept):
        return Nothing()
    if not kept:
        return Everything()
    return kept[0] if len(kept) == 1 else And(kept)


def any_of(*parts: Filter) -> Filter:
    """OR the given filters; an empty list matches nothing."""
    kept = tuple(p for p in parts if not isinstance(p, Nothing))
    if any(isinstance(p, Everything) for p in kept):
        return Everything()
    if not kept:
        return Nothing()
    return kept[0] if len(kept) == 1 else Or(kept)


MISSING = object()


def field_value(doc: dict, path: str) -> Any:
    """The value at a dotted path (``data.amount``), or a sentinel when absent."""
    value: Any = doc
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return MISSING
        value = value[key]
    return value


def matches(flt: Filter, doc: dict) -> bool:
    """Reference semantics of a filter on one document."""
    if isinstance(flt, Everything):
        return True
    if isinstance(flt, Nothing):
        return False
    if isinstance(flt, And):
        return all(matches(p, doc) for p in flt.parts)
    if isinstance(flt, Or):
        return any(matches(p, doc) for p in flt.parts)
    if isinstance(flt, Not):
        return not matches(flt.part, doc)
    value = field_value(doc, flt.field)
    if value is MISSING:
        return False
    if isinstance(flt, Eq):
        return value == flt.value
    if isinstance(flt, In):
        return value in flt.values
    if isinstance(flt, Range):
        try:
            return (flt.low is None or value >= flt.low) and (flt.high is None or value < flt.high)
        except TypeError:
            return False
    if isinstance(flt, Contains):
        return isinstance(value, str) and flt.text.casefold() in value.casefold()
    raise TypeError(f"not a filter: {flt!r}")

"""The funnel model: a checked definition with its validators compiled once.

A :class:`Funnel` is built from a definition that has already passed
:func:`goldsieve.funnels.check.check_definition`; it never re-validates, it only answers the
questions the engine and the UI ask: which stages lie on this deal's path, what does entering a
stage require, which lost reasons exist.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..locales import localized
from ..store.search import SEARCH, search_text
from .choices import field_choices
from .rules import Rule
from .validation import compile_schema

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

OPEN, WON, LOST = "open", "won", "lost"

#: The keywords a condition may hold and still read only the fields it names.
_LOCAL = frozenset({"properties", "required", "title", "description", "$comment"})
_REFERENCES = ('"$ref"', '"$dynamicRef"', '"$recursiveRef"')
#: How many verdicts a conditional stage remembers before it starts again.
VERDICTS = 4096
_ABSENT = object()


@dataclass
class Stage:
    id: str
    kind: str
    title: str | dict[str, str]
    probability: float
    position: int
    gate: dict | None = None
    applies_when: dict | None = None
    rot_days: int | None = None
    rot_days_business: bool = False
    raw: dict = field(default_factory=dict, repr=False)

    @cached_property
    def gate_validator(self) -> Draft202012Validator | None:
        return compile_schema(self.gate) if self.gate else None

    @cached_property
    def condition(self) -> Draft202012Validator | None:
        return compile_schema(self.applies_when) if self.applies_when else None

    #: verdicts of a condition that reads only the fields it names (:attr:`named`), by their values
    verdicts: dict = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def named(self) -> tuple[str, ...] | None:
        """The fields the condition reads, when its verdict depends on their values alone (only
        ``properties`` and ``required``, no reference that could reach elsewhere); else ``None``."""
        condition = self.applies_when
        if not isinstance(condition, dict) or not set(condition) <= _LOCAL:
            return None
        props, required = condition.get("properties", {}), condition.get("required", [])
        if not isinstance(props, dict) or not isinstance(required, list) \
                or any(ref in json.dumps(props) for ref in _REFERENCES):
            return None
        return tuple(sorted({*props, *required}))

    def applies_to(self, data: dict) -> bool:
        """Whether this stage lies on the path of a deal with this data.

        A deal's path is asked several times per change (the first stage, the gates on the way,
        the form), each a JSON Schema check per conditional stage: a condition that reads only
        the fields it names remembers its verdict per value of those fields (and per type: JSON
        Schema tells ``true`` from ``1``)."""
        if self.condition is None:
            return True
        if self.named is None or not isinstance(data, dict):
            return self.condition.is_valid(data)
        key = tuple((type(value), value) for value in (data.get(name, _ABSENT) for name in self.named))
        try:
            return self.verdicts[key]
        except KeyError:
            pass
        except TypeError:  # a list or an object: not a key
            return self.condition.is_valid(data)
        if len(self.verdicts) >= VERDICTS:
            self.verdicts.clear()
        verdict = self.verdicts[key] = self.condition.is_valid(data)
        return verdict

    def label(self, locale: str = "en") -> str:
        return localized(self.title, locale) or self.id


class Funnel:
    """One version of one funnel, ready to use."""

    def __init__(self, definition: dict[str, Any]):
        self.definition = definition
        self.id: str = definition["id"]
        self.version: int = definition.get("version", 1)
        self.currency: str = definition.get("currency", "CNY")
        #: ``"customer": "required"``: a deal names a customer (the engine refuses one without)
        self.customer_required: bool = definition.get("customer") == "required"
        self.title = definition.get("title", self.id)
        self.stages = [
            Stage(
                id=s["id"],
                kind=s.get("kind", OPEN),
                title=s.get("title", s["id"]),
                probability=s.get("probability", 0.0),
                position=i,
                gate=s.get("gate"),
                applies_when=s.get("applies_when"),
                rot_days=s.get("rot_days"),
                rot_days_business=s.get("rot_days_business", False),
                raw=s,
            )
            for i, s in enumerate(definition["stages"])
        ]
        self._by_id = {s.id: s for s in self.stages}
        transitions = definition.get("transitions", {})
        self.allow_skip: bool = transitions.get("skip", False)
        self.allow_back: bool = transitions.get("back", True)
        self.allow_reopen: bool = transitions.get("reopen", True)
        self.lost_reasons: dict[str, Any] = {
            r["id"]: r.get("title", r["id"]) for r in definition.get("lost_reasons", [])
        }
        self.fields_schema: dict = definition.get("fields", {"type": "object"})
        self.fields_validator = compile_schema(self.fields_schema)
        #: whether a deal's data may hold keys ``fields`` does not declare (docs/funnels.md)
        self.extra_fields: bool = definition.get("extra_fields", False) is True
        # compiled once per funnel version: each write only evaluates them
        self.rules: list[Rule] = [Rule.from_definition(a) for a in definition.get("automations", [])]
        self.assignment: dict[str, Any] = definition.get("assignment", {})

    def label(self, locale: str = "en") -> str:
        return localized(self.title, locale) or self.id

    @cached_property
    def text_fields(self) -> tuple[str, ...]:
        """The declared text fields (text without a list of choices): what a search looks into."""
        return tuple(name for name, prop in self.fields_schema.get("properties", {}).items()
                     if isinstance(prop, dict) and prop.get("type") == "string" and not field_choices(prop))

    def with_search(self, deal: dict[str, Any]) -> dict[str, Any]:
        """``deal`` with its search text (:mod:`goldsieve.store.search`): its title and this funnel's
        text fields, folded. Whatever writes a deal's title or data, or moves it to another version
        of its funnel, writes it (the engine, the demo, a funnel's migration)."""
        data = deal.get("data") if isinstance(deal.get("data"), dict) else {}
        deal[SEARCH] = search_text([deal.get("title"), *(data.get(name) for name in self.text_fields)])
        return deal

    def stage(self, stage_id: str) -> Stage | None:
        return self._by_id.get(stage_id)

    @property
    def first_stage(self) -> Stage:
        return next(s for s in self.stages if s.kind == OPEN)

    @property
    def won_stage(self) -> Stage:
        return next(s for s in self.stages if s.kind == WON)

    @property
    def lost_stage(self) -> Stage:
        return next(s for s in self.stages if s.kind == LOST)

    def open_stages(self) -> list[Stage]:
        return [s for s in self.stages if s.kind == OPEN]

    def path(self, data: dict) -> list[Stage]:
        """The open stages a deal with this data goes through, in order, then the won stages."""
        return [s for s in self.stages if s.kind != LOST and s.applies_to(data)]

    def gates_to_enter(self, stage: Stage, data: dict) -> list[Stage]:
        """Stages whose gates a deal must satisfy to enter ``stage``.

        Gates are cumulative along the path: entering ``quote`` also requires what entering the
        stages before it on the deal's path required. Entering a lost stage requires only its own
        gate: losing a deal must never demand the paperwork of winning it.
        """
        if stage.kind == LOST:
            return [stage] if stage.gate else []
        path = self.path(data)
        return [s for s in path if s.position <= stage.position and s.gate]

    def property_title(self, name: str, locale: str = "en") -> str:
        prop = self.fields_schema.get("properties", {}).get(name, {})
        return localized(prop.get("title"), locale) or name

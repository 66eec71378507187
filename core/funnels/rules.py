"""Automation rules: the funnel's ``automations``, compiled once, and which ones a change fires.

A rule is a trigger (``on``), optional filters (``stage``, ``field``, ``if``) and actions
(``do``). The engine describes what a write did as events; :func:`triggers_of` turns those
events into trigger occurrences (a ``stage_changed`` into a won stage is ``stage_left``,
``stage_entered`` and ``won``), and :func:`fired` picks the rules that match them. Pure
functions: no store, no clock, so the engine can call them inside its transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

from .validation import compile_schema

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

    from .model import Funnel

TRIGGERS = ("deal_created", "stage_entered", "stage_left", "field_changed", "won", "lost",
            "stale", "task_overdue")


@dataclass(frozen=True)
class Rule:
    """One automation of a funnel version, with its condition compiled."""

    id: str
    on: str
    stage: str | None
    field: str | None
    actions: tuple[dict[str, Any], ...]
    condition: Draft202012Validator | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_definition(cls, definition: dict[str, Any]) -> "Rule":
        condition = definition.get("if")
        return cls(
            id=definition["id"], on=definition["on"], stage=definition.get("stage"),
            field=definition.get("field"), actions=tuple(definition["do"]),
            condition=compile_schema(condition) if condition is not None else None,
        )

    def matches(self, trigger: "Trigger", data: dict[str, Any]) -> bool:
        """Whether this rule fires for ``trigger`` on a deal whose data (after the event) is ``data``."""
        if trigger.on != self.on:
            return False
        if self.stage is not None and trigger.stage != self.stage:
            return False
        if self.field is not None and self.field not in trigger.fields:
            return False
        return self.condition is None or self.condition.is_valid(data)


@dataclass(frozen=True)
class Trigger:
    """Something that happened to a deal, in the vocabulary of ``on``.

    ``event`` is the index of the engine event it comes from in the list being written, so an
    outbox row can name the event (and its id) that caused it.
    """

    on: str
    stage: str | None = None
    fields: frozenset[str] = frozenset()
    event: int = 0


def triggers_of(events: list[dict[str, Any]], funnel: "Funnel") -> list[Trigger]:
    """The triggers a list of engine events amounts to, in order."""
    found: list[Trigger] = []
    for i, event in enumerate(events):
        kind = event["type"]
        if kind == "created":
            found.append(Trigger("deal_created", event["to_stage"], event=i))
            found.append(Trigger("stage_entered", event["to_stage"], event=i))
        elif kind == "updated":
            found.append(Trigger("field_changed", fields=frozenset(event.get("changes") or ()), event=i))
        elif kind in ("stage_changed", "reopened"):
            found.append(Trigger("stage_left", event["from_stage"], event=i))
            found.append(Trigger("stage_entered", event["to_stage"], event=i))
            target = funnel.stage(event["to_stage"])
            if kind == "stage_changed" and target is not None and target.kind in ("won", "lost"):
                found.append(Trigger(target.kind, event["to_stage"], event=i))
        elif kind in ("stale", "task_overdue"):
            found.append(Trigger(kind, event.get("to_stage"), event=i))
    return found


def fired(rules: Iterable[Rule], triggers: list[Trigger], data: dict[str, Any]) -> list[tuple[Rule, Trigger]]:
    """Every (rule, trigger) pair that fires, each rule at most once per trigger."""
    return [(rule, trigger) for trigger in triggers for rule in rules if rule.matches(trigger, data)]

"""The designer's edits of a draft's highlight rules and its assignment rule (see :mod:`.edit`).

A highlight rule is ``{"when": condition, "style": …}``; the first rule that matches a deal gives
its style, so the order matters and the editor can move a rule up. The assignment rule is the
funnel's ``assignment`` object, read by the assignment plugins: the built-in rules are
``round_robin`` and ``least_loaded`` among a team's members (``role`` narrows them), and
``by_field``, which maps a field's value to ``user:NAME`` or ``team:NAME`` with a ``default``.
Keys of the object the editor does not show (a plugin rule's own) are kept.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from .edit import Draft, EditError, build_condition, fields_of, typed
from .validation import N_

#: The styles of the meta-schema's highlight rule, strongest first.
STYLES = ("high", "medium", "low", "warning")
#: The built-in assignment rules (plugins/assignment.py).
RULES = ("round_robin", "least_loaded", "by_field")
#: The assignment keys the editor sets; any other key of the object is kept as it is.
RULE_KEYS = ("rule", "team", "role", "field", "map", "default")


def _rules(draft: Draft) -> list[dict]:
    return draft["definition"].get("highlight", [])


def _at(draft: Draft, position: int) -> dict:
    rules = _rules(draft)
    if not 0 <= position < len(rules):
        raise EditError(N_("there is no such highlight rule"))
    return rules[position]


def set_highlight(draft: Draft, position: int | None, condition: tuple[str, str, str] | None,
                  style: str) -> None:
    """Add a rule (``position`` ``None``: at the end) or change one; a rule without a condition
    the designer builds keeps the hand-written one it has."""
    if style not in STYLES:
        raise EditError(N_("a highlight style is one of %(styles)s"), styles=", ".join(STYLES))
    if position is None:
        if condition is None:
            raise EditError(N_("a highlight rule needs a condition: choose a field"))
        draft["definition"].setdefault("highlight", []).append(
            {"when": build_condition(fields_of(draft), *condition), "style": style})
        return
    rule = _at(draft, position)
    if condition is not None:
        when = build_condition(fields_of(draft), *condition)
        if rule.get("when") != when:
            rule["when"] = when
    rule["style"] = style


def remove_highlight(draft: Draft, position: int) -> None:
    _at(draft, position)
    del _rules(draft)[position]
    if not _rules(draft):
        draft["definition"].pop("highlight")


def raise_highlight(draft: Draft, position: int) -> None:
    """Move a rule one place up: it is then tried before the one above it."""
    _at(draft, position)
    if position == 0:
        raise EditError(N_("the first rule cannot move further up"))
    rules = _rules(draft)
    rules[position - 1], rules[position] = rules[position], rules[position - 1]


def set_assignment(draft: Draft, rule: str, *, team: str = "", role: str = "", field: str = "",
                   rows: Sequence[tuple[str, str]] = (), default: str = "",
                   teams: Sequence[str] = (), roles: Sequence[str] = (),
                   targets: Sequence[str] = ()) -> None:
    """Set the assignment rule (``rule`` ``""``: none, new leads stay with whoever entered them).

    ``teams``, ``roles`` and ``targets`` (``user:NAME`` / ``team:NAME``) are what exists, so the
    rule names nobody who does not; ``rows`` are ``by_field``'s value → target pairs, blank ones
    ignored.
    """
    definition = draft["definition"]
    kept = {key: value for key, value in (definition.get("assignment") or {}).items() if key not in RULE_KEYS}
    if not rule:
        if kept:
            definition["assignment"] = kept
        else:
            definition.pop("assignment", None)
        return
    if rule not in RULES and rule == (definition.get("assignment") or {}).get("rule"):
        return  # a plugin's rule the form cannot show: kept as it is
    if rule not in RULES:
        raise EditError(N_("unknown assignment rule “%(rule)s”"), rule=rule[:40])
    wanted: dict[str, Any] = {"rule": rule}
    if team and team not in teams:
        raise EditError(N_("there is no team “%(team)s”"), team=team[:40])
    if role and role not in roles:
        raise EditError(N_("there is no role “%(role)s”"), role=role[:40])
    if rule == "by_field":
        wanted.update(_by_field(draft, field, rows, default, targets))
    elif not team and not role:
        raise EditError(N_("choose the team (or the role) whose members take the new deals"))
    if team and rule != "by_field":
        wanted["team"] = team
    if role:
        wanted["role"] = role
    new = {**wanted, **kept}
    if definition.get("assignment") != new:
        definition["assignment"] = new


def _by_field(draft: Draft, field: str, rows: Sequence[tuple[str, str]], default: str,
              targets: Sequence[str]) -> dict[str, Any]:
    fields = fields_of(draft)
    if field not in fields:
        raise EditError(N_("a value of which field? choose one"))
    mapping: dict[str, str] = {}
    for value, target in rows:
        if not value.strip() and not target:
            continue
        if not value.strip() or not target:
            raise EditError(N_("each row needs a value and whom it goes to"))
        key = str(typed(fields[field], value.strip()))
        if target not in targets:
            raise EditError(N_("there is no user or team “%(target)s”"), target=target[:40])
        if key in mapping:
            raise EditError(N_("the value “%(value)s” is listed twice"), value=key[:40])
        mapping[key] = target
    if default and default not in targets:
        raise EditError(N_("there is no user or team “%(target)s”"), target=default[:40])
    found: dict[str, Any] = {"field": field, "map": mapping}
    if default:
        found["default"] = default
    return found


def assignment_rows(assignment: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """``by_field``'s map as the editor's rows: value, target."""
    mapping = (assignment or {}).get("map")
    return [(str(k), str(v)) for k, v in mapping.items()] if isinstance(mapping, dict) else []

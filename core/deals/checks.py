"""What refuses a change to a deal, apart from the engine that writes it (docs/architecture.md).

Each function only reads: it lists the :class:`~goldsieve.errors.Violation` objects a change
would meet, and :class:`~goldsieve.deals.engine.Engine` refuses with them (and the pages ask the
same functions, so that a form and the engine never disagree). Gates are asked through the
``goldsieve_gate_check`` hook; every other rule is the funnel's or goldsieve's own.
"""
from __future__ import annotations

from typing import Any

import pluggy

from ..errors import Violation
from ..funnels.model import LOST, Funnel, Stage
from ..funnels.transitions import transition_violations
from ..funnels.validation import pointer, text_violation, violations
from ..limits import MAX_TITLE, storable_text
from ..locales import N_
from ..plugin_manager import collect, list_of

User = dict[str, Any]
Deal = dict[str, Any]
_ABSENT = object()  # a key a deal's stored data does not have


def gate_violations(pm: pluggy.PluginManager, funnel: Funnel, deal: Deal, target: Stage,
                    user: User) -> list[Violation]:
    """Every gate's objection to ``deal`` entering ``target``, each once; a gate answering
    anything but a list of violations is a :class:`~goldsieve.errors.PluginResultError`."""
    found: list[Violation] = []
    for result in collect(pm, "goldsieve_gate_check", "a list of Violation", list_of(Violation),
                          funnel=funnel, deal=deal, target=target, user=user):
        for violation in result:
            if violation not in found:
                found.append(violation)
    return found


def title_violations(title: object) -> list[Violation]:
    """A deal's title: text, not blank, at most :data:`~goldsieve.limits.MAX_TITLE`, storable."""
    if not isinstance(title, str) or not title.strip():
        return [Violation.of("/title", "required", N_("A deal needs a title."))]
    if len(title) > MAX_TITLE:
        return [Violation.of("/title", "maxLength", N_("A title has at most %(limit)s characters."), limit=MAX_TITLE)]
    return text_violations(title, "/title")


def text_violations(text: object, path: str) -> list[Violation]:
    """Text (a note, a reason) that no store keeps (:func:`goldsieve.limits.storable_text`)."""
    return [] if not isinstance(text, str) or storable_text(text) else [text_violation(path)]


def undeclared_violations(funnel: Funnel, before: dict, after: dict) -> list[Violation]:
    """Fields of ``after`` the funnel does not declare, unless it opts in (``extra_fields``).

    Only what the change sets counts: a key stored before the rule existed, kept as it was,
    leaves its deal editable for its declared fields; removing one is always allowed.
    """
    if funnel.extra_fields:
        return []
    declared = funnel.fields_schema.get("properties") or {}
    return [Violation.of(pointer("/data", [key]), "unknown_field", N_("The funnel has no such field."))
            for key, value in after.items()
            # a key with broken text is refused for its text (funnels.validation) already
            if key not in declared and storable_text(key) and before.get(key, _ABSENT) != value]


def lost_reason_violations(funnel: Funnel, reason: str | None) -> list[Violation]:
    """A lost deal names one of its funnel's lost reasons."""
    if reason in funnel.lost_reasons:
        return []
    code = "required" if reason in (None, "") else "enum"
    if not funnel.lost_reasons:
        return [Violation.of("/lost_reason", code, N_("The funnel defines no lost reasons."))]
    return [Violation.of("/lost_reason", code, N_("Choose one of the funnel's lost reasons: %(choices)s."),
                         choices=", ".join(funnel.lost_reasons))]


def check_move(pm: pluggy.PluginManager, user: User, deal: Deal, funnel: Funnel, target: Stage,
               data: dict, lost_reason: str | None = None) -> tuple[list[Violation], list[Violation]]:
    """Everything that would stop ``deal`` from entering ``target`` with ``data``: what always
    refuses, and apart what the gates object (which ``bypass_gate`` sets aside)."""
    refusing = violations(funnel.fields_validator, data)
    refusing += transition_violations(funnel, deal, target, data)
    if target.kind == LOST:
        refusing += lost_reason_violations(funnel, lost_reason)
    if any(p.path == "/to" for p in refusing):
        return refusing, []
    # a gate checks the same data: a number past the limit is said once, not per gate
    gated = gate_violations(pm, funnel, {**deal, "data": data}, target, user)
    return refusing, [v for v in gated if v not in refusing]


def held_gate_violations(pm: pluggy.PluginManager, user: User, deal: Deal, funnel: Funnel,
                         data: dict) -> list[Violation]:
    """What an edit to ``data`` breaks of the gates the deal passed to be where it is.

    A deal's current stage keeps requiring what entering it required (its cumulative gates,
    :meth:`~goldsieve.funnels.model.Funnel.gates_to_enter`): an edit that removes or invalidates
    such a field meets the violations a move into the stage would list. Only those the edit
    causes count: a deal that entered past its gates (or under an older rule) stays editable for
    everything else.
    """
    stage = funnel.stage(deal["stage"])
    if stage is None:
        return []
    before = {_key(v) for v in gate_violations(pm, funnel, deal, stage, user)}
    after = gate_violations(pm, funnel, {**deal, "data": data}, stage, user)
    return [v for v in after if _key(v) not in before]


def _key(violation: Violation) -> tuple[str, str]:
    """A violation without its message: a message may quote the value the edit changed."""
    return violation.path, violation.code


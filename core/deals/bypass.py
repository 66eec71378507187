"""Moving a deal past its gates anyway: the admin's reason, what still refuses, what is kept.

A gate states what a funnel expects of every deal entering a stage; now and then a deal is the
exception the rules did not foresee (a framework contract signed before the survey exists).
Rather than have someone type placeholder data to get past the gate, a user allowed
``bypass_gate`` moves it anyway with a reason (:meth:`goldsieve.deals.engine.Engine.move`), and
the gates' objections are recorded instead of enforced: in a ``gate_bypassed`` event, which the
deal's history shows and the analytics count, and in the move's audit row.
"""
from __future__ import annotations

from typing import Any

from ..errors import Violation
from ..locales import N_

#: The longest reason, in characters once stripped.
MAX_REASON = 500


def reason_violations(reason: object) -> list[Violation]:
    """What is wrong with a bypass reason: it must be text, not blank, at most :data:`MAX_REASON`."""
    if not isinstance(reason, str) or not reason.strip():
        return [Violation.of("/bypass_gate", "required", N_("Moving past a gate needs a reason."))]
    if len(reason.strip()) > MAX_REASON:
        return [Violation.of("/bypass_gate", "maxLength", N_("A reason has at most %(limit)s characters."),
                             limit=MAX_REASON)]
    return []


def set_aside(reason: object, refusing: list[Violation],
              gates: list[Violation]) -> tuple[list[Violation], list[Violation]]:
    """What refuses a move, and what it bypasses, from the two lists of
    :meth:`~goldsieve.deals.engine.Engine.check_move`: with no reason (``None``) the gates refuse
    like the rest; with one, a bad reason refuses with the rest, and the gates' objections are
    bypassed."""
    if reason is None:
        return refusing + gates, []
    return reason_violations(reason) + refusing, gates


def bypass_records(from_stage: str, to_stage: str, reason: object,
                   bypassed: list[Violation]) -> tuple[dict[str, Any] | None, dict[str, list]]:
    """The ``gate_bypassed`` event's own fields (``None``: nothing was bypassed, no event), and
    the changes its move's audit row adds (each ``[None, what]``, as the audit log names what a
    write added)."""
    if not bypassed or not isinstance(reason, str):
        return None, {}
    found = [v.as_dict() for v in bypassed]
    event = {"from_stage": from_stage, "to_stage": to_stage, "note": reason.strip(), "violations": found}
    return event, {"bypass_reason": [None, reason.strip()], "bypassed_violations": [None, found]}

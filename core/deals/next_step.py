"""A move that plans the deal's next step on the way (a stage's ``"next_step": true``,
:mod:`.activity_gates`): the API's ``next_step`` in a move, so a client need not plan first and
move after.

The move is checked first, as if the step were planned; only when nothing else objects is the
step planned (an activity, checked like any) and the deal moved. A refused move or a refused
step writes nothing. Between the two writes another writer may change the deal; then the move's
own version check refuses it, and the planned step stays — a next step the person asked for.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ValidationFailed, Violation
from ..locales import N_
from .activity_gates import NEXT_STEP

if TYPE_CHECKING:
    from .activities import Activities
    from .engine import Engine

#: What a next step may say: an activity's planning keys.
PLAN_KEYS = ("type", "title", "due_at", "duration_minutes", "contact_ids", "outcome")


def move_with_next_step(engine: "Engine", activities: "Activities", user: dict[str, Any], deal_id: int,
                        to: str, next_step: dict[str, Any], **move: Any) -> dict[str, Any]:
    """Plan ``next_step`` on the deal and move it to ``to`` (``move``: :meth:`Engine.move`'s
    other arguments); every objection of the move, else of the step, is raised and nothing written."""
    try:
        engine.move(user, deal_id, to, check_only=True, **move)
    except ValidationFailed as refused:
        others = [v for v in refused.violations if v.path != NEXT_STEP]
        if others:
            raise ValidationFailed(others) from None
    unknown = sorted(set(next_step) - set(PLAN_KEYS))
    if unknown:
        raise ValidationFailed([Violation(f"{NEXT_STEP}/{unknown[0]}", "unknown_field",
                                          f"A next step has {', '.join(PLAN_KEYS)}, not {unknown[0]}.")])
    plan = {k: v for k, v in next_step.items() if k != "type"}
    if "due_at" not in plan or plan["due_at"] is None:
        raise ValidationFailed([Violation.of(f"{NEXT_STEP}/due_at", "required", N_("A next step has a due time."))])
    before = engine.store.get("deals", deal_id)["version"]
    try:
        activities.create(user, next_step.get("type"), deal_id=deal_id, **plan)
    except ValidationFailed as refused:
        raise ValidationFailed([Violation(f"{NEXT_STEP}{v.path}", v.code, v.message, v.limit, v.value, v.title, v.words)
                                for v in refused.violations]) from None
    if move.get("version") is not None:  # the version asked for, moved on by the step's own write
        move["version"] += engine.store.get("deals", deal_id)["version"] - before
    return engine.move(user, deal_id, to, **move)

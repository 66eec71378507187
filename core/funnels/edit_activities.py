"""The designer's edit of a stage's activity gate: ``required_activities`` and ``next_step``
(docs/funnels.md, "Gates over activities"; see :mod:`.edit` for drafts).

``required_activities`` asks for done activities of declared types (records/activity.json), each
optionally with a contact in a declared role (records/contact.json); ``next_step`` asks an open
stage's deals for a planned activity. The caller passes the declared types and roles, so an
entry never names one the workspace lacks.
"""
from __future__ import annotations

from typing import Sequence

from .edit import Draft, EditError, index_of
from .validation import N_


def set_activity_gate(draft: Draft, stage_id: str, *, next_step: bool,
                      rows: Sequence[tuple[str, str]], types: Sequence[str], roles: Sequence[str]) -> None:
    """Set what a stage asks of the deal's activities; ``rows`` are (type, contact role) pairs,
    blank types ignored, an entry given twice kept once."""
    stage = draft["definition"]["stages"][index_of(draft, stage_id)]
    if next_step and stage.get("kind", "open") != "open":
        raise EditError(N_("only an open stage can require a planned next step"))
    wanted: list[dict[str, str]] = []
    for activity_type, role in rows:
        if not activity_type:
            if role:
                raise EditError(N_("choose the activity type the contact role is for"))
            continue
        if activity_type not in types:
            raise EditError(N_("there is no activity type “%(type)s”"), type=activity_type[:40])
        if role and role not in roles:
            raise EditError(N_("there is no contact role “%(role)s”"), role=role[:40])
        entry = {"type": activity_type, **({"contact_role": role} if role else {})}
        if entry not in wanted:
            wanted.append(entry)
    if wanted:
        if stage.get("required_activities") != wanted:
            stage["required_activities"] = wanted
    else:
        stage.pop("required_activities", None)
    if next_step:
        stage["next_step"] = True
    elif stage.get("next_step") is not None:
        stage.pop("next_step")

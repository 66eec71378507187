"""Gates over activities: a stage's ``required_activities`` and ``next_step`` (docs/funnels.md,
docs/activities.md).

``{"required_activities": [{"type": "visit", "contact_role": "decision_maker"}]}`` on a stage asks
that the deal has a done activity of each entry's type (with a contact in that role, when named)
to enter the stage. Like the JSON Schema gates they add up along the deal's path, and entering a
lost stage asks only its own. ``"next_step": true`` on an open stage asks that the deal has a
planned activity when it enters (Pipedrive's "plan the next step"): the move may plan it
(:mod:`.next_step`). Their objections are gate objections: listed in the move's 422 beside the
field gates, and set aside by ``bypass_gate`` as those are.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator

from ..errors import Violation
from ..funnels.transitions import titled
from ..locales import N_
from ..funnels.check import Finding
from ..funnels.model import LOST, OPEN, Funnel, Stage
from ..store import Store
from ..store.filters import Eq, In, all_of

#: The violation's code, which the gate dialog reads to offer logging the missing activity.
CODE = "activity_required"
#: Where the move's 422 names a missing next step.
NEXT_STEP = "/next_step"


def requirements(stage: Stage) -> list[dict[str, str]]:
    """The stage's own ``required_activities`` entries."""
    return list(stage.raw.get("required_activities") or [])


def required_to_enter(funnel: Funnel, target: Stage, data: dict) -> list[tuple[Stage, dict[str, str]]]:
    """Every ``(stage, requirement)`` a deal with ``data`` must meet to enter ``target``."""
    if target.kind == LOST:
        stages = [target]
    else:
        stages = [s for s in funnel.path(data) if s.position <= target.position]
    return [(stage, need) for stage in stages for need in requirements(stage)]


def missing(store: Store, deal: dict[str, Any], needs: Iterable[tuple[Stage, dict[str, str]]]
            ) -> list[tuple[Stage, dict[str, str]]]:
    """The requirements the deal's done activities do not meet (one query for the activities,
    one for the contacts they name)."""
    needs = list(needs)
    if not needs or deal.get("id") is None:
        return needs
    done = store.find("activities", all_of(Eq("deal_id", deal["id"]), Eq("status", "done"),
                                           In("type", tuple({n["type"] for _, n in needs}))))
    contact_ids = tuple({c for a in done for c in a.get("contact_ids") or []})
    roles = {c["id"]: c.get("role") for c in store.find("contacts", In("id", contact_ids))} if contact_ids else {}

    def met(need: dict[str, str]) -> bool:
        return any(a["type"] == need["type"] and (
            "contact_role" not in need or any(roles.get(c) == need["contact_role"] for c in a.get("contact_ids") or []))
            for a in done)
    return [(stage, need) for stage, need in needs if not met(need)]


def activity_violations(store: Store, funnel: Funnel, deal: dict[str, Any], target: Stage, data: dict
                        ) -> list[Violation]:
    """The move's objections for the activities ``target`` requires that the deal lacks."""
    found = []
    for stage, need in missing(store, deal, required_to_enter(funnel, target, data)):
        about = {"type": need["type"], "stage": titled(stage)}
        violation = Violation.of(f"/activities/{need['type']}", CODE, N_(
            "A done %(type)s activity with a contact whose role is %(role)s is required to enter “%(stage)s”.")
            if "contact_role" in need else N_("A done %(type)s activity is required to enter “%(stage)s”."),
            **about, **({"role": need["contact_role"]} if "contact_role" in need else {}))
        if violation not in found:
            found.append(violation)
    if needs_next_step(deal, target):
        found.append(Violation.of(NEXT_STEP, CODE, N_("A planned next step is required to enter “%(stage)s”."),
                                  stage=titled(target)))
    return found


def needs_next_step(deal: dict[str, Any], target: Stage) -> bool:
    """Whether entering ``target`` asks for a next step the deal has not planned."""
    return target.kind == OPEN and bool(target.raw.get("next_step")) and not deal.get("next_activity_at")


def gate_findings(definition: dict[str, Any], type_ids: Iterable[str], role_ids: Iterable[str]
                  ) -> Iterator[Finding]:
    """``goldsieve check``'s findings for a funnel's activity gates against the workspace's
    declared activity types and contact roles."""
    types, roles = list(type_ids), list(role_ids)
    for i, stage in enumerate(definition.get("stages") or []):
        for j, need in enumerate(stage.get("required_activities") or [] if isinstance(stage, dict) else []):
            where = f"/stages/{i}/required_activities/{j}"
            if need.get("type") not in types:
                yield Finding(f"{where}/type", f"`{need.get('type')}` is not a declared activity type",
                              f"declare it in records/activity.json, or use one of: {', '.join(types)}")
            if "contact_role" in need and need["contact_role"] not in roles:
                yield Finding(f"{where}/contact_role", f"`{need['contact_role']}` is not a declared contact role",
                              "declare it in records/contact.json `roles`" + (
                                  f", or use one of: {', '.join(roles)}" if roles else ""))

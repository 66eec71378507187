"""Handing over everything of a user who leaves to another: one admin action (docs/reassignment.md).

What moves: the leaver's open deals (won and lost ones stay theirs, so the past keeps who won
it), the customers they own, and their open tasks on deals the new owner can see once the deals
have moved (the others stay, listed, for an admin to give by hand). Each deal changes through
the engine, with its own ``owner_changed`` event and ``deal_reassigned`` audit row, so the
history of every deal says who had it; each customer through its own ``assigned`` event and
audit row. One more audit row, ``user_handed_over`` on the leaver, lists the ids that moved, and
the new owner gets one notification for the whole hand-over rather than one per record (none
when nothing moved).

The admin's permission (``manage_users``) and both users are checked before anything is
written. A record that changed while the hand-over ran is skipped and listed (``skipped``):
running the hand-over again moves what is left.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..audit import audit_entry, record
from ..clock import stamp
from ..errors import Forbidden, ValidationFailed, Violation
from ..locales import N_, Words
from ..people.users import find_user, is_active, unknown_user
from ..records.duplicates import NOT_MERGED
from ..store import Conflict
from ..store.filters import Eq, all_of, matches
from .reassign import giver_name, notice

if TYPE_CHECKING:
    from .engine import Engine

User = dict[str, Any]


@dataclass
class Handover:
    """What a hand-over moved (or, in a dry run, would move), by id."""

    source: str
    target: str
    deals: list[int] = field(default_factory=list)
    customers: list[int] = field(default_factory=list)
    tasks: list[int] = field(default_factory=list)
    #: open tasks of the leaver on deals the new owner cannot see: they stay with the leaver
    tasks_left: list[int] = field(default_factory=list)
    #: records that changed while the hand-over ran (``deal:ID``, ``customer:ID``)
    skipped: list[str] = field(default_factory=list)


def handover_problems(engine: "Engine", source: object, target: object) -> list[Violation]:
    """Both users must exist, the new owner be active, and the two differ."""
    problems = []
    if not isinstance(source, str) or find_user(engine.store, source) is None:
        problems.append(unknown_user("/from", source))
    found = find_user(engine.store, target) if isinstance(target, str) else None
    if found is None:
        problems.append(unknown_user("/to", target))
    elif not is_active(found):
        problems.append(Violation.of("/to", "inactive", N_("The user “%(name)s” is deactivated."), name=target))
    elif target == source:
        problems.append(Violation.of("/to", "same_user", N_("Hand over to another user.")))
    return problems


def hand_over(engine: "Engine", user: User, source: str, target: str, *,
              dry_run: bool = False) -> Handover:
    """Move ``source``'s open deals, customers and open tasks to ``target`` (admin only)."""
    if not engine.may(user, "manage_users"):
        raise Forbidden.worded(Words(N_("%(user)s may not hand over what a user has: only an admin may."),
                                     user=user.get("username")))
    problems = handover_problems(engine, source, target)
    if problems:
        raise ValidationFailed(problems)
    store = engine.store
    receiver = find_user(store, target) or {}
    deals = store.find("deals", all_of(Eq("owner", source), Eq("status", "open")))
    customers = (store.find("customers", all_of(Eq("owner", source), NOT_MERGED))
                 if engine.customers is not None else [])  # a merged one only redirects: it stays
    result = Handover(source, target)
    moving = {deal["id"] for deal in deals}
    for task in store.find("tasks", all_of(Eq("assignee", source), Eq("done_at", None))):
        deal = store.get("deals", task["deal_id"]) or {}
        after = {**deal, "owner": target} if deal.get("id") in moving else deal
        seen = bool(deal) and matches(engine.scope(receiver), after)
        (result.tasks if seen else result.tasks_left).append(task["id"])
    if dry_run:
        result.deals = sorted(moving)
        result.customers = [c["id"] for c in customers]
        return result
    _move_records(engine, user, deals, customers, result)
    _move_tasks(engine, user, result)
    return result


def _move_records(engine: "Engine", user: User, deals: list[dict], customers: list[dict],
                  result: Handover) -> None:
    for deal in deals:
        try:
            engine.assign(user, deal["id"], result.target, version=deal["version"])
        except Conflict:
            result.skipped.append(f"deal:{deal['id']}")
        else:
            result.deals.append(deal["id"])
    for customer in customers:
        try:
            engine.customers.change_owner(user, customer, result.target, "assigned")  # type: ignore[union-attr]
        except Conflict:
            result.skipped.append(f"customer:{customer['id']}")
        else:
            result.customers.append(customer["id"])


def _move_tasks(engine: "Engine", user: User, result: Handover) -> None:
    """The tasks, the summary audit row and the new owner's notification, in one transaction."""
    now = stamp(engine.clock())
    moved = []
    with engine.store.transaction() as txn:
        for task_id in result.tasks:
            task = engine.store.get("tasks", task_id)
            if task is None or task["assignee"] != result.source or task["done_at"]:
                result.skipped.append(f"task:{task_id}")
                continue
            txn.replace("tasks", {**task, "assignee": result.target, "version": task["version"] + 1},
                        expect_version=task["version"])
            moved.append(task_id)
        result.tasks = moved
        record(txn, audit_entry(user["username"], "user_handed_over", "user", result.source,
                                {"owner": [result.source, result.target]}, now, deals=result.deals,
                                customers=result.customers, tasks=result.tasks))
        counts = {"user": giver_name(user), "leaver": result.source, "deals": len(result.deals),
                  "customers": len(result.customers), "tasks": len(result.tasks)}
        if not (result.deals or result.customers or result.tasks):
            return  # nothing moved (a second run): nothing to tell
        txn.insert("notifications", notice(
            engine, result.target, now, f"handover:{result.source}:{now}",
            lambda _: _("%(user)s handed over to you what %(leaver)s had: %(deals)s open deals, "
                        "%(customers)s customers and %(tasks)s open tasks.") % counts))

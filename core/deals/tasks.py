"""Tasks on deals and the inbox of notifications: the people-facing side of automation.

A task is ``{deal_id, funnel, title, assignee, due, done_at, done_by, overdue_at, created_at,
created_by, key, version}`` in the ``tasks`` table; ``due`` is a UTC stamp or ``None``. A
notification is ``{user, deal_id, funnel, text, at, read_at, key}`` in ``notifications``.

What a user sees is decided in the store: their own tasks (or notifications), then — for tasks —
only those whose deal the user's visibility filter lets through, asked as one query of deals
by id, so a task on a deal they cannot see is invisible to them.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..clock import parse_stamp, stamp
from ..errors import NotFound, ValidationFailed, Violation
from ..locales import N_
from ..limits import MAX_TITLE
from ..store import Store
from ..store.filters import Eq, In, all_of
from ..workdays import Workdays

if TYPE_CHECKING:
    from .engine import Engine


def task_row(deal: dict[str, Any], title: str, assignee: str, due: datetime | None, by: str,
             now: datetime, key: str | None = None) -> dict[str, Any]:
    """A new open task on ``deal``."""
    return {"deal_id": deal["id"], "funnel": deal["funnel"], "title": title[:MAX_TITLE],
            "assignee": assignee, "due": stamp(due) if due else None, "done_at": None,
            "done_by": None, "overdue_at": None, "created_at": stamp(now), "created_by": by,
            "key": key, "version": 1}


def due_in(now: datetime, days: float | None, workdays: Workdays | None = None) -> datetime | None:
    """When a task given ``days`` at ``now`` is due: ``days`` later, counted in business days when
    ``workdays`` is given (``None`` days: no due date)."""
    if days is None:
        return None
    return workdays.after(now, days) if workdays is not None else now + timedelta(days=days)


def visible_deals(engine: "Engine", user: dict[str, Any], ids: set[int]) -> dict[int, dict[str, Any]]:
    """Those of these deals ``user`` may see, by id, asked of the store with the user's scope."""
    if not ids:
        return {}
    rows = engine.store.find("deals", all_of(engine.scope(user), In("id", tuple(sorted(ids)))))
    return {row["id"]: row for row in rows}


def my_tasks(engine: "Engine", user: dict[str, Any], *, open_only: bool = True,
             limit: int = 200) -> list[dict[str, Any]]:
    """The user's tasks on deals they can see, open ones first by due date."""
    where = all_of(Eq("assignee", user["username"]), Eq("done_at", None) if open_only else None)
    tasks = engine.store.find("tasks", where, limit=limit, descending=True)
    seen = visible_deals(engine, user, {t["deal_id"] for t in tasks})
    tasks = [t for t in tasks if t["deal_id"] in seen]
    return sorted(tasks, key=lambda t: (t["done_at"] is not None, t["due"] is None, t["due"] or "", t["id"]))


def deal_tasks(engine: "Engine", user: dict[str, Any], deal_id: int) -> list[dict[str, Any]]:
    """The tasks of a deal the user can see (404 otherwise)."""
    engine.get(user, deal_id)
    return engine.store.find("tasks", Eq("deal_id", deal_id))


def bucket(task: dict[str, Any], now: datetime) -> str:
    """``overdue``, ``today``, ``upcoming`` or ``done``: the sections of "My tasks"."""
    if task["done_at"]:
        return "done"
    if task["due"] is None:
        return "upcoming"
    due = parse_stamp(task["due"])
    if due < now:
        return "overdue"
    return "today" if due.date() == now.date() else "upcoming"


def complete_task(engine: "Engine", user: dict[str, Any], task_id: int) -> dict[str, Any]:
    """Mark a task done; it counts as activity on its deal (clears the stale mark).

    The task must be on a deal the user can see (404 otherwise) and they must be its assignee
    or allowed to edit the deal.
    """
    task = engine.store.get("tasks", task_id) if isinstance(task_id, int) else None
    if task is None:
        raise NotFound(f"task {task_id} not found")
    deal = engine.get(user, task["deal_id"])
    if task["assignee"] != user["username"]:
        engine.require(user, "edit", deal)
    if task["done_at"]:
        raise ValidationFailed([Violation.of("/task", "done", N_("This task is already done."))])
    now = stamp(engine.clock())
    done = {**task, "done_at": now, "done_by": user["username"], "version": task["version"] + 1}
    engine.record_event(
        deal, {"type": "task_done", "at": now, "note": task["title"], "task_id": task_id},
        also=lambda txn: txn.replace("tasks", done, expect_version=task["version"]),
        activity=True, user=user)
    return done


def inbox(store: Store, user: dict[str, Any], *, unread_only: bool = False,
          after: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The user's notifications, newest first."""
    where = all_of(Eq("user", user["username"]), Eq("read_at", None) if unread_only else None)
    return store.find("notifications", where, after=after, limit=limit, descending=True)


def unread_count(store: Store, user: dict[str, Any]) -> int:
    return store.count("notifications", all_of(Eq("user", user["username"]), Eq("read_at", None)))


def mark_read(store: Store, user: dict[str, Any], notification_id: int | None, now: datetime) -> int:
    """Mark one of the user's notifications (``None``: all of them) read; returns how many."""
    if notification_id is None:
        rows = inbox(store, user, unread_only=True, limit=1000)
    else:
        row = store.get("notifications", notification_id)
        if row is None or row["user"] != user["username"]:  # another's: as if it did not exist
            raise NotFound(f"notification {notification_id} not found")
        rows = [row] if row["read_at"] is None else []
    if rows:
        with store.transaction() as txn:
            for row in rows:
                txn.replace("notifications", {**row, "read_at": stamp(now)})
    return len(rows)

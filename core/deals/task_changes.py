"""Tasks by hand (docs/tasks.md): creating one on a deal, changing its title, due time and
assignee, reopening a done one. Completing one is :func:`goldsieve.deals.tasks.complete_task`.

Who may: a task is about a deal, so it takes seeing the deal (else 404) and the ``edit``
permission on it (else 403) — except that a task's assignee may always change their own. The
assignee must be an active user who can see the deal (422 on ``/assignee``): a task nobody can
reach would be lost. Every problem is collected and refused together, and nothing is written;
a change carries the task's ``version`` (409 when someone changed it since). Each write has its
audit row, and a task given to someone else tells them in their inbox, in the same transaction.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..audit import audit_entry, diff, record
from ..clock import parse_stamp, stamp
from ..errors import NotFound, ValidationFailed, Violation
from ..limits import MAX_TITLE
from ..locales import N_
from ..people.users import find_user, is_active, unknown_user
from ..store import Conflict
from .reassign import giver_name, notice
from .tasks import task_row

if TYPE_CHECKING:
    from .engine import Engine

User = dict[str, Any]
UNCHANGED: Any = object()
#: the task keys the audit log keeps, before → after
AUDITED = ("title", "assignee", "due", "done_at")


def title_problems(title: object) -> list[Violation]:
    if not isinstance(title, str) or not title.strip():
        return [Violation.of("/title", "required", N_("A task needs a title."))]
    if len(title.strip()) > MAX_TITLE:
        return [Violation.of("/title", "maxLength", N_("A title has at most %(limit)s characters."),
                             limit=MAX_TITLE)]
    return []


def parse_due(due: object, path: str = "/due", what: str = "due time") -> tuple[datetime | None, list[Violation]]:
    """A time as a client sends it (a task's due time, an activity's): ``None``, or ISO 8601
    with a time zone (UTC is kept), in UTC from the year 1000 to 9999; else the violation at
    ``path``. Before the year 1000 :func:`~goldsieve.clock.stamp` writes fewer than four digits
    of year, which neither sorts among the other stamps nor parses again (a deal whose next step
    was due in 0999 answered 500 on its page), and near the ends a time zone pushes the time out
    of what Python's dates hold."""
    if due is None:
        return None, []
    try:
        when = parse_stamp(due) if isinstance(due, str) else None
        if when is not None and when.tzinfo is not None and when.astimezone(timezone.utc).year < 1000:
            when = None
    except (ValueError, OverflowError):
        when = None
    if when is None or when.tzinfo is None:
        return None, [Violation(path, "format", f"Give the {what} as ISO 8601 with a time zone, "
                                                "e.g. 2026-03-01T09:00:00Z.")]
    return when, []


def assignee_problems(engine: "Engine", deal: dict[str, Any], assignee: object) -> list[Violation]:
    """The assignee must be an active user who can see the task's deal."""
    person = find_user(engine.store, assignee) if isinstance(assignee, str) and assignee else None
    if person is None:
        return [unknown_user("/assignee", assignee)]
    if not is_active(person):
        return [Violation.of("/assignee", "inactive", N_("The user “%(name)s” is deactivated."), name=assignee)]
    if not engine.can_see(person, deal):
        return [Violation.of("/assignee", "cannot_see", N_("“%(name)s” cannot see this deal."), name=assignee)]
    return []


def assignee_choices(engine: "Engine", deal: dict[str, Any]) -> list[dict[str, Any]]:
    """The active users a task on ``deal`` may go to, by user name (the same rule as above)."""
    return sorted((u for u in engine.store.find("users") if is_active(u) and engine.can_see(u, deal)),
                  key=lambda u: u["username"])


def create_task(engine: "Engine", user: User, deal_id: int, title: object,
                assignee: object = None, due: object = None, check_only: bool = False) -> dict[str, Any]:
    """A new open task on a deal the user may change, for ``assignee`` (default: the user);
    ``check_only``: raise what would refuse it, write nothing (returns the deal)."""
    deal = engine.get(user, deal_id)
    engine.require(user, "edit", deal)
    assignee = user["username"] if assignee is None else assignee
    when, problems = parse_due(due)
    problems = title_problems(title) + problems + assignee_problems(engine, deal, assignee)
    if problems:
        raise ValidationFailed(problems)
    if check_only:
        return deal
    now = engine.clock()
    task = task_row(deal, str(title).strip(), str(assignee), when, user["username"], now)
    with engine.store.transaction() as txn:
        txn.insert("tasks", task)
        record(txn, audit_entry(user["username"], "task_created", "task", task["id"],
                                diff({}, task, AUDITED), stamp(now)))
        _tell(engine, txn, user, task, deal)
    return task


def change_task(engine: "Engine", user: User, task_id: int, version: int | None, *,
                title: object = UNCHANGED, due: object = UNCHANGED,
                assignee: object = UNCHANGED) -> dict[str, Any]:
    """Change a task's title, due time (``None``: none) and/or assignee (reassigning it)."""
    task, deal = _changeable(engine, user, task_id, version)
    problems: list[Violation] = []
    new = dict(task)
    if title is not UNCHANGED:
        problems += title_problems(title)
        new["title"] = str(title).strip()
    if due is not UNCHANGED:
        when, found = parse_due(due)
        problems += found
        new["due"] = stamp(when) if when else None
        if new["due"] != task["due"]:  # a new due time: a new reminder, a new chance to be on time
            new["overdue_at"] = new["reminded_at"] = None
    if assignee is not UNCHANGED and assignee != task["assignee"]:
        problems += assignee_problems(engine, deal, assignee)
        new["assignee"] = assignee
    if problems:
        raise ValidationFailed(problems)
    return _write(engine, user, task, new, deal, "task_changed")


def reopen_task(engine: "Engine", user: User, task_id: int, version: int | None = None) -> dict[str, Any]:
    """Make a done task open again (its due time and assignee as they were)."""
    task, deal = _changeable(engine, user, task_id, version)
    if not task["done_at"]:
        raise ValidationFailed([Violation.of("/task", "open", N_("This task is not done."))])
    return _write(engine, user, task, {**task, "done_at": None, "done_by": None}, deal, "task_reopened")


def _changeable(engine: "Engine", user: User, task_id: int, version: int | None
                ) -> tuple[dict[str, Any], dict[str, Any]]:
    task = engine.store.get("tasks", task_id) if isinstance(task_id, int) else None
    if task is None:
        raise NotFound(f"task {task_id} not found")
    deal = engine.get(user, task["deal_id"])  # a task on a deal one cannot see is not there
    if task["assignee"] != user["username"]:
        engine.require(user, "edit", deal)
    if version is not None and version != task["version"]:
        raise Conflict("tasks", task_id, version, task["version"])
    return task, deal


def _write(engine: "Engine", user: User, task: dict[str, Any], new: dict[str, Any],
           deal: dict[str, Any], action: str) -> dict[str, Any]:
    changes = diff(task, new, AUDITED)
    if not changes:
        return task
    new["version"] = task["version"] + 1
    with engine.store.transaction() as txn:
        txn.replace("tasks", new, expect_version=task["version"])
        record(txn, audit_entry(user["username"], action, "task", task["id"], changes,
                                stamp(engine.clock())))
        if new["assignee"] != task["assignee"]:
            _tell(engine, txn, user, new, deal)
    return new


def _tell(engine: "Engine", txn: Any, user: User, task: dict[str, Any], deal: dict[str, Any]) -> None:
    """The assignee's notification, unless they gave the task to themself."""
    if task["assignee"] == user["username"]:
        return
    at = stamp(engine.clock())
    txn.insert("notifications", notice(
        engine, task["assignee"], at, f"task:{task['id']}:{task['version']}",
        lambda _: _("%(user)s gave you a task on %(deal)s: %(task)s") % {
            "user": giver_name(user), "deal": deal["title"], "task": task["title"]},
        deal_id=deal["id"], funnel=deal["funnel"]))

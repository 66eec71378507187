"""Reminders of tasks due soon: the assignee hears of an open task a declared time before it is
due, in their inbox (in their language) and, when ``[tasks] remind_channel`` names a channel,
there too, mentioning them (docs/tasks.md)::

    [tasks]
    remind_before_minutes = 60    # without it, no reminders
    remind_channel = "sales"      # optional: one of [channels.*]

The scan asks the store for the open tasks due within the window that carry no ``reminded_at``
mark, and marks each in the transaction that writes its notification (and its channel
delivery), so a task is reminded of once; a new due time clears the mark
(:func:`goldsieve.deals.task_changes.change_task`). A task already past due is overdue instead.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..clock import stamp
from ..deals.reassign import notice
from ..store import Conflict
from ..store.filters import Eq, Range, all_of
from ..workspace import WorkspaceError
from .channels import Message, message_row, page_url
from .scanner import unmarked

if TYPE_CHECKING:
    from ..deals.engine import Engine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReminderSettings:
    """``[tasks]`` of goldsieve.toml: how long before the due time, and to which channel too."""

    before: timedelta | None = None
    channel: str | None = None

    @classmethod
    def from_config(cls, config: dict[str, Any], channels: dict[str, Any]) -> "ReminderSettings":
        """Read and check ``[tasks]``; a wrong value stops the start with a
        :class:`~goldsieve.workspace.WorkspaceError` that names the key."""
        section = config.get("tasks", {})
        if not isinstance(section, dict):
            raise WorkspaceError("goldsieve.toml: tasks must be a table: [tasks] remind_before_minutes = 60")
        unknown = set(section) - {"remind_before_minutes", "remind_channel"}
        if unknown:
            raise WorkspaceError(f"goldsieve.toml: [tasks] {sorted(unknown)[0]}: unknown setting; the "
                                 "settings are remind_before_minutes and remind_channel")
        minutes = section.get("remind_before_minutes")
        if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, (int, float))
                                    or not 0 < minutes <= 60 * 24 * 365):
            raise WorkspaceError(f"goldsieve.toml: [tasks] remind_before_minutes = {minutes!r}: a "
                                 "number of minutes above 0, at most a year")
        channel = section.get("remind_channel")
        if channel is not None and channel not in channels:
            raise WorkspaceError(f"goldsieve.toml: [tasks] remind_channel = {channel!r}: not one of "
                                 "the [channels.*] tables")
        return cls(timedelta(minutes=minutes) if minutes is not None else None, channel)


def scan_reminders(engine: "Engine", now: datetime, settings: ReminderSettings,
                   config: dict[str, Any], limit: int = 500) -> int:
    """Remind the assignees of the open tasks due within ``settings.before``; returns how many."""
    if settings.before is None:
        return 0
    where = all_of(Eq("done_at", None), unmarked("reminded_at"),
                   Range("due", stamp(now), stamp(now + settings.before)))
    reminded = 0
    for task in engine.store.find("tasks", where, limit=limit):
        deal = engine.store.get("deals", task["deal_id"]) or {}
        at = stamp(now)
        key = f"reminder:{task['id']}:{task['version']}"  # the version: each due time its own
        note = notice(engine, task["assignee"], at, key,
                      lambda _, task=task, deal=deal: _(
                          "Reminder: %(task)s on %(deal)s is due at %(due)s UTC.") % {
                          "task": task["title"], "deal": deal.get("title", ""),
                          "due": task["due"][:16].replace("T", " ")},
                      deal_id=deal.get("id"), funnel=deal.get("funnel"))
        marked = {**task, "reminded_at": at, "version": task["version"] + 1}
        try:
            with engine.store.transaction() as txn:
                txn.replace("tasks", marked, expect_version=task["version"])
                txn.insert("notifications", note)
                if settings.channel is not None:
                    txn.insert("outbox", message_row(Message(
                        event="task_reminder", text=note["text"], deal=None, funnel=None, at=at,
                        key=key, url=page_url(config, f"/deals/{deal.get('id')}") if deal else None,
                        mentions=(task["assignee"],), subject=note["text"]), settings.channel))
        except Conflict:
            log.debug("task %s changed while being reminded of", task["id"])
            continue
        reminded += 1
    if reminded and settings.channel is not None:
        engine.on_outbox()
    return reminded

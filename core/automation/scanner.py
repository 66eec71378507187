"""Finding what time alone changed: deals gone stale, tasks gone overdue.

A deal is stale by the rule of :mod:`goldsieve.deals.stale`, which the board's badge follows
too; the scan asks the store for the deals it calls stale
(:func:`~goldsieve.deals.stale.stale_activity`), marks each with ``stale_since`` and fires its
``stale`` rules in the same transaction. Marked deals are not found again, so each idle episode fires once; the
next activity clears the mark (the engine does), and a new idle period starts a new episode.
Overdue tasks get ``overdue_at`` and fire ``task_overdue`` once, the same way.

Both scans ask the store for exactly the rows concerned and use the injected clock, so tests
move time instead of sleeping.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from ..clock import stamp
from ..deals.stale import stale_activity
from ..funnels.model import OPEN
from ..store import Conflict
from ..store.filters import Eq, Filter, Not, Range, all_of

if TYPE_CHECKING:
    from ..deals.engine import Engine

log = logging.getLogger(__name__)


def unmarked(field: str) -> Filter:
    """The rows that carry no mark (a stamp) in ``field``: absent or ``None``."""
    return Not(Range(field, "", None))


def scan_stale(engine: "Engine", now: datetime, limit: int = 500) -> int:
    """Mark the deals that went stale since the last scan; returns how many."""
    marked = 0
    for funnel in engine.funnels:
        for stage in funnel.stages:
            if stage.kind != OPEN or not stage.rot_days:
                continue
            # the range first: the store tests the parts in order, and few deals are idle
            where = all_of(Eq("funnel", funnel.id), Eq("stage", stage.id), Eq("status", OPEN),
                           stale_activity(stage, now, engine.workdays),
                           unmarked("stale_since"))
            for deal in engine.store.find("deals", where, limit=limit):
                try:
                    engine.mark_stale(deal, stamp(now))
                    marked += 1
                except Conflict:  # someone worked on it meanwhile: not stale after all
                    log.debug("deal %s changed while being marked stale", deal["id"])
    return marked


def scan_overdue(engine: "Engine", now: datetime, limit: int = 500) -> int:
    """Mark open tasks past their due date and fire ``task_overdue`` on their deals, once each."""
    where = all_of(Eq("done_at", None), unmarked("overdue_at"), Range("due", "", stamp(now)))
    marked = 0
    for task in engine.store.find("tasks", where, limit=limit):
        deal = engine.store.get("deals", task["deal_id"])
        if deal is None:
            continue
        at = stamp(now)
        late = {**task, "overdue_at": at, "version": task["version"] + 1}
        try:
            engine.record_event(
                deal, {"type": "task_overdue", "at": at, "to_stage": deal["stage"], "note": task["title"],
                       "task_id": task["id"]},
                also=lambda txn, late=late, task=task: txn.replace("tasks", late, expect_version=task["version"]))
            marked += 1
        except Conflict:
            log.debug("task %s changed while being marked overdue", task["id"])
    return marked

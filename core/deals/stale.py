"""The stale rule: when a deal has sat too long in its stage without activity.

One rule for everyone who asks: the board's badge (:mod:`goldsieve.ui.board`) and the scanner
that marks stale deals and fires their ``stale`` automations
(:mod:`goldsieve.automation.scanner`). A deal in an open stage with ``rot_days`` is stale once
its last activity lies before :func:`idle_since`: ``rot_days`` days before now, or with
``rot_days_business`` ``rot_days`` days of business-day time before now (the workspace's
``[calendar]``, :mod:`goldsieve.workdays`; Monday to Friday unless it names a country's holidays).
So a deal last touched on Friday at 17:00 with one business day to go is stale from Monday at
17:00, not from Monday morning, nor on Saturday.

A deal's last activity is its ``updated_at``: every change the engine makes — a field, a note,
a task done, a done activity (:mod:`.activities`), a move — sets it.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..clock import stamp
from ..funnels.model import OPEN, Stage
from ..store.filters import Range
from ..workdays import WEEKDAYS, Workdays


def idle_since(stage: Stage, now: datetime, workdays: Workdays = WEEKDAYS) -> datetime:
    """The moment before which a deal's last activity makes it stale in ``stage`` at ``now``:
    ``rot_days`` before it, counted in business days (``workdays``) with ``rot_days_business``."""
    if stage.rot_days_business:
        return workdays.before(now, stage.rot_days or 0)
    return now - timedelta(days=stage.rot_days or 0)


def last_activity(deal: dict[str, Any]) -> str:
    """The stamp of the deal's last activity (its ``updated_at``; on a deal that never had one,
    the moment it entered its stage)."""
    return deal.get("updated_at") or deal["stage_entered_at"]


def is_stale(stage: Stage, active: datetime, now: datetime, workdays: Workdays = WEEKDAYS) -> bool:
    """Whether a deal in ``stage`` whose last activity was at ``active`` is stale at ``now``
    (after exactly ``rot_days`` without activity, it is)."""
    return stage.kind == OPEN and bool(stage.rot_days) and active <= idle_since(stage, now, workdays)


def stale_activity(stage: Stage, now: datetime, workdays: Workdays = WEEKDAYS) -> Range:
    """The filter on ``updated_at`` of the deals :func:`is_stale` calls stale in ``stage`` at
    ``now``: what the scanner asks the store for (stamps have milliseconds; ``Range`` excludes
    its upper end)."""
    return Range("updated_at", None, stamp(idle_since(stage, now, workdays) + timedelta(milliseconds=1)))

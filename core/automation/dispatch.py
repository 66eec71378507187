"""Delivering the outbox: claim due rows, run their actions, retry with backoff, dead-letter.

A failing action never touches the change that owed it: that change was committed before the
row was ever read. A delivery that fails is tried again after an exponential backoff with
jitter, up to ``max_attempts`` times, then it is dead: kept, listed on the admin page, and
retried only when an administrator says so.
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable

from ..clock import Clock, stamp, utc_now
from ..deals.outbox import DEAD, DONE, PENDING, failed
from ..errors import GoldsieveError, NotFound
from ..store import Conflict
from ..store.filters import Eq, Range, all_of
from .actions import Action, ActionContext
from .channels import DeliveryError, message_of, named

if TYPE_CHECKING:
    import pluggy

    from ..deals.engine import Engine
    from .channels import Channel

log = logging.getLogger(__name__)


@dataclass
class Dispatcher:
    """Runs due outbox rows; one per process, shared by the threads that deliver."""

    engine: "Engine"
    actions: dict[str, Action]
    channels: dict[str, "Channel"]
    config: dict[str, Any]
    hook: "pluggy.HookRelay"
    clock: Clock = utc_now
    max_attempts: int = 8
    base_delay: float = 30.0
    max_delay: float = 6 * 3600.0
    lease_seconds: float = 300.0
    jitter: Callable[[], float] = field(default=random.random)

    @property
    def store(self):
        return self.engine.store

    def deliver_due(self, owner: str, limit: int = 100) -> int:
        """Claim the rows due now and deliver each; returns how many were attempted."""
        now = self.clock()
        due = all_of(Eq("status", PENDING), Range("due", None, stamp(now + timedelta(milliseconds=1))))
        rows = self.store.claim("outbox", due, limit=limit, lease_seconds=self.lease_seconds,
                                owner=owner, now=now)
        for row in rows:
            self.deliver(row)
        return len(rows)

    def deliver(self, row: dict[str, Any]) -> None:
        """Run one claimed row's action and record the outcome; never raises."""
        now = self.clock()
        try:
            if row["deal_id"] is None:  # a MESSAGE row: the prepared message goes out as it is
                named(self.channels, row["params"]["channel"]).send(message_of(row))
                finished = False
            else:
                context = self._context(row, now)
                self.actions[row["action"]].run(context)
                finished = context.finished
            if not finished:
                self._save({**row, "status": DONE, "done_at": stamp(now), "attempts": row["attempts"] + 1,
                            "lease_until": "", "last_error": None, "version": row["version"] + 1}, row)
        except DeliveryError as error:
            self._save(self._failed(row, str(error), now, error.retryable), row)
        except Conflict as error:  # the deal (or this row) changed meanwhile: simply try again
            self._save(self._failed(row, str(error), now, True), row)
        except Exception as error:  # an action's bug must not stop the other deliveries
            log.exception("delivery %s (%s) failed", row["key"], row["action"])
            self._save(self._failed(row, f"{type(error).__name__}: {error}", now, True), row)

    def retry(self, row_id: int) -> dict[str, Any]:
        """Give a dead delivery a fresh set of attempts, due now (the admin's retry button)."""
        row = self.store.get("outbox", row_id)
        if row is None or row["status"] != DEAD:
            raise NotFound(f"no dead delivery {row_id}")
        again = {**row, "status": PENDING, "attempts": 0, "due": stamp(self.clock()), "lease_until": "",
                 "lease_owner": None, "version": row["version"] + 1}
        with self.store.transaction() as txn:
            txn.replace("outbox", again, expect_version=row["version"])
        self.engine.on_outbox()
        return again

    def _context(self, row: dict[str, Any], now) -> ActionContext:
        if row["action"] not in self.actions:
            raise DeliveryError(f"no plugin provides the action {row['action']!r}", retryable=False)
        deal = self.store.get("deals", row["deal_id"])
        if deal is None:
            raise DeliveryError(f"deal {row['deal_id']} no longer exists", retryable=False)
        return ActionContext(row=row, deal=deal, funnel=self.engine.funnel_of(deal), store=self.store,
                             engine=self.engine, channels=self.channels, config=self.config, now=now,
                             hook=self.hook)

    def _failed(self, row: dict[str, Any], error: str, now, retryable: bool) -> dict[str, Any]:
        return failed(row, error, now, retryable=retryable, max_attempts=self.max_attempts,
                      base=self.base_delay, cap=self.max_delay, jitter=self.jitter)

    def _save(self, new: dict[str, Any], claimed: dict[str, Any]) -> None:
        try:
            with self.store.transaction() as txn:
                txn.replace("outbox", new, expect_version=claimed["version"])
        except Conflict:
            # our lease ran out and another process took the row: its outcome stands
            log.warning("delivery %s was taken over by another worker", claimed["key"])


def deliveries(store, status: str, *, after: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Outbox rows in one state, newest first (the admin page)."""
    if status not in (PENDING, DEAD, DONE):
        raise GoldsieveError(f"unknown delivery status {status!r}")
    return store.find("outbox", Eq("status", status), after=after, limit=limit, descending=True)

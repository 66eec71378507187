"""Background work: the scans and the outbox deliveries, in a thread or in ``goldsieve worker``.

``goldsieve serve`` on the embedded store runs a :class:`Worker` in a background thread of the
serving process (the store belongs to one process). With PostgreSQL, any number of
``goldsieve worker`` processes share the work: the outbox is claimed row by row through
``Store.claim``, and the scans write with version checks, so two workers never mark the same
deal twice. ``--once`` runs one round and exits (cron, tests).
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import TYPE_CHECKING

from ..records.pool import reclaim
from ..workplace.notices import queue_notices
from ..workplace.sync import scan_syncs
from .digest import scan_digests
from .reminders import scan_reminders
from .scanner import scan_overdue, scan_stale

if TYPE_CHECKING:
    from ..runtime import Runtime

log = logging.getLogger(__name__)

#: Delivery rounds per wake-up, so a flood of rows never starves the scans.
MAX_ROUNDS = 20


class Worker:
    """One worker: a round delivers what is due, and scans when ``scan_interval`` has passed
    since the last scan; rounds repeat every ``interval`` seconds, and at once when a commit
    wrote outbox rows. Staleness is counted in days, so scanning every few minutes is plenty,
    while deliveries should leave within seconds."""

    def __init__(self, runtime: "Runtime", *, interval: float = 30.0, scan_interval: float = 300.0,
                 name: str | None = None):
        self.runtime = runtime
        self.interval = interval
        self.scan_interval = scan_interval
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self._last_scan: float | None = None
        #: rounds (and scanning rounds) completed by :meth:`run_forever`: what a caller waits on
        #: to know the worker has looked again, rather than waiting for a time
        self.rounds = 0
        self.scans = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, scan: bool = True) -> dict[str, int]:
        """One round: (with ``scan``) mark stale deals and overdue tasks, send the weekly
        digests that are due, send idle customers back to the pool and sync the org charts whose
        ``sync_hours`` have passed; then queue the personal notices of the notifications written
        since the last round, and deliver everything due now."""
        engine = self.runtime.engine
        now = engine.clock()
        done = {"stale": 0, "overdue": 0, "reminded": 0, "digests": 0, "reclaimed": 0, "synced": 0,
                "noticed": 0, "delivered": 0}
        if scan:
            done.update(stale=scan_stale(engine, now), overdue=scan_overdue(engine, now),
                        reminded=scan_reminders(engine, now, self.runtime.task_reminders,
                                                self.runtime.workspace.config))
            done["digests"] = scan_digests(engine, now, self.runtime.digest_schedule,
                                           self.runtime.digest_delivery, self.runtime.histories)
            done["reclaimed"] = len(reclaim(self.runtime.customers, now))
            done["synced"] = scan_syncs(self.runtime.store, self.runtime.workplace, now)
            self._last_scan = time.monotonic()
        done["noticed"] = queue_notices(self.runtime.store, self.runtime.workplace,
                                        self.runtime.workspace.config, now)
        for _ in range(MAX_ROUNDS):
            delivered = self.runtime.dispatcher.deliver_due(self.name)
            done["delivered"] += delivered
            if not delivered:
                break
        return done

    def wake(self) -> None:
        self._wake.set()

    def run_forever(self) -> None:
        """Rounds until :meth:`stop`; a round that fails is logged and the next one comes."""
        while not self._stop.is_set():
            self._wake.clear()
            due = self._last_scan is None or time.monotonic() - self._last_scan >= self.scan_interval
            try:
                self.run_once(scan=due)
            except Exception:
                log.exception("a background round failed; retrying in %s s", self.interval)
            self.rounds += 1
            self.scans += due
            self._wake.wait(self.interval)

    def start(self) -> "Worker":
        """Run in a daemon thread, woken by every commit that owes deliveries."""
        self.runtime.engine.on_outbox = self.wake
        self._thread = threading.Thread(target=self.run_forever, name="goldsieve-worker", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

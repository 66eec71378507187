"""Slowing down password guessing, per account and per client, without locking anyone out.

After ``ACCOUNT_FREE`` failures within ``WINDOW`` an account waits before the next try, the wait
doubling with each further failure up to ``MAX_WAIT``; a client address gets more tries (an
office shares one address) on the same schedule. A success clears the account's record. Waits
are bounded, so the real user is delayed, never locked out for good.

The record is kept in memory, per process: on the embedded store there is one process; with
several app processes each slows guessing down on its own.
"""
from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta

from .clock import Clock, utc_now

WINDOW = timedelta(minutes=15)
ACCOUNT_FREE = 5
CLIENT_FREE = 20
FIRST_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=15)


class LoginThrottle:
    def __init__(self, clock: Clock = utc_now):
        self.clock = clock
        self._failures: dict[tuple[str, str], deque[datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: datetime) -> deque[datetime]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] > WINDOW:
            times.popleft()
        return times

    def _wait(self, key: tuple[str, str], free: int, now: datetime) -> timedelta:
        times = self._recent(key, now)
        over = len(times) - free
        if over < 0:
            return timedelta(0)
        wait = min(FIRST_WAIT * (2 ** over), MAX_WAIT)
        return max(timedelta(0), times[-1] + wait - now)

    def retry_after(self, username: str, client: str) -> int:
        """Seconds to wait before this account may try from this client again (0: go ahead)."""
        now = self.clock()
        with self._lock:
            wait = max(self._wait(("account", username.casefold()), ACCOUNT_FREE, now),
                       self._wait(("client", client), CLIENT_FREE, now))
        return int(wait.total_seconds() + 0.999)

    def failed(self, username: str, client: str) -> None:
        now = self.clock()
        with self._lock:
            self._recent(("account", username.casefold()), now).append(now)
            self._recent(("client", client), now).append(now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(("account", username.casefold()), None)


class RateLimit:
    """At most ``limit`` events per key within ``window`` (a sliding window), in memory.

    For public forms: a client address that posts more often is refused until its oldest post
    leaves the window. Like :class:`LoginThrottle`, per process.
    """

    def __init__(self, limit: int, window: timedelta, clock: Clock = utc_now):
        self.limit, self.window, self.clock = limit, window, clock
        self._events: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Count one event for ``key`` if it is under the limit; ``False`` (not counted) if not."""
        now = self.clock()
        with self._lock:
            times = self._events.setdefault(key, deque())
            while times and now - times[0] >= self.window:
                times.popleft()
            if len(times) >= self.limit:
                return False
            times.append(now)
            return True

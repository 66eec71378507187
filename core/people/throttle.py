"""Slowing down password guessing, per account and per client, without locking anyone out.

After ``ACCOUNT_FREE`` failures within ``WINDOW`` an account waits before the next try, the wait
doubling with each further failure up to ``MAX_WAIT``; a client address gets more tries (an
office shares one address) on the same schedule. A success clears the account's record. Waits
are bounded, so the real user is delayed, never locked out for good.

The failures are rows of the store's ``login_failures`` table (``{key, at}``), so every app
process sharing a PostgreSQL store counts the same guesses: four processes behind a proxy
do not give an attacker four times the tries. A key's rows older than ``WINDOW`` are deleted
at its next failure.
"""
from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta

from ..clock import Clock, parse_stamp, stamp, utc_now
from ..store import Store
from ..store.filters import Eq, Range, all_of

WINDOW = timedelta(minutes=15)
ACCOUNT_FREE = 5
CLIENT_FREE = 20
FIRST_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=15)
TABLE = "login_failures"


def _account(username: str) -> str:
    return "account:" + username.casefold()


def _client(client: str) -> str:
    return "client:" + client


class LoginThrottle:
    def __init__(self, store: Store, clock: Clock = utc_now):
        self.store = store
        self.clock = clock

    def _wait(self, key: str, free: int) -> timedelta:
        now = self.clock()
        recent = all_of(Eq("key", key), Range("at", stamp(now - WINDOW), None))
        count = self.store.count(TABLE, recent)
        over = count - free
        if over < 0:
            return timedelta(0)
        [last] = self.store.find(TABLE, recent, descending=True, limit=1)
        wait = min(FIRST_WAIT * (2 ** over), MAX_WAIT)
        return max(timedelta(0), parse_stamp(last["at"]) + wait - now)

    def retry_after(self, username: str, client: str) -> int:
        """Seconds to wait before this account may try from this client again (0: go ahead)."""
        wait = max(self._wait(_account(username), ACCOUNT_FREE),
                   self._wait(_client(client), CLIENT_FREE))
        return int(wait.total_seconds() + 0.999)

    def failed(self, username: str, client: str) -> None:
        now = self.clock()
        keys = (_account(username), _client(client))
        expired = [row["id"] for key in keys
                   for row in self.store.find(TABLE, all_of(Eq("key", key), Range("at", None, stamp(now - WINDOW))))]
        with self.store.transaction() as txn:
            for id in expired:
                txn.delete(TABLE, id)
            for key in keys:
                txn.insert(TABLE, {"key": key, "at": stamp(now)})

    def succeeded(self, username: str) -> None:
        cleared = self.store.find(TABLE, Eq("key", _account(username)))
        with self.store.transaction() as txn:
            for row in cleared:
                txn.delete(TABLE, row["id"])


class RateLimit:
    """At most ``limit`` events per key within ``window`` (a sliding window), in memory.

    For public forms: a client address that posts more often is refused until its oldest post
    leaves the window. Unlike :class:`LoginThrottle` it is kept in memory, per process: with N
    processes a client gets at most N times the limit, which still stops a flood of fake leads.
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

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

from datetime import timedelta

from .clock import Clock, parse_stamp, stamp, utc_now
from .store import Store
from .store.filters import Eq, Range, all_of

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

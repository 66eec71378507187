"""The platforms' access tokens, kept in the store until shortly before they expire.

Each platform hands out an app access token for two hours and limits how often one may be
asked for, so every process sharing the store (app servers, workers, commands) uses the one
token the first of them fetched: a row ``{key, token, expires_at, version}`` of the
``workplace_state`` table (:mod:`.state`). A token is fetched again ``MARGIN`` before its
expiry, and at once when the platform says it is no longer valid (:func:`forget_token`).
"""
from __future__ import annotations

from datetime import timedelta
from typing import Callable

from ..clock import Clock, stamp
from ..store import Conflict, Store
from .state import STATE, read_state, write_state

#: how long before its expiry a token is replaced: a request never carries one that dies on the way
MARGIN = timedelta(minutes=5)


def cached_token(store: Store, key: str, fetch: Callable[[], tuple[str, int]], clock: Clock) -> str:
    """The live token stored under ``key``, else a new one from ``fetch`` (token, seconds it
    lasts), stored for the other processes."""
    now = clock()
    row = read_state(store, key)
    if row is not None and row["expires_at"] > stamp(now + MARGIN):
        return row["token"]
    token, seconds = fetch()
    try:
        with store.transaction() as txn:
            write_state(txn, key, row, {"token": token, "expires_at": stamp(now + timedelta(seconds=seconds))})
    except Conflict:
        pass  # another process stored a token first; this one is valid as well
    return token


def forget_token(store: Store, key: str, token: str) -> None:
    """Drop ``token`` (the platform refused it), unless another process has replaced it already."""
    row = read_state(store, key)
    if row is not None and row["token"] == token:
        with store.transaction() as txn:
            txn.delete(STATE, row["id"])

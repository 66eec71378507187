"""The ``workplace_state`` table: small rows, one per key, that every process sharing the store
reads and moves — each platform's access token (:mod:`.tokens`), when each platform was last
synced (:mod:`.sync`) and how far the notices have read the notifications (:mod:`.notices`).

A row carries a ``version``: writing it expects the version read, so two processes that move
the same row at once do not both win: the one that loses gets :class:`~goldsieve.store.Conflict`
and decides itself whether that matters. (Two processes inserting a new key at the same moment
may both succeed; :func:`read_state` then reads the older row, and both go on from it.)
"""
from __future__ import annotations

from typing import Any

from ..store import Store
from ..store.filters import Eq

STATE = "workplace_state"


def read_state(store: Store, key: str) -> dict[str, Any] | None:
    """The row stored under ``key``, or ``None``."""
    rows = store.find(STATE, Eq("key", key), limit=1)
    return rows[0] if rows else None


def write_state(txn: Any, key: str, row: dict[str, Any] | None, values: dict[str, Any]) -> None:
    """Store ``values`` under ``key`` in the transaction ``txn``: a new row when ``row`` (what was
    read) is ``None``, else ``row`` changed, expecting its version.

    :raises Conflict: when the transaction commits, if another process wrote the key meanwhile.
    """
    if row is None:
        txn.insert(STATE, {**values, "key": key, "version": 1})
    else:
        txn.replace(STATE, {**row, **values, "key": key, "version": row["version"] + 1},
                    expect_version=row["version"])

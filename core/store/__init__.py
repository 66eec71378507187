"""Durable tables of JSON documents behind one small interface (see :mod:`.base`).

``open_store(url, base)`` picks the backend from the workspace's ``store`` setting:
``"tinydb:data"`` (the default; a folder, relative to ``base`` unless absolute) or
``"postgresql://…"`` (several processes or machines).
"""
from __future__ import annotations

from pathlib import Path

from .base import TABLES, Conflict, Doc, Store, StoreError, StoreLocked, Transaction
from .filters import (
    And,
    Contains,
    Eq,
    Everything,
    Filter,
    In,
    Not,
    Nothing,
    Or,
    Range,
    all_of,
    any_of,
    matches,
)
from .tinydb_store import TinyStore

ACCEPTED = '"tinydb:<folder>" (e.g. "tinydb:data") or "postgresql://user@host/db"'


def open_store(url: str, base: Path) -> Store:
    """The store named by ``url``; a relative TinyDB folder is taken relative to ``base``."""
    scheme, _, rest = url.partition(":")
    if scheme == "tinydb":
        if not rest:
            raise StoreError(f"store {url!r} names no folder; accepted: {ACCEPTED}")
        return TinyStore(Path(base) / rest, url=url)
    if scheme.startswith(("postgresql", "postgres")):
        raise StoreError(
            f"store {url!r}: the PostgreSQL backend is not built yet; "
            'use the embedded store ("tinydb:data") for now'
        )
    raise StoreError(f"unknown store {url!r}; accepted: {ACCEPTED}")


__all__ = [
    "TABLES",
    "And",
    "Conflict",
    "Contains",
    "Doc",
    "Eq",
    "Everything",
    "Filter",
    "In",
    "Not",
    "Nothing",
    "Or",
    "Range",
    "Store",
    "StoreError",
    "StoreLocked",
    "TinyStore",
    "Transaction",
    "all_of",
    "any_of",
    "matches",
    "open_store",
]

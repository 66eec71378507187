"""Durable tables of JSON documents behind one small interface (see :mod:`.base`).

``open_store(url, base)`` picks the backend from the workspace's ``store`` setting:
``"tinydb:data"`` (the default; a folder, relative to ``base`` unless absolute) or
``"postgresql://…"`` (several processes or machines; a schema other than ``public`` with
``?options=-csearch_path%3Dname``). The PostgreSQL schema is created or upgraded on open.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from .base import TABLES, Conflict, Doc, Group, Store, StoreError, StoreLocked, Transaction, UniqueViolation
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
from .text_index import TextIndexedStore
from .tinydb.store import TinyStore

ACCEPTED = '"tinydb:<folder>" (e.g. "tinydb:data") or "postgresql://user@host/db"'


def open_store(url: str, base: Path, progress: Callable[[str, int, int], None] | None = None) -> Store:
    """The store named by ``url``; a relative TinyDB folder is taken relative to ``base``.

    ``progress(phase, done, total)`` is told how far the embedded store's open has got (see
    :class:`TinyStore`); PostgreSQL opens at once and never calls it."""
    scheme, _, rest = url.partition(":")
    if scheme == "tinydb":
        if not rest:
            raise StoreError(f"store {url!r} names no folder; accepted: {ACCEPTED}")
        return TextIndexedStore(Path(base) / rest, url=url, progress=progress)
    if scheme in ("postgresql", "postgres"):
        from .postgres.store import PostgresStore  # SQLAlchemy loads only when it is used

        return PostgresStore(url)
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
    "Group",
    "In",
    "Not",
    "Nothing",
    "Or",
    "Range",
    "Store",
    "StoreError",
    "StoreLocked",
    "TextIndexedStore",
    "TinyStore",
    "Transaction",
    "UniqueViolation",
    "all_of",
    "any_of",
    "matches",
    "open_store",
]

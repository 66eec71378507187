"""Moving a workspace's data to another store (``goldsieve store copy --to postgresql://…``).

Every table is copied with its ids (events name their deal by id), in one transaction on the
target. Before it commits, each table is read back through that transaction and compared with
the source: the row count and a SHA-256 over the documents in id order, in canonical JSON
(sorted keys), so that a change in any value, id or row is caught; a copy that does not
verify is rolled back and leaves the target empty. A copy that committed is analyzed at once,
so the planner knows how many rows there are before the first request.
The target must be empty: a copy never merges into data it did not write.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import sqlalchemy as sa

from .base import TABLES, Doc, Store, StoreError
from .postgres.store import PostgresStore

log = logging.getLogger(__name__)

BATCH = 1000


@dataclass(frozen=True)
class TableCopy:
    table: str
    rows: int
    checksum: str


class Digest:
    """Row count and SHA-256 of documents fed in id order."""

    def __init__(self) -> None:
        self.rows = 0
        self._hash = hashlib.sha256()

    def add(self, doc: Doc) -> None:
        self.rows += 1
        self._hash.update(json.dumps(doc, sort_keys=True, ensure_ascii=False,
                                     separators=(",", ":")).encode())
        self._hash.update(b"\n")

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def fingerprint(table: str, docs: Iterable[Doc]) -> TableCopy:
    """The count and checksum of one table's documents (given in id order)."""
    digest = Digest()
    for doc in docs:
        digest.add(doc)
    return TableCopy(table, digest.rows, digest.hexdigest())


def copy_store(
    source: Store,
    target: PostgresStore,
    *,
    tables: Iterable[str] = TABLES,
    progress: Callable[[int], None] = lambda rows: None,
) -> list[TableCopy]:
    """Copy ``tables`` from ``source`` into the empty ``target``, verify, and return what was
    copied; :class:`StoreError` when the target holds data or the copy does not verify."""
    tables = tuple(tables)
    filled = {t: n for t in tables if (n := target.count(t))}
    if filled:
        listed = ", ".join(f"{t} ({n} rows)" for t, n in filled.items())
        raise StoreError(f"the target store is not empty: {listed}; copy only into an empty one")
    copied: list[TableCopy] = []
    with target.transaction() as txn:
        for table in tables:
            digest = Digest()
            txn.restore(table, _fed(source.iterate(table, batch=BATCH), digest, progress))
            copied.append(TableCopy(table, digest.rows, digest.hexdigest()))
        for expected in copied:
            found = fingerprint(expected.table, txn.scan(expected.table))
            if found != expected:
                raise StoreError(
                    f"{expected.table}: the copy does not match the source ({found.rows} rows, "
                    f"checksum {found.checksum[:12]}…; the source has {expected.rows} rows, "
                    f"checksum {expected.checksum[:12]}…); nothing was written"
                )
    try:
        target.analyze(tables)
    except sa.exc.SQLAlchemyError as error:  # the copy is committed and verified: it stands
        log.warning("the copy is done, but its tables were not analyzed (%s); autovacuum will "
                    "gather their statistics, or run ANALYZE", error)
    return copied


def _fed(docs: Iterable[Doc], digest: Digest, progress: Callable[[int], None]) -> Iterator[Doc]:
    for doc in docs:
        digest.add(doc)
        progress(1)
        yield doc

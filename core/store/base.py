"""The store interface every backend implements.

A store holds named tables of JSON documents, each with an integer ``id`` that the store
assigns. Writes happen only inside ``transaction()``: all of a transaction's writes become
durable together when the ``with`` block ends, or none do. Queries take a
:mod:`goldsieve.store.filters` filter so that the backend, not the caller, does the filtering.
"""
from __future__ import annotations

import abc
import math
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Iterator

from .filters import Filter, field_value

Doc = dict[str, Any]

#: Every table a backend must provide.
TABLES = (
    "deals",
    "events",
    "users",
    "teams",
    "tokens",
    "sessions",
    "tasks",
    "notifications",
    "outbox",
    "audit",
    "login_failures",
)


@dataclass(frozen=True)
class Group:
    """One group of :meth:`Store.aggregate`: how many documents, and the sum of their numbers."""

    count: int
    total: float


def is_number(value: Any) -> bool:
    """A JSON number (a boolean is not one, though Python says ``True == 1``)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class StoreError(Exception):
    """Base class of the store's own errors."""


class Conflict(StoreError):
    """A write carried a version that is no longer the stored one (someone else wrote first)."""

    def __init__(self, table: str, id: int, expected: int, actual: int | None):
        self.table, self.id, self.expected, self.actual = table, id, expected, actual
        super().__init__(
            f"{table} {id} is at version {actual}, the write expected version {expected}"
        )


class StoreLocked(StoreError):
    """Another process owns the embedded store."""


class Transaction(abc.ABC):
    """The write side of a store; reads inside a transaction see its own pending writes."""

    @abc.abstractmethod
    def get(self, table: str, id: int) -> Doc | None:
        """The document with this id, or ``None``."""

    @abc.abstractmethod
    def insert(self, table: str, doc: Doc) -> int:
        """Store a new document; the store assigns ``id`` (also set in ``doc``) and returns it."""

    @abc.abstractmethod
    def replace(self, table: str, doc: Doc, *, expect_version: int | None = None) -> None:
        """Overwrite the document ``doc["id"]``.

        With ``expect_version``, raise :class:`Conflict` unless the stored document's
        ``version`` equals it (optimistic concurrency); raise ``KeyError`` if it does not exist.
        """

    @abc.abstractmethod
    def delete(self, table: str, id: int) -> None:
        """Remove a document; a missing one is not an error."""


class Store(abc.ABC):
    """A durable set of tables with transactions and filtered, paginated queries."""

    url: str

    @abc.abstractmethod
    def transaction(self) -> AbstractContextManager[Transaction]:
        """A context in which writes are staged; durable when the block exits cleanly."""

    @abc.abstractmethod
    def get(self, table: str, id: int) -> Doc | None:
        """The committed document with this id, or ``None``."""

    @abc.abstractmethod
    def find(
        self,
        table: str,
        where: Filter | None = None,
        *,
        after: int | None = None,
        limit: int | None = None,
        descending: bool = False,
    ) -> list[Doc]:
        """Committed documents matching ``where``, ordered by id.

        ``after`` is a keyset cursor: only ids greater than it (smaller when ``descending``).
        """

    @abc.abstractmethod
    def count(self, table: str, where: Filter | None = None) -> int:
        """How many committed documents match ``where``."""

    def iterate(self, table: str, where: Filter | None = None, batch: int = 1000) -> Iterator[Doc]:
        """Every matching document, fetched a batch at a time (exports, analytics)."""
        after = None
        while True:
            rows = self.find(table, where, after=after, limit=batch)
            yield from rows
            if len(rows) < batch:
                return
            after = rows[-1]["id"]

    #: Whether :meth:`aggregate` runs inside the backend (a database's GROUP BY) rather than
    #: reading every matching document into this process.
    aggregates_natively: bool = False

    def aggregate(self, table: str, where: Filter | None, by: str, total: str) -> dict[str, Group]:
        """Per text value at path ``by``: the number of documents matching ``where`` and the sum
        of the numbers at path ``total`` (anything else there counts as 0). Documents without
        text at ``by`` are left out.

        This generic version reads every matching document; a backend that can sum in its own
        query overrides it (and sets :attr:`aggregates_natively`).
        """
        counts: dict[str, int] = {}
        numbers: dict[str, list[float]] = {}
        for doc in self.iterate(table, where):
            key = field_value(doc, by)
            if not isinstance(key, str):
                continue
            counts[key] = counts.get(key, 0) + 1
            value = field_value(doc, total)
            numbers.setdefault(key, []).append(value if is_number(value) else 0)
        return {key: Group(count, math.fsum(numbers[key])) for key, count in counts.items()}

    @abc.abstractmethod
    def close(self) -> None:
        """Release the store (files, locks, connections). Idempotent."""

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

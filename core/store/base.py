"""The store interface every backend implements.

A store holds named tables of JSON documents, each with an integer ``id`` that the store
assigns. Writes happen only inside ``transaction()``: all of a transaction's writes become
durable together when the ``with`` block ends, or none do. Queries take a
:mod:`goldsieve.store.filters` filter so that the backend, not the caller, does the filtering.
"""
from __future__ import annotations

import abc
import heapq
import math
import typing
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

from ..clock import stamp
from ..limits import in_range
from .filters import Filter, Range, all_of, field_value
from .ordering import Key, Order, after_cursor, sort_key

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
    "funnel_versions",
    "funnel_drafts",
    "login_failures",
    "customers",
    "customer_events",
    "customer_keys",
    "contacts",
    "saved_views",
    "activities",
    "workplace_state",
)


@dataclass(frozen=True)
class Group:
    """One group of :meth:`Store.aggregate`: how many documents, and the sum of their numbers."""

    count: int
    total: float


class StoreError(Exception):
    """Base class of the store's own errors."""


class Conflict(StoreError):
    """A write carried a version that is no longer the stored one (someone else wrote first)."""

    def __init__(self, table: str, id: int, expected: int, actual: int | None):
        self.table, self.id, self.expected, self.actual = table, id, expected, actual
        super().__init__(
            f"{table} {id} is at version {actual}, the write expected version {expected}"
        )


class UniqueViolation(StoreError):
    """A write would give a second document a value that a unique index holds once (on
    PostgreSQL, a customer's match key: two concurrent creates of the same customer); the
    transaction is rolled back. The embedded store's one writer never gets here: its callers
    check before they write, under its lock."""

    def __init__(self, table: str):
        self.table = table
        super().__init__(f"{table}: the write repeats a value that is unique")


class StoreLocked(StoreError):
    """Another process owns the embedded store (the one in ``folder``)."""

    def __init__(self, message: str, folder: Path | None = None):
        super().__init__(message)
        self.folder = folder


class Transaction(abc.ABC):
    """The write side of a store; reads inside a transaction see its own pending writes."""

    @abc.abstractmethod
    def get(self, table: str, id: int) -> Doc | None:
        """The document with this id, or ``None``."""

    @abc.abstractmethod
    def insert(self, table: str, doc: Doc) -> int:
        """Store a new document; the store assigns ``id`` (also set in ``doc``) and returns it."""

    def insert_all(self, rows: typing.Sequence[tuple[str, Doc]]) -> list[int]:
        """Store several new documents (``(table, doc)`` each) as :meth:`insert` does, in order:
        within a table, ids ascend in the order given; all of them or, when one cannot be stored,
        none. A backend that talks to a server over the network sends them in one statement (a
        move's events and audit row: one round trip)."""
        ids: list[int] = []
        try:
            for table, doc in rows:
                ids.append(self.insert(table, doc))
        except BaseException:
            for (table, _), id in zip(rows, ids):
                self.delete(table, id)
            raise
        return ids

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

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """A block of many large transactions (a demo, an import of many rows): a backend may
        put its housekeeping off until the block ends. Each transaction inside is as durable and
        as visible as anywhere else; this generic version changes nothing."""
        yield

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

    def find_ordered(self, table: str, where: Filter | None, order: Order, *,
                     after: Key | None = None, limit: int = 50) -> tuple[list[Doc], Key | None]:
        """A page of the documents matching ``where`` in ``order`` (:mod:`.ordering`: by the
        value at ``order.field``, then by id), starting after the cursor ``after``; returns the
        page and the cursor of the page after it (``None`` when this one is the last).

        This generic version reads every matching document and keeps the first ``limit``; a
        backend that sorts in its own query overrides it.
        """
        if limit <= 0:
            return [], None
        rows = (doc for doc in self.iterate(table, where)
                if after is None or after_cursor(sort_key(doc, order), after, order))
        return page_of(rows, order, limit)

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

    def claim(self, table: str, where: Filter | None, *, limit: int, lease_seconds: float,
              owner: str, now: datetime) -> list[Doc]:
        """Lease up to ``limit`` rows matching ``where`` to ``owner`` and return them, leased.

        A row is free when its ``lease_until`` is ``""`` or past; claiming sets ``lease_until``
        to ``now + lease_seconds`` and ``lease_owner``, so a claimer that dies lets its rows go
        when the lease ends. Claimable rows carry ``version`` and ``lease_until``. Several
        processes may claim at once and never get the same row while its lease lasts.

        This generic version claims with optimistic version checks: all rows in one transaction
        (one durable write), and when another claimer got one of them first, row by row,
        skipping the rows taken. A server backend overrides it with one locking query
        (PostgreSQL: ``FOR UPDATE SKIP LOCKED``).
        """
        free, until = lease_terms(where, lease_seconds, now)
        leased = [{**row, "lease_until": until, "lease_owner": owner, "version": row["version"] + 1}
                  for row in self.find(table, free, limit=limit)]
        try:
            self._lease(table, leased)
            return leased
        except Conflict:
            pass
        claimed: list[Doc] = []
        for row in leased:
            try:
                self._lease(table, [row])
            except Conflict:
                continue
            claimed.append(row)
        return claimed

    def _lease(self, table: str, rows: list[Doc]) -> None:
        with self.transaction() as txn:
            for row in rows:
                txn.replace(table, row, expect_version=row["version"] - 1)

    #: Whether the database keeps the deals' stays itself, so the funnel report can be computed
    #: by its queries (:mod:`goldsieve.analytics.sql`) instead of from histories read into
    #: this process.
    keeps_stays: bool = False

    #: Whether :meth:`aggregate` runs inside the backend (a database's GROUP BY) rather than
    #: reading every matching document into this process.
    aggregates_natively: bool = False

    def aggregate(self, table: str, where: Filter | None, by: str, total: str) -> dict[str, Group]:
        """Per text value at path ``by``: the number of documents matching ``where`` and the sum
        of the numbers at path ``total`` (anything else there, and any number beyond
        :func:`goldsieve.limits.in_range`, counts as 0). Documents without text at ``by`` are
        left out.

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
            numbers.setdefault(key, []).append(value if in_range(value) else 0)
        return {key: Group(count, math.fsum(numbers[key])) for key, count in counts.items()}

    @abc.abstractmethod
    def close(self) -> None:
        """Release the store (files, locks, connections). Idempotent."""

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: The tables in which a store that keeps stays (:attr:`Store.keeps_stays`) holds them: one row per
#: stay of a deal in a stage, and the deal's amount from each moment on. SQL reports
#: (:mod:`goldsieve.analytics.sql`) read them through :class:`StaysSql`.
STAYS, AMOUNTS = "goldsieve_stays", "goldsieve_amounts"


@typing.runtime_checkable
class StaysSql(typing.Protocol):
    """The capability a store that keeps stays offers the SQL reports, so that the analytics
    name no backend: the ids a filter lets through as SQL text, and one read-only statement."""

    def ids_sql(self, table: str, where: Filter | None) -> tuple[str, dict[str, Any]]:
        """``SELECT id FROM table WHERE <where>`` as SQL text with its (pyformat) parameters."""

    def read_sql(self, sql: str, params: dict[str, Any],
                 settings: dict[str, str] | None = None) -> list[Any]:
        """The rows of one read-only statement; ``settings`` are planner settings for it alone."""


def page_of(rows: typing.Iterable[Doc], order: Order, limit: int) -> tuple[list[Doc], Key | None]:
    """The first ``limit`` of ``rows`` in ``order`` (one pass, ``limit`` rows held) and the cursor
    after them when more rows follow; shared by the backends that sort in this process."""
    pick = heapq.nlargest if order.descending else heapq.nsmallest
    page = pick(limit + 1, rows, key=lambda doc: sort_key(doc, order))
    if len(page) <= limit:
        return page, None
    return page[:limit], sort_key(page[limit - 1], order)


def lease_terms(where: Filter | None, lease_seconds: float, now: datetime) -> tuple[Filter, str]:
    """What :meth:`Store.claim` may take (``where`` and not leased at ``now``) and the stamp its
    lease runs until; one definition, so every backend frees and leases rows alike."""
    free = all_of(where, Range("lease_until", None, stamp(now + timedelta(milliseconds=1))))
    return free, stamp(now + timedelta(seconds=lease_seconds))

"""The scale-out store: the :class:`~goldsieve.store.base.Store` interface on PostgreSQL
(SQLAlchemy Core 2 over psycopg 3), shared by any number of app and worker processes.

Each table holds JSONB documents (see :mod:`.postgres_schema`); filters become SQL
(:mod:`.postgres_query`), so access rules run inside the database's query.

Transactions: ``transaction()`` takes one pooled connection and one database transaction for
the whole block; the thread's nested blocks join it through a savepoint, so a failing inner
block undoes only its part. Reads through the transaction see its writes; reads through the
store use another connection and see only committed data. ``txn.get`` locks the row
(``FOR UPDATE``) until the transaction ends, so a read-modify-write is serialized against
other writers in any process, as the embedded store's writer lock serializes them in one.
``replace(..., expect_version=v)`` puts the version into the ``UPDATE``'s ``WHERE``: a write
that lost the race changes nothing and raises :class:`Conflict`.

The schema is created and upgraded with Alembic when the store opens (under an advisory lock,
so processes starting together do it once); see :mod:`.postgres_migrate`.
"""
from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from datetime import datetime
from itertools import islice
from typing import Any, Iterable, Iterator, Sequence, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection

from ...limits import NUMBER_LIMIT
from .. import filters as F
from ..base import TABLES, Conflict, Doc, Group, Store, StoreError, Transaction, UniqueViolation, lease_terms
from ..ordering import Key, Order, sort_key
from . import stays as postgres_stays
from .migrate import upgrade
from .query import PathExpressions, numeric, where_clause
from .schema import tables


def _encode(doc: Doc) -> str:
    """A document as JSON text; TypeError/ValueError for what JSON cannot carry (before any SQL
    runs, so the transaction goes on)."""
    if not isinstance(doc, dict):
        raise TypeError(f"a document is a dict, not {type(doc).__name__}")
    body = {key: value for key, value in doc.items() if key != "id"}  # the id is the row's
    return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _jsonb(text: str) -> sa.ColumnElement[Any]:
    """JSON text as a JSONB value (cast in SQL: the text is JSON already)."""
    return sa.cast(sa.literal(text, sa.Text), JSONB)


def _text(value: str) -> sa.ColumnElement[str]:
    """A text parameter typed as such (a function's untyped parameter has no type to infer)."""
    return sa.literal(value, sa.Text)


def _version(doc: Doc) -> int | None:
    version = doc.get("version")
    return version if isinstance(version, int) and not isinstance(version, bool) else None


def _row(n: int, at: int) -> str:
    """Row ``n`` of a ``VALUES`` list of :meth:`PgTransaction.insert_all`: the ``at``-th
    document's parameters, typed (a ``VALUES`` list takes its types from its rows)."""
    return f"({n}, CAST(:d{at} AS TEXT), CAST(:v{at} AS BIGINT))"


def _is_id(id: Any) -> bool:
    return isinstance(id, int) and not isinstance(id, bool) and -(2**63) <= id < 2**63


def engine_for(url: str, **options: Any) -> sa.Engine:
    """An SQLAlchemy engine on psycopg 3 for a ``postgresql://…`` URL.

    Statements are never prepared on the server (psycopg prepares one once it ran five times):
    a prepared statement soon gets a generic plan, made without its parameters' values, which
    cannot see that a path is the one an expression index or its statistics describe; a search
    for a frequent term then went from a walk of the newest ids (10 ms at 100,000 deals) to
    reading and sorting every match (0.7 s) from its twentieth run on."""
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme.startswith(("postgresql", "postgres")):
        raise StoreError(f"not a PostgreSQL URL: {url!r}")
    connect_args = {"prepare_threshold": None, **options.pop("connect_args", {})}
    return sa.create_engine(f"postgresql+psycopg://{rest}", connect_args=connect_args, **options)


#: The most rows :meth:`PgTransaction.insert_all` sends in one statement (three parameters each).
INSERT_ROWS = 1000
#: PostgreSQL's SQLSTATE of a unique index refusing a row.
UNIQUE_VIOLATION = "23505"


class PgTransaction(Transaction):
    """Writes on the transaction's own connection."""

    def __init__(self, store: "PostgresStore", conn: Connection):
        self._store = store
        self.conn = conn
        self.open = True

    def _table(self, name: str) -> sa.Table:
        if not self.open:
            raise StoreError("this transaction has ended")
        return self._store._table(name)

    def get(self, table: str, id: int) -> Doc | None:
        t = self._table(table)
        if not _is_id(id):
            return None
        row = self.conn.execute(sa.select(t.c.doc).where(t.c.id == id).with_for_update()).first()
        return None if row is None else {"id": id, **row.doc}

    def insert(self, table: str, doc: Doc) -> int:
        t = self._table(table)
        text = _encode(doc)
        try:
            id = self.conn.execute(
                sa.insert(t).values(doc=_jsonb(text), version=_version(doc)).returning(t.c.id)
            ).scalar_one()
        except sa.exc.IntegrityError as error:
            if getattr(error.orig, "sqlstate", None) == UNIQUE_VIOLATION:
                raise UniqueViolation(table) from error
            raise
        doc["id"] = id
        return id

    def insert_all(self, rows: Sequence[tuple[str, Doc]]) -> list[int]:
        """One statement: an ``INSERT … SELECT … ORDER BY`` per table, each a ``WITH`` part, so
        a table's rows take their ids in the order given (the identity is drawn as each sorted row
        is inserted), and the statement answers each table's ids.

        Written as text with bound parameters, not built from SQLAlchemy's ``values()``: that
        construct is compiled anew on every call (it is not cached), which cost a stage change,
        whose event and audit row come here, a third of its time in Python."""
        if len(rows) < 2:
            return [self.insert(table, doc) for table, doc in rows]
        if len(rows) > INSERT_ROWS:  # a statement's parameters are limited (65,535)
            return [id for start in range(0, len(rows), INSERT_ROWS)
                    for id in self.insert_all(rows[start:start + INSERT_ROWS])]
        by_table: dict[str, list[int]] = {}
        params: dict[str, Any] = {}
        for at, (table, doc) in enumerate(rows):  # every text encoded before any SQL runs
            self._table(table)  # a table the store does not have: KeyError, as insert says
            by_table.setdefault(table, []).append(at)
            params[f"d{at}"], params[f"v{at}"] = _encode(doc), _version(doc)
        parts = [
            f'inserted{number} AS (INSERT INTO "{self._table(table).name}" (doc, version) SELECT CAST(given.doc AS JSONB), '
            f"given.version FROM (VALUES {', '.join(_row(n, at) for n, at in enumerate(positions))}) "
            f"AS given(n, doc, version) ORDER BY given.n RETURNING id)"
            for number, (table, positions) in enumerate(by_table.items())
        ]
        ids_of = ", ".join(f"(SELECT array_agg(id) FROM inserted{number})" for number in range(len(parts)))
        try:
            found = self.conn.execute(sa.text(f"WITH {', '.join(parts)} SELECT {ids_of}"), params).one()
        except sa.exc.IntegrityError as error:
            if getattr(error.orig, "sqlstate", None) == UNIQUE_VIOLATION:
                raise UniqueViolation(", ".join(by_table)) from error
            raise
        ids = [0] * len(rows)
        for positions, drawn in zip(by_table.values(), found):
            for at, id in zip(positions, sorted(drawn)):
                ids[at] = rows[at][1]["id"] = id
        return ids

    def replace(self, table: str, doc: Doc, *, expect_version: int | None = None) -> None:
        t = self._table(table)
        id = doc.get("id") if isinstance(doc, dict) else None
        text = _encode(doc)
        if not _is_id(id):
            raise KeyError(f"{table} {id!r} does not exist; replace needs a stored document's id")
        update = sa.update(t).where(t.c.id == id)
        if expect_version is not None:
            update = update.where(t.c.version.is_not_distinct_from(expect_version))
        done = self.conn.execute(
            update.values(doc=_jsonb(text), version=_version(doc)).returning(t.c.id)
        ).first()
        if done is not None:
            return
        found = self.conn.execute(sa.select(t.c.version).where(t.c.id == id)).first()
        if found is None:
            raise KeyError(f"{table} {id!r} does not exist; replace needs a stored document's id")
        raise Conflict(table, id, expect_version, found.version)

    def delete(self, table: str, id: int) -> None:
        t = self._table(table)
        if _is_id(id):
            self.conn.execute(sa.delete(t).where(t.c.id == id))

    def scan(self, table: str) -> Iterator[Doc]:
        """Every document of ``table`` as this transaction sees it, in id order, streamed."""
        t = self._table(table)
        result = self.conn.execution_options(stream_results=True, yield_per=1000).execute(
            sa.select(t.c.id, t.c.doc).order_by(t.c.id))
        for row in result:
            yield {"id": row.id, **row.doc}

    def restore(self, table: str, docs: Iterable[Doc], batch: int = 1000) -> None:
        """Insert documents keeping their ids (moving data from another store), then move the
        table's id sequence past the largest, so new ids never collide with copied ones.

        Events go in with the stays trigger off and the stays are then derived from the whole
        log at once (:mod:`.stays`): the same result as event by event, many times
        faster for a million events."""
        t = self._table(table)
        if table == "events":
            self.conn.execute(sa.text(f"ALTER TABLE events DISABLE TRIGGER {postgres_stays.TRIGGER_NAME}"))
        insert = sa.insert(t).values(
            id=sa.bindparam("id", type_=sa.BigInteger),
            doc=sa.cast(sa.bindparam("doc", type_=sa.Text), JSONB),
            version=sa.bindparam("version", type_=sa.BigInteger),
        )
        rows = ({"id": doc["id"], "doc": _encode(doc), "version": _version(doc)} for doc in docs)
        while chunk := list(islice(rows, batch)):
            self.conn.execute(insert, chunk)
        self.conn.execute(
            sa.text("SELECT setval(pg_get_serial_sequence(:table, 'id'), max(id)) FROM "
                    f'"{t.name}" HAVING max(id) IS NOT NULL'),
            {"table": t.name},
        )
        if table == "events":
            self.conn.execute(sa.text(f"ALTER TABLE events ENABLE TRIGGER {postgres_stays.TRIGGER_NAME}"))
            self.conn.execute(sa.text("SELECT goldsieve_rebuild_stays()"))


class PostgresStore(Store):
    """Tables of JSON documents in one PostgreSQL database (the schema first on its
    ``search_path``; a URL may pick one with ``?options=-csearch_path%3Dname``).

    :param pool_size: connections kept per process (a transaction holds one, a read borrows one)
    """

    def __init__(self, url: str, *, pool_size: int = 10):
        self.url = url
        self._engine = engine_for(url, pool_size=pool_size, max_overflow=2 * pool_size,
                                  pool_recycle=3600)
        # A read is one statement: without BEGIN and ROLLBACK around it, one round trip.
        self._reader = self._engine.execution_options(isolation_level="AUTOCOMMIT")
        self._tables = tables()
        self._local = threading.local()
        self._closed = False
        try:
            with self._engine.connect() as conn:
                upgrade(conn)
        except sa.exc.OperationalError as error:
            self._engine.dispose()
            raise StoreError(f"cannot reach PostgreSQL at {self._safe_url()}: {error.orig}") from None
        except BaseException:
            self._engine.dispose()
            raise

    def _safe_url(self) -> str:
        return sa.make_url(self.url).render_as_string(hide_password=True)

    def _table(self, name: str) -> sa.Table:
        if self._closed:
            raise StoreError(f"the store at {self._safe_url()} is closed")
        try:
            return self._tables[name]
        except (KeyError, TypeError):
            raise KeyError(f"no table {name!r}; the tables are {', '.join(TABLES)}") from None

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        if self._closed:
            raise StoreError(f"the store at {self._safe_url()} is closed")
        active: PgTransaction | None = getattr(self._local, "txn", None)
        if active is not None:
            with active.conn.begin_nested():  # a savepoint: rolled back alone on an error
                yield active
            return
        with self._engine.connect() as conn, conn.begin():
            txn = self._local.txn = PgTransaction(self, conn)
            try:
                yield txn
            finally:
                txn.open = False
                self._local.txn = None

    def _read(self, query: sa.Select) -> list[sa.Row]:
        with self._reader.connect() as conn:
            return list(conn.execute(query))

    def get(self, table: str, id: int) -> Doc | None:
        t = self._table(table)
        if not _is_id(id):
            return None
        rows = self._read(sa.select(t.c.doc).where(t.c.id == id))
        return {"id": id, **rows[0].doc} if rows else None

    def find(
        self,
        table: str,
        where: F.Filter | None = None,
        *,
        after: int | None = None,
        limit: int | None = None,
        descending: bool = False,
    ) -> list[Doc]:
        t = self._table(table)
        if isinstance(where, F.Nothing) or (limit is not None and limit <= 0):
            return []
        query = sa.select(t.c.id, t.c.doc).where(where_clause(t, where))
        if after is not None:
            query = query.where(t.c.id < after if descending else t.c.id > after)
        query = query.order_by(t.c.id.desc() if descending else t.c.id)
        if limit is not None:
            query = query.limit(limit)
        return [{"id": row.id, **row.doc} for row in self._read(query)]

    def find_ordered(self, table: str, where: F.Filter | None, order: Order, *,
                     after: Key | None = None, limit: int = 50) -> tuple[list[Doc], Key | None]:
        """One ``ORDER BY rank, number, text, id`` (:meth:`PathExpressions.sort_terms`), the
        cursor a row comparison in the same terms; one row more than the page says whether
        another follows."""
        if isinstance(where, F.Nothing) or limit <= 0:
            return [], None
        docs = [{"id": row.id, **row.doc} for row in self._read(self.ordered_query(table, where, order, after, limit))]
        if len(docs) <= limit:
            return docs, None
        return docs[:limit], sort_key(docs[limit - 1], order)

    def ordered_query(self, table: str, where: F.Filter | None, order: Order, after: Key | None,
                      limit: int) -> sa.Select:
        """The statement of :meth:`find_ordered` (its plan is what a test explains): the sort
        terms are those the sort indexes hold (migration 0006), so a common sort walks one."""
        t = self._table(table)
        terms = (*PathExpressions(t).sort_terms(order.field), t.c.id)
        query = sa.select(t.c.id, t.c.doc).where(where_clause(t, where))
        if after is not None:
            rank, number, words, id = after
            bound = sa.tuple_(sa.literal(rank), numeric(number), sa.literal(words, sa.Text).collate("C"),
                              sa.literal(id, sa.BigInteger))
            row = sa.tuple_(*terms)
            query = query.where(row < bound if order.descending else row > bound)
        return query.order_by(*(term.desc() if order.descending else term for term in terms)).limit(limit + 1)

    def count(self, table: str, where: F.Filter | None = None) -> int:
        t = self._table(table)
        if isinstance(where, F.Nothing):
            return 0
        query = sa.select(sa.func.count()).select_from(t).where(where_clause(t, where))
        return self._read(query)[0][0]

    def claim(self, table: str, where: F.Filter | None, *, limit: int, lease_seconds: float,
              owner: str, now: datetime) -> list[Doc]:
        """The generic claim in one statement: the free rows are picked ``FOR UPDATE SKIP
        LOCKED``, so claimers running at once each take rows no other is taking, without
        waiting for one another and without losing a round to a version conflict. A row
        changed and committed by another claimer after this statement's snapshot is checked
        again once locked (PostgreSQL re-reads it), so a lease just taken is never taken twice.
        """
        t = self._table(table)
        if isinstance(where, F.Nothing) or limit <= 0:
            return []
        free, until = lease_terms(where, lease_seconds, now)
        picked = (sa.select(t.c.id).where(where_clause(t, free)).order_by(t.c.id).limit(limit)
                  .with_for_update(skip_locked=True))
        version = t.c.version + 1
        lease = sa.func.jsonb_build_object(_text("lease_until"), _text(until), _text("lease_owner"),
                                           _text(owner), _text("version"), version)
        update = (sa.update(t).where(t.c.id.in_(picked.scalar_subquery()))
                  .values(doc=t.c.doc.op("||", return_type=JSONB)(lease), version=version)
                  .returning(t.c.id, t.c.doc))
        with self.transaction() as txn:
            rows = cast(PgTransaction, txn).conn.execute(update).all()
        return [{"id": row.id, **row.doc} for row in sorted(rows, key=lambda row: row.id)]

    keeps_stays = True

    def ids_sql(self, table: str, where: F.Filter | None) -> tuple[str, dict[str, Any]]:
        """``SELECT id FROM table WHERE <where>`` as SQL text with its parameters (pyformat), to
        be embedded in a larger statement run by :meth:`read_sql`: how a report restricts itself
        to what a user may see with the same filter compiler as every other read."""
        t = self._table(table)
        compiled = sa.select(t.c.id).where(where_clause(t, where)).compile(
            dialect=self._engine.dialect, compile_kwargs={"render_postcompile": True})
        return str(compiled), dict(compiled.params)

    def read_sql(self, sql: str, params: dict[str, Any], settings: dict[str, str] | None = None) -> list[sa.Row]:
        """The rows of one read-only statement in SQL text with pyformat parameters; with
        ``settings``, planner settings for this statement only (``SET LOCAL``, in a transaction
        of its own)."""
        if self._closed:
            raise StoreError(f"the store at {self._safe_url()} is closed")
        if not settings:
            with self._reader.connect() as conn:
                return list(conn.exec_driver_sql(sql, params))
        with self._engine.connect() as conn, conn.begin():
            for name, value in settings.items():
                conn.execute(sa.select(sa.func.set_config(_text(name), _text(value), sa.true())))
            return list(conn.exec_driver_sql(sql, params))

    aggregates_natively = True

    def aggregate(self, table: str, where: F.Filter | None, by: str, total: str) -> dict[str, Group]:
        t = self._table(table)
        if isinstance(where, F.Nothing):
            return {}
        paths = PathExpressions(t)
        key = paths.text(by)
        value = sa.cast(paths.node(total), sa.Numeric)
        # what limits.in_range counts; CASE evaluates in order, so only numbers are cast
        number = sa.case((paths.typed(total, "number"),
                          sa.case((sa.func.abs(value) <= NUMBER_LIMIT, value), else_=0)), else_=0)
        query = (sa.select(key.label("key"), sa.func.count().label("count"),
                           sa.func.sum(number).label("total"))
                 .where(where_clause(t, where), key.is_not(None)).group_by(key))
        return {row.key: Group(row.count, float(row.total)) for row in self._read(query)}

    def analyze(self, names: Iterable[str] = TABLES) -> None:
        """Gather the planner's statistics of these tables now (``ANALYZE``).

        Rows written in bulk (a copy from another store) leave the tables without statistics
        until autovacuum comes by, and meanwhile the planner takes every table for empty: the
        board's column totals over 100,000 copied deals were sorted on disk (one group
        expected) instead of hashed into a handful of groups. The stays derived from ``events``
        are analyzed with it: the funnel report's plan rests on their statistics."""
        names = [self._table(name).name for name in names]
        if "events" in names:
            names += [postgres_stays.STAYS, postgres_stays.AMOUNTS]
        with self._engine.connect() as conn:
            for name in names:
                conn.exec_driver_sql(f'ANALYZE "{name}"')
            conn.commit()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._engine.dispose()

    def __repr__(self) -> str:
        return f"PostgresStore({self._safe_url()!r})"

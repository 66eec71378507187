"""Throw-away PostgreSQL schemas for tests: each test's store lives in a schema of its own, so
tests run in parallel on one database and leave nothing behind.

:func:`scratch_schema` is a new, empty schema, dropped afterwards: for a test of the migrations
or of what an open does to a schema. :func:`reused_schema` is a schema as a store's open leaves
it, with no rows: a process hands out again a schema it emptied, because creating
the tables, indexes, functions and triggers is most of what a PostgreSQL test would cost
otherwise (about a second each, for some four hundred tests); what is left over is dropped when
the process exits.

``GOLDSIEVE_TEST_POSTGRES`` names the server (``postgresql://user@host:port/db``); without it
the PostgreSQL variants of tests are skipped (``.ci/run`` sets it when a server answers).
"""
from __future__ import annotations

import atexit
import os
import secrets
from contextlib import contextmanager
from typing import Any, Callable, Iterator
from urllib.parse import quote

ENVIRONMENT = "GOLDSIEVE_TEST_POSTGRES"


def server_url() -> str | None:
    """The test server's URL, or ``None`` when PostgreSQL tests are not wanted."""
    return os.environ.get(ENVIRONMENT) or None


def schema_url(url: str, schema: str) -> str:
    """``url`` with ``schema`` first on the connection's search path."""
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options={quote(f'-csearch_path={schema}', safe='')}"


@contextmanager
def scratch_schema(url: str) -> Iterator[str]:
    """A new, empty schema on the server at ``url``; yields the store URL that uses it."""
    schema = _create(url)
    try:
        yield schema_url(url, schema)
    finally:
        _drop(url, schema)


#: Schemas of this process with no rows left, by server URL, ready to be handed out again.
_SPARE: dict[str, list[str]] = {}


@contextmanager
def reused_schema(url: str) -> Iterator[str]:
    """A schema with no rows on the server at ``url`` (new, or one this process emptied); yields
    the store URL that uses it.

    Afterwards its rows are removed and identities restarted, so the next test finds what a
    fresh schema would hold once a store opened on it. A schema that cannot be emptied at once
    (a connection a failed test left behind holds a lock) or that is not at the newest revision
    (a test took it back) is dropped instead of kept.
    """
    spare = _SPARE.setdefault(url, [])
    schema = spare.pop() if spare else _create(url)
    try:
        yield schema_url(url, schema)
    finally:
        if _emptied(url, schema):
            spare.append(schema)
        else:
            _drop(url, schema)


@atexit.register
def _drop_spares() -> None:
    for url, schemas in _SPARE.items():
        while schemas:
            _drop(url, schemas.pop())


def _create(url: str) -> str:
    schema = f"goldsieve_test_{secrets.token_hex(6)}"
    _run(url, f'CREATE SCHEMA "{schema}"')
    return schema


def _drop(url: str, schema: str) -> None:
    _run(url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _emptied(url: str, schema: str) -> bool:
    """Whether ``schema`` is at the newest revision and now holds no rows.

    ``DELETE`` rather than ``TRUNCATE``: a test leaves a few rows in each of some twenty tables,
    and truncating gives each table and index a new file, ten times the cost of deleting them.
    """
    import sqlalchemy as sa

    from ..store.postgres.migrate import head

    def empty(conn: Any) -> bool:
        conn.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
        named = {"schema": schema}
        tables = conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = :schema"),
                              named).scalars().all()
        if "alembic_version" not in tables:
            return not tables  # never opened: as new
        if conn.exec_driver_sql(f'SELECT version_num FROM "{schema}".alembic_version').scalar() != head():
            return False
        sequences = conn.execute(sa.text("SELECT sequencename FROM pg_sequences WHERE schemaname = :schema"),
                                 named).scalars().all()
        conn.exec_driver_sql("; ".join(
            [f'DELETE FROM "{schema}"."{name}"' for name in tables if name != "alembic_version"]
            + [f'ALTER SEQUENCE "{schema}"."{name}" RESTART' for name in sequences]))
        return True

    try:
        return _run(url, empty)
    except sa.exc.DBAPIError:  # a lock not granted in time
        return False


def _run(url: str, work: str | Callable[[Any], Any]) -> Any:
    """``work`` (a statement, or a function of the connection) in one transaction of its own."""
    from sqlalchemy.pool import NullPool

    from ..store.postgres.store import engine_for

    engine = engine_for(url, poolclass=NullPool)  # a statement or two: no pool to keep
    try:
        with engine.begin() as conn:
            if isinstance(work, str):
                conn.exec_driver_sql(work)
                return None
            return work(conn)
    finally:
        engine.dispose()


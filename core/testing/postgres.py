"""Throw-away PostgreSQL schemas for tests: each test's store lives in a schema of its own,
created empty and dropped afterwards, so tests run in parallel on one database and leave
nothing behind.

``GOLDSIEVE_TEST_POSTGRES`` names the server (``postgresql://user@host:port/db``); without it
the PostgreSQL variants of tests are skipped (``.ci/run`` sets it when a server answers).
"""
from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from typing import Iterator
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
    from sqlalchemy.pool import NullPool

    from ..store.postgres.store import engine_for

    schema = f"goldsieve_test_{secrets.token_hex(6)}"
    engine = engine_for(url, poolclass=NullPool)  # two statements: no pool to keep
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        yield schema_url(url, schema)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.dispose()


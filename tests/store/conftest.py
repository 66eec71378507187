"""The conformance suite's backends: every test taking ``store_factory`` runs once per backend.

A backend is a class with ``open()`` (a store on this test's own data, created empty the first
time) and ``discard()`` (drop that data after the test). ``StoreFactory`` adds ``reopen()`` and
closes whatever is still open at the end.

``PostgresBackend`` gives each test a schema of its own on the server that
``GOLDSIEVE_TEST_POSTGRES`` names, dropped afterwards; without that variable its tests are
skipped.
"""
from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest

from goldsieve.store import Store, TinyStore, open_store
from goldsieve.testing.postgres import ENVIRONMENT, reused_schema, server_url

needs_postgres = pytest.mark.skipif(
    not server_url(),
    reason=f"set {ENVIRONMENT}=postgresql://… to test the PostgreSQL backend",
)


class TinyBackend:
    def __init__(self, tmp_path: Path, **options):
        self.folder = tmp_path / "data"
        self.options = options

    def open(self) -> Store:
        return TinyStore(self.folder, **self.options)

    def discard(self) -> None:
        pass  # tmp_path goes away by itself


class PostgresBackend:
    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self._cleanup = ExitStack()
        self.url = self._cleanup.enter_context(reused_schema(server_url()))

    def open(self) -> Store:
        return open_store(self.url, self.tmp_path)

    def discard(self) -> None:
        self._cleanup.close()


BACKEND_CLASSES = {"tinydb": TinyBackend, "postgresql": PostgresBackend}
BACKENDS = ["tinydb", pytest.param("postgresql", marks=needs_postgres)]


class StoreFactory:
    """Opens the test's store, and reopens it on the same data to prove durability."""

    def __init__(self, backend):
        self.backend = backend
        self.name = type(backend).__name__
        self.store: Store | None = None

    def open(self) -> Store:
        if self.store is None:
            self.store = self.backend.open()
        return self.store

    def reopen(self) -> Store:
        self.close()
        return self.open()

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None


@pytest.fixture(params=BACKENDS)
def store_factory(request, tmp_path):
    factory = StoreFactory(BACKEND_CLASSES[request.param](tmp_path))
    yield factory
    factory.close()
    factory.backend.discard()


@pytest.fixture
def store(store_factory) -> Store:
    return store_factory.open()


def insert(store, table, *docs):
    """Insert documents in one transaction; their new ids."""
    with store.transaction() as txn:
        return [txn.insert(table, doc) for doc in docs]


def ids(rows):
    return [row["id"] for row in rows]

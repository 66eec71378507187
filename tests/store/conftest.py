"""The conformance suite's backends: every test taking ``store_factory`` runs once per backend.

A backend is a class with ``open()`` (a store on this test's own data, created empty the first
time) and ``discard()`` (drop that data after the test). ``StoreFactory`` adds ``reopen()`` and
closes whatever is still open at the end.

The PostgreSQL backend plugs in here when it exists: add a class like ``TinyBackend`` whose
``open()`` calls ``open_store(os.environ["GOLDSIEVE_TEST_POSTGRES"], tmp_path)`` against a
schema of its own, and ``pytest.param("postgresql", marks=needs_postgres)`` to ``BACKENDS``.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from goldsieve.store import Store, TinyStore

needs_postgres = pytest.mark.skipif(
    not os.environ.get("GOLDSIEVE_TEST_POSTGRES"),
    reason="set GOLDSIEVE_TEST_POSTGRES=postgresql://… to test the PostgreSQL backend",
)


class TinyBackend:
    def __init__(self, tmp_path: Path, **options):
        self.folder = tmp_path / "data"
        self.options = options

    def open(self) -> Store:
        return TinyStore(self.folder, **self.options)

    def discard(self) -> None:
        pass  # tmp_path goes away by itself


BACKEND_CLASSES = {"tinydb": TinyBackend}
BACKENDS = ["tinydb"]


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

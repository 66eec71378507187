"""The suite's pool of PostgreSQL schemas (goldsieve.testing.postgres): a schema comes back to the
next test as a fresh one would be once a store opened on it — no rows, ids from 1 — and one a test
changed (an index dropped, a trigger off, a table more) is not handed out again."""
from __future__ import annotations

from urllib.parse import unquote

import pytest

from goldsieve.store.postgres.store import PostgresStore
from goldsieve.testing.postgres import reused_schema, server_url

from .conftest import needs_postgres

pytestmark = needs_postgres


def schema_of(url: str) -> str:
    return unquote(url).rsplit("search_path=", 1)[1]


def catalog(store: PostgresStore) -> tuple:
    with store.transaction() as txn:
        indexes = txn.conn.exec_driver_sql(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1").scalars().all()
        triggers = txn.conn.exec_driver_sql(
            "SELECT tgname, tgenabled FROM pg_trigger JOIN pg_class ON pg_class.oid = tgrelid "
            "WHERE NOT tgisinternal AND relnamespace = current_schema()::regnamespace ORDER BY 1").all()
        tables = txn.conn.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1").scalars().all()
        columns = txn.conn.exec_driver_sql(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() ORDER BY 1, 2").all()
    return tuple(indexes), tuple(triggers), tuple(tables), tuple(columns)


def test_an_unchanged_schema_comes_back_empty_with_ids_from_one():
    with reused_schema(server_url()) as url, PostgresStore(url, pool_size=1) as store, store.transaction() as txn:
        first = txn.insert("customers", {"name": "Ruijin"})
    with reused_schema(server_url()) as again, PostgresStore(again, pool_size=1) as store:
        assert schema_of(again) == schema_of(url)  # the same schema, emptied
        assert store.find("customers") == []
        with store.transaction() as txn:
            assert txn.insert("customers", {"name": "Huashan"}) == first


@pytest.mark.parametrize("change", [
    "DROP INDEX {index}",
    "ALTER TABLE events DISABLE TRIGGER events_stays",
    "CREATE TABLE leftover (id int)",
    "ALTER TABLE customers ADD COLUMN leftover int",
])
def test_a_schema_a_test_changed_is_not_handed_out_again(change):
    with reused_schema(server_url()) as url, PostgresStore(url, pool_size=1) as store:
        fresh = catalog(store)
        with store.transaction() as txn:
            txn.conn.exec_driver_sql(change.format(index=[i for i in fresh[0] if "customers" in i][-1]))
        assert catalog(store) != fresh
    with reused_schema(server_url()) as again, PostgresStore(again, pool_size=1) as store:
        assert catalog(store) == fresh

"""PostgreSQL's indexes for customers (migration 0004): one row per match key, so that two
concurrent creates of one customer cannot both commit, and the reclaim scan's index."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from goldsieve.store import UniqueViolation
from goldsieve.store.filters import Eq, Not, Range, all_of
from goldsieve.store.postgres.query import where_clause
from goldsieve.store.postgres.schema import tables
from goldsieve.store.postgres.store import PostgresStore, engine_for
from goldsieve.testing.postgres import scratch_schema, server_url

from tests.store.conftest import needs_postgres

pytestmark = needs_postgres


def test_a_match_key_is_held_once_and_the_second_write_rolls_back():
    with scratch_schema(server_url()) as url, PostgresStore(url) as store:
        with store.transaction() as txn:
            txn.insert("customer_keys", {"key": "name:ruijin", "customer_id": 1})
        with pytest.raises(UniqueViolation):
            with store.transaction() as txn:
                txn.insert("customers", {"name": "Ruijin", "version": 1})
                txn.insert("customer_keys", {"key": "name:ruijin", "customer_id": 2})
        assert store.count("customers") == 0 and store.count("customer_keys") == 1
        with store.transaction() as txn:  # another key of the same customer is fine
            txn.insert("customer_keys", {"key": "credit_code:9", "customer_id": 1})
        assert store.count("customer_keys") == 2


def test_the_reclaim_scan_uses_the_last_activity_index():
    with scratch_schema(server_url()) as url, PostgresStore(url) as store:
        with store.transaction() as txn:
            txn.restore("customers", ({"id": n, "name": f"c{n}", "owner": "rita", "version": 1,
                                       "last_activity_at": f"2026-{1 + n % 12:02d}-01T00:00:00.000Z"}
                                      for n in range(1, 20_001)))
        engine = engine_for(url, poolclass=NullPool)
        where = all_of(Range("last_activity_at", None, "2026-01-15"), Not(Eq("owner", None)))
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE customers")
                customers = tables()["customers"]
                compiled = sa.select(customers.c.id).where(where_clause(customers, where)).compile(conn)
                plan = "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params))
        finally:
            engine.dispose()
        assert "customers_last_activity_at" in plan, plan
        assert store.count("customers", where) == 20_000 // 12


def test_migration_0004_keeps_the_oldest_holder_of_a_key_twice_held_and_adds_the_indexes():
    """A database at 0003 may hold a key twice (the race this revision closes)."""
    from alembic import command

    from goldsieve.store.postgres.migrate import alembic_config, current, head, upgrade

    with scratch_schema(server_url()) as url:
        PostgresStore(url).close()  # at head, tables made
        engine = engine_for(url, poolclass=NullPool)
        try:
            with engine.begin() as conn:
                command.downgrade(alembic_config(conn), "0003")
            with engine.begin() as conn:
                conn.exec_driver_sql(
                    "INSERT INTO customer_keys (doc) VALUES ('{\"key\": \"name:a\", \"customer_id\": 1}'), "
                    "('{\"key\": \"name:a\", \"customer_id\": 2}'), ('{\"key\": \"name:b\", \"customer_id\": 2}')")
            with engine.connect() as conn:
                upgrade(conn)
                assert current(conn) == head()
                held = conn.exec_driver_sql("SELECT doc ->> 'key', (doc ->> 'customer_id')::int FROM customer_keys "
                                            "ORDER BY id").all()
                indexes = {row[0] for row in conn.exec_driver_sql(
                    "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")}
        finally:
            engine.dispose()
        assert held == [("name:a", 1), ("name:b", 2)]
        assert {"customer_keys_key", "customers_last_activity_at"} <= indexes
        # and down past 0005 and up again: the search indexes (migration 0005) come back
        assert {f"{t}_search_{kind}" for t in ("customers", "contacts", "deals") for kind in ("trgm", "grams")} <= indexes

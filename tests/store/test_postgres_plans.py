"""How PostgreSQL runs the store's heaviest filter: the events of many deals (an export within
a manager's scope, the analytics catching up), one index scan for the whole list of ids rather
than one GIN probe per id, which took minutes at 15,000 ids."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from goldsieve.store.filters import In
from goldsieve.store.postgres.query import where_clause
from goldsieve.store.postgres.schema import tables
from goldsieve.store.postgres.store import PostgresStore, engine_for
from goldsieve.testing.postgres import scratch_schema, server_url

from tests.store.conftest import needs_postgres

pytestmark = needs_postgres


def test_the_events_of_many_deals_are_one_scan_of_the_deal_id_index():
    wanted = tuple(range(2, 4000, 40))  # 100 deals, 2.5 % of the events
    with scratch_schema(server_url()) as url, PostgresStore(url) as store:
        with store.transaction() as txn:
            txn.restore("events", ({"id": n, "deal_id": n // 5, "type": "note_added"}
                                   for n in range(1, 20_001)))
        engine = engine_for(url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE events")
                events = tables()["events"]
                query = sa.select(events.c.id).where(where_clause(events, In("deal_id", wanted)))
                compiled = query.compile(conn)
                plan = "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params))
        finally:
            engine.dispose()
        assert "events_deal_id" in plan and "BitmapOr" not in plan, plan
        found = [e["id"] for e in store.find("events", In("deal_id", wanted))]
        assert found == [n for n in range(1, 20_001) if n // 5 in set(wanted)]

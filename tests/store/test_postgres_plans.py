"""How PostgreSQL runs the store's heaviest filters: the events of many deals (an export within
a manager's scope, the analytics catching up), one index scan for the whole list of ids rather
than one GIN probe per id, which took minutes at 15,000 ids; and a search for a frequent term,
a walk of the newest ids rather than a sort of every match."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from goldsieve.store.filters import Contains, In
from goldsieve.store.postgres.query import where_clause
from goldsieve.store.postgres.schema import tables
from goldsieve.store.postgres.store import PostgresStore, engine_for
from goldsieve.store.search import SEARCH, fold
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


def test_a_frequent_search_term_walks_the_ids_instead_of_sorting_every_match():
    """One deal in ten holds 白云: the search statistics (migration 0006) let the planner see that,
    so the newest page is found by walking the ids, not by reading and sorting 2,000 matches."""
    with scratch_schema(server_url()) as url, PostgresStore(url) as store:
        with store.transaction() as txn:
            txn.restore("deals", ({"id": n, "status": "open", "search": fold(f"广州白云医院 {n}" if n % 10 == 0 else f"Deal {n}")}
                                  for n in range(1, 20_001)))
        store.analyze(["deals"])
        deals = tables()["deals"]
        where = Contains(SEARCH, "白云")
        query = sa.select(deals.c.id).where(where_clause(deals, where)).order_by(deals.c.id.desc()).limit(50)
        engine = engine_for(url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                compiled = query.compile(conn)
                plan = "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params))
        finally:
            engine.dispose()
        assert "Index Scan Backward using deals_pkey" in plan and "Sort" not in plan, plan
        found = [d["id"] for d in store.find("deals", where, limit=50, descending=True)]
        assert found == list(range(20_000, 19_500, -10))

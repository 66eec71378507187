"""The one search rule (goldsieve.store.search) and how both stores index it: the embedded
store's in-memory grams (TextIndexedStore) and PostgreSQL's trigram and grams indexes answer
exactly what the reference semantics (filters.matches) answer, for queries of one, two and
more characters, AND-ed with a scope, OR-ed with ids, after writes and after a reopen."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from goldsieve.store import TinyStore, open_store
from goldsieve.store.filters import Contains, Eq, In, Or, all_of, matches
from goldsieve.store.ordering import Order
from goldsieve.store.postgres.query import where_clause
from goldsieve.store.postgres.schema import tables
from goldsieve.store.postgres.store import PostgresStore, engine_for
from goldsieve.store.search import SEARCH, fold, grams, query_grams, search_text
from goldsieve.store.text_index import TextIndex, TextIndexedStore
from goldsieve.testing.postgres import scratch_schema, server_url

from tests.store.conftest import BACKENDS, PostgresBackend, StoreFactory, insert, needs_postgres

NAMES = ["广州白云医院", "白云山制药", "ＡＣＭＥ Shanghai Co., Ltd.", "Acme Trading", "北京协和医院",
         "Straße Handels GmbH", "云南白药", "医"]
QUERIES = ["白云", "白", "医院", "acme", "ＡＣＭＥ", "me s", "strasse", "云南白药", "x", "协和医院", "100%"]


def test_folding_is_half_width_and_case_folded():
    assert fold("  ＡＣＭＥ Straße ") == "acme strasse"
    assert search_text(["Acme", None, 3, " ", "白云"]) == "acme\n白云"
    assert grams("abc") == {"a", "b", "c", "ab", "bc"}
    assert query_grams("白云") == {"白云"} and query_grams("白") == {"白"} and query_grams("") == set()
    assert query_grams("abcd") == {"ab", "bc", "cd"}


def test_a_text_index_follows_changes_and_narrows_to_the_grams():
    index = TextIndex()
    index.change(1, None, {SEARCH: "广州白云医院"})
    index.change(2, None, {SEARCH: "白云山"})
    index.change(3, None, {SEARCH: "acme"})
    assert index.ids("白云") == [1, 2] and index.ids("云医") == [1] and index.ids("") is None
    index.change(2, None, {SEARCH: "北京"})
    index.change(1, None, None)
    assert index.ids("白云") == [] and index.ids("北") == [2] and index.ids("acm") == [3]
    assert "白云" not in index.postings


class IndexedBackend:
    """The embedded store as open_store gives it: with the search index."""

    def __init__(self, tmp_path):
        self.folder = tmp_path / "data"

    def open(self):
        return TextIndexedStore(self.folder)

    def discard(self):
        pass


@pytest.fixture(params=BACKENDS)
def searchable(request, tmp_path):
    backend = IndexedBackend(tmp_path) if request.param == "tinydb" else PostgresBackend(tmp_path)
    factory = StoreFactory(backend)
    yield factory
    factory.close()
    backend.discard()


def docs():
    return [{"name": name, "owner": "rita" if n % 2 else "rob", SEARCH: search_text([name]), "version": 1}
            for n, name in enumerate(NAMES * 3)]


def reference(rows, where):
    return [row["id"] for row in rows if matches(where, row)]


def check_all(store):
    rows = store.find("customers")
    for query in QUERIES:
        search = Contains(SEARCH, fold(query))
        for where in (search, all_of(Eq("owner", "rita"), search), Or((search, In("owner", ("nobody",)))),
                      Or((search, Eq("owner", "rob")))):
            expected = reference(rows, where)
            assert [r["id"] for r in store.find("customers", where)] == expected, (query, where)
            assert store.count("customers", where) == len(expected)
            newest = [r["id"] for r in store.find("customers", where, descending=True, limit=2)]
            assert newest == expected[::-1][:2]
            if expected:
                past = [r["id"] for r in store.find("customers", where, after=expected[0])]
                assert past == expected[1:]
            page, _ = store.find_ordered("customers", where, Order("name"), limit=3)
            assert [r["id"] for r in page] == [r["id"] for r in sorted(
                (r for r in rows if matches(where, r)), key=lambda r: (r["name"], r["id"]))][:3]


def test_both_stores_answer_searches_as_the_reference_does(searchable):
    store = searchable.open()
    insert(store, "customers", *docs())
    check_all(store)
    store = searchable.open()
    first, second = store.find("customers", limit=2)
    with store.transaction() as txn:
        txn.replace("customers", {**first, "name": "Acme 白云", SEARCH: search_text(["Acme 白云"])})
        txn.delete("customers", second["id"])
        txn.insert("customers", {"name": "新白云", SEARCH: search_text(["新白云"]), "owner": "rita"})
    check_all(store)
    found = [r["name"] for r in store.find("customers", Contains(SEARCH, "白云"))]
    assert "Acme 白云" in found and "新白云" in found and NAMES[1] not in found[:1]
    check_all(searchable.reopen())


def test_the_embedded_store_reads_only_the_candidates_a_search_names(tmp_path, monkeypatch):
    with open_store("tinydb:data", tmp_path) as store:
        assert isinstance(store, TextIndexedStore)
        insert(store, "customers", *({"name": f"Customer {n}", SEARCH: search_text([f"Customer {n}"])}
                                     for n in range(400)))
        insert(store, "customers", {"name": "广州白云医院", SEARCH: search_text(["广州白云医院"])})
        assert store._candidates("customers", Contains(SEARCH, "白云")) == [401]
        # a gram most documents hold: the table's id order is quicker, and answers the same
        assert store._candidates("customers", Contains(SEARCH, "cu")) is None
        assert store.count("customers", Contains(SEARCH, "cu")) == 400
        # an Or without a search is the store's own to answer: its parts are not read for ids
        reads: list = []
        monkeypatch.setattr(TinyStore, "find", lambda self, *a, **k: reads.append(a) or [])
        assert store._candidates("customers", Or((Eq("owner", "rita"), Eq("owner", None)))) is None
        assert reads == []


@needs_postgres
@pytest.mark.parametrize("query", ["白云", "白", "医院12"])
def test_postgresql_answers_a_search_from_its_indexes(query):
    with scratch_schema(server_url()) as url, PostgresStore(url) as store:
        with store.transaction() as txn:
            txn.restore("customers", ({"id": n, "name": f"医院{n}", SEARCH: search_text([f"医院{n}"])}
                                      for n in range(1, 5001)))
            txn.insert("customers", {"name": "广州白云医院", SEARCH: search_text(["广州白云医院"])})
        engine = engine_for(url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE customers")
                conn.exec_driver_sql("SET enable_seqscan = off")  # whether the index answers it, not the cost
                customers = tables()["customers"]
                query_sql = sa.select(customers.c.id).where(where_clause(customers, Contains(SEARCH, query)))
                compiled = query_sql.compile(conn)
                plan = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params))
        finally:
            engine.dispose()
        index = "customers_search_grams" if len(query) <= 2 else "customers_search_trgm"
        assert index in plan and "Seq Scan" not in plan, plan
        rows = store.find("customers")
        assert [r["id"] for r in store.find("customers", Contains(SEARCH, query))] == reference(
            rows, Contains(SEARCH, query))

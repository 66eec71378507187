"""`goldsieve store copy`: every table moves to PostgreSQL with its ids, verified; an occupied
target or a copy that does not verify writes nothing."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.pool import NullPool

from goldsieve.cli import cli
from goldsieve.store import TABLES, StoreError, TinyStore, open_store
from goldsieve.store.copy import copy_store
from goldsieve.store.postgres.store import PgTransaction, PostgresStore, engine_for
from goldsieve.testing.postgres import scratch_schema, server_url
from goldsieve.workspace import Workspace, set_store_url

from tests.store.conftest import needs_postgres

pytestmark = needs_postgres


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("copy") / "demo"
    result = run("demo", "--workspace", str(folder), "--deals", "60", "--no-serve")
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture
def target():
    with scratch_schema(server_url()) as url:
        yield url


def everything(store) -> dict:
    return {table: store.find(table) for table in TABLES}


def export(workspace: Path, what: str) -> list:
    result = run("export", "-w", str(workspace), "--what", what, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_copy_moves_every_table_with_its_ids_and_the_workspace_runs_on_it(demo, target, tmp_path):
    with TinyStore(demo / "data") as source:
        before = everything(source)
    assert before["deals"] and before["events"] and before["users"] and before["audit"]
    exported = {what: export(demo, what) for what in ("deals", "events")}

    result = run("store", "copy", "-w", str(demo), "--to", target)
    assert result.exit_code == 0, result.output
    assert re.search(rf"^deals +{len(before['deals'])} rows  sha256 [0-9a-f]{{64}}$", result.output, re.M)
    with open_store(target, tmp_path) as copied:
        assert everything(copied) == before, "every document, with its id"
        with copied.transaction() as txn:
            new = txn.insert("deals", {"title": "after the copy"})
        assert new > max(d["id"] for d in before["deals"]), "new ids follow the copied ones"

    moved = tmp_path / "moved"  # the workspace without its embedded data, on PostgreSQL
    shutil.copytree(demo, moved, ignore=shutil.ignore_patterns("journal", "snapshot", "lock"))
    set_store_url(Workspace.load(moved), target)
    with open_store(target, tmp_path) as copied, copied.transaction() as txn:
        txn.delete("deals", new)
    assert {what: export(moved, what) for what in ("deals", "events")} == exported, \
        "the exports (every deal and event as the app sees them) are identical"


def test_a_target_holding_data_is_refused_and_left_as_it_was(demo, target, tmp_path):
    with open_store(target, tmp_path) as store, store.transaction() as txn:
        txn.insert("notifications", {"keep": True})
    result = run("store", "copy", "-w", str(demo), "--to", target)
    assert result.exit_code == 1
    assert "not empty: notifications (1 rows)" in result.output
    with open_store(target, tmp_path) as store:
        assert {t: store.count(t) for t in TABLES} == {t: int(t == "notifications") for t in TABLES}


def test_a_copy_that_does_not_verify_writes_nothing(demo, target, tmp_path, monkeypatch):
    original = PgTransaction.restore

    def restore_with_a_flaw(self, table, docs, batch=1000):
        docs = list(docs)
        if table == "events":
            docs[-1] = {**docs[-1], "type": "tampered"}
        original(self, table, docs, batch)

    monkeypatch.setattr(PgTransaction, "restore", restore_with_a_flaw)
    with TinyStore(demo / "data") as source, PostgresStore(target) as store:
        with pytest.raises(StoreError, match="events: the copy does not match the source"):
            copy_store(source, store)
        assert sum(store.count(t) for t in TABLES) == 0


@pytest.mark.parametrize("to, says", [
    ("tinydb:elsewhere", "copy into a PostgreSQL store"),
    ("postgresql://u@127.0.0.1:1/none", "cannot reach PostgreSQL"),
])
def test_a_target_that_is_not_a_reachable_postgresql_is_refused(demo, to, says):
    result = run("store", "copy", "-w", str(demo), "--to", to)
    assert result.exit_code == 1 and says in result.output


def test_the_copied_tables_have_the_planners_statistics_at_once(demo, target):
    """Without them the planner takes every copied table for empty until autovacuum runs."""
    with TinyStore(demo / "data") as source, PostgresStore(target) as store:
        copy_store(source, store)
        engine = engine_for(target, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                estimated = dict(conn.exec_driver_sql(
                    "SELECT relname, reltuples FROM pg_class WHERE oid IN "
                    "('deals'::regclass, 'events'::regclass, 'goldsieve_stays'::regclass)").all())
                stays = conn.exec_driver_sql("SELECT count(*) FROM goldsieve_stays").scalar()
        finally:
            engine.dispose()
        assert stays > store.count("deals")  # the stays derived from the copied events
        assert estimated == {"deals": store.count("deals"), "events": store.count("events"),
                             "goldsieve_stays": stays}


def test_a_failed_analyze_leaves_the_verified_copy_standing(demo, target, monkeypatch, caplog):
    import sqlalchemy as sa

    def refuse(names):
        raise sa.exc.OperationalError("ANALYZE", {}, Exception("out of shared memory"))

    with TinyStore(demo / "data") as source, PostgresStore(target) as store:
        monkeypatch.setattr(store, "analyze", refuse)
        copied = copy_store(source, store)
        assert {c.table: c.rows for c in copied}["deals"] == store.count("deals") > 0
    assert "were not analyzed" in caplog.text


def test_a_merged_customer_and_its_survivor_copy_as_they_are(demo, target, tmp_path):
    """A merge leaves ``merged_into``, ``merged_from`` and keys marked ``merged_from`` in the
    documents: the copy carries them, and PostgreSQL's unique key index takes them."""
    from goldsieve.people.permissions import SYSTEM
    from goldsieve.records.merging import merge
    from goldsieve.runtime import open_runtime

    merged = tmp_path / "merged"
    shutil.copytree(demo, merged, ignore=shutil.ignore_patterns("lock"))
    pair = json.loads((merged / "demo.json").read_text("utf-8"))["merge"]
    with open_runtime(Workspace.load(merged), entry_points=False) as runtime:
        merge(runtime.customers, SYSTEM, pair["duplicate"], into=pair["into"])
    with TinyStore(merged / "data") as source:
        before = everything(source)
    result = run("store", "copy", "-w", str(merged), "--to", target)
    assert result.exit_code == 0, result.output
    with open_store(target, tmp_path) as copied:
        assert copied.get("customers", pair["duplicate"])["merged_into"] == pair["into"]
        assert copied.get("customers", pair["into"])["merged_from"] == [pair["duplicate"]]
        assert everything(copied) == before

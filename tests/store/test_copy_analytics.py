"""After `goldsieve store copy`, a demo workspace on PostgreSQL answers every analytics question
exactly as it did on the embedded store: the API's funnel, trend (week, month), forecast and
advice, the pages' CSV tables and the exports, for an admin, a manager and a rep (issue 8,
"Done when"). The answers are compared whole, so any path that computes them differently on
PostgreSQL (an SQL path, say) has to agree to the last digit."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from goldsieve.cli import cli
from goldsieve.people.users import find_user
from goldsieve.runtime import open_runtime
from goldsieve.testing.analytics import analytics_answers, demo_askers, first_difference
from goldsieve.testing.postgres import scratch_schema, server_url
from goldsieve.workspace import Workspace, set_store_url

from tests.store.conftest import needs_postgres

USERS = demo_askers()
NOW = datetime.now(UTC).replace(microsecond=0)  # one moment for both sides


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="module")
def moved(tmp_path_factory):
    """A demo workspace's answers on the embedded store, then the same workspace on PostgreSQL."""
    folder = tmp_path_factory.mktemp("copy-analytics") / "demo"
    result = run("demo", "--workspace", str(folder), "--deals", "400", "--no-serve")
    assert result.exit_code == 0, result.output
    before = analytics_answers(folder, USERS, NOW)
    with scratch_schema(server_url()) as target:
        result = run("store", "copy", "-w", str(folder), "--to", target)
        assert result.exit_code == 0, result.output
        workspace = set_store_url(Workspace.load(folder), target)
        yield workspace, before, analytics_answers(folder, USERS, NOW)


@needs_postgres
def test_every_answer_is_identical_after_the_copy(moved):
    _, before, after = moved
    assert first_difference(before, after) is None
    assert before == after
    # the answers say something: every scope has deals, and each scope is narrower than the last
    year = "/api/v1/analytics/funnel?funnel=software&from="
    entered = {user: sum(s["entered"] for s in answer["stages"])
               for key, answer in before.items() for user in USERS if key.startswith(f"{user} GET {year}")}
    assert entered["admin"] > entered["mgr.zhao"] > entered["rep.li"] > 0
    assert len(before["admin export events"]) > len(before["rep.li export events"]) > 1
    assert sum(len(a["buckets"]) for k, a in before.items() 
               if "/api/v1/analytics/trend" in k and "interval=week" in k) > 0
    assert any(a["suggestions"] for k, a in before.items() if "/advice" in k)


@needs_postgres
def test_a_change_on_postgresql_shows_in_the_comparison(moved):
    """The comparison is not blind: one deal of the rep lost on PostgreSQL changes the answers."""
    workspace, before, _ = moved
    with open_runtime(workspace, clock=lambda: NOW, entry_points=False) as runtime:
        rep = find_user(runtime.store, "rep.li")
        deal = runtime.engine.list(rep, funnel="software", status="open", limit=1)[0]
        runtime.engine.move(rep, deal["id"], "lost", lost_reason="price")
    rep_only = {"rep.li": USERS["rep.li"]}
    after = analytics_answers(workspace.path, rep_only, NOW)
    found = first_difference({k: v for k, v in before.items() if k.startswith("rep.li ")}, after)
    assert found is not None and found.startswith("/rep.li ")


def test_the_first_difference_names_where_and_what():
    assert first_difference({"a": [1, {"b": 2.5}]}, {"a": [1, {"b": 2.5}]}) is None
    assert first_difference({"a": [1, {"b": 2.5}]}, {"a": [1, {"b": 2.4}]}) == "/a/1/b: 2.5 before, 2.4 after"
    assert first_difference({"n": 1}, {"n": 1.0}) == "/n: 1 before, 1.0 after"
    assert first_difference([1, 2], [1]) == ": 2 items before, 1 after"
    assert first_difference({"x": 1}, {"x": 1, "y": 2}) == "/y: only after"
    assert first_difference(["a\nb"], ["a\nc"]) == "/0: 'a\\nb' before, 'a\\nc' after"

"""The weekly digest: once per manager and ISO week, not before its hour, the manager's scope only,
on an injected clock."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from goldsieve.analytics import funnel_report
from goldsieve.automation.digest import (
    DigestConfigError,
    Schedule,
    build_digest,
    deliver,
    scan_digests,
    week_label,
)
from goldsieve.automation.worker import Worker
from goldsieve.cli import cli
from goldsieve.store.filters import Eq

MONDAY = datetime(2026, 1, 12, tzinfo=timezone.utc)  # ISO week 2026-W03


@pytest.fixture
def org(goldsieve_runtime, goldsieve_make_user, goldsieve_make_team):
    """Team east (manager mona, rep rita), team west (rep otto, whom mona does not manage)."""
    goldsieve_make_user("mona", "manager")
    goldsieve_make_team("east", manager="mona")
    goldsieve_make_team("west")
    goldsieve_make_user("rita", "rep", team="east")
    goldsieve_make_user("otto", "rep", team="west")
    engine = goldsieve_runtime.engine
    funnel = engine.funnels.get(next(iter(engine.funnels)).id)
    engine.create(user(goldsieve_runtime, "rita"), funnel.id, "East deal", {"company": "Acme"})
    engine.create(user(goldsieve_runtime, "otto"), funnel.id, "West deal", {"company": "Initech"})
    return goldsieve_runtime


def user(rt, name):
    return rt.store.find("users", Eq("username", name))[0]


def digests(rt, name="mona"):
    return [n for n in rt.store.find("notifications", Eq("user", name)) if n["key"].startswith("digest:")]


def test_sent_once_a_week_at_or_after_its_hour(org, goldsieve_clock):
    schedule = Schedule()
    goldsieve_clock.now = MONDAY + timedelta(hours=7, minutes=59)
    assert scan_digests(org.engine, goldsieve_clock(), schedule) == 0
    assert digests(org) == []
    goldsieve_clock.now = MONDAY + timedelta(hours=8)
    assert scan_digests(org.engine, goldsieve_clock(), schedule) == 1
    assert scan_digests(org.engine, goldsieve_clock(), schedule) == 0  # a second scan
    goldsieve_clock.advance(days=3)
    assert scan_digests(org.engine, goldsieve_clock(), schedule) == 0  # later that week
    [sent] = digests(org)
    assert sent["key"] == "digest:mona:2026-W03" and sent["read_at"] is None
    assert digests(org, "rita") == [] and digests(org, "otto") == []  # reps get none
    goldsieve_clock.now = MONDAY + timedelta(days=7, hours=8)  # the next week
    assert scan_digests(org.engine, goldsieve_clock(), schedule) == 1
    assert [d["key"] for d in digests(org)] == ["digest:mona:2026-W03", "digest:mona:2026-W04"]


def test_numbers_match_analytics_in_the_managers_scope(org, goldsieve_clock):
    goldsieve_clock.now = MONDAY + timedelta(hours=9)
    mona = user(org, "mona")
    digest = build_digest(org.engine, mona, goldsieve_clock())
    assert digest.week == "2026-W03" and digest.start == MONDAY - timedelta(days=7) and digest.end == MONDAY
    engine = org.engine
    for funnel_id, lines in digest.funnels.items():
        last = funnel_report(engine.store, engine.funnels, funnel_id, engine.scope(mona), digest.start, MONDAY)
        for line in lines:
            stage = last.stage(line.stage)
            assert (line.deals, line.conversion) == (stage.current, stage.conversion)
            assert line.dwell_median == stage.dwell_days.get("median")
    first = digest.funnels[next(iter(engine.funnels)).id][0]
    assert first.deals == 1 and first.deals_change == 1  # rita's deal; otto's is not mona's to see
    label = engine.funnels.get(next(iter(engine.funnels)).id).stage(first.stage).label()
    assert f"  {label}: 1 deals (+1), conversion 0% (n/a), median dwell n/a (n/a)" in digest.text()


def test_stale_deals_listed_in_scope(org, goldsieve_clock):
    engine = org.engine
    for deal in engine.store.find("deals"):
        engine.mark_stale(deal, "2026-01-09T00:00:00.000Z")
    goldsieve_clock.now = MONDAY + timedelta(hours=9)
    digest = build_digest(engine, user(org, "mona"), goldsieve_clock())
    assert digest.stale_count == 1 and [d["title"] for d in digest.stale] == ["East deal"]
    assert "#%d East deal" % digest.stale[0]["id"] in digest.text() and "West deal" not in digest.text()


def read_before_that_commit(monkeypatch, store, stale_row):
    """From now on the store's transactions read ``stale_row`` for the user, as a worker that read
    the row before another worker's commit does."""
    transaction = store.transaction

    @contextmanager
    def stale_reads():
        with transaction() as txn:
            real_get = txn.get
            txn.get = lambda table, id: stale_row if table == "users" else real_get(table, id)
            yield txn

    monkeypatch.setattr(store, "transaction", stale_reads)


def test_a_worker_that_lost_the_race_writes_nothing(org, goldsieve_clock, monkeypatch):
    goldsieve_clock.now = MONDAY + timedelta(hours=8)  # her first digest: the row's version from add_user
    stale_row = user(org, "mona")
    mona = user(org, "mona")
    digest = build_digest(org.engine, mona, goldsieve_clock())
    assert deliver(org.engine, mona, digest, goldsieve_clock())  # the other worker, first
    read_before_that_commit(monkeypatch, org.store, stale_row)
    assert not deliver(org.engine, mona, digest, goldsieve_clock())
    monkeypatch.undo()
    assert [d["key"] for d in digests(org)] == ["digest:mona:2026-W03"]


def test_a_lost_mark_is_put_back_and_the_digest_not_sent_again(org, goldsieve_clock):
    """A write from a stale read of the user (a login as the digest commits) can undo the mark."""
    goldsieve_clock.now = MONDAY + timedelta(hours=8)
    before = user(org, "mona")
    assert scan_digests(org.engine, goldsieve_clock(), Schedule()) == 1
    with org.store.transaction() as txn:  # the stale write: the row as it was before the digest
        txn.replace("users", {**before, "version": user(org, "mona")["version"] + 1})
    assert "digest_week" not in user(org, "mona")
    assert scan_digests(org.engine, goldsieve_clock(), Schedule()) == 0
    assert [d["key"] for d in digests(org)] == ["digest:mona:2026-W03"]
    assert user(org, "mona")["digest_week"] == "2026-W03"  # put back: later scans skip her at once


def test_the_runtimes_histories_give_the_digest_the_log_gives_after_a_write(org, goldsieve_clock):
    """The digest page and the worker read the runtime's shared histories: the same digest as
    the log read afresh, also right after a write."""
    goldsieve_clock.now = MONDAY + timedelta(hours=9)
    mona = user(org, "mona")
    assert build_digest(org.engine, mona, goldsieve_clock(), org.histories).text() == \
        build_digest(org.engine, mona, goldsieve_clock()).text()
    deal = org.store.find("deals", Eq("title", "East deal"))[0]
    org.engine.lose(user(org, "rita"), deal["id"], "price")
    goldsieve_clock.now = MONDAY + timedelta(days=7, hours=9)
    cached = build_digest(org.engine, mona, goldsieve_clock(), org.histories)
    assert cached.text() == build_digest(org.engine, mona, goldsieve_clock()).text()
    assert cached.headlines  # the loss is in last week's numbers


def test_the_worker_digests_from_the_runtimes_histories(org, goldsieve_clock, monkeypatch):
    import goldsieve.automation.digest as digest_module

    goldsieve_clock.now = MONDAY + timedelta(hours=8)
    monkeypatch.setattr(digest_module, "HistoryCache", lambda *a: pytest.fail("a cache of its own"))
    Worker(org).run_once()
    assert len(digests(org)) == 1 and (org.histories.held() != []) is (not org.store.keeps_stays)


def test_the_worker_round_sends_the_digest(org, goldsieve_clock):
    goldsieve_clock.now = MONDAY + timedelta(hours=8)
    assert Worker(org).run_once()["digests"] == 1
    assert Worker(org).run_once()["digests"] == 0  # a restart
    assert len(digests(org)) == 1


@pytest.mark.parametrize("section, message", [
    ({"weekday": 0}, "weekday"), ({"weekday": "mon"}, "weekday"), ({"hour": 24}, "hour"),
    ({"hour": True}, "hour")])
def test_bad_schedule_is_refused(section, message):
    with pytest.raises(DigestConfigError, match=message):
        Schedule.from_config({"digest": section})


def test_configured_weekday_and_hour():
    schedule = Schedule.from_config({"digest": {"weekday": 5, "hour": 17}})
    assert schedule.due_at(MONDAY + timedelta(days=2)) == MONDAY + timedelta(days=4, hours=17)
    assert week_label(MONDAY + timedelta(days=6, hours=23)) == "2026-W03"


@pytest.fixture
def workspace_with_a_manager(goldsieve_workspace):
    from goldsieve.people.users import add_user
    from goldsieve.runtime import open_runtime
    from goldsieve.testing import TEST_PASSWORD

    with open_runtime(goldsieve_workspace, entry_points=False) as rt:
        add_user(rt.store, "mona", "manager", TEST_PASSWORD)
        add_user(rt.store, "rita", "rep", TEST_PASSWORD)
    return goldsieve_workspace


def notifications_in(workspace):
    from goldsieve.runtime import open_runtime

    with open_runtime(workspace, entry_points=False) as rt:
        return rt.store.find("notifications")


def run_digest(workspace, *args):
    return CliRunner().invoke(cli, ["digest", *args, "--workspace", str(workspace.path)])


def test_cli_dry_run_prints_and_writes_nothing(workspace_with_a_manager):
    result = run_digest(workspace_with_a_manager, "--dry-run", "--as", "mona")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Weekly digest ") and "Stale deals: 0" in result.output
    assert notifications_in(workspace_with_a_manager) == []


@pytest.mark.parametrize("args, message", [((), "--once"), (("--once", "--dry-run"), "--once"),
                                           (("--once", "--as", "rita"), "no active manager"),
                                           (("--once", "--as", "ghost"), "no active manager")])
def test_cli_refuses_and_writes_nothing(workspace_with_a_manager, args, message):
    result = run_digest(workspace_with_a_manager, *args)
    assert result.exit_code == 1 and message in result.output
    assert notifications_in(workspace_with_a_manager) == []


def test_cli_once_sends_once_a_week(workspace_with_a_manager):
    week = week_label(datetime.now(timezone.utc))
    first = run_digest(workspace_with_a_manager, "--once")
    assert first.exit_code == 0, first.output
    assert first.output.strip() == f"mona: sent {week}"
    assert run_digest(workspace_with_a_manager, "--once", "--as", "mona").output.strip() == f"mona: already sent {week}"
    assert [n["key"] for n in notifications_in(workspace_with_a_manager)] == [f"digest:mona:{week}"]

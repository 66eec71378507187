"""The funnel report computed by PostgreSQL equals the Python computation over the same events.

Skipped without ``GOLDSIEVE_TEST_POSTGRES``. Each test loads deals and events into a scratch
schema — the events through ``insert``, so the trigger builds the stays — and compares
:func:`sql_funnel_report` with :func:`funnel_metrics` over histories built in Python from the
same events, for the visible deals in id order. Every number — means and sums included, both
paths add exactly and round once — and the deal ids behind each lost reason must be equal.
"""
from __future__ import annotations

import random
from datetime import timedelta

import pytest

from goldsieve.analytics import funnel_report
from goldsieve.analytics.metrics import funnel_metrics
from goldsieve.analytics.sql import sql_funnel_report, sql_trend
from goldsieve.analytics.stays import StageMapper, build_history
from goldsieve.analytics.trend import trend
from goldsieve.clock import parse_stamp, stamp
from goldsieve.errors import NotFound
from goldsieve.store.filters import Eq, Everything, any_of, matches
from goldsieve.store.postgres.stays import AMOUNTS, STAYS
from goldsieve.store.postgres.store import PostgresStore
from goldsieve.testing.postgres import ENVIRONMENT, scratch_schema, server_url

from tests.analytics.equality import assert_same, numbers
from tests.analytics.handmade import FUNNEL, LOG, created, day, event, moved, registry
from tests.analytics.test_stays import bypassed, version_two

pytestmark = pytest.mark.skipif(not server_url(), reason=f"set {ENVIRONMENT}=postgresql://… to run it")

SCOPES = [Everything(), Eq("owner", "rita"), any_of(Eq("team", "east"), Eq("owner", "rob"))]


@pytest.fixture
def store():
    with scratch_schema(server_url()) as url:
        opened = PostgresStore(url, pool_size=2)
        yield opened
        opened.close()


def owner_of(deal_id: int) -> tuple[str, str]:
    return [("rita", "east"), ("rob", "west"), ("ann", "east"), ("ted", "west")][deal_id % 4]


def load(store: PostgresStore, log: dict[int, list[dict]]) -> list[dict]:
    """The deals (ids kept, owners and teams spread) and their events, in time order."""
    deals = []
    for deal_id, events in sorted(log.items()):
        owner, team = owner_of(deal_id)
        deals.append({"id": deal_id, "funnel": "mini", "created_at": events[0]["at"], "owner": owner,
                      "team": team, "stage": events[-1].get("to_stage") or "lead"})
    with store.transaction() as txn:
        txn.restore("deals", [dict(deal) for deal in deals])
        for e in sorted((e for events in log.values() for e in events), key=lambda e: e["at"]):
            txn.insert("events", dict(e))
    return deals


def python_report(funnels, deals, log, scope, start, end, now=None):
    mapper = StageMapper(funnels, "mini")
    histories = [build_history(d["id"], log[d["id"]], mapper) for d in deals if matches(scope, d)]
    return funnel_metrics([h for h in histories if h is not None], funnels.get("mini"), start, end, now)


def compare(store, funnels, deals, log, start, end, now=None, scopes=SCOPES):
    for scope in scopes:
        found = sql_funnel_report(store, funnels, "mini", scope, start, end, now)
        expected = python_report(funnels, deals, log, scope, start, end, now)
        assert_same(numbers(found), numbers(expected), f"{scope!r} [{start}, {end})")


def test_the_hand_written_log_gives_the_same_numbers(store):
    funnels = registry()
    deals = load(store, LOG)
    for start, end in [(day(1), day(15)), (day(2), day(4)), (day(4), day(10)), (day(1, 12, 2025), day(1, 3)),
                       (day(9), day(12)), (day(20), day(21))]:
        compare(store, funnels, deals, LOG, start, end)
    compare(store, funnels, deals, LOG, day(1), day(31), now=day(13))
    lead = sql_funnel_report(store, funnels, "mini", Everything(), day(1), day(15)).stage("lead")
    assert (lead.entered, lead.advanced, lead.lost, lead.still_in) == (4, 2, 1, 1)  # as test_metrics
    assert lead.lost_deals == {"price": [2]}


def test_older_versions_map_onto_the_newest(store):
    funnels = registry(FUNNEL, version_two())
    log = {1: LOG[1], 3: LOG[3],
           7: [created(7, day(2), 70), moved(7, day(3), "lead", "qualified"),
               {**event(7, "migrated", day(4), frm="qualified", to="needs", version=2)},
               {**moved(7, day(6), "needs", "quote"), "funnel_version": 2}],
           8: [created(8, day(2)), {**event(8, "migrated", day(4), frm="lead", to="quote"), "funnel_version": 2}]}
    deals = load(store, log)
    needs = sql_funnel_report(store, funnels, "mini", Everything(), day(1), day(15)).stage("needs")
    assert (needs.entered, needs.advanced) == (3, 2)  # deals 1 and 7 moved on, 3 is still there
    for start, end in [(day(1), day(15)), (day(4), day(5)), (day(3), day(6))]:
        compare(store, funnels, deals, log, start, end)


def random_log(rng: random.Random, deals: int) -> tuple[dict[int, list[dict]], list]:
    """Deals on version 1 moving forward and back, lost with a reason (or none), reopened,
    amounts updated; some migrated to version 2 (``qualified`` became ``needs``) on the way;
    some entries past a gate (a ``gate_bypassed`` just before), and now and then a bypass that
    no entry follows at once. Steps of 0 hours make several events share an instant."""
    v1 = ["lead", "qualified", "quote", "won", "lost"]
    v2 = ["lead", "needs", "quote", "won", "lost"]
    log, instants = {}, []
    for deal_id in range(1, deals + 1):
        at = day(1) + timedelta(hours=rng.randrange(0, 24 * 50))
        amount = rng.choice([None, rng.randrange(1, 5000), round(rng.uniform(1, 900), 2)])
        stage, version = "lead", 1
        events = [created(deal_id, at, amount, stage)]
        for _ in range(rng.randrange(0, 9)):
            at += timedelta(hours=rng.choice([0, 1, 5, 24, 24 * 7, 24 * 20]))
            stages = v1 if version == 1 else v2
            roll = rng.random()
            if roll < 0.15:
                events.append({**event(deal_id, "updated", at, amount=rng.choice([rng.randrange(0, 9000), 12.5])),
                               "funnel_version": version})
                continue
            if roll < 0.25 and version == 1:
                version = 2
                to = "needs" if stage == "qualified" else stage
                events.append({**event(deal_id, "migrated", at, frm=stage, to=to), "funnel_version": 2})
                stage = to
                continue
            if stage in ("won", "lost"):
                to = rng.choice(stages[:3])
                entry = {**event(deal_id, "reopened", at, to=to, frm=stage), "funnel_version": version}
            else:
                to = rng.choice([s for s in stages if s != stage])
                reason = rng.choice(["price", "timing", None, ""]) if to == "lost" else None
                entry = {**moved(deal_id, at, stage, to, reason), "funnel_version": version}
            past_gate = rng.random()
            if past_gate < 0.25:
                events.append({**bypassed(deal_id, at, stage, to), "funnel_version": version})
            if past_gate < 0.05:  # a stray one: the deal's next entry, whenever it comes, is marked
                continue
            events.append(entry)
            stage = to
        if rng.random() < 0.1:
            events.append(event(deal_id, "note_added", at))
        log[deal_id] = events
        instants += [parse_stamp(e["at"]) for e in events]
    return log, sorted(instants)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_histories_give_the_same_numbers(store, seed):
    rng = random.Random(seed)
    funnels = registry(FUNNEL, version_two())
    log, instants = random_log(rng, 60)
    deals = load(store, log)
    for _ in range(12):
        start, end = sorted(rng.sample(instants, 2))  # edges on event instants
        if start == end:
            end += timedelta(days=1)
        now = rng.choice([None, end, start + (end - start) / 2])
        compare(store, funnels, deals, log, start, end, now)
    compare(store, funnels, deals, log, day(1), day(1, 6))  # everything
    compare(store, funnels, deals, log, day(1, 12, 2025), day(1))  # before anything
    everything = sql_funnel_report(store, funnels, "mini", Everything(), day(1), day(1, 6))
    assert sum(row.bypassed for row in everything.stages) > 0


@pytest.mark.parametrize("seed, interval", [(4, "week"), (5, "month")])
def test_random_histories_give_the_same_trend(store, seed, interval):
    rng = random.Random(seed)
    funnels = registry(FUNNEL, version_two())
    log, instants = random_log(rng, 60)
    deals = load(store, log)
    mapper = StageMapper(funnels, "mini")
    buckets = []
    for _ in range(6):
        start, end = sorted(rng.sample(instants, 2))
        now = rng.choice([None, end - (end - start) / 3])
        for scope in SCOPES:
            found = [build_history(d["id"], log[d["id"]], mapper) for d in deals if matches(scope, d)]
            expected = trend(found, funnels.get("mini"), start, end, interval, now)
            assert sql_trend(store, funnels, "mini", scope, start, end, interval, now) == expected
            buckets += expected
    assert any(b["won"] or b["lost"] for b in buckets) and any(s["advanced"] for b in buckets for s in b["stages"])


def stays_tables(store):
    return [store.read_sql(f"SELECT * FROM {table} ORDER BY deal_id, seq", {}) for table in (STAYS, AMOUNTS)]


def test_the_rebuild_derives_what_the_trigger_kept(store):
    log, _ = random_log(random.Random(7), 80)
    load(store, log)
    kept = stays_tables(store)
    assert len(kept[0]) > 80 and kept[1]
    with store.transaction() as txn:
        txn.conn.exec_driver_sql("SELECT goldsieve_rebuild_stays()")
    assert stays_tables(store) == kept


def test_a_copied_log_gives_the_stays_of_the_live_one(store):
    """A bulk copy inserts events with the trigger off and derives the stays afterwards."""
    log, _ = random_log(random.Random(11), 40)
    load(store, log)
    kept = stays_tables(store)
    with scratch_schema(server_url()) as url, PostgresStore(url, pool_size=1) as copy:
        with copy.transaction() as txn:
            txn.restore("events", store.find("events"))
        assert stays_tables(copy) == kept
        with copy.transaction() as txn:  # and the trigger is on again
            txn.insert("events", created(999, day(3), 5))
        assert copy.read_sql(f"SELECT count(*) FROM {STAYS} WHERE deal_id = 999", {})[0][0] == 1


def test_the_upgrade_to_0002_fills_the_stays_from_the_events_already_stored(store):
    """A database at revision 0001 (events, no stays) gets the tables, the trigger and every
    stay of its log when a store opens on it."""
    log, _ = random_log(random.Random(13), 30)
    load(store, log)
    kept = stays_tables(store)
    with store.transaction() as txn:  # back to what revision 0001 left
        txn.conn.exec_driver_sql("DROP TRIGGER events_stays ON events")
        txn.conn.exec_driver_sql("DROP FUNCTION goldsieve_apply_event(), goldsieve_rebuild_stays()")
        txn.conn.exec_driver_sql(f"DROP TABLE {STAYS}, {AMOUNTS}")
        txn.conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
    with PostgresStore(store.url, pool_size=1) as upgraded:
        assert stays_tables(upgraded) == kept
        with upgraded.transaction() as txn:
            txn.insert("events", moved(1, day(28, 3), "lead", "quote"))
        assert stays_tables(upgraded) != kept  # the trigger is there


def test_the_upgrade_to_0003_adds_what_a_bypass_needs(store):
    """A database at revision 0002 (stays without the bypass columns) gets them, and the trigger
    that fills them, when a store opens on it."""
    load(store, {1: LOG[1][:2]})
    with store.transaction() as txn:  # back to what revision 0002 left
        txn.conn.exec_driver_sql(f"ALTER TABLE {STAYS} DROP COLUMN bypassed, DROP COLUMN left_bypassing")
        txn.conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0002'")
    with PostgresStore(store.url, pool_size=1) as upgraded:
        assert [(r.stage, r.bypassed) for r in stays_tables(upgraded)[0]] == [("lead", False), ("qualified", False)]
        with upgraded.transaction() as txn:
            txn.insert("events", bypassed(1, day(7), "qualified", "quote"))
            txn.insert("events", moved(1, day(7), "qualified", "quote"))
        assert [(r.stage, r.bypassed, r.left_bypassing) for r in stays_tables(upgraded)[0]] == [
            ("lead", False, False), ("qualified", False, True), ("quote", True, False)]


def test_events_the_rules_cannot_read_are_stored_and_change_no_stay(store):
    deals = load(store, {1: LOG[1][:1]})
    with store.transaction() as txn:
        for junk in ({"type": "created", "deal_id": "one", "at": stamp(day(2))},
                     {"type": "stage_changed", "deal_id": 1, "at": "yesterday", "to_stage": "won"},
                     {"type": "created", "deal_id": 2},
                     {"note": "no type at all"}):
            txn.insert("events", junk)
    assert store.count("events") == 5
    assert [(r.deal_id, r.stage, r.left_at) for r in stays_tables(store)[0]] == [(1, "lead", None)]
    compare(store, registry(), deals, {1: LOG[1][:1]}, day(1), day(15))


def test_an_unknown_funnel_is_refused_before_any_query(store):
    with pytest.raises(NotFound):
        sql_funnel_report(store, registry(), "nope", Everything(), day(1), day(2))


def test_funnel_report_takes_the_database_path_on_postgresql(store, monkeypatch):
    load(store, LOG)
    monkeypatch.setattr("goldsieve.analytics.loading.load_histories", lambda *a: pytest.fail("read histories"))
    report = funnel_report(store, registry(), "mini", Eq("owner", "rob"), day(1), day(15))
    assert (report.deals, report.won) == (1, 1)  # rob's deal 1 (his deal 5 comes later)

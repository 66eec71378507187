"""Stale deals and overdue tasks: marked once per episode, cleared by activity, on an injected
clock; the worker that runs the scans and the deliveries, in a thread and as a command."""
from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from goldsieve.automation.scanner import scan_overdue, scan_stale
from goldsieve.automation.worker import Worker
from goldsieve.cli import cli
from goldsieve.clock import stamp
from goldsieve.deals.stale import idle_since
from goldsieve.deals.tasks import complete_task, task_row
from goldsieve.funnels.model import Stage
from goldsieve.people.users import add_user
from goldsieve.store.filters import Eq
from goldsieve.testing import TEST_PASSWORD
from tests.automation.test_dispatch import wait_for
from tests.conftest import load_funnel

READY = {"company": "Acme", "needs_survey": "40 users", "amount": 1000}
OVERDUE_RULE = {"id": "late", "on": "task_overdue", "do": [{"action": "notify", "to": "owner",
                                                            "message": "late on {title}"}]}


@pytest.fixture
def goldsieve_funnel():
    funnel = load_funnel("design_example")
    funnel["automations"].append(copy.deepcopy(OVERDUE_RULE))
    return funnel


@pytest.fixture
def rt(goldsieve_runtime):
    add_user(goldsieve_runtime.store, "rita", "rep", TEST_PASSWORD)
    return goldsieve_runtime


def rita(rt):
    return rt.store.find("users", Eq("username", "rita"))[0]


def in_quote(rt):
    deal = rt.engine.create(rita(rt), "handmade", "Acme ERP", {"company": "Acme"})
    rt.engine.move(rita(rt), deal["id"], "qualified", READY)
    return rt.engine.move(rita(rt), deal["id"], "quote")


def scan(rt):
    return scan_stale(rt.engine, rt.engine.clock())


def deliver(rt):
    while rt.dispatcher.deliver_due("test"):
        pass


def notes(rt):
    return [n["text"] for n in rt.store.find("notifications", Eq("user", "rita"))]


def test_a_deal_idle_past_rot_days_fires_its_stale_rule_exactly_once(rt, goldsieve_clock):
    deal = in_quote(rt)  # quote: rot_days 7
    goldsieve_clock.advance(days=6, hours=23)
    assert scan(rt) == 0
    goldsieve_clock.advance(hours=2)
    assert scan(rt) == 1
    marked = rt.store.get("deals", deal["id"])
    assert marked["stale_since"] and marked["updated_at"] == deal["updated_at"]  # not an activity
    for _ in range(3):  # later scans (and retries) do not fire again
        goldsieve_clock.advance(days=1)
        assert scan(rt) == 0
        deliver(rt)
    assert len(notes(rt)) == 1
    [task] = rt.store.find("tasks")
    assert task["title"] == "Follow up the quote" and task["assignee"] == "rita"
    # activity clears the mark; a new idle period is a new episode
    rt.engine.add_note(rita(rt), deal["id"], "called them")
    assert rt.store.get("deals", deal["id"])["stale_since"] is None
    goldsieve_clock.advance(days=6)
    assert scan(rt) == 0
    goldsieve_clock.advance(days=2)
    assert scan(rt) == 1
    deliver(rt)
    assert len(notes(rt)) == 2


def test_every_kind_of_activity_clears_the_mark(rt, goldsieve_clock):
    deal = in_quote(rt)
    me = rita(rt)

    def add_task_and_do_it():
        with rt.store.transaction() as txn:
            task_id = txn.insert("tasks", task_row(rt.store.get("deals", deal["id"]), "Call", "rita",
                                                   None, "rita", goldsieve_clock.now))
        complete_task(rt.engine, me, task_id)

    activities = {
        "field change": lambda: rt.engine.update(me, deal["id"], {"amount": 2000}),
        "note": lambda: rt.engine.add_note(me, deal["id"], "called"),
        "task done": add_task_and_do_it,
        "move": lambda: rt.engine.move(me, deal["id"], "negotiation"),
    }
    for name, activity in activities.items():
        goldsieve_clock.advance(days=8)
        assert scan(rt) == 1, name
        activity()
        assert rt.store.get("deals", deal["id"])["stale_since"] is None, name


def test_closed_deals_and_stages_without_rot_days_never_go_stale(rt, goldsieve_clock):
    lead = rt.engine.create(rita(rt), "handmade", "Lead", {"company": "Acme"})  # lead: no rot_days
    won = in_quote(rt)
    rt.engine.move(rita(rt), won["id"], "negotiation")
    rt.engine.win(rita(rt), won["id"])
    goldsieve_clock.advance(days=400)
    assert scan(rt) == 0
    assert rt.store.get("deals", lead["id"])["stale_since"] is None


def asked(rt, monkeypatch):
    """Record the ``(table, filter)`` of every ``find`` and answer none: what a scan or a claim
    asks the store, without marking or delivering anything."""
    finds = []
    monkeypatch.setattr(rt.store, "find", lambda table, where=None, **options: finds.append((table, where)) or [])
    return finds


def test_the_stale_scan_is_answered_by_the_ordered_index_on_updated_at(rt, goldsieve_clock, monkeypatch):
    idle = [in_quote(rt)["id"] for _ in range(3)]
    goldsieve_clock.advance(days=8)  # quote: rot_days 7
    for _ in range(5):
        in_quote(rt)
    finds = asked(rt, monkeypatch)
    scan(rt)
    monkeypatch.undo()
    [where] = [where for table, where in finds if table == "deals" and Eq("stage", "quote") in where.parts]
    # Only the 3 idle deals are candidates; the quote stage's 8 deals are not each tested.
    assert rt.store.explain("deals", where).startswith("ordered index updated_at (3 ids), check ")
    assert [deal["id"] for deal in rt.store.find("deals", where)] == idle
    for deal in rt.store.find("deals"):  # activity: nothing is idle, and no deal is looked at
        rt.engine.add_note(rita(rt), deal["id"], "called")
    assert rt.store.explain("deals", where) == "nothing can match"


def test_the_outbox_claim_is_answered_by_the_ordered_index_on_due(rt, goldsieve_clock, monkeypatch):
    now = goldsieve_clock()
    row = {"status": "pending", "lease_until": "", "version": 1, "action": "notify", "attempts": 0}
    with rt.store.transaction() as txn:
        for _ in range(6):  # retries waiting for later
            txn.insert("outbox", {**row, "due": stamp(now.replace(year=now.year + 1))})
        due = [txn.insert("outbox", {**row, "due": stamp(now)}) for _ in range(2)]
    finds = asked(rt, monkeypatch)
    rt.dispatcher.deliver_due("test")
    monkeypatch.undo()
    [(table, where)] = finds
    assert rt.store.explain(table, where).startswith("ordered index due (2 ids), check status")
    assert [row["id"] for row in rt.store.find(table, where)] == due
    with rt.store.transaction() as txn:  # a history of delivered rows, due in the past
        for _ in range(10):
            txn.insert("outbox", {**row, "status": "done", "due": stamp(now)})
    assert rt.store.explain(table, where).startswith("index status (8 ids), check due (ordered)")
    assert [row["id"] for row in rt.store.find(table, where)] == due


def test_business_days_skip_the_weekend():
    stage = Stage("quote", "open", "Quote", 0.5, 0, rot_days=2, rot_days_business=True)
    calendar = Stage("quote", "open", "Quote", 0.5, 0, rot_days=2)
    monday = datetime(2026, 1, 12, 10, 0, tzinfo=timezone.utc)
    assert idle_since(stage, monday) == datetime(2026, 1, 8, 10, 0, tzinfo=timezone.utc)  # Thursday
    assert idle_since(calendar, monday) == datetime(2026, 1, 10, 10, 0, tzinfo=timezone.utc)
    tuesday = datetime(2026, 1, 13, 10, 0, tzinfo=timezone.utc)
    assert idle_since(stage, tuesday) == datetime(2026, 1, 9, 10, 0, tzinfo=timezone.utc)  # Friday


def test_business_day_staleness_end_to_end(goldsieve_funnel, tmp_path, goldsieve_clock):
    from goldsieve.runtime import open_runtime
    from goldsieve.workspace import init_workspace

    funnel = copy.deepcopy(goldsieve_funnel)
    funnel["stages"][3].update(rot_days=2, rot_days_business=True)  # quote
    ws = init_workspace(tmp_path / "ws", funnel)
    goldsieve_clock.now = datetime(2026, 1, 9, 9, 0, tzinfo=timezone.utc)  # a Friday
    with open_runtime(ws, clock=goldsieve_clock, entry_points=False) as runtime:
        add_user(runtime.store, "rita", "rep", TEST_PASSWORD)
        in_quote(runtime)
        goldsieve_clock.now = datetime(2026, 1, 12, 10, 0, tzinfo=timezone.utc)  # Monday
        assert scan(runtime) == 0  # only one business day has passed
        goldsieve_clock.now = datetime(2026, 1, 13, 10, 0, tzinfo=timezone.utc)  # Tuesday
        assert scan(runtime) == 1


def test_an_overdue_task_fires_task_overdue_once(rt, goldsieve_clock):
    deal = rt.engine.create(rita(rt), "handmade", "Acme ERP", {"company": "Acme"})
    with rt.store.transaction() as txn:
        txn.insert("tasks", task_row(deal, "Send the offer", "rita",
                                     goldsieve_clock.now.replace(hour=12), "rita", goldsieve_clock.now))
    assert scan_overdue(rt.engine, goldsieve_clock.now) == 0
    goldsieve_clock.advance(hours=4)
    assert scan_overdue(rt.engine, goldsieve_clock.now) == 1
    goldsieve_clock.advance(days=1)
    assert scan_overdue(rt.engine, goldsieve_clock.now) == 0
    deliver(rt)
    assert notes(rt).count("late on Acme ERP") == 1
    [task] = rt.store.find("tasks")
    assert task["overdue_at"] and task["done_at"] is None
    [event] = [e for e in rt.store.find("events") if e["type"] == "task_overdue"]
    assert event["task_id"] == task["id"] and event["deal_id"] == deal["id"]


def test_the_worker_round_scans_and_delivers(rt, goldsieve_clock):
    in_quote(rt)
    goldsieve_clock.advance(days=8)
    done = Worker(rt).run_once()
    assert done["stale"] == 1 and done["delivered"] >= 2
    assert len(notes(rt)) == 1


def test_the_background_thread_delivers_within_seconds_of_a_commit(rt):
    worker = Worker(rt, interval=3600).start()  # only a commit can wake it in time
    try:
        wait_for(lambda: worker.rounds >= 1)  # the first round finds nothing
        deal = rt.engine.create(rita(rt), "handmade", "Acme", {"company": "Acme"})
        rt.engine.move(rita(rt), deal["id"], "qualified", READY)
        for stage in ("quote", "negotiation"):
            rt.engine.move(rita(rt), deal["id"], stage)
        wait_for(lambda: rt.store.count("outbox", Eq("status", "done")))
    finally:
        worker.stop()
    assert rt.store.count("outbox", Eq("status", "done")) == rt.store.count("outbox") == 1


def test_goldsieve_worker_once(goldsieve_workspace):
    result = CliRunner().invoke(cli, ["worker", "--once", "--workspace", str(goldsieve_workspace.path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "0 stale, 0 overdue, 0 digests, 0 delivered"

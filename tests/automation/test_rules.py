"""Automation: rules fired by changes, the outbox written with the change, delivery with retries,
backoff, idempotency keys and dead letters, the built-in actions, and checking rules."""
from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from goldsieve.automation.channels import Channel, DeliveryError
from goldsieve.checking import check_paths
from goldsieve.clock import parse_stamp
from goldsieve.deals.outbox import DEAD, DONE, MAX_DEPTH, PENDING, backoff
from goldsieve.errors import DefinitionError
from goldsieve.people.teams import add_team
from goldsieve.people.users import add_user
from goldsieve.runtime import open_runtime
from goldsieve.store.filters import Eq
from goldsieve.testing import TEST_PASSWORD
from goldsieve.workspace import Workspace

from tests.conftest import load_funnel

BIG = {"company": "Acme", "needs_survey": "40 users", "amount": 200_000}
RULES = [
    {"id": "tell-manager", "on": "stage_entered", "stage": "negotiation",
     "do": [{"action": "notify", "to": "manager", "message": "{title} ({amount}) is in {stage}",
             "channel": "ops"}]},
    {"id": "quote-stale", "on": "stale", "stage": "quote",
     "do": [{"action": "notify", "to": "owner"}, {"action": "create_task", "title": "Follow up {title}"}]},
    {"id": "welcome", "on": "deal_created", "do": [{"action": "create_task", "title": "Call {company}",
                                                     "due_days": 1}]},
    {"id": "big", "on": "field_changed", "field": "amount",
     "if": {"properties": {"amount": {"minimum": 1000000}}, "required": ["amount"]},
     "do": [{"action": "set_field", "field": "approval_note", "value": "big deal: needs approval"}]},
    {"id": "left-lead", "on": "stage_left", "stage": "lead", "do": [{"action": "notify", "to": "owner"}]},
    {"id": "won", "on": "won", "do": [{"action": "handoff", "team": "care", "task": "Onboard {company}"}]},
    {"id": "lost", "on": "lost", "do": [{"action": "webhook", "channel": "ops"}]},
]


class FakeChannel(Channel):
    """A channel that records what it is sent and fails the first ``failures`` sends."""

    type = "fake"
    options = {"failures": {"type": "integer", "minimum": 0, "default": 0},
               "retryable": {"type": "boolean", "default": True}}

    def __init__(self, name: str, config: dict) -> None:
        super().__init__(name, {"url": "http://127.0.0.1:9/unused", **config})
        self.failures = self.settings["failures"]
        self.retryable = self.settings["retryable"]
        self.calls: list = []
        self.delivered: dict[str, object] = {}

    def send(self, message, *, timeout: float = 10.0) -> None:
        self.calls.append(message.key)
        if self.failures:
            self.failures -= 1
            raise DeliveryError("receiver said 503", retryable=self.retryable)
        self.delivered.setdefault(message.key, message)  # a receiver drops keys it has seen


@pytest.fixture
def goldsieve_funnel():
    funnel = load_funnel("design_example")
    funnel["automations"] = copy.deepcopy(RULES)
    return funnel


@pytest.fixture
def channel():
    return FakeChannel("ops", {})


@pytest.fixture
def runtime(goldsieve_workspace, goldsieve_clock, channel, monkeypatch):
    monkeypatch.setattr("goldsieve.runtime.load_channels", lambda pm, config: {"ops": channel})
    rt = open_runtime(goldsieve_workspace, clock=goldsieve_clock, entry_points=False)
    rt.dispatcher.jitter = lambda: 0.5
    store = rt.store
    add_user(store, "admin", "admin", TEST_PASSWORD)
    add_user(store, "mia", "manager", TEST_PASSWORD)
    add_team(store, "east", manager="mia")
    add_user(store, "rita", "rep", TEST_PASSWORD, team="east")
    add_user(store, "rob", "rep", TEST_PASSWORD)
    add_team(store, "care")
    add_user(store, "cara", "after_sales", TEST_PASSWORD, team="care")
    add_user(store, "carl", "after_sales", TEST_PASSWORD, team="care")
    yield rt
    rt.close()


def user(rt, name):
    return rt.store.find("users", Eq("username", name))[0]


def run(rt, owner="test"):
    """Deliver until nothing is due now."""
    total = 0
    while (n := rt.dispatcher.deliver_due(owner)):
        total += n
    return total


def to_negotiation(rt, who="rita"):
    engine, rep = rt.engine, user(rt, who)
    deal = engine.create(rep, "handmade", "Acme ERP", {"company": "Acme"})
    for stage in ("qualified", "quote", "negotiation"):
        deal = engine.move(rep, deal["id"], stage, BIG)
    return deal


def rows(rt, **where):
    return [r for r in rt.store.find("outbox") if all(r[k] == v for k, v in where.items())]


def inbox_of(rt, name):
    return rt.store.find("notifications", Eq("user", name))


# --- rules and the outbox ---------------------------------------------------------------------


def test_rules_are_compiled_once_per_funnel_version(runtime):
    funnel = runtime.funnels.get("handmade")
    assert [r.id for r in funnel.rules] == [r["id"] for r in RULES]
    assert funnel.rules is runtime.funnels.get("handmade", funnel.version).rules
    assert funnel.rules[3].condition.is_valid({"amount": 2_000_000})


def test_the_outbox_rows_are_written_in_the_same_transaction_as_the_change(runtime, monkeypatch):
    deal = runtime.engine.create(user(runtime, "rita"), "handmade", "Acme", {"company": "Acme"})
    [welcome] = rows(runtime, rule="welcome")
    assert welcome["deal_id"] == deal["id"] and welcome["status"] == PENDING
    assert welcome["event_id"] == runtime.engine.history(user(runtime, "rita"), deal["id"])[0]["id"]

    # a change that fails to commit leaves no row either: one transaction
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    before = runtime.store.count("outbox")
    written = {t: runtime.store.count(t) for t in ("events", "audit")}
    # fails inside the transaction, after the deal, its events and its audit row were written
    monkeypatch.setattr("goldsieve.deals.engine.rows_for", boom)
    with pytest.raises(RuntimeError):
        runtime.engine.move(user(runtime, "rita"), deal["id"], "qualified", {"needs_survey": "x"})
    assert runtime.store.count("outbox") == before
    assert {t: runtime.store.count(t) for t in ("events", "audit")} == written
    assert runtime.store.get("deals", deal["id"])["stage"] == "lead"


def test_each_trigger_fires_its_rules(runtime):
    rita = user(runtime, "rita")
    engine = runtime.engine
    deal = engine.create(rita, "handmade", "Acme", {"company": "Acme"})
    assert {r["rule"] for r in rows(runtime)} == {"welcome"}  # deal_created
    engine.move(rita, deal["id"], "qualified", {"needs_survey": "x"})
    assert {r["trigger"] for r in rows(runtime, rule="left-lead")} == {"stage_left"}
    engine.update(rita, deal["id"], {"amount": 10})  # field_changed, but `if` does not match
    assert rows(runtime, rule="big") == []
    engine.update(rita, deal["id"], {"amount": 2_000_000})
    assert len(rows(runtime, rule="big")) == 1
    engine.update(rita, deal["id"], {"company": "Acme Ltd"})  # another field: no
    assert len(rows(runtime, rule="big")) == 1
    other = to_negotiation(runtime)
    assert len(rows(runtime, rule="tell-manager", deal_id=other["id"])) == 1  # stage_entered
    engine.lose(rita, other["id"], "price")
    assert [r["trigger"] for r in rows(runtime, rule="lost")] == ["lost"]
    assert rows(runtime, rule="won") == []
    keys = [r["key"] for r in runtime.store.find("outbox")]
    assert len(keys) == len(set(keys))


def test_entering_negotiation_notifies_the_manager_and_the_channel(runtime, channel):
    deal = to_negotiation(runtime)
    run(runtime)
    [note] = inbox_of(runtime, "mia")
    assert note["text"] == "Acme ERP (200000) is in Negotiation" and note["deal_id"] == deal["id"]
    [message] = channel.delivered.values()
    assert message.text == note["text"] and message.event == "stage_entered"
    assert message.deal["id"] == deal["id"] and message.funnel == "handmade"
    assert inbox_of(runtime, "rob") == []  # not his manager


def test_a_crash_between_commit_and_delivery_loses_nothing_and_delivers_once(
        goldsieve_workspace, goldsieve_clock, runtime, channel, monkeypatch):
    deal = to_negotiation(runtime)
    runtime.close()  # the process dies before any delivery
    reopened = open_runtime(goldsieve_workspace, clock=goldsieve_clock, entry_points=False)
    try:
        [row] = rows(reopened, rule="tell-manager")
        assert row["status"] == PENDING and row["deal_id"] == deal["id"]
        run(reopened)
        run(reopened)
        assert len(inbox_of(reopened, "mia")) == 1
        assert len(channel.calls) == 1
        assert {r["status"] for r in reopened.store.find("outbox")} == {DONE}
    finally:
        reopened.close()


def test_a_receiver_failing_three_times_gets_the_message_once_and_the_move_stays(
        runtime, channel, goldsieve_clock):
    channel.failures = 3
    deal = to_negotiation(runtime)
    run(runtime)
    [row] = rows(runtime, action="webhook")
    assert row["status"] == PENDING and row["attempts"] == 1
    for attempt in range(2, 5):
        assert runtime.store.get("deals", deal["id"])["stage"] == "negotiation"
        goldsieve_clock.now = parse_stamp(row["due"])
        run(runtime)
        [row] = rows(runtime, action="webhook")
        assert row["attempts"] == attempt
    assert row["status"] == DONE
    assert len(channel.calls) == 4 and len(set(channel.calls)) == 1  # one key on every attempt
    assert len(channel.delivered) == 1


def test_backoff_doubles_with_jitter_up_to_a_cap():
    waits = [backoff(n, base=30, cap=600, jitter=lambda: 1.0).total_seconds() for n in range(1, 8)]
    assert waits == [30, 60, 120, 240, 480, 600, 600]
    assert backoff(3, base=30, cap=600, jitter=lambda: 0.0) == timedelta(seconds=60)


def test_retries_follow_the_backoff_schedule(runtime, channel, goldsieve_clock):
    channel.failures = 100
    to_negotiation(runtime)
    run(runtime)
    seen = []
    for _ in range(3):
        [row] = rows(runtime, action="webhook")
        seen.append((parse_stamp(row["due"]) - goldsieve_clock.now).total_seconds())
        run(runtime)  # not due yet: nothing happens
        assert rows(runtime, action="webhook")[0]["attempts"] == row["attempts"]
        goldsieve_clock.now = parse_stamp(row["due"])
        run(runtime)
    assert seen == [22.5, 45.0, 90.0]  # 30·2^(n-1), jitter 0.5 keeps 3/4


def test_a_receiver_that_always_fails_is_dead_lettered(runtime, channel, goldsieve_clock):
    channel.failures = 1000
    deal = to_negotiation(runtime)
    for _ in range(runtime.dispatcher.max_attempts + 2):
        run(runtime)
        goldsieve_clock.advance(days=1)
    [row] = rows(runtime, action="webhook")
    assert row["status"] == DEAD and row["attempts"] == runtime.dispatcher.max_attempts
    assert "503" in row["last_error"]
    assert runtime.store.get("deals", deal["id"])["stage"] == "negotiation"
    # the admin's retry gives it a new round, and now the receiver is back
    channel.failures = 0
    runtime.dispatcher.retry(row["id"])
    run(runtime)
    assert rows(runtime, action="webhook")[0]["status"] == DONE and len(channel.delivered) == 1


def test_a_permanent_failure_is_dead_at_once(runtime, channel):
    channel.failures, channel.retryable = 1, False
    deal = to_negotiation(runtime)
    runtime.engine.lose(user(runtime, "rita"), deal["id"], "price")
    run(runtime)
    assert {r["status"] for r in rows(runtime, action="webhook")} == {DEAD, DONE}


def test_an_action_that_raises_neither_undoes_nor_blocks_the_change(runtime):
    from goldsieve.automation.actions import Action

    def explode(context):
        raise ZeroDivisionError("bug in a plugin")

    runtime.dispatcher.actions["explode"] = Action("explode", {"type": "object"}, explode)
    funnel = runtime.funnels.get("handmade")
    funnel.rules.append(type(funnel.rules[0]).from_definition(
        {"id": "x", "on": "stage_entered", "stage": "qualified", "do": [{"action": "explode"}]}))
    rita = user(runtime, "rita")
    deal = runtime.engine.create(rita, "handmade", "Acme", {"company": "Acme"})
    moved = runtime.engine.move(rita, deal["id"], "qualified", {"needs_survey": "x"})
    run(runtime)
    [row] = rows(runtime, action="explode")
    assert row["status"] == PENDING and "ZeroDivisionError" in row["last_error"]
    assert runtime.store.get("deals", deal["id"])["version"] == moved["version"]
    assert {r["status"] for r in rows(runtime, rule="welcome")} == {DONE}  # the others went on


# --- the built-in actions ---------------------------------------------------------------------


def test_create_task_and_set_field(runtime, goldsieve_clock):
    rita = user(runtime, "rita")
    deal = runtime.engine.create(rita, "handmade", "Acme", {"company": "Acme"})
    runtime.engine.update(rita, deal["id"], {"amount": 5_000_000})
    run(runtime)
    [task] = runtime.store.find("tasks")
    assert (task["title"], task["assignee"], task["deal_id"]) == ("Call Acme", "rita", deal["id"])
    assert parse_stamp(task["due"]) == goldsieve_clock.now + timedelta(days=1)
    after = runtime.store.get("deals", deal["id"])
    assert after["data"]["approval_note"] == "big deal: needs approval"
    [event] = [e for e in runtime.store.find("events") if e.get("cause")]
    assert event["by"] == "goldsieve" and event["changes"] == {"approval_note": [None, "big deal: needs approval"]}


def test_a_set_field_retry_after_a_crash_does_not_apply_twice(runtime, goldsieve_clock, monkeypatch):
    rita = user(runtime, "rita")
    deal = runtime.engine.create(rita, "handmade", "Acme", {"company": "Acme"})
    runtime.engine.update(rita, deal["id"], {"amount": 5_000_000})
    # the deal's change commits, then the worker dies before it marks the row done
    monkeypatch.setattr(runtime.dispatcher, "_save", lambda new, claimed: None)
    run(runtime)
    monkeypatch.undo()
    [row] = rows(runtime, rule="big")
    assert row["status"] == PENDING and row["lease_owner"] == "test"
    run(runtime)  # leased: nobody else takes it
    goldsieve_clock.advance(seconds=runtime.dispatcher.lease_seconds + 1)
    run(runtime)
    assert len([e for e in runtime.store.find("events") if e.get("cause")]) == 1
    assert [r["status"] for r in rows(runtime, rule="big")] == [DONE]


def test_winning_hands_the_deal_over_with_a_task(runtime):
    rita, admin = user(runtime, "rita"), user(runtime, "admin")
    cara, carl = user(runtime, "cara"), user(runtime, "carl")
    first = to_negotiation(runtime)
    second = to_negotiation(runtime)
    assert runtime.engine.list(cara) == [] and runtime.engine.list(carl) == []
    runtime.engine.win(rita, first["id"])
    runtime.engine.win(admin, second["id"])
    run(runtime)
    handed = {d["id"]: d["handed_to"] for d in runtime.store.find("deals")}
    assert {handed[first["id"]], handed[second["id"]]} == {"cara", "carl"}  # round robin
    for deal_id, name in handed.items():
        who = user(runtime, name)
        assert [d["id"] for d in runtime.engine.list(who)] == [deal_id]
        [task] = runtime.store.find("tasks", Eq("assignee", name))
        assert task["title"] == "Onboard Acme" and task["deal_id"] == deal_id
    assert runtime.store.get("deals", first["id"])["owner"] == "rita"


def test_notify_reaches_only_recipients_who_can_see_the_deal(runtime):
    funnel = runtime.funnels.get("handmade")
    funnel.rules.append(type(funnel.rules[0]).from_definition(
        {"id": "everyone", "on": "deal_created", "do": [{"action": "notify", "to": ["role:rep", "user:mia"]}]}))
    deal = runtime.engine.create(user(runtime, "rita"), "handmade", "Acme", {"company": "Acme"})
    run(runtime)
    got = {n["user"] for n in runtime.store.find("notifications")}
    assert got == {"rita", "mia"}  # rob is a rep too, but the deal is not his to see
    assert all(n["deal_id"] == deal["id"] for n in runtime.store.find("notifications"))


def test_message_templates_allow_plain_names_only(runtime):
    from goldsieve.automation.actions import render

    funnel = runtime.funnels.get("handmade")
    deal = {"title": "<b>X</b>", "owner": "rita", "stage": "quote", "data": {"amount": 5}}
    assert render("{title} {amount} {stage} {missing}", deal, funnel) == "<b>X</b> 5 Quote —"
    assert render("{title.__class__} {amount[0]} {amount!r:>99}", deal, funnel) == \
        "{title.__class__} {amount[0]} 5"
    assert render("unbalanced {", deal, funnel) == "unbalanced {"


def test_cascades_are_bounded(runtime):
    funnel = runtime.funnels.get("handmade")
    funnel.rules.append(type(funnel.rules[0]).from_definition(
        {"id": "ping", "on": "field_changed", "field": "discount",
         "do": [{"action": "set_field", "field": "discount", "value": 0.5}]}))
    funnel.rules.append(type(funnel.rules[0]).from_definition(
        {"id": "pong", "on": "field_changed", "field": "discount",
         "do": [{"action": "set_field", "field": "discount", "value": 0.25}]}))
    rita = user(runtime, "rita")
    deal = runtime.engine.create(rita, "handmade", "Acme", {"company": "Acme"})
    runtime.engine.update(rita, deal["id"], {"discount": 0.1})
    for _ in range(50):
        if not run(runtime):
            break
    assert max(r["depth"] for r in runtime.store.find("outbox")) == MAX_DEPTH
    assert rows(runtime, status=PENDING) == []


# --- checking ---------------------------------------------------------------------------------


def test_check_reports_unknown_actions_params_channels_roles_and_fields(tmp_path, goldsieve_funnel):
    import json

    from goldsieve.workspace import init_workspace

    funnel = copy.deepcopy(goldsieve_funnel)
    funnel["automations"] = [
        {"id": "a", "on": "won", "do": [
            {"action": "notfy", "to": "owner"},
            {"action": "notify", "to": "role:boss", "channel": "slack-sales"},
            {"action": "notify", "to": ["owner", "role:manger"], "message": "{titel}"},
            {"action": "create_task"},
            {"action": "set_field", "field": "amout", "value": 1},
            {"action": "webhook", "channel": "ops", "colour": "red"},
        ]},
    ]
    ws = init_workspace(tmp_path / "ws", funnel)
    (ws.path / "goldsieve.toml").write_text('[channels.ops]\ntype = "webhook"\nurl = "http://127.0.0.1:9/"\n')
    found = {(f.pointer, f.severity): f for _, f in check_paths([ws.path])[0]}
    assert "did you mean `notify`" in found[("/automations/0/do/0/action", "error")].hint
    assert found[("/automations/0/do/1/to", "error")].message == "`boss` is not a role"
    assert "slack-sales" in found[("/automations/0/do/1/channel", "error")].message
    assert "did you mean `manager`" in found[("/automations/0/do/2/to/1", "error")].hint
    assert "did you mean `title`" in found[("/automations/0/do/2/message", "warning")].hint
    assert found[("/automations/0/do/3", "error")].message == "`title` is required here"
    assert "did you mean `amount`" in found[("/automations/0/do/4/field", "error")].hint
    assert found[("/automations/0/do/5/colour", "error")].message == "unknown key `colour`"
    assert ("/automations/0/do/5/channel", "error") not in found
    # a lone file: channels are not known, so not checked
    alone = tmp_path / "alone.json"
    alone.write_text(json.dumps(funnel))
    pointers = {f.pointer for _, f in check_paths([alone])[0]}
    assert "/automations/0/do/1/channel" not in pointers and "/automations/0/do/0/action" in pointers


def test_a_workspace_whose_rules_name_an_unknown_action_does_not_start(tmp_path, goldsieve_funnel):
    from goldsieve.workspace import init_workspace

    funnel = copy.deepcopy(goldsieve_funnel)
    funnel["automations"] = [{"id": "a", "on": "won", "do": [{"action": "fax"}]}]
    ws = init_workspace(tmp_path / "ws", funnel)
    with pytest.raises(DefinitionError):
        open_runtime(Workspace.load(ws.path), entry_points=False)

"""The demo workspace: deterministic, valid deal by deal and move by move, and varied enough."""
from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from goldsieve.cli import cli
from goldsieve.clock import parse_stamp
from goldsieve.deals.engine import merge_data
from goldsieve.demo.builder import DEMO_FILE, USERS, ensure_demo, password_for, print_logins
from goldsieve.funnels.choices import choice_values
from goldsieve.funnels.model import LOST, OPEN, WON
from goldsieve.funnels.transitions import transition_violations
from goldsieve.funnels.validation import violations
from goldsieve.people.users import authenticate
from goldsieve.runtime import open_runtime
from goldsieve.store.filters import Eq
from goldsieve.workspace import Workspace

DEALS = 200
SEED = 7
DEAL_KEYS = {"id", "funnel", "funnel_version", "title", "stage", "status", "owner", "data", "version",
             "created_at", "updated_at", "stage_entered_at", "lost_reason", "created_by",
             "stale_since", "customer_id", "search"}
EVENT_KEYS = {"id", "deal_id", "funnel", "funnel_version", "type", "at", "by", "from_stage",
              "to_stage", "lost_reason", "changes", "note"}


def load(folder):
    with open_runtime(Workspace.load(folder), entry_points=False) as rt:
        [funnel] = list(rt.funnels)
        return {"folder": folder, "funnel": funnel, "deals": rt.store.find("deals"),
                "events": rt.store.find("events"), "users": rt.store.find("users"),
                "with_activities": {a["deal_id"] for a in rt.store.find("activities")}}


_built: dict[tuple[str, int, str], dict] = {}


@pytest.fixture
def build(tmp_path_factory):
    """A demo per (template, seed, name), built once for the whole module."""

    def make(template: str = "software", seed: int = SEED, name: str = "a") -> dict:
        key = (template, seed, name)
        if key not in _built:
            folder = tmp_path_factory.mktemp("demo") / "ws"
            assert ensure_demo(folder, deals=DEALS, seed=seed, template=template) is True
            _built[key] = load(folder)
        return _built[key]

    return make


@pytest.fixture
def demo(build):
    return build()


def summary(demo: dict) -> list:
    by_deal = defaultdict(list)
    for event in demo["events"]:
        by_deal[event["deal_id"]].append((event["type"], event["from_stage"], event["to_stage"]))
    return [(d["id"], d["title"], d["stage"], d["status"], d["data"].get("amount"), d["lost_reason"],
             d["owner"], d["version"], by_deal[d["id"]]) for d in demo["deals"]]


def histories(demo: dict) -> dict[int, list[dict]]:
    by_deal = defaultdict(list)
    for event in demo["events"]:
        by_deal[event["deal_id"]].append(event)
    return by_deal


def test_same_seed_same_content_in_two_folders(build):
    first, second = build(name="a"), build(name="b")
    assert len(first["deals"]) == DEALS
    assert summary(first) == summary(second)
    assert summary(build(seed=SEED + 1)) != summary(first)


def test_users_of_every_role_with_teams_and_working_passwords(demo):
    users = {u["username"]: u for u in demo["users"]}
    assert Counter(u["role"] for u in users.values()) == {
        "admin": 1, "executive": 1, "manager": 2, "rep": 4, "marketing": 1, "after_sales": 1}
    reps = [u for u in users.values() if u["role"] == "rep"]
    assert Counter(u["team"] for u in reps) == {"east": 2, "west": 2}
    assert {u["team"] for u in users.values() if u["role"] == "manager"} == {"east", "west"}
    with open_runtime(Workspace.load(demo["folder"]), entry_points=False) as rt:
        assert authenticate(rt.store, "rep.li", password_for("rep.li"))["role"] == "rep"
    assert {d["owner"] for d in demo["deals"]} <= {u["username"] for u in reps}


def test_print_logins_lists_every_user_with_password(demo, capsys):
    print_logins(demo["folder"])
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8000/ " in out and "goldsieve users token" in out
    for username, role, _team in USERS:
        assert username in out and password_for(username) in out and role in out


@pytest.mark.parametrize("template", ["software", "fmcg", "medical", "equipment", "trade", "services"])
def test_every_move_replays_through_the_funnel_rules_and_gates(build, template):
    demo = build(template=template)
    funnel = demo["funnel"]
    now = datetime.now(timezone.utc)
    histories_ = histories(demo)
    for deal in demo["deals"]:
        assert set(deal) - {"closed_from", "next_activity_at"} == DEAL_KEYS, deal
        # the activities the demo logs on open deals (tested below) come after their history
        logged = [e for e in histories_[deal["id"]] if e["type"] == "activity_logged"]
        assert all(set(e) == EVENT_KEYS | {"activity_type"} for e in logged)
        events = [e for e in histories_[deal["id"]] if e["type"] != "activity_logged"]
        assert [e["at"] for e in events] == sorted(e["at"] for e in events)
        assert all(set(e) == EVENT_KEYS for e in events)
        created = events[0]
        assert created["type"] == "created" and created["by"] == deal["created_by"]
        assert created["at"] == deal["created_at"]
        assert now - timedelta(days=290) < parse_stamp(created["at"]) < now
        state = {"stage": created["to_stage"], "status": OPEN, "data": {}}
        state["data"] = merge_data({}, {k: new for k, (_old, new) in created["changes"].items()})
        assert created["to_stage"] == funnel.path(state["data"])[0].id
        entered = created["at"]
        for event in events[1:]:
            if event["type"] == "updated":
                for name, (old, new) in event["changes"].items():
                    assert state["data"].get(name) == old
                state["data"] = merge_data(state["data"], {k: v[1] for k, v in event["changes"].items()})
            elif event["type"] == "stage_changed":
                assert event["from_stage"] == state["stage"]
                target = funnel.stage(event["to_stage"])
                data = state["data"]
                assert not violations(funnel.fields_validator, data)
                assert not transition_violations(funnel, state, target, data), (deal["title"], event)
                for stage in funnel.gates_to_enter(target, data):
                    assert not violations(stage.gate_validator, data), (deal["title"], target.id)
                if target.kind == LOST:
                    assert event["lost_reason"] in funnel.lost_reasons
                else:
                    assert event["lost_reason"] is None
                state.update(stage=target.id, status=target.kind, closed_from=event["from_stage"])
                entered = event["at"]
            else:
                assert event["type"] == "note_added" and event["note"]
        assert (deal["stage"], deal["status"], deal["data"]) == (state["stage"], state["status"], state["data"])
        assert not violations(funnel.fields_validator, deal["data"])
        assert deal["stage_entered_at"] == entered
        if deal["id"] not in demo["with_activities"]:  # an activity is a write of the deal too
            assert deal["updated_at"] == events[-1]["at"]
            # one write per distinct moment: a move with changes is an update and a stage change
            assert deal["version"] == len({e["at"] for e in events})
        if deal["status"] == OPEN:
            assert "closed_from" not in deal and deal["lost_reason"] is None
        else:
            assert deal["closed_from"] == state["closed_from"]
            assert (deal["lost_reason"] is not None) == (deal["status"] == LOST)
    # the template's labelled choices are choices to the demo too: it picks among their values
    offered = {name: choice_values(schema) for name, schema in funnel.fields_schema["properties"].items()}
    offered = {name: values for name, values in offered.items() if values}
    assert offered
    for name, values in offered.items():
        assert {d["data"][name] for d in demo["deals"] if name in d["data"]} <= set(values), name


def test_there_are_won_lost_open_and_stale_deals(demo):
    funnel, deals = demo["funnel"], demo["deals"]
    statuses = Counter(d["status"] for d in deals)
    assert statuses[WON] >= 3 and statuses[LOST] >= 20 and statuses[OPEN] >= 20
    reasons = Counter(d["lost_reason"] for d in deals if d["status"] == LOST)
    assert set(reasons) <= set(funnel.lost_reasons) and len(reasons) >= 4
    # reasons cluster: at each stage deals were lost from, one reason leads clearly
    by_stage = defaultdict(Counter)
    for d in deals:
        if d["status"] == LOST:
            by_stage[d["closed_from"]][d["lost_reason"]] += 1
    top = {stage: c.most_common(1)[0][0] for stage, c in by_stage.items() if sum(c.values()) >= 10}
    assert len(set(top.values())) >= 2
    now = datetime.now(timezone.utc)
    stale = [d for d in deals if d["status"] == OPEN and funnel.stage(d["stage"]).rot_days
             and now - parse_stamp(d["updated_at"]) > timedelta(days=funnel.stage(d["stage"]).rot_days)]
    fresh = [d for d in deals if d["status"] == OPEN and d not in stale]
    assert stale and fresh
    assert len({d["stage"] for d in deals if d["status"] == OPEN}) >= 4


def test_amounts_spread_and_big_deals_take_the_executive_visit(demo):
    amounts = [d["data"]["amount"] for d in demo["deals"] if "amount" in d["data"]]
    assert min(amounts) < 100_000 and max(amounts) >= 1_000_000
    visited = {e["deal_id"] for e in demo["events"] if e["to_stage"] == "exec_visit"}
    assert visited
    deals = {d["id"]: d for d in demo["deals"]}
    assert all(deals[i]["data"]["amount"] >= 1_000_000 for i in visited)
    small_at_quote = {e["deal_id"] for e in demo["events"] if e["to_stage"] == "quote"} - visited
    assert all(deals[i]["data"]["amount"] < 1_000_000 for i in small_at_quote)


def test_a_services_demo_writes_a_statement_of_work_and_workshops_only_big_engagements(build):
    demo = build(template="services")
    deals = {d["id"]: d for d in demo["deals"]}
    scopes = [d["data"]["scope"] for d in deals.values() if "scope" in d["data"]]
    assert scopes and all("workshops" in s and "Out of scope" in s for s in scopes)
    assert not [s for s in scopes if s.startswith("Scope for")]  # not the generic text of any field
    workshops = {e["deal_id"] for e in demo["events"] if e["to_stage"] == "workshop"}
    assert workshops and all(deals[i]["data"]["amount"] >= 1_000_000 for i in workshops)


def test_events_by_people_who_exist_in_their_roles(demo):
    roles = {u["username"]: u["role"] for u in demo["users"]}
    by = Counter(roles[e["by"]] for e in demo["events"])
    assert by["rep"] > by["marketing"] > 0
    assert by["after_sales"] > 0 and by["manager"] > 0
    types = Counter(e["type"] for e in demo["events"])
    assert set(types) == {"created", "updated", "stage_changed", "note_added", "activity_logged"}
    assert types["created"] == DEALS


def test_demo_shapes_match_what_the_engine_writes(goldsieve_engine, goldsieve_user):
    deal = goldsieve_engine.create(goldsieve_user, "handmade", "Acme", {"company": "Acme"})
    goldsieve_engine.move(goldsieve_user, deal["id"], "lost", lost_reason="price")
    stored = goldsieve_engine.get(goldsieve_user, deal["id"])
    assert set(stored) == DEAL_KEYS | {"closed_from"}
    for event in goldsieve_engine.history(goldsieve_user, deal["id"]):
        assert set(event) == EVENT_KEYS


def test_an_existing_workspace_is_left_alone(demo):
    folder = demo["folder"]

    def fingerprint():
        return sorted((str(p.relative_to(folder)), hashlib.sha256(p.read_bytes()).hexdigest())
                      for p in folder.rglob("*") if p.is_file() and p.name != "lock")

    before = fingerprint()
    assert (folder / DEMO_FILE).is_file()
    assert ensure_demo(folder, deals=10, seed=99) is False
    assert fingerprint() == before


def test_demo_command_creates_and_reuses(tmp_path):
    runner = CliRunner()
    folder = tmp_path / "demo"
    result = runner.invoke(cli, ["demo", "--workspace", str(folder), "--deals", "30", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "rep.li" in result.output and password_for("rep.li") in result.output
    # the progress goes to stderr, so the logins on stdout stay clean for a script to read
    assert "Creating demo deals" in result.stderr and "Creating demo deals" not in result.stdout
    again = runner.invoke(cli, ["demo", "--workspace", str(folder), "--deals", "30", "--no-serve"])
    assert again.exit_code == 0 and "existing demo workspace" in again.output


def test_a_failed_build_leaves_no_half_workspace(tmp_path, monkeypatch):
    import goldsieve.demo.builder as demo_module

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo_module, "write_deals", broken)
    with pytest.raises(RuntimeError):
        ensure_demo(tmp_path / "ws", deals=5)
    assert not (tmp_path / "ws").exists()


def test_demo_refuses_a_folder_in_use_for_something_else(tmp_path):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(cli, ["demo", "--workspace", str(tmp_path), "--no-serve"])
    assert result.exit_code == 1 and "not empty" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_the_demo_has_customers_contacts_a_pool_and_a_duplicate_to_merge(build):
    import json

    from goldsieve.people.users import find_user
    from goldsieve.records.merging import merge

    demo = build(name="merge")  # its own: the merge changes it
    note = json.loads((demo["folder"] / DEMO_FILE).read_text(encoding="utf-8"))
    with open_runtime(Workspace.load(demo["folder"]), entry_points=False) as rt:
        store, admin = rt.store, find_user(rt.store, "admin")
        customers = store.find("customers")
        assert len(customers) == note["customers"] > 10
        assert any(c["owner"] is None for c in customers) and any(c["owner"] for c in customers)
        linked = [d for d in store.find("deals") if d["customer_id"] is not None]
        assert linked and len(linked) < len(demo["deals"])  # the rest is for `customers from-deals`
        for deal in linked:
            assert store.get("customers", deal["customer_id"]) is not None
        contacts = store.find("contacts")
        assert {c["role"] for c in contacts} >= {"decision_maker", "purchaser"}
        assert all(rt.contacts.list(admin, c["id"])[0]["primary"] for c in customers
                   if store.count("contacts", Eq("customer_id", c["id"])))
        pair = note["merge"]
        survivor = merge(rt.customers, admin, pair["duplicate"], into=pair["into"])
        assert survivor["merged_from"] == [pair["duplicate"]]


def test_the_demo_has_done_and_planned_activities_and_deals_without_a_next_step(demo):
    with open_runtime(Workspace.load(demo["folder"]), entry_points=False) as rt:
        rows = rt.store.find("activities")
        done = [r for r in rows if r["status"] == "done"]
        planned = [r for r in rows if r["status"] == "planned"]
        assert done and planned and all(r["stage"] for r in done)
        by_deal = {r["deal_id"] for r in rows}
        assert all(rt.store.get("deals", d)["owner"] == r["owner"] for r in rows for d in [r["deal_id"]])
        without = [d for d in by_deal if rt.store.get("deals", d)["next_activity_at"] is None]
        assert without and len(without) < len(by_deal)

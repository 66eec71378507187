"""Funnel versions: plan and apply a new version that carries in-flight deals across."""
from __future__ import annotations

import copy
import json

import pytest

from goldsieve.errors import DefinitionError
from goldsieve.funnels import migration
from goldsieve.funnels.migration import PlanRefused
from goldsieve.funnels.plan import refusals, render
from goldsieve.runtime import open_runtime

from tests.deals.test_engine import SURVEY, rep  # noqa: F401 (rep is a fixture)


@pytest.fixture
def rt(goldsieve_runtime):
    return goldsieve_runtime


def deal_at(rt, user, stage: str, title: str = "Acme ERP", **data):
    """A deal walked along the path to ``stage`` (no skipping in the hand-written example funnel)."""
    engine = rt.engine
    deal = engine.create(user, "handmade", title, {"company": "Acme", **data})
    walk = {"qualified": SURVEY, "quote": {"amount": 5000}, "negotiation": {}}
    for step, changes in walk.items():
        if deal["stage"] == stage:
            break
        deal = engine.move(user, deal["id"], step, changes=changes)
    assert deal["stage"] == stage
    return deal


def split_negotiation(base: dict) -> dict:
    """Version 4: negotiation split into bargaining → contract → payment; contract needs a number."""
    new = copy.deepcopy(base)
    new["version"] = 4
    at = [s["id"] for s in new["stages"]].index("negotiation")
    new["stages"][at:at + 1] = [
        {"id": "bargaining", "title": "Initial bargaining", "kind": "open", "probability": 0.6},
        {"id": "contract", "title": "Contract", "kind": "open", "probability": 0.7,
         "gate": {"required": ["contract_no"]}},
        {"id": "payment", "title": "Payment", "kind": "open", "probability": 0.8},
    ]
    new["fields"]["properties"]["contract_no"] = {"type": "string", "title": "Contract number"}
    for automation in new["automations"]:
        if automation.get("stage") == "negotiation":
            automation["stage"] = "bargaining"
    new["migration"] = {"from_version": 3, "map": {"negotiation": "bargaining"}}
    return new


def snapshot(rt) -> dict:
    return {table: rt.store.find(table) for table in ("deals", "events", "audit", "funnel_versions")}


def test_first_start_records_the_file_as_version_three(rt):
    [row] = rt.store.find("funnel_versions")
    assert (row["funnel"], row["version"], row["saved_by"]) == ("handmade", 3, "workspace")
    assert row["definition"] == rt.funnels.get("handmade").definition


def test_plan_reports_the_split_and_counts_in_flight_deals(rt, rep, goldsieve_funnel):
    for n in range(3):
        deal_at(rt, rep, "negotiation", title=f"Big {n}")
    deal_at(rt, rep, "lead")
    won = deal_at(rt, rep, "negotiation", title="Done")
    rt.engine.win(rep, won["id"])
    result = migration.plan(rt, split_negotiation(goldsieve_funnel))
    assert result.ok and (result.from_version, result.to_version) == (3, 4)
    assert result.in_flight == 4 and result.staying == 0
    changes = {(c.kind, c.subject): c for c in result.changes}
    split = changes[("stage_split", "negotiation")]
    assert (split.before, split.after, split.deals) == ("negotiation", ["bargaining", "contract", "payment"], 3)
    assert split.words.say("en") == "negotiation → bargaining, contract, payment"
    assert changes[("field_added", "contract_no")].deals == 0
    assert ("stage_added", "contract") not in changes  # part of the split, not a separate addition


def test_plan_names_the_deals_that_would_fail_a_tightened_gate(rt, rep, goldsieve_funnel):
    ok = deal_at(rt, rep, "quote", title="Has approval", approval_note="signed")
    lacking = deal_at(rt, rep, "negotiation", title="No approval")
    early = deal_at(rt, rep, "lead", title="Too early")
    new = copy.deepcopy(goldsieve_funnel)
    new["version"] = 4
    new["migration"] = {"from_version": 3}
    new["stages"][3]["gate"] = {"required": ["amount", "approval_note"]}  # quote
    result = migration.plan(rt, new)
    [gate] = [c for c in result.changes if c.subject == "quote"]
    assert gate.kind == "gate_tightened"
    assert gate.deals == 2  # deals at or past quote; the lead never entered it
    assert gate.failing_count == 1 and [r.id for r in gate.failing] == [lacking["id"]]
    [problem] = gate.failing[0].problems
    assert (problem.path, problem.code) == ("/data/approval_note", "required")
    shown = render(result)
    assert f"      #{lacking['id']} No approval (negotiation): approval_note: This field is required." in shown
    assert f"      #{lacking['id']} No approval (negotiation): approval_note: 此项为必填项。" in render(result, "zh_Hans")
    assert "  Gate tightened: quote: " in "\n".join(shown) and "    1 would fail it:" in shown
    assert early["id"] not in [r.id for r in gate.failing] and ok["stage"] == "quote"


def test_plan_reports_merged_renamed_retitled_and_field_changes(rt, rep, goldsieve_funnel):
    deal_at(rt, rep, "qualified")
    deal_at(rt, rep, "quote", title="Priced")
    new = copy.deepcopy(goldsieve_funnel)
    new["version"] = 4
    new["stages"][0]["title"] = "Lead"
    new["stages"][4]["id"] = "closing"  # negotiation renamed
    new["automations"][0]["stage"] = "closing"
    del new["stages"][1]  # qualified merged into lead
    new["fields"]["properties"]["discount"]["type"] = "integer"
    del new["fields"]["properties"]["demo_date"]
    new["migration"] = {"from_version": 3, "map": {"qualified": "lead", "negotiation": "closing"}}
    new["fields"]["properties"]["vat"] = {"type": "string"}
    new["fields"]["required"] = [*new["fields"].get("required", []), "vat"]
    changes = migration.plan(rt, new).changes
    kinds = {(c.kind, c.subject, c.deals) for c in changes}
    assert {("stage_merged", "lead", 1), ("stage_renamed", "negotiation", 0),
            ("stage_retitled", "lead", 1), ("field_retyped", "discount", 0),
            ("field_removed", "demo_date", 0)} <= kinds
    # each said from its data, in whichever language its reader has
    said = {(c.kind, c.subject): (c.words.say("en"), c.words.say("zh_Hans")) for c in changes}
    assert said[("stage_merged", "lead")] == ("lead, qualified → lead",) * 2
    assert said[("gate_loosened", "lead")][1] == 'lead：{"required": ["needs_survey"]} → 无门槛'
    assert said[("field_retyped", "discount")] == ("discount: a number → a whole number", "discount：数字 → 整数")
    assert said[("field_added", "vat")] == ("vat (text)", "vat（文本）")
    assert said[("field_removed", "demo_date")] == ("demo_date is removed", "demo_date 被删除")
    assert said[("field_required", "vat")] == ("vat is now required", "vat 现在必填")


def test_the_terminal_says_the_plan_and_its_refusals_in_the_readers_language(rt, rep, goldsieve_funnel):
    stuck = deal_at(rt, rep, "negotiation", title="Stuck")
    new = split_negotiation(goldsieve_funnel)
    new["migration"]["map"] = {"negotiation": "won"}
    result = migration.plan(rt, new)
    chinese = render(result, "zh_Hans")
    assert chinese[:2] == ["漏斗 handmade：版本 3 → 4", "  1 个进行中的商机从版本 3 迁移到 4"]
    assert "  拆分阶段：negotiation → won — 1 个商机" not in chinese  # mapped to won: no split
    assert any(line.startswith("  新增字段：contract_no（文本） — ") for line in chinese), chinese
    assert refusals(result, "zh_Hans") == [
        "错误：1 个商机将被搁浅：", f"  #{stuck['id']} Stuck (negotiation): negotiation 被映射到 won，它不是进行中的阶段"]
    assert refusals(result, "en") == [
        "Error: 1 deal would be stranded:",
        f"  #{stuck['id']} Stuck (negotiation): negotiation is mapped to won, which is not an open stage"]


def test_a_version_that_cannot_apply_is_said_in_the_readers_language(rt, goldsieve_funnel):
    stale = copy.deepcopy(goldsieve_funnel)  # version 3 again, migrating from 2
    stale["migration"] = {"from_version": 2, "map": {"nowhere": "lead"}}
    errors = migration.plan(rt, stale).errors
    assert [e.say("en") for e in errors] == [
        "version 3 is not newer than the applied version 3; raise `version` to 4",
        "migration.from_version is 2, but the applied version is 3; migrate from 3",
        "migration.map names stage nowhere, which version 3 does not have"]
    assert [e.say("zh_Hans") for e in errors] == [
        "版本 3 不比已应用的版本 3 新；请把 `version` 提高到 4",
        "migration.from_version 是 2，但已应用的版本是 3；请从 3 迁移",
        "migration.map 指定了阶段 nowhere，但版本 3 没有这个阶段"]
    assert render(migration.plan(rt, stale), "zh_Hans") == []  # nothing but why: refusals says it
    assert refusals(migration.plan(rt, stale), "zh_Hans")[0] == "错误：版本 3 不比已应用的版本 3 新；请把 `version` 提高到 4"


def test_apply_moves_in_flight_deals_in_one_go(rt, rep, goldsieve_funnel):
    moving = [deal_at(rt, rep, "negotiation", title=f"Big {n}") for n in range(2)]
    lead = deal_at(rt, rep, "lead")
    closed = deal_at(rt, rep, "negotiation", title="Done")
    rt.engine.win(rep, closed["id"])
    before_events = rt.store.count("events")
    result = migration.apply(rt, split_negotiation(goldsieve_funnel), "admin")
    assert result.in_flight == 3
    for deal in moving:
        now = rt.engine.get(rep, deal["id"])
        assert (now["funnel_version"], now["stage"], now["version"]) == (4, "bargaining", deal["version"] + 1)
        assert now["stage_entered_at"] == deal["stage_entered_at"]
        event = rt.engine.history(rep, deal["id"])[-1]
        assert (event["type"], event["from_stage"], event["to_stage"], event["by"]) == (
            "migrated", "negotiation", "bargaining", "admin")
        assert event["changes"] == {"funnel_version": [3, 4]} and event["funnel_version"] == 4
    assert (rt.engine.get(rep, lead["id"])["funnel_version"], rt.engine.get(rep, lead["id"])["stage"]) == (4, "lead")
    done = rt.engine.get(rep, closed["id"])
    assert (done["funnel_version"], done["stage"]) == (3, "won")
    assert rt.engine.funnel_of(done).stage("negotiation") is not None  # version 3 still readable
    assert rt.store.count("events") == before_events + 3
    assert [r["version"] for r in rt.store.find("funnel_versions")] == [3, 4]
    [audit] = rt.store.find("audit", descending=True, limit=1)
    assert (audit["action"], audit["target"], audit["changes"]["version"]) == (
        "funnel_applied", {"type": "funnel", "id": "handmade"}, [3, 4])
    assert rt.funnels.get("handmade").version == 4
    written = json.loads((rt.workspace.path / "funnels" / "handmade.json").read_text("utf-8"))
    assert written["version"] == 4 and written["migration"]["map"] == {"negotiation": "bargaining"}


def test_a_migrated_deal_works_on_its_new_version(rt, rep, goldsieve_funnel):
    deal = deal_at(rt, rep, "negotiation")
    migration.apply(rt, split_negotiation(goldsieve_funnel), "admin")
    with pytest.raises(Exception) as refused:
        rt.engine.move(rep, deal["id"], "contract")
    assert "/data/contract_no" in str(refused.value)
    moved = rt.engine.move(rep, deal["id"], "contract", changes={"contract_no": "C-1"})
    moved = rt.engine.move(rep, moved["id"], "payment")
    won = rt.engine.win(rep, moved["id"])
    assert (won["stage"], won["status"], won["funnel_version"]) == ("won", "won", 4)


@pytest.mark.parametrize("change, reason", [
    (lambda d: d["migration"]["map"].pop("negotiation"), "is not in version 4"),
    (lambda d: d["migration"]["map"].update(negotiation="won"), "not an open stage"),
    (lambda d: d["migration"]["map"].update(negotiation="exec_visit"), "not on this deal's path"),
])
def test_apply_refuses_a_map_that_strands_a_deal_and_writes_nothing(rt, rep, goldsieve_funnel,
                                                                     change, reason):
    stuck = deal_at(rt, rep, "negotiation", title="Stuck deal")
    deal_at(rt, rep, "lead")
    new = split_negotiation(goldsieve_funnel)
    change(new)
    file = rt.workspace.path / "funnels" / "handmade.json"
    before, text = snapshot(rt), file.read_text("utf-8")
    with pytest.raises(PlanRefused) as refused:
        migration.apply(rt, new, "admin")
    assert f"deal #{stuck['id']} Stuck deal (negotiation) would be stranded" in str(refused.value)
    assert reason in str(refused.value)
    assert [ref.id for ref in refused.value.plan.stranded] == [stuck["id"]]
    assert f"商机 #{stuck['id']} Stuck deal（negotiation）将被搁浅：" in refused.value.said("zh_Hans")
    assert snapshot(rt) == before and file.read_text("utf-8") == text
    assert rt.funnels.get("handmade").version == 3


@pytest.mark.parametrize("change, message", [
    (lambda d: (d.update(version=3), d.pop("migration")), "not newer than the applied version 3"),
    (lambda d: d["migration"].update(from_version=2), "the applied version is 3"),
    (lambda d: d["migration"]["map"].update(nowhere="lead"), "names stage nowhere"),
])
def test_apply_refuses_wrong_versions_and_writes_nothing(rt, rep, goldsieve_funnel, change, message):
    deal_at(rt, rep, "negotiation")
    new = split_negotiation(goldsieve_funnel)
    change(new)
    before = snapshot(rt)
    with pytest.raises((PlanRefused, DefinitionError)) as refused:
        migration.apply(rt, new, "admin")
    assert message in str(refused.value)
    assert snapshot(rt) == before


def test_apply_refuses_an_invalid_definition_and_writes_nothing(rt, goldsieve_funnel):
    new = split_negotiation(goldsieve_funnel)
    new["stages"][1]["gate"]["required"] = ["no_such_field"]
    before = snapshot(rt)
    with pytest.raises(DefinitionError) as refused:
        migration.apply(rt, new, "admin")
    assert "/stages/1/gate/required/0" in str(refused.value)
    assert snapshot(rt) == before


def test_without_migration_deals_stay_on_their_version(rt, rep, goldsieve_funnel):
    deal = deal_at(rt, rep, "negotiation")
    new = split_negotiation(goldsieve_funnel)
    del new["migration"]
    [warning] = migration.plan(rt, new).warnings
    assert warning.say("en") == ("1 open deal(s) stay on version 3 in stages version 4 does not have (negotiation); "
                                 "the board of version 4 will not show them: add `migration` to move them")
    assert warning.say("zh_Hans") == ("1 个进行中的商机留在版本 3 中版本 4 没有的阶段（negotiation）；"
                                      "版本 4 的看板不会显示它们：请添加 `migration` 以迁移它们")
    result = migration.apply(rt, new, "admin")
    assert (result.migrates, result.in_flight, result.staying) == (False, 0, 1)
    stays = rt.engine.get(rep, deal["id"])
    assert (stays["funnel_version"], stays["stage"]) == (3, "negotiation")
    assert rt.engine.move(rep, deal["id"], "won")["status"] == "won"  # runs on version 3
    fresh = rt.engine.create(rep, "handmade", "New", {"company": "B"})
    assert fresh["funnel_version"] == 4


def test_versions_survive_a_restart_and_an_unapplied_draft_does_not_run(rt, rep, goldsieve_funnel,
                                                                         goldsieve_clock, caplog):
    closed = deal_at(rt, rep, "negotiation")
    rt.engine.lose(rep, closed["id"], "price")
    migration.apply(rt, split_negotiation(goldsieve_funnel), "admin")
    workspace = rt.workspace
    rt.close()
    draft = split_negotiation(goldsieve_funnel)
    draft["version"] = 5
    draft["migration"] = {"from_version": 4}
    (workspace.path / "funnels" / "handmade.json").write_text(json.dumps(draft), "utf-8")
    with open_runtime(workspace, clock=goldsieve_clock, entry_points=False) as again:
        assert [f.version for f in again.funnels.versions("handmade")] == [3, 4]
        assert again.funnels.get("handmade").version == 4
        lost = again.store.get("deals", closed["id"])
        assert again.engine.funnel_of(lost).stage("negotiation").label() == "Negotiation"
        assert "differs from the applied version 4" in caplog.text


@pytest.mark.parametrize("text", ['{"id": "handmade", "version": 5', '{"id": "handmade", "stages": 3}'])
def test_a_broken_draft_of_a_running_workspace_is_logged_and_the_applied_versions_run(
        rt, rep, goldsieve_clock, caplog, text):
    deal = deal_at(rt, rep, "negotiation")
    workspace = rt.workspace
    rt.close()
    (workspace.path / "funnels" / "handmade.json").write_text(text, "utf-8")
    (workspace.path / "funnels" / "other.json").write_text("{", "utf-8")
    with open_runtime(workspace, clock=goldsieve_clock, entry_points=False) as again:
        assert again.funnels.get("handmade").version == 3
        assert again.engine.move(rep, deal["id"], "won")["status"] == "won"
    for name in ("handmade.json", "other.json"):
        assert f"{name} does not run (goldsieve check" in caplog.text


def test_a_broken_funnel_file_stops_the_first_start_and_leaves_the_store_free(goldsieve_workspace,
                                                                              goldsieve_clock):
    (goldsieve_workspace.path / "funnels" / "other.json").write_text("{", "utf-8")
    with pytest.raises(DefinitionError, match="other.json: /: not valid JSON"):
        open_runtime(goldsieve_workspace, clock=goldsieve_clock, entry_points=False)
    (goldsieve_workspace.path / "funnels" / "other.json").unlink()
    with open_runtime(goldsieve_workspace, clock=goldsieve_clock, entry_points=False) as runtime:
        assert runtime.funnels.get("handmade").version == 3


def test_refresh_loads_versions_another_process_applied(rt, goldsieve_funnel):
    newer = split_negotiation(goldsieve_funnel)
    with rt.store.transaction() as txn:  # as a second process sharing the store would
        txn.insert("funnel_versions", {"funnel": "handmade", "version": 4, "definition": newer,
                                       "saved_at": "2026-01-05T09:00:00Z", "saved_by": "ops"})
    assert rt.funnels.get("handmade").version == 3
    rt.refresh_funnels()
    assert rt.funnels.get("handmade").version == 4

"""``goldsieve funnel plan|apply``: text and JSON output, exit codes, refusal writes nothing."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from goldsieve.cli import cli
from goldsieve.runtime import open_runtime

from tests.funnels.test_migration import deal_at, split_negotiation


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def workspace(goldsieve_runtime, goldsieve_make_user):
    """A workspace with two deals in negotiation and one lead; the store is closed again."""
    rep = goldsieve_make_user("rita", "rep")
    for title in ("Alpha", "Beta"):
        deal_at(goldsieve_runtime, rep, "negotiation", title=title)
    deal_at(goldsieve_runtime, rep, "lead", title="Gamma")
    goldsieve_runtime.close()
    return goldsieve_runtime.workspace.path


def write(tmp_path, definition: dict):
    path = tmp_path / "next.json"
    path.write_text(json.dumps(definition, ensure_ascii=False, indent=2), "utf-8")
    return path


def test_plan_prints_changes_and_affected_deals(workspace, tmp_path, goldsieve_funnel):
    path = write(tmp_path, split_negotiation(goldsieve_funnel))
    result = run("funnel", "plan", str(path), "--workspace", str(workspace))
    assert result.exit_code == 0, result.output
    assert "funnel handmade: version 3 → 4" in result.output
    assert "3 in-flight deals move from version 3 to 4" in result.output
    assert "Stage split: negotiation → bargaining, contract, payment — 2 deals" in result.output


def test_plan_json_and_exit_code_one_for_a_stranding_map(workspace, tmp_path, goldsieve_funnel):
    new = split_negotiation(goldsieve_funnel)
    new["migration"]["map"] = {}
    result = run("funnel", "plan", str(write(tmp_path, new)), "--workspace", str(workspace), "--json")
    assert result.exit_code == 1
    plan = json.loads(result.stdout)
    assert plan["ok"] is False and plan["in_flight"] == 3
    assert sorted(ref["title"] for ref in plan["stranded"]) == ["Alpha", "Beta"]
    assert plan["stranded"][0]["problems"] == [
        "stage negotiation is not in version 4; map it in migration.map"]


def test_plan_of_a_broken_file_exits_one_and_bad_usage_two(workspace, tmp_path, goldsieve_funnel):
    new = split_negotiation(goldsieve_funnel)
    new["stages"][0]["kind"] = "maybe"
    result = run("funnel", "plan", str(write(tmp_path, new)), "--workspace", str(workspace))
    assert result.exit_code == 1 and "/stages/0/kind" in result.output
    assert run("funnel", "plan", str(tmp_path / "missing.json")).exit_code == 2


def test_plan_of_an_edit_without_a_new_version_says_only_that(workspace, tmp_path, goldsieve_funnel):
    edited = json.loads(json.dumps(goldsieve_funnel))
    edited["stages"][1]["title"] = "Renamed"
    edited["stages"] = edited["stages"][:1] + edited["stages"][2:]  # a stage gone, no migration
    result = run("funnel", "plan", str(write(tmp_path, edited)), "--workspace", str(workspace))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: version 3 is not newer than the applied version 3; raise `version` to 4"]


def test_apply_migrates_and_rewrites_the_workspace_file(workspace, tmp_path, goldsieve_funnel,
                                                        goldsieve_clock):
    path = write(tmp_path, split_negotiation(goldsieve_funnel))
    result = run("funnel", "apply", str(path), "--workspace", str(workspace), "--as", "olga")
    assert result.exit_code == 0, result.output
    assert "applied version 4 of handmade; migrated 3 deals" in result.output
    assert (workspace / "funnels" / "handmade.json").read_text("utf-8") == path.read_text("utf-8")
    from goldsieve.workspace import Workspace
    with open_runtime(Workspace.load(workspace), clock=goldsieve_clock, entry_points=False) as rt:
        stages = sorted((d["title"], d["stage"], d["funnel_version"]) for d in rt.store.find("deals"))
        assert stages == [("Alpha", "bargaining", 4), ("Beta", "bargaining", 4), ("Gamma", "lead", 4)]
        assert rt.store.find("funnel_versions")[-1]["saved_by"] == "olga"


def test_apply_refuses_a_stranding_map_and_writes_nothing(workspace, tmp_path, goldsieve_funnel):
    new = split_negotiation(goldsieve_funnel)
    new["migration"]["map"] = {}
    data = {p.name: p.read_bytes() for p in (workspace / "data").iterdir()}
    funnel_file = (workspace / "funnels" / "handmade.json").read_bytes()
    result = run("funnel", "apply", str(write(tmp_path, new)), "--workspace", str(workspace))
    assert result.exit_code == 1
    assert "would be stranded: stage negotiation is not in version 4" in result.output
    assert {p.name: p.read_bytes() for p in (workspace / "data").iterdir()} == data
    assert (workspace / "funnels" / "handmade.json").read_bytes() == funnel_file

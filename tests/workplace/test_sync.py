"""The org sync against each platform's fake: teams, managers and users brought in line, the
dry run, leavers deactivated with their sessions and tokens ended, nothing deleted, every change
audited, the team hierarchy kept, and the worker's schedule."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from goldsieve.automation.worker import Worker
from goldsieve.cli import cli
from goldsieve.people.sessions import start_session
from goldsieve.people.teams import add_team, ancestors
from goldsieve.people.users import issue_token
from goldsieve.workplace.sync import apply, plan

from .test_clients import MEMBER_PATHS, org


@pytest.fixture
def workplace_settings():
    return {"roles": '{ "销售经理" = "manager" }', "departments": '{ "Support" = "after_sales" }',
            "sync_hours": "24"}


def counts(store):
    return {table: store.count(table) for table in ("users", "teams", "audit", "sessions", "tokens")}


def sync(runtime, client):
    planned = plan(runtime.store, client)
    assert apply(runtime.store, client, planned) == []
    return planned


def teams_by_title(store):
    return {t["title"]: t for t in store.find("teams") if t.get("title")}


def test_the_dry_run_prints_the_diff_and_writes_nothing(goldsieve_runtime, goldsieve_workspace, fake, platform):
    org(fake, platform)
    before = counts(goldsieve_runtime.store)
    goldsieve_runtime.close()  # the command opens the workspace itself
    result = CliRunner().invoke(cli, ["workplace", "sync", platform, "--dry-run", "-w", str(goldsieve_workspace.path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"+ team {platform}-2 (销售部), below —" in lines
    assert f"+ team {platform}-3 (华东), below {platform}-2" in lines
    assert "+ team Support (Support), below —" in lines
    assert f"+ user lin (林经理), manager in {platform}-2" in lines
    assert f"+ user rep0 (销售0), rep in {platform}-3" in lines
    assert f"~ team {platform}-2: manager — → lin" in lines
    assert lines[-1] == "Dry run: 9 change(s), nothing written."
    from goldsieve.runtime import open_runtime
    from goldsieve.workspace import Workspace

    with open_runtime(Workspace.load(goldsieve_workspace.path), entry_points=False) as again:
        assert counts(again.store) == before


def test_the_dry_run_speaks_the_readers_language(goldsieve_runtime, goldsieve_workspace, fake, platform):
    org(fake, platform)
    goldsieve_runtime.close()
    result = CliRunner().invoke(cli, ["--lang", "zh-Hans", "workplace", "sync", platform, "--dry-run",
                                      "-w", str(goldsieve_workspace.path)])
    assert result.output.splitlines()[-1] == "试运行：9 项变更，未写入任何内容。"
    assert f"+ 团队 {platform}-3（华东），上级 {platform}-2" in result.output.splitlines()


def test_a_sync_makes_the_teams_managers_and_users_and_audits_each_change(goldsieve_runtime, client, fake,
                                                                         platform):
    org(fake, platform)
    fake.add_department("5", "Support-East", "4")
    fake.add_person("sue", "Sue", ["5"], title="Engineer")
    store = goldsieve_runtime.store
    sync(goldsieve_runtime, client)
    teams = teams_by_title(store)
    assert teams["华东"]["parent"] == teams["销售部"]["name"] and teams["销售部"]["manager"] == "lin"
    assert teams["Support-East"]["parent"] == "Support"
    users = {u["username"]: u for u in store.find("users")}
    assert users["lin"]["role"] == "manager" and users["lin"]["team"] == teams["销售部"]["name"]
    assert users["rep2"]["role"] == "rep" and users["rep2"]["display_name"] == "销售2"
    assert users["sue"]["role"] == "after_sales"  # by the department above hers
    assert users["rep2"]["workplace_ids"] == {platform: "rep2"}
    rows = [r for r in store.find("audit") if r["by"] == f"sync:{platform}"]
    assert {r["action"] for r in rows} >= {"team_added", "team_changed", "user_added", "workplace_linked"}
    assert sum(r["action"] == "user_added" for r in rows) == 6


def test_a_second_sync_changes_nothing(goldsieve_runtime, client, fake, platform):
    org(fake, platform)
    sync(goldsieve_runtime, client)
    before = counts(goldsieve_runtime.store)
    assert plan(goldsieve_runtime.store, client).empty
    assert counts(goldsieve_runtime.store) == before


def test_someone_who_left_is_deactivated_and_their_sessions_and_tokens_end(goldsieve_runtime, client, fake,
                                                                           platform, goldsieve_user):
    org(fake, platform)
    sync(goldsieve_runtime, client)
    store = goldsieve_runtime.store
    start_session(store, "rep1")
    issue_token(store, "rep1")
    fake.people = [p for p in fake.people if p.id != "rep1"]
    planned = sync(goldsieve_runtime, client)
    assert planned.lines() == ["- user rep1: no longer in the org chart, deactivated"]
    rep1 = next(u for u in store.find("users") if u["username"] == "rep1")
    assert rep1["active"] is False  # kept, not deleted
    assert store.count("sessions") == 0 and store.count("tokens") == 0


def test_a_moved_and_renamed_department_is_the_same_team_and_no_team_lands_below_itself(
        goldsieve_runtime, client, fake, platform):
    org(fake, platform)
    sync(goldsieve_runtime, client)
    store = goldsieve_runtime.store
    before = teams_by_title(store)
    sales, east = before["销售部"]["name"], before["华东"]["name"]
    # 华东 moves to the top and 销售部 below it: the reverse of before
    top = "0" if platform == "feishu" else "1"
    for dept in fake.departments:
        if dept.id == "3":
            dept.parent, dept.name = top, "华东大区"
        elif dept.id == "2":
            dept.parent = "3"
    sync(goldsieve_runtime, client)
    after = {t["name"]: t for t in store.find("teams")}
    assert after[east]["parent"] is None and after[east]["title"] == "华东大区"
    assert after[sales]["parent"] == east
    parents = {t["name"]: t.get("parent") for t in after.values()}
    assert all(parents[ancestors(parents, name)[-1]] is None for name in parents)  # every chain ends at the top
    assert store.count("teams") == 3


def test_people_are_never_matched_by_name(goldsieve_runtime, client, fake, platform, goldsieve_make_user):
    goldsieve_make_user("rep0", "rep")  # a goldsieve user who happens to have a member's id as name
    add_team(goldsieve_runtime.store, "Support")  # and a team named like a department
    org(fake, platform)
    sync(goldsieve_runtime, client)
    users = {u["username"]: u for u in goldsieve_runtime.store.find("users")}
    assert "workplace_ids" not in users["rep0"]
    assert users[f"{platform}-rep0"]["workplace_ids"] == {platform: "rep0"}
    support = teams_by_title(goldsieve_runtime.store)["Support"]
    assert support["name"] == f"{platform}-4"


def test_the_worker_syncs_every_sync_hours(goldsieve_runtime, client, fake, platform, goldsieve_clock):
    org(fake, platform)
    worker = Worker(goldsieve_runtime)
    assert worker.run_once()["synced"] == 9
    fake.add_person("new", "New", ["4"])
    assert worker.run_once()["synced"] == 0  # not due yet
    goldsieve_clock.advance(hours=24)
    assert worker.run_once()["synced"] == 1
    assert any(u["username"] == "new" for u in goldsieve_runtime.store.find("users"))


def test_an_unreachable_platform_is_logged_by_the_worker_and_tried_again(goldsieve_runtime, fake, platform,
                                                                         caplog):
    org(fake, platform)
    fake.secret = "changed-in-the-console"
    assert Worker(goldsieve_runtime).run_once()["synced"] == 0
    assert "org sync failed" in caplog.text and goldsieve_runtime.store.count("users") == 0


def test_an_unconfigured_platform_is_one_line(goldsieve_runtime, goldsieve_workspace, platform):
    other = next(p for p in ("dingtalk", "wecom", "feishu") if p != platform)
    goldsieve_runtime.close()
    result = CliRunner().invoke(cli, ["workplace", "sync", other, "-w", str(goldsieve_workspace.path)])
    assert result.exit_code == 1
    assert result.output.strip() == (f"Error: goldsieve.toml has no [workplace.{other}] table "
                                     "(docs/workplace.md says what to put there)")


def test_the_link_command_links_and_unlinks(goldsieve_runtime, goldsieve_workspace, goldsieve_make_user, platform):
    goldsieve_make_user("mei", "rep")
    goldsieve_runtime.close()
    where = ["-w", str(goldsieve_workspace.path)]
    result = CliRunner().invoke(cli, ["workplace", "link", "mei", platform, "mei-77", *where])
    assert result.exit_code == 0 and result.output.strip() == f"mei is {platform} account mei-77."
    result = CliRunner().invoke(cli, ["workplace", "link", "mei", platform, *where])
    assert result.exit_code == 1 and "--unlink" in result.output
    assert CliRunner().invoke(cli, ["workplace", "link", "mei", platform, "--unlink", *where]).exit_code == 0


@pytest.mark.parametrize("goldsieve_store_url", ["postgresql"], indirect=True)
def test_a_sync_on_postgresql(goldsieve_runtime, client, fake, platform):
    org(fake, platform)
    sync(goldsieve_runtime, client)
    assert goldsieve_runtime.store.count("users") == 5 and plan(goldsieve_runtime.store, client).empty


def test_ids_no_store_can_keep_are_left_out_and_names_are_cleaned(goldsieve_runtime, client, fake, platform):
    org(fake, platform)
    fake.add_person("bad\x00id", "NUL", ["3"])
    fake.add_person("x" * 200, "Long", ["3"])
    fake.add_person("ok", "  spaced \ud800 name ", ["3"])
    sync(goldsieve_runtime, client)
    users = {u["username"]: u for u in goldsieve_runtime.store.find("users")}
    assert "ok" in users and users["ok"]["display_name"] == "ok"  # a lone surrogate: the id stands in
    assert not any("bad" in name or name.startswith("xxx") for name in users)


def test_an_org_chart_with_nobody_in_it_deactivates_nobody(goldsieve_runtime, client, fake, platform):
    from goldsieve.workplace.client import PlatformError

    org(fake, platform)
    sync(goldsieve_runtime, client)
    fake.people = []  # the app's visibility scope was narrowed to nothing
    with pytest.raises(PlatformError, match="lists no members"):
        plan(goldsieve_runtime.store, client)
    assert all(u.get("active", True) for u in goldsieve_runtime.store.find("users"))


def test_a_platform_message_never_repeats_the_secret(client, fake, platform):
    from goldsieve.workplace.client import PlatformError

    fake.fail_next(MEMBER_PATHS[platform], 200 if platform != "feishu" else 400,
                   {"errcode" if platform != "feishu" else "code": 40001,
                    "errmsg" if platform != "feishu" else "msg": f"bad secret {fake.secret}"})
    with pytest.raises(PlatformError) as caught:
        client.members("3")
    assert fake.secret not in str(caught.value) and "***" in str(caught.value)


def test_the_admins_team_tree_shows_the_department_names(goldsieve_runtime, client, fake, platform,
                                                         goldsieve_app, goldsieve_user):
    from tests.ui.conftest import Browser

    org(fake, platform)
    sync(goldsieve_runtime, client)
    browser = Browser(goldsieve_app.test_client())
    browser.login("admin")
    assert "(华东)" in browser.get("/admin/teams").get_data(as_text=True)


def test_people_the_sync_creates_have_no_password_until_an_admin_sets_one(goldsieve_runtime, client, fake,
                                                                          platform):
    from goldsieve.people.users import authenticate, set_password
    from goldsieve.testing import TEST_PASSWORD

    org(fake, platform)
    sync(goldsieve_runtime, client)
    store = goldsieve_runtime.store
    rep0 = next(u for u in store.find("users") if u["username"] == "rep0")
    assert rep0["password_hash"] is None
    assert authenticate(store, "rep0", "") is None and authenticate(store, "rep0", "None") is None
    set_password(store, "rep0", TEST_PASSWORD)
    assert authenticate(store, "rep0", TEST_PASSWORD)["username"] == "rep0"


def test_the_link_command_speaks_the_readers_language(goldsieve_runtime, goldsieve_workspace, goldsieve_make_user,
                                                      platform):
    goldsieve_make_user("mei", "rep")
    goldsieve_runtime.close()
    result = CliRunner().invoke(cli, ["--lang", "zh-Hans", "workplace", "link", "mei", platform, "mei-77",
                                      "-w", str(goldsieve_workspace.path)])
    assert result.output.strip() == f"mei 已关联 {platform} 账号 mei-77。"


def test_a_department_that_loses_its_leader_takes_its_teams_manager_away(goldsieve_runtime, goldsieve_workspace,
                                                                         client, fake, platform):
    """Shown by the dry run, audited, and made; a manager an admin gave a team from outside the
    org chart is kept when its department names no leader."""
    from goldsieve.people.teams import update_team
    from goldsieve.people.users import add_user

    org(fake, platform)
    sync(goldsieve_runtime, client)
    store = goldsieve_runtime.store
    sales, east = teams_by_title(store)["销售部"]["name"], teams_by_title(store)["华东"]["name"]
    add_user(store, "boss", "manager", None)  # made by hand, linked to no platform account
    update_team(store, east, manager="boss")
    next(p for p in fake.people if p.id == "lin").leads = []  # Lin still works there, leads nothing
    goldsieve_runtime.close()
    result = CliRunner().invoke(cli, ["workplace", "sync", platform, "--dry-run", "-w", str(goldsieve_workspace.path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"~ team {sales}: manager lin → —",
                                          "Dry run: 1 change(s), nothing written."]
    result = CliRunner().invoke(cli, ["--lang", "zh-Hant", "workplace", "sync", platform,
                                      "-w", str(goldsieve_workspace.path)])
    assert result.exit_code == 0, result.output
    from goldsieve.runtime import open_runtime
    from goldsieve.workspace import Workspace

    with open_runtime(Workspace.load(goldsieve_workspace.path), entry_points=False) as again:
        teams = {t["name"]: t for t in again.store.find("teams")}
        assert teams[sales]["manager"] is None and teams[east]["manager"] == "boss"
        managers = [r["changes"]["manager"] for r in again.store.find("audit") if r["action"] == "team_changed"
                    and r["target"]["id"] == sales and r["by"] == f"sync:{platform}"
                    and "manager" in r["changes"]]
        assert managers == [[None, "lin"], ["lin", None]]  # set by the first sync, taken by the second
        assert next(u for u in again.store.find("users") if u["username"] == "lin")["active"] is True

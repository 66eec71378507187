"""`goldsieve activities log|plan|done|list` (issue 16) on both stores: the declared types and
fields and who may see what are checked by the same rules as the API, and every bad input is one
line naming its option, in the reader's language, with a non-zero exit and nothing written."""
from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from goldsieve.cli import cli
from goldsieve.people.teams import add_team
from goldsieve.people.users import add_user, find_user
from goldsieve.runtime import open_runtime
from goldsieve.testing import TEST_PASSWORD
from goldsieve.testing.postgres import ENVIRONMENT, scratch_schema, server_url
from goldsieve.workspace import Workspace, set_store_url

ENGLISH = {"LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8", "GOLDSIEVE_LANG": ""}
CHINESE = {**ENGLISH, "LANG": "zh_CN.UTF-8"}
TYPES = {"types": [
    {"id": "call", "title": {"en": "Call", "zh-Hans": "电话", "zh-Hant": "電話"}},
    {"id": "visit", "title": {"en": "Visit", "zh-Hans": "拜访", "zh-Hant": "拜訪"}, "location": True,
     "fields": {"type": "object", "properties": {
         "purpose": {"type": "string", "enum": ["intro", "demo"], "title": {"en": "Purpose", "zh-Hans": "目的"}},
         "people": {"type": "integer", "minimum": 1, "title": {"en": "People", "zh-Hans": "人数"}}}}},
]}


@pytest.fixture(params=["tinydb", "postgresql"])
def workspace(request, tmp_path) -> Iterator[Path]:
    """lea's deal 1 on her customer 1 (with contact 1), a customer 2 of ned's (contact 2); lea and
    ned are reps of different teams, so neither sees the other's."""
    folder = tmp_path / "ws"
    assert CliRunner().invoke(cli, ["init", "--template", "software", str(folder)]).exit_code == 0
    (folder / "records").mkdir(exist_ok=True)
    (folder / "records" / "activity.json").write_text(json.dumps(TYPES), encoding="utf-8")
    with contextlib.ExitStack() as stack:
        if request.param == "postgresql":
            if not server_url():
                pytest.skip(f"set {ENVIRONMENT}=postgresql://… to run it on PostgreSQL")
            set_store_url(Workspace.load(folder), stack.enter_context(scratch_schema(server_url())))
        with open_runtime(Workspace.load(folder)) as rt:
            for team in ("north", "south"):
                add_team(rt.store, team)
            add_user(rt.store, "lea", "rep", TEST_PASSWORD, team="north")
            add_user(rt.store, "ned", "rep", TEST_PASSWORD, team="south")
            add_user(rt.store, "eve", "executive", TEST_PASSWORD)  # sees every deal, changes none
            lea, ned = find_user(rt.store, "lea"), find_user(rt.store, "ned")
            mine = rt.customers.create(lea, "Ruijin")
            rt.contacts.create(lea, mine["id"], "Dr. Wang")
            theirs = rt.customers.create(ned, "Huashan")
            rt.contacts.create(ned, theirs["id"], "Dr. Li")
            rt.engine.create(lea, "software", "PACS", {"company": "Ruijin"}, customer_id=mine["id"])
        yield folder


def run(folder: Path, *args: str, env: dict[str, str] = ENGLISH):
    return CliRunner(env=env).invoke(cli, [*args[:2], "-w", str(folder), *args[2:]])


def written(folder: Path) -> tuple:
    with open_runtime(Workspace.load(folder)) as rt:
        return (rt.store.count("activities"), rt.store.count("audit"), rt.store.count("events"),
                rt.store.get("deals", 1)["version"], [(a["id"], a["status"]) for a in rt.store.find("activities")])


def test_plan_log_list_and_mark_done(workspace):
    planned = run(workspace, "activities", "plan", "--as", "lea", "--type", "visit", "--deal", "1",
                  "--due", "2030-03-02 09:30", "--duration", "45", "--contact", "1",
                  "--data", "purpose=demo", "--data", "people=3")
    assert (planned.exit_code, planned.stdout) == (0, "activity 1 planned: Visit, due 2030-03-02T09:30:00.000Z\n"), \
        planned.output
    logged = run(workspace, "activities", "log", "--as", "lea", "--type", "call", "--customer", "1",
                 "--at", "2026-01-05T08:00:00+08:00", "--outcome", "Asked for a quote")
    assert (logged.exit_code, logged.stdout) == (0, "activity 2 logged: Call, done 2026-01-05T00:00:00.000Z\n")
    with open_runtime(Workspace.load(workspace)) as rt:
        visit = rt.store.get("activities", 1)
        assert (visit["owner"], visit["contact_ids"], visit["duration_minutes"], visit["data"]) == (
            "lea", [1], 45, {"purpose": "demo", "people": 3})
        assert rt.store.get("deals", 1)["next_activity_at"] == "2030-03-02T09:30:00.000Z"
        assert rt.store.get("activities", 2)["deal_id"] is None
    listed = run(workspace, "activities", "list", "--as", "lea")
    assert listed.stdout.splitlines() == [
        "1\tVisit\tplanned, due 2030-03-02T09:30:00.000Z\tdeal 1, customer 1\t",
        "2\tCall\tdone 2026-01-05T00:00:00.000Z\tcustomer 1\tAsked for a quote"]
    done = run(workspace, "activities", "done", "1", "--as", "lea", "--at", "2026-01-06 10:00", "--outcome", "Went well")
    assert (done.exit_code, done.stdout) == (0, "activity 1 done: Visit, 2026-01-06T10:00:00.000Z\n"), done.output
    rows = [json.loads(line) for line in run(workspace, "activities", "list", "--as", "lea", "--deal", "1",
                                             "--format", "jsonl").stdout.splitlines()]
    assert [(r["id"], r["status"], r["outcome"]) for r in rows] == [(1, "done", "Went well")]
    with open_runtime(Workspace.load(workspace)) as rt:
        deal = rt.store.get("deals", 1)
        assert deal["next_activity_at"] is None
        assert [e["type"] for e in rt.engine.history(find_user(rt.store, "lea"), 1)][-1] == "activity_logged"
    before = written(workspace)
    again = run(workspace, "activities", "done", "1", "--as", "lea")
    assert (again.exit_code, again.stderr) == (1, "Error: ACTIVITY_ID: this activity is done already\n")
    assert written(workspace) == before
    zh = run(workspace, "activities", "list", "--as", "lea", "--status", "planned", env=CHINESE)
    assert zh.stdout == "没有活动\n"


BAD = {
    "unknown type": (["log", "--type", "parade", "--deal", "1"],
                     "Error: --type: “parade” is not a declared activity type; choose one of call, visit"),
    "NUL in the type": (["log", "--type", "ca\x00ll", "--deal", "1"],
                        "Error: --type: “ca\\u0000ll” is not a declared activity type; choose one of call, visit"),
    "unknown deal": (["log", "--type", "call", "--deal", "99"], "Error: --deal: there is no deal 99 that you can see"),
    "a deal the user may not see": (["log", "--type", "call", "--deal", "1", "--as", "ned"],
                                    "Error: --deal: there is no deal 1 that you can see"),
    "a deal the user sees but may not change": (["log", "--type", "call", "--deal", "1", "--as", "eve"],
                                                "Error: “eve” may not change what this activity is about"),
    "a customer the user may not see": (["log", "--type", "call", "--customer", "2"],
                                        "Error: --customer: there is no customer 2 that you can see"),
    "listing a deal the user may not see": (["list", "--deal", "1", "--as", "ned"],
                                            "Error: --deal: there is no deal 1 that you can see"),
    "listing a customer the user may not see": (["list", "--customer", "2"],
                                                "Error: --customer: there is no customer 2 that you can see"),
    "neither deal nor customer": (["log", "--type", "call"],
                                  "Error: --deal: name a deal with --deal, a customer with --customer, or both"),
    "bad date": (["plan", "--type", "call", "--deal", "1", "--due", "2030-02-30 09:00"],
                 "Error: --due: give a time as YYYY-MM-DD HH:MM in UTC, or ISO 8601 with a time zone"),
    "a time without its zone": (["plan", "--type", "call", "--deal", "1", "--due", "2030-03-02T09:00:00"],
                                "Error: --due: give a time as YYYY-MM-DD HH:MM in UTC, or ISO 8601 with a time zone"),
    "non-ASCII digits in a date": (["plan", "--type", "call", "--deal", "1", "--due", "２０３０-03-02 09:00"],
                                   "Error: --due: give a time as YYYY-MM-DD HH:MM in UTC, or ISO 8601 with a time zone"),
    "a time before the year 1000 in UTC": (["plan", "--type", "call", "--deal", "1", "--due", "0001-01-01T00:30:00+01:00"],
                                           "Error: --due: give a time as YYYY-MM-DD HH:MM in UTC, or ISO 8601 with a time zone"),
    "done in the future": (["log", "--type", "call", "--deal", "1", "--at", "2099-01-01 09:00"],
                           "Error: --at: a done activity cannot lie in the future; plan it instead"),
    "non-ASCII digits in a duration": (["log", "--type", "call", "--deal", "1", "--duration", "４５"],
                                       "Error: --duration: give whole minutes from 0 to 10080"),
    "a duration out of range": (["log", "--type", "call", "--deal", "1", "--duration", "99999"],
                                "Error: --duration: give whole minutes from 0 to 10080"),
    "NUL in the outcome": (["log", "--type", "call", "--deal", "1", "--outcome", "fi\x00ne"],
                           "Error: --outcome: it cannot hold NUL characters or broken Unicode"),
    "a contact of another customer": (["log", "--type", "call", "--deal", "1", "--contact", "2"],
                                      "Error: --contact: name contacts of the activity's customer by their ids"),
    "a choice the field does not have": (["log", "--type", "visit", "--deal", "1", "--data", "purpose=party"],
                                         "Error: --data Purpose: “party” is not a choice: choose one of intro, demo"),
    "non-ASCII digits in a field": (["log", "--type", "visit", "--deal", "1", "--data", "people=３"],
                                    "Error: --data people: “３” is not a whole number"),
    "a field the type does not declare": (["log", "--type", "call", "--deal", "1", "--data", "colour=red"],
                                          "Error: --data: the activity type declares no field “colour”"),
    "marking an unknown activity done": (["done", "7"], "Error: there is no activity 7 that “lea” can see"),
    "a latitude without its longitude": (["log", "--type", "visit", "--deal", "1", "--lat", "31.2"],
                                         "Error: --lon: give --lat and --lon together"),
    "a longitude without its latitude": (["log", "--type", "visit", "--deal", "1", "--lon", "121.4"],
                                         "Error: --lat: give --lat and --lon together"),
    "a latitude out of range": (["log", "--type", "visit", "--deal", "1", "--lat", "91", "--lon", "121.4"],
                                "Error: --lat: give degrees from -90 to 90"),
    "a longitude out of range": (["log", "--type", "visit", "--deal", "1", "--lat", "31.2", "--lon", "-180.5"],
                                 "Error: --lon: give degrees from -180 to 180"),
    "an infinite latitude": (["log", "--type", "visit", "--deal", "1", "--lat", "1e400", "--lon", "121.4"],
                             "Error: --lat: give degrees from -90 to 90"),
    "a longitude that is no number": (["log", "--type", "visit", "--deal", "1", "--lat", "31.2", "--lon", "nan"],
                                      "Error: --lon: give degrees from -180 to 180"),
    "NUL in the title": (["plan", "--type", "call", "--deal", "1", "--due", "2030-03-02 09:00", "--title", "a\x00b"],
                         "Error: --title: it cannot hold NUL characters or broken Unicode"),
    "an unknown user": (["log", "--type", "call", "--deal", "1", "--as", "ghost"],
                        "Error: there is no user “ghost”"),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_input_is_one_line_a_non_zero_exit_and_nothing_written(workspace, name):
    args, line = BAD[name]
    if "--as" not in args:
        args = [*args, "--as", "lea"]
    before = written(workspace)
    result = run(workspace, "activities", *args)
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [line] and result.stdout == ""
    assert written(workspace) == before


def test_a_visit_logs_where_it_happened_and_a_plan_carries_its_title(workspace):
    logged = run(workspace, "activities", "log", "--as", "lea", "--type", "visit", "--deal", "1",
                 "--lat", "31.2304", "--lon", "-121.4737", "--at", "2026-01-05 08:00")
    assert logged.exit_code == 0, logged.output
    planned = run(workspace, "activities", "plan", "--as", "lea", "--type", "call", "--deal", "1",
                  "--due", "2030-03-02 09:30", "--title", "  Quote for the radiology wing ")
    assert planned.exit_code == 0, planned.output
    with open_runtime(Workspace.load(workspace)) as rt:
        visit, call = rt.store.get("activities", 1), rt.store.get("activities", 2)
    assert (visit["location"], visit["title"]) == ({"lat": 31.2304, "lon": -121.4737}, None)
    assert (call["title"], call["location"]) == ("Quote for the radiology wing", None)
    listed = run(workspace, "activities", "list", "--as", "lea", "--status", "planned")
    assert listed.stdout.split("\t")[:2] == ["2", "Call: Quote for the radiology wing"]
    zh = run(workspace, "activities", "list", "--as", "lea", "--status", "planned", env=CHINESE)
    assert zh.stdout.split("\t")[1] == "电话：Quote for the radiology wing"
    bad = run(workspace, "activities", "log", "--as", "lea", "--type", "visit", "--deal", "1", "--lat", "95",
              "--lon", "200", env=CHINESE)
    assert bad.exit_code == 1 and bad.stderr.splitlines() == [
        "错误：--lat: 请填写 -90 到 90 之间的度数", "错误：--lon: 请填写 -180 到 180 之间的度数"]


@pytest.mark.parametrize("option", ["--deal", "--customer", "--contact"])
def test_an_id_in_other_digits_is_refused_before_the_store_opens(workspace, option):
    before = written(workspace)
    result = run(workspace, "activities", "log", "--as", "lea", "--type", "call", option, "١")
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {option}: “١” is not an id: write it in the digits 0-9 "
                             "(see goldsieve activities log --help)\n")
    assert written(workspace) == before


def test_the_lines_are_in_the_reader_s_language(workspace):
    before = written(workspace)
    result = run(workspace, "activities", "plan", "--as", "lea", "--type", "parade", "--deal", "99",
                 "--due", "tomorrow", env=CHINESE)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "错误：--deal: 看不到编号为 99 的商机",
        "错误：--type: “parade” 不是已声明的活动类型；请从 call, visit 中选择",
        "错误：--due: 请以 UTC 的 YYYY-MM-DD HH:MM 或带时区的 ISO 8601 格式填写时间",
    ]
    assert written(workspace) == before
    done = run(workspace, "activities", "log", "--as", "lea", "--type", "visit", "--deal", "1", env=CHINESE)
    assert done.stdout.startswith("活动 1 已记录：拜访，完成于 ")

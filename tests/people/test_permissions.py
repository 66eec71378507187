"""Record-level access (issue 4): who sees which deals, in every query, and who may do what.

One organisation for every test: team ``north`` (manager mia, reps rita and rob) with the
sub-team ``north-east`` (rep nina); team ``south`` (rep sam), managed by max, who is no member
of it; an admin, an executive (eve), marketing (mark) and after-sales (cara). Each rep and
mark own deals. What each of them may see is checked through the engine, the REST API, the
pages (board cards and column counts, the deal page) and the export.
"""
from __future__ import annotations

import io
import json
import re

import pytest
from click.testing import CliRunner

from goldsieve import hookimpl
from goldsieve.cli import cli
from goldsieve.deals.exporting import export
from goldsieve.demo.builder import ensure_demo
from goldsieve.errors import Forbidden, NotFound, ValidationFailed
from goldsieve.people.teams import add_team, update_team
from goldsieve.people.users import find_user, issue_token, update_user
from goldsieve.runtime import open_runtime
from goldsieve.store.filters import Eq, Everything
from goldsieve.testing import ApiClient
from goldsieve.workspace import Workspace, WorkspaceError

from tests.ui.conftest import Browser

FUNNEL = "handmade"
OPEN_STAGES = ["lead", "qualified", "exec_visit", "quote", "negotiation"]


class Org:
    """The users (by name) and the ids of the deals each one owns."""

    def __init__(self, runtime):
        self.runtime = runtime
        self.engine = runtime.engine
        self.users: dict[str, dict] = {}
        self.owned: dict[str, list[int]] = {}

    def user(self, name: str) -> dict:
        return find_user(self.runtime.store, name)

    def deals_of(self, *names: str) -> set[int]:
        return {i for name in names for i in self.owned.get(name, [])}

    @property
    def every_deal(self) -> set[int]:
        return self.deals_of(*self.owned)


#: who sees whose deals under the default rules
SEES = {
    "rita": ["rita"], "rob": ["rob"], "nina": ["nina"], "sam": ["sam"],
    "mia": ["mia", "rita", "rob", "nina"],  # her team and its sub-team
    "max": ["max", "sam"],                  # the team he manages
    "mark": ["mark"],                       # the leads he entered
    "cara": [],                             # nothing handed over yet
}


@pytest.fixture
def org(goldsieve_runtime, goldsieve_user, goldsieve_make_user, goldsieve_make_team) -> Org:
    org = Org(goldsieve_runtime)
    goldsieve_make_team("north")
    goldsieve_make_team("north-east", parent="north")
    goldsieve_make_team("south")
    for name, role, team in (("mia", "manager", "north"), ("max", "manager", None),
                             ("rita", "rep", "north"), ("rob", "rep", "north"),
                             ("nina", "rep", "north-east"), ("sam", "rep", "south"),
                             ("eve", "executive", None), ("mark", "marketing", None),
                             ("cara", "after_sales", None)):
        goldsieve_make_user(name, role, team=team)
    update_team(goldsieve_runtime.store, "north", manager="mia")
    update_team(goldsieve_runtime.store, "south", manager="max")
    engine = goldsieve_runtime.engine
    for name, count in (("rita", 2), ("rob", 1), ("nina", 1), ("sam", 2), ("mark", 1)):
        user = org.user(name)
        org.owned[name] = [
            engine.create(user, FUNNEL, f"{name} deal {n}", {"company": f"{name} Ltd", "amount": 1000 * (n + 1)})["id"]
            for n in range(count)]
    # one deal rita owns that her manager created for her
    org.owned["rita"].append(engine.create(org.user("mia"), FUNNEL, "From mia", {"company": "M"},
                                           owner="rita")["id"])
    org.users = {name: org.user(name) for name in [*SEES, "admin", "eve"]}
    return org


def expected(org: Org, name: str) -> set[int]:
    return org.every_deal if name in ("admin", "eve") else org.deals_of(*SEES[name])


# --- the engine ---------------------------------------------------------------------------------


def test_each_user_lists_and_reads_exactly_their_scope(org):
    engine = org.engine
    assert engine.store.count("deals") == len(org.every_deal) == 8
    for name, user in org.users.items():
        visible = {d["id"] for d in engine.list(user, limit=200)}
        assert visible == expected(org, name), name
        for deal_id in org.every_deal - visible:
            for call in (lambda: engine.get(user, deal_id), lambda: engine.history(user, deal_id),
                         lambda: engine.update(user, deal_id, {"amount": 1}),
                         lambda: engine.move(user, deal_id, "lost", lost_reason="price"),
                         lambda: engine.add_note(user, deal_id, "hi"),
                         lambda: engine.reopen(user, deal_id)):
                with pytest.raises(NotFound):  # hidden is absent, never "forbidden"
                    call()
    # filters combine with the scope: rob asking for rita's deals gets none
    assert engine.list(org.users["rob"], owner="rita") == []
    assert {d["id"] for d in engine.list(org.users["mia"], owner="rita")} == org.deals_of("rita")


def test_scopes_are_store_filters(org):
    scope = org.engine.scope
    assert scope(org.users["rita"]) == Eq("owner", "rita")
    assert scope(org.users["admin"]) == Everything()
    team = scope(org.users["mia"])
    assert team.field == "owner" and set(team.values) == {"mia", "rita", "rob", "nina"}
    # the scope is what the store is asked: counting with it gives the list's size
    assert org.runtime.store.count("deals", scope(org.users["mia"])) == len(expected(org, "mia"))


def test_sub_teams_at_any_depth_and_team_changes_apply_at_once(org, goldsieve_make_user):
    store = org.runtime.store
    add_team(store, "north-east-2", parent="north-east")
    goldsieve_make_user("nico", "rep", team="north-east-2")
    nico_deal = org.engine.create(org.user("nico"), FUNNEL, "Deep", {"company": "D"})
    assert nico_deal["id"] in {d["id"] for d in org.engine.list(org.user("mia"), limit=200)}
    update_user(store, "rob", team="south")  # rob moves: his deals go with him
    mia = {d["id"] for d in org.engine.list(org.user("mia"), limit=200)}
    maxs = {d["id"] for d in org.engine.list(org.user("max"), limit=200)}
    assert not org.deals_of("rob") & mia and org.deals_of("rob") <= maxs


def test_a_visibility_override_in_goldsieve_toml(org, goldsieve_runtime, goldsieve_workspace):
    config = goldsieve_workspace.path / "goldsieve.toml"
    config.write_text(config.read_text() + '\n[visibility]\nrep = "team"\nmanager = "own"\n')
    goldsieve_runtime.close()
    with open_runtime(Workspace.load(goldsieve_workspace.path), entry_points=False) as again:
        seen = {name: {d["id"] for d in again.engine.list(find_user(again.store, name), limit=200)}
                for name in ("rita", "nina", "sam", "mia", "mark")}
    assert seen["rita"] == org.deals_of("rita", "rob", "nina", "mia")  # her team, its sub-team
    assert seen["nina"] == org.deals_of("nina")  # north-east has no sub-teams, nobody else in it
    assert seen["sam"] == org.deals_of("sam")
    assert seen["mia"] == set()  # owns nothing herself
    assert seen["mark"] == org.deals_of("mark")  # roles not named keep their default


@pytest.mark.parametrize("table, message", [
    ('rep = "everyone"', "choose one of own, created, handed, team, all"),
    ('king = "all"', "king: no such role"),
])
def test_a_bad_visibility_setting_stops_start_up(goldsieve_workspace, table, message):
    config = goldsieve_workspace.path / "goldsieve.toml"
    config.write_text(config.read_text() + f"\n[visibility]\n{table}\n")
    with pytest.raises(WorkspaceError, match=message):
        Workspace.load(goldsieve_workspace.path)


def test_marketing_sees_the_leads_they_entered_whoever_owns_them(org, goldsieve_register):
    class MarketingHandsOver:  # the built-in rules never deny: a plugin may grant more
        @hookimpl
        def goldsieve_permission(self, user, action):
            return True if action == "reassign" and user.get("role") == "marketing" else None

    goldsieve_register(MarketingHandsOver())
    lead = org.engine.create(org.users["mark"], FUNNEL, "Fair contact", {"company": "F"}, owner="rita")
    assert lead["created_by"] == "mark" and lead["owner"] == "rita"
    assert lead["id"] in {d["id"] for d in org.engine.list(org.users["mark"])}
    assert lead["id"] in {d["id"] for d in org.engine.list(org.users["rita"])}
    assert lead["id"] not in {d["id"] for d in org.engine.list(org.users["rob"])}


def test_after_sales_see_the_deals_they_own_and_those_handed_to_them(org):
    deal = org.engine.create(org.users["admin"], FUNNEL, "Owned", {"company": "H"}, owner="cara")
    handed = org.engine.create(org.users["admin"], FUNNEL, "Handed over", {"company": "H"}, owner="rita")
    assert [d["id"] for d in org.engine.list(org.users["cara"])] == [deal["id"]]
    org.engine.hand_off(org.users["admin"], handed["id"], "cara")
    assert {d["id"] for d in org.engine.list(org.users["cara"])} == {deal["id"], handed["id"]}
    # handing over needs `reassign`: a rep may not hand their deal to someone
    with pytest.raises(Forbidden):
        org.engine.hand_off(org.users["rita"], handed["id"], "cara")


def test_actions_by_role(org):
    engine, u = org.engine, org.users
    rita_deal = org.owned["rita"][0]
    engine.lose(u["rita"], rita_deal, "price")  # reps close their own deals
    with pytest.raises(Forbidden):
        engine.reopen(u["rita"], rita_deal)
    assert engine.reopen(u["mia"], rita_deal)["status"] == "open"  # her manager may
    with pytest.raises(Forbidden):  # a rep may not give a deal to someone else
        engine.create(u["rita"], FUNNEL, "For rob", {"company": "R"}, owner="rob")
    # who may is answered before what is wrong: no validation details for a forbidden request
    with pytest.raises(Forbidden):
        engine.create(u["rita"], FUNNEL, "", {}, owner="ghost")
    with pytest.raises(ValidationFailed, match="no user"):
        engine.create(u["mia"], FUNNEL, "For ghost", {"company": "G"}, owner="ghost")
    # the executive sees everything and changes nothing
    sam_deal = org.owned["sam"][0]
    assert engine.get(u["eve"], sam_deal)["owner"] == "sam"
    for call in (lambda: engine.create(u["eve"], FUNNEL, "Mine", {"company": "E"}),
                 lambda: engine.update(u["eve"], sam_deal, {"amount": 1}),
                 lambda: engine.move(u["eve"], sam_deal, "lost", lost_reason="price"),
                 lambda: engine.add_note(u["eve"], sam_deal, "hello")):
        with pytest.raises(Forbidden):
            call()
    assert engine.get(u["admin"], sam_deal)["version"] == 1, "nothing written"
    assert [engine.may(u[n], "bypass_gate") for n in ("admin", "mia", "rita", "eve")] == \
        [True, False, False, False]
    assert [engine.may(u[n], "manage_users") for n in ("admin", "mia")] == [True, False]
    assert [engine.may(u[n], "change_funnel") for n in ("admin", "eve")] == [True, False]
    assert not engine.may(u["admin"], "launch_rockets"), "an unknown action is denied"
    assert not engine.may({"username": "nobody"}, "edit"), "no role, no rights"


# --- plugins narrow, never widen ----------------------------------------------------------------


class OnlyBigDeals:
    @hookimpl
    def goldsieve_visibility(self, user):
        return Eq("data.amount", 2000) if user.get("role") == "rep" else None


class SeeEverything:
    @hookimpl
    def goldsieve_visibility(self):
        return Everything()


def test_a_plugin_narrows_and_cannot_widen(org, goldsieve_register):
    rita = org.users["rita"]
    goldsieve_register(SeeEverything())
    assert {d["id"] for d in org.engine.list(rita)} == org.deals_of("rita")
    goldsieve_register(OnlyBigDeals())
    big = {d["id"] for d in org.engine.list(rita)}
    assert len(big) == 1 and big < org.deals_of("rita")
    assert {d["id"] for d in org.engine.list(org.users["admin"], limit=200)} == org.every_deal


# --- the REST API -------------------------------------------------------------------------------


@pytest.fixture
def api(org, goldsieve_app):
    client = goldsieve_app.test_client()

    def as_user(name: str) -> ApiClient:
        return ApiClient(client, issue_token(org.runtime.store, name))

    return as_user


def api_ids(client: ApiClient, query: str = "") -> set[int]:
    response = client.get(f"deals?limit=200{query}")
    assert response.status_code == 200
    return {d["id"] for d in response.json["items"]}


def test_the_api_lists_and_answers_only_within_the_scope(org, api):
    for name in ("rita", "rob", "nina", "sam", "mia", "max", "mark", "eve", "admin"):
        client = api(name)
        assert api_ids(client) == expected(org, name), name
        assert api_ids(client, "&owner=rita") == expected(org, name) & org.deals_of("rita"), name
        for deal_id in org.every_deal - expected(org, name):
            for response in (client.get(f"deals/{deal_id}"), client.get(f"deals/{deal_id}/history"),
                             client.patch(f"deals/{deal_id}", {"data": {"amount": 1}, "version": 1}),
                             client.post(f"deals/{deal_id}/move", {"to": "lost", "lost_reason": "price"}),
                             client.post(f"deals/{deal_id}/notes", {"text": "hi"}),
                             client.post(f"deals/{deal_id}/reopen", {})):
                assert response.status_code == 404, (name, deal_id, response.request.path)
    assert org.runtime.store.count("events") == len(org.every_deal), "nothing was written"


def test_api_permission_denials_are_403_and_write_nothing(org, api):
    rita, mia, eve = api("rita"), api("mia"), api("eve")
    deal_id = org.owned["rita"][0]
    assert rita.post(f"deals/{deal_id}/move", {"to": "lost", "lost_reason": "price"}).status_code == 200
    refused = rita.post(f"deals/{deal_id}/reopen", {})
    assert refused.status_code == 403 and refused.json["errors"][0]["code"] == "forbidden"
    assert rita.get(f"deals/{deal_id}").json["status"] == "lost"
    assert mia.post(f"deals/{deal_id}/reopen", {}).status_code == 200

    before = org.runtime.store.count("deals")
    body = {"funnel": FUNNEL, "title": "Handover", "data": {"company": "X"}, "owner": "rob"}
    assert rita.post("deals", body).status_code == 403
    assert eve.post("deals", {k: v for k, v in body.items() if k != "owner"}).status_code == 403
    assert eve.patch(f"deals/{deal_id}", {"data": {"amount": 5}, "version": 4}).status_code == 403
    assert org.runtime.store.count("deals") == before
    created = mia.post("deals", body)  # a manager may assign a deal to one of her reps
    assert created.status_code == 201 and created.json["owner"] == "rob"
    assert created.json["id"] in api_ids(api("rob")) and created.json["id"] not in api_ids(rita)


def test_api_plugin_narrowing(org, api, goldsieve_register):
    goldsieve_register(OnlyBigDeals())
    assert len(api_ids(api("rita"))) == 1
    assert api_ids(api("admin")) == org.every_deal


# --- the pages ------------------------------------------------------------------------------------


@pytest.fixture
def browse(org, goldsieve_app):
    goldsieve_app.config["WTF_CSRF_ENABLED"] = True

    def login(name: str) -> Browser:
        browser = Browser(goldsieve_app.test_client())
        assert browser.login(name).status_code == 302, name
        return browser

    return login


def board(browser: Browser) -> tuple[set[int], dict[str, int]]:
    """The card ids and each column's count on the board."""
    response = browser.get(f"/board/{FUNNEL}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    cards = {int(i) for i in re.findall(r'data-deal-id="(\d+)"', html)}
    counts = {}
    for part in re.split(r'(?=<section class="column")', html)[1:]:
        stage = re.search(r'data-stage="([^"]+)"', part).group(1)
        counts[stage] = int(re.search(r'data-count="(\d+)"', part.split(">", 1)[0]).group(1))
    return cards, counts


def test_board_cards_and_column_counts_are_the_users(org, browse):
    org.engine.move(org.users["rob"], org.owned["rob"][0], "qualified", changes={"needs_survey": "ok"})
    for name in ("rita", "rob", "mia", "sam", "eve"):  # one app, one board cache, in turn
        cards, counts = board(browse(name))
        assert cards == expected(org, name), name
        assert sum(counts.values()) == len(cards), name
    _, rob = board(browse("rob"))
    assert rob["qualified"] == 1 and rob["lead"] == 0
    _, mia = board(browse("mia"))
    assert (mia["lead"], mia["qualified"]) == (len(expected(org, "mia")) - 1, 1)


def test_a_narrowing_plugin_narrows_the_board_totals_too(org, browse, goldsieve_register):
    rita = browse("rita")
    assert board(rita)[1]["lead"] == 3
    goldsieve_register(OnlyBigDeals())  # no write in between: the cached totals must not serve
    cards, counts = board(rita)
    assert len(cards) == 1 and counts["lead"] == 1


def test_foreign_deal_pages_are_404_and_forbidden_actions_403(org, browse):
    rita = browse("rita")
    mine, theirs = org.owned["rita"][0], org.owned["rob"][0]
    assert rita.get(f"/deals/{mine}").status_code == 200
    for path in (f"/deals/{theirs}", f"/deals/{theirs}/move?to=qualified"):
        response = rita.get(path)
        assert response.status_code == 404 and "There is no such deal" in response.get_data(as_text=True)
    for path, data in ((f"/deals/{theirs}", {"version": "1", "title": "X", "company": "X"}),
                       (f"/deals/{theirs}/move", {"to": "lost", "lost_reason": "price"}),
                       (f"/deals/{theirs}/notes", {"text": "hi"}),
                       (f"/deals/{theirs}/reopen", {})):
        assert rita.post(path, data).status_code == 404, path
        assert rita.post(path, data, htmx=True).status_code == 404, path
    org.engine.lose(org.users["rita"], mine, "price")
    page = rita.get(f"/deals/{mine}").get_data(as_text=True)
    assert "Reopen" not in page, "no button for what she may not do"
    refused = rita.post(f"/deals/{mine}/reopen")
    assert refused.status_code == 403 and "<h1>Forbidden</h1>" in refused.get_data(as_text=True)
    assert "Reopen" in browse("mia").get(f"/deals/{mine}").get_data(as_text=True)
    eve = browse("eve")
    assert eve.get(f"/deals/{theirs}").status_code == 200
    assert eve.get(f"/deals/{theirs}/move?to=qualified").status_code == 403
    assert eve.post("/deals/new?funnel=handmade", {"title": "E", "company": "E"}).status_code == 403
    assert org.runtime.store.count("events") == len(org.every_deal) + 1  # only rita's loss


# --- export -----------------------------------------------------------------------------------------


def exported(org: Org, what: str, name: str | None) -> list[dict]:
    out = io.StringIO()
    user = org.users[name] if name else None
    export(org.runtime, out, what=what, fmt="jsonl", user=user)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_export_for_a_user_holds_only_their_scope(org):
    for name in ("rita", "mia", "sam", "cara"):
        assert {d["id"] for d in exported(org, "deals", name)} == expected(org, name), name
        assert {e["deal_id"] for e in exported(org, "events", name)} == expected(org, name), name
    assert {d["id"] for d in exported(org, "deals", None)} == org.every_deal


def test_an_import_as_a_rep_may_not_hand_deals_to_others(org, tmp_path):
    from goldsieve.deals.importing import import_csv

    csv = tmp_path / "deals.csv"
    csv.write_text("title,company,owner\nMine,A,\nMine too,B,rita\nRob's,C,rob\n", encoding="utf-8")
    result = import_csv(org.runtime, csv, FUNNEL, as_user="rita")
    assert result.count == 0 and len(result.problems) == 1
    assert ":4: owner: rita may not reassign" in result.problems[0]
    assert org.runtime.store.count("deals") == len(org.every_deal), "all or nothing"
    assert import_csv(org.runtime, csv, FUNNEL, as_user="mia").count == 3


# --- teams and the command line -----------------------------------------------------------------


def test_teams_refuse_cycles_unknown_names_and_write_nothing(org):
    store = org.runtime.store
    before = store.find("teams")
    for call, message in (
        (lambda: update_team(store, "north", parent="north-east"), "cannot be its own ancestor"),
        (lambda: update_team(store, "north", parent="north"), "its own parent"),
        (lambda: add_team(store, "west", parent="nowhere"), "no team “nowhere”"),
        (lambda: add_team(store, "west", manager="ghost"), "no user “ghost”"),
        (lambda: add_team(store, "north"), "already exists"),
        (lambda: update_team(store, "nowhere", manager="mia"), "no team “nowhere”"),
        (lambda: update_user(store, "rita", team="nowhere"), "no team “nowhere”"),
        (lambda: update_user(store, "ghost", role="rep"), "no user “ghost”"),
        (lambda: update_user(store, "rita", role="king"), "Choose one of"),
    ):
        with pytest.raises(ValidationFailed, match=message):
            call()
    assert store.find("teams") == before
    assert org.user("rita")["team"] == "north" and org.user("rita")["role"] == "rep"


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input)


def test_cli_teams_and_users_set(tmp_path):
    ws = tmp_path / "acme"
    assert run("init", str(ws)).exit_code == 0
    w = ("-w", str(ws))
    for name, role in (("ann", "manager"), ("bo", "rep"), ("cy", "rep")):
        assert run("users", "add", name, "--role", role, *w, input="long-enough-pw\n").exit_code == 0
    assert run("teams", "add", "sales", "--manager", "ann", *w).exit_code == 0
    assert run("teams", "add", "east", "--parent", "sales", *w).exit_code == 0
    assert run("teams", "add", "far-east", "--parent", "east", *w).exit_code == 0
    listing = run("teams", "list", *w).output.splitlines()
    assert [line.split()[0] for line in listing] == ["sales", "east", "far-east"]
    assert listing[0].endswith("manager: ann") and listing[2].startswith("    far-east")

    cycle = run("teams", "set", "sales", "--parent", "far-east", *w)
    assert cycle.exit_code == 1 and "cannot be its own ancestor" in cycle.output
    unknown = run("teams", "add", "west", "--parent", "nowhere", *w)
    assert unknown.exit_code == 1 and "There is no team “nowhere”" in unknown.output
    assert "west" not in run("teams", "list", *w).output
    assert run("teams", "set", "far-east", "--parent", "", *w).exit_code == 0
    assert [line.rstrip() for line in run("teams", "list", *w).output.splitlines()] == [
        "far-east", "sales                    manager: ann", "  east"]

    assert run("users", "set", "bo", "--team", "east", *w).exit_code == 0
    assert run("users", "set", "cy", "--team", "far-east", "--role", "manager", *w).exit_code == 0
    bad_team = run("users", "set", "bo", "--team", "atlantis", *w)
    assert bad_team.exit_code == 1 and "There is no team “atlantis”" in bad_team.output
    assert run("users", "set", "ghost", "--role", "rep", *w).exit_code == 1
    assert run("users", "set", "bo", *w).exit_code == 2, "nothing to change is a usage error"
    assert run("users", "add", "di", "--role", "rep", "--team", "atlantis", *w,
               input="long-enough-pw\n").exit_code == 1
    users = run("users", "list", *w).output
    assert re.search(r"bo\s+rep\s+east", users) and re.search(r"cy\s+manager\s+far-east", users)
    assert "di" not in users.split()

    # export --as: only what that user may see
    with open_runtime(Workspace.load(ws), entry_points=False) as rt:
        funnel = next(iter(rt.funnels)).id
        rt.engine.create(find_user(rt.store, "bo"), funnel, "Bo's", {"company": "B"})
        rt.engine.create(find_user(rt.store, "ann"), funnel, "Ann's", {"company": "A"})
    as_bo = run("export", "--as", "bo", "--format", "jsonl", *w)
    assert as_bo.exit_code == 0 and [json.loads(x)["title"] for x in as_bo.output.splitlines()] == ["Bo's"]
    assert len(run("export", "--format", "jsonl", *w).output.splitlines()) == 2
    assert run("export", "--as", "ghost", *w).exit_code == 1


def test_the_demo_has_teams_whose_managers_see_their_reps(tmp_path):
    folder = tmp_path / "demo"
    assert ensure_demo(folder, deals=40, seed=3)
    with open_runtime(Workspace.load(folder), entry_points=False) as rt:
        teams = {t["name"]: t["manager"] for t in rt.store.find("teams")}
        assert teams == {"east": "mgr.zhao", "west": "mgr.qian"}

        def owners(name: str) -> set[str]:
            user = find_user(rt.store, name)
            return {d["owner"] for d in rt.engine.list(user, limit=1000)}

        assert owners("mgr.zhao") == {"rep.li", "rep.wang"}
        assert owners("mgr.qian") == {"rep.zhang", "rep.liu"}
        assert owners("rep.li") == {"rep.li"}
        assert owners("ceo.chen") == {"rep.li", "rep.wang", "rep.zhang", "rep.liu"}
        marketing = rt.engine.list(find_user(rt.store, "mkt.zhou"), limit=1000)
        assert marketing and all(d["created_by"] == "mkt.zhou" for d in marketing)
        assert rt.engine.list(find_user(rt.store, "care.sun")) == []

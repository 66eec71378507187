"""Done activities per rep per week and per stage and type: the reader's deals only, the window
only, done ones only; on the API and the analytics' Activities tab, in English and Chinese."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from goldsieve.analytics.activity_counts import activity_counts
from goldsieve.people.teams import update_team
from goldsieve.people.users import find_user, issue_token
from goldsieve.testing import ApiClient

from tests.ui.conftest import Browser, browser  # noqa: F401  (the logged-in pages' client)

START, END = datetime(2025, 12, 29, tzinfo=timezone.utc), datetime(2026, 1, 6, tzinfo=timezone.utc)
READY = {"needs_survey": "40 users", "amount": 1000}


@pytest.fixture
def org(goldsieve_runtime, goldsieve_make_user, goldsieve_make_team):
    """Team north (manager mia, reps rita and rob); sam elsewhere. Rita's deal in qualified and
    rob's in lead, with done and planned activities across two weeks."""
    goldsieve_make_team("north")
    goldsieve_make_user("mia", "manager", team="north")
    update_team(goldsieve_runtime.store, "north", manager="mia")
    for name, team in (("rita", "north"), ("rob", "north"), ("sam", None)):
        goldsieve_make_user(name, "rep", team=team)
    rt = goldsieve_runtime
    user = {name: find_user(rt.store, name) for name in ("mia", "rita", "rob", "sam")}
    deals = {}
    for name in ("rita", "rob", "sam"):
        deals[name] = rt.engine.create(user[name], "handmade", f"{name}'s deal", {"company": "Acme"})
    log = rt.activities.create
    log(user["rita"], "call", deal_id=deals["rita"]["id"], done_at="2025-12-29T10:00:00Z")  # in lead
    rt.engine.move(user["rita"], deals["rita"]["id"], "qualified", READY)
    log(user["rita"], "visit", deal_id=deals["rita"]["id"], done_at="2026-01-02T10:00:00Z")
    log(user["rita"], "visit", deal_id=deals["rita"]["id"], done_at="2026-01-05T08:00:00Z")
    log(user["rita"], "visit", deal_id=deals["rita"]["id"], due_at="2026-01-05T12:00:00Z")  # planned
    log(user["rita"], "call", deal_id=deals["rita"]["id"], done_at="2025-12-20T10:00:00Z")  # before
    log(user["rob"], "demo", deal_id=deals["rob"]["id"], done_at="2026-01-05T07:00:00Z")
    log(user["sam"], "call", deal_id=deals["sam"]["id"], done_at="2026-01-05T07:00:00Z")  # not north's
    return user, deals


def test_counts_by_rep_and_week_and_by_stage_and_type(goldsieve_runtime, org):
    user, _ = org
    scope = goldsieve_runtime.engine.scope
    team = activity_counts(goldsieve_runtime.store, "handmade", scope(user["mia"]), START, END)
    assert team.weeks == [START, datetime(2026, 1, 5, tzinfo=timezone.utc)]
    assert team.by_owner == {"rita": [2, 1], "rob": [0, 1]}
    assert team.by_stage == {("lead", "call"): 1, ("qualified", "visit"): 2, ("lead", "demo"): 1}
    own = activity_counts(goldsieve_runtime.store, "handmade", scope(user["rita"]), START, END)
    assert own.by_owner == {"rita": [2, 1]} and own.total == 3
    assert activity_counts(goldsieve_runtime.store, "software", scope(user["mia"]), START, END).total == 0


def test_an_activity_logged_before_stages_were_kept_counts_under_no_stage(goldsieve_runtime, org):
    user, _ = org
    [row] = [r for r in goldsieve_runtime.store.find("activities") if r["owner"] == "rob"]
    del row["stage"]
    with goldsieve_runtime.store.transaction() as txn:
        txn.replace("activities", {**row, "version": row["version"] + 1}, expect_version=row["version"])
    counts = activity_counts(goldsieve_runtime.store, "handmade", goldsieve_runtime.engine.scope(user["mia"]),
                             START, END)
    assert counts.by_stage[(None, "demo")] == 1


def test_the_api_answers_the_counts_and_refuses_a_bad_window(goldsieve_app, goldsieve_runtime, org):
    api = ApiClient(goldsieve_app.test_client(), issue_token(goldsieve_runtime.store, "mia"))
    answer = api.request("GET", "/api/v1/analytics/activities?funnel=handmade&from=2025-12-29&to=2026-01-06")
    assert answer.status_code == 200, answer.get_json()
    report = answer.get_json()
    assert report["reps"][0] == {"owner": "rita", "weeks": [2, 1], "total": 3}
    assert report["total"] == 4 and report["weeks"][0].startswith("2025-12-29")
    bad = api.request("GET", "/api/v1/analytics/activities?funnel=handmade&from=0000-01-01")
    assert bad.status_code in (400, 422) and "from" in bad.get_data(as_text=True)
    assert api.request("GET", "/api/v1/analytics/activities?funnel=nope").status_code == 404


@pytest.mark.parametrize("language, words", [
    ("en", ["Done activities per rep and week", "Dec 29", "Jan 5", "Visit", "Needs confirmed"]),
    ("zh-CN", ["12月29日", "1月5日", "拜访"]),
])
def test_the_activities_tab_shows_both_tables_in_the_readers_language(browser, org, language, words):
    assert Browser.login(browser, "mia").status_code == 302
    page = browser.get("/analytics/handmade/activities?from=2025-12-29&to=2026-01-06",
                       headers={"Accept-Language": language})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="activity-reps"' in html and 'id="activity-stages"' in html
    for word in words:
        assert word in html, word
    assert browser.get("/analytics/handmade/activities?from=2025-13-01").status_code == 400

"""The weekly digest and the analytics say the same numbers of the same week, under the same
names, on both stores; a funnel nothing happened in is left out of the digest."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from goldsieve.analytics.figures import FUNNEL
from goldsieve.automation.digest import HEADLINE, build_digest
from goldsieve.people.users import issue_token
from goldsieve.store.filters import Eq

from tests.ui.conftest import Browser

MONDAY = datetime(2026, 1, 12, 9, tzinfo=timezone.utc)  # the digest of ISO week 2026-W03
WEEK = "from=2026-01-05&to=2026-01-12"

pytestmark = pytest.mark.parametrize("goldsieve_store_url", ["tinydb:data", "postgresql"], indirect=True)


@pytest.fixture
def team(goldsieve_runtime, goldsieve_make_user, goldsieve_make_team):
    goldsieve_make_user("mona", "manager")
    goldsieve_make_team("east", manager="mona")
    goldsieve_make_user("rita", "rep", team="east")
    goldsieve_make_user("otto", "rep")  # not mona's to see
    return goldsieve_runtime


def find_user(rt, name):
    return rt.store.find("users", Eq("username", name))[0]


@pytest.fixture
def week(team, goldsieve_clock):
    """Last week (from Monday Jan 5): rita's seven deals move on, are won and lost; otto's too."""
    engine = team.engine
    rita, otto = find_user(team, "rita"), find_user(team, "otto")
    for owner, n in ((rita, 7), (otto, 3)):
        for i in range(n):
            deal = engine.create(owner, "handmade", f"{owner['username']} {i}",
                                 {"company": "Acme", "amount": 1000 * (i + 1), "needs_survey": "ERP"})
            goldsieve_clock.advance(hours=5)
            if i % 2 == 0:
                engine.move(owner, deal["id"], "qualified")
                goldsieve_clock.advance(hours=3)
            if i in (0, 4):
                for stage in ("quote", "negotiation", "won"):
                    engine.move(owner, deal["id"], stage)
            elif i == 3:
                engine.lose(owner, deal["id"], "price")
            goldsieve_clock.advance(hours=2)
    assert goldsieve_clock() < MONDAY
    goldsieve_clock.now = MONDAY
    return team


def figures_on(html: str) -> dict[str, str]:
    return {name: re.sub(r"\s+", " ", value).strip()
            for name, value in re.findall(r'data-figure="([a-z_]+)"><dt>.*?</dt><dd>(.*?)</dd>', html, re.S)}


def test_the_digest_says_what_the_analytics_say_of_its_week(week, goldsieve_app, goldsieve_clock):
    mona = find_user(week, "mona")
    digest = build_digest(week.engine, mona, goldsieve_clock())
    assert (digest.start.date().isoformat(), digest.end.date().isoformat()) == ("2026-01-05", "2026-01-12")
    api = goldsieve_app.test_client()
    headers = {"Authorization": f"Bearer {issue_token(week.store, 'mona')}"}
    report = api.get(f"/api/v1/analytics/funnel?funnel=handmade&{WEEK}", headers=headers).get_json()
    trend = api.get(f"/api/v1/analytics/trend?funnel=handmade&{WEEK}&interval=week", headers=headers).get_json()

    # the headline: every figure the digest gives, with the API's value under the same id
    api_figures = {f["id"]: f["value"] for f in report["figures"]}
    assert [f["id"] for f in report["figures"]] == [f.id for f in FUNNEL]
    assert digest.headlines["handmade"] == {f.id: api_figures[f.id] for f in HEADLINE}
    assert api_figures["won"] == 2 and api_figures["lost"] == 1 and api_figures["open_deals"] == 4  # rita's only

    # each stage: open deals at the week's end, conversion, median dwell — the report's and the trend's
    [bucket] = trend["buckets"]
    by_stage = {s["stage"]: s for s in report["stages"]}
    trend_conversion = {s["stage"]: s["conversion"] for s in bucket["stages"]}
    for line in digest.funnels["handmade"]:
        stage = by_stage[line.stage]
        assert (line.deals, line.conversion, line.dwell_median) == (
            stage["current"], stage["conversion"], stage["dwell_days"]["median"])
        assert line.conversion == trend_conversion[line.stage]
    lead = next(line for line in digest.funnels["handmade"] if line.stage == "lead")
    assert lead.conversion == pytest.approx(4 / 7)  # 0, 2, 4, 6 moved on: not the 0 % of old

    # the pages: the digest's and the analytics page's figures, written alike
    browser = Browser(goldsieve_app.test_client())
    assert browser.login("mona").status_code == 302
    digest_page = browser.get("/digest").get_data(as_text=True)
    link = re.search(r'href="(/analytics/handmade\?[^"]+)">The same week in the analytics', digest_page).group(1)
    assert link.replace("&amp;", "&") == f"/analytics/handmade?{WEEK}&interval=week"
    on_analytics = figures_on(browser.get(link.replace("&amp;", "&")).get_data(as_text=True))
    on_digest = figures_on(digest_page)
    assert set(on_digest) == {f.id for f in HEADLINE}
    assert on_digest == {name: on_analytics[name] for name in on_digest}
    assert on_digest["win_rate"] == "67%"


def test_a_funnel_without_deals_that_week_is_left_out(team, goldsieve_clock):
    rita = find_user(team, "rita")
    deal = team.engine.create(rita, "handmade", "Old deal", {"company": "Acme", "amount": 5})
    team.engine.lose(rita, deal["id"], "price")
    goldsieve_clock.now = MONDAY + timedelta(days=14)  # two quiet weeks later
    digest = build_digest(team.engine, find_user(team, "mona"), goldsieve_clock())
    assert digest.funnels == {} and digest.headlines == {}
    assert "handmade" not in digest.text() and "Funnel" not in digest.text()
    goldsieve_clock.now = MONDAY  # the week it was lost in
    digest = build_digest(team.engine, find_user(team, "mona"), goldsieve_clock())
    assert list(digest.funnels) == ["handmade"]
    assert "Lost deals: 1" in digest.text()

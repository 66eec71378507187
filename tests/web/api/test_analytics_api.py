"""The analytics API: the page's numbers as JSON, for the token's user only."""
from __future__ import annotations

import pytest

from goldsieve.people.users import issue_token


@pytest.fixture
def deals(goldsieve_engine, goldsieve_clock, goldsieve_make_user):
    """rita owns two deals (one lost for price), rob one (lost for competitor)."""
    rita, rob = goldsieve_make_user("rita", "rep"), goldsieve_make_user("rob", "rep")
    for rep, lose in ((rita, "price"), (rita, None), (rob, "competitor")):
        deal = goldsieve_engine.create(rep, "handmade", "d", {"company": "Acme", "amount": 40})
        goldsieve_clock.advance(hours=1)
        if lose:
            goldsieve_engine.lose(rep, deal["id"], lose)
            goldsieve_clock.advance(hours=1)
    return rita, rob


def as_user(api, runtime, name):
    return api.as_token(issue_token(runtime.store, name))


def test_funnel_numbers_for_each_user(goldsieve_api, goldsieve_runtime, deals):
    for name, entered, reasons, current in (("rita", 2, {"price": 1}, 1), ("rob", 1, {"competitor": 1}, 0),
                                            ("admin", 3, {"competitor": 1, "price": 1}, 1)):
        api = goldsieve_api if name == "admin" else as_user(goldsieve_api, goldsieve_runtime, name)
        body = api.get("analytics/funnel?funnel=handmade").get_json()
        lead = next(s for s in body["stages"] if s["stage"] == "lead")
        assert (lead["entered"], lead["lost_by_reason"], lead["current"]) == (entered, reasons, current)
        assert set(lead) >= {"advanced", "conversion", "to_won", "lost", "current_amount",
                             "weighted_amount", "dwell_days"}
        assert set(body) >= {"win_rate", "cycle_days", "velocity"}


def test_trend_by_month(goldsieve_api, deals):
    body = goldsieve_api.get("analytics/trend?funnel=handmade&interval=month&from=2026-01-01&to=2026-03-01").get_json()
    # the clock says Jan 5: the trend stops at now, February has not happened yet
    assert [(b["from"][:10], b["to"][:10]) for b in body["buckets"]] == [("2026-01-01", "2026-01-05")]
    january = {s["stage"]: s["entered"] for s in body["buckets"][0]["stages"]}
    assert january["lead"] == 3


@pytest.mark.parametrize("query, path, status", [
    ("", "/funnel", 422), ("funnel=handmade&from=yesterday", "/from", 422),
    ("funnel=handmade&from=2026-02-01&to=2026-01-01", "/to", 422), ("funnel=nope", "", 404)])
def test_bad_parameters(goldsieve_api, query, path, status):
    response = goldsieve_api.get(f"analytics/funnel?{query}")
    assert response.status_code == status and response.get_json()["errors"][0]["path"] == path


def test_trend_rejects_an_unknown_interval(goldsieve_api):
    response = goldsieve_api.get("analytics/trend?funnel=handmade&interval=day")
    assert response.status_code == 422 and response.get_json()["errors"][0]["path"] == "/interval"


def test_without_a_token_401(goldsieve_api):
    assert goldsieve_api.as_token(None).get("analytics/funnel?funnel=handmade").status_code == 401


def test_forecast_of_a_quarter_with_its_backtest(goldsieve_api, deals):
    body = goldsieve_api.get("forecast?funnel=handmade&quarter=2026Q1").get_json()
    assert body["quarter"] == "2026Q1" and set(body["empirical"]) >= {"expected", "p10", "p90"}
    assert [row["quarter"] for row in body["backtest"]] == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    # one open deal of 40 in lead: the weighted pipeline is 40 × lead's probability at most
    assert body["open_deals"] == 1 and body["weighted"]["pipeline"] <= 40
    bad = goldsieve_api.get("forecast?funnel=handmade&quarter=Q1")
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["path"] == "/quarter"


def test_advice_lists_suggestions_with_numbers(goldsieve_api, deals):
    body = goldsieve_api.get("analytics/advice?funnel=handmade").get_json()
    # the design funnel has five open stages and too few deals for any other rule
    assert body["suggestions"] == []


def test_the_openapi_document_lists_the_analytics_endpoints(goldsieve_api):
    paths = goldsieve_api.as_token(None).get("openapi.json").get_json()["paths"]
    assert {"/api/v1/analytics/funnel", "/api/v1/analytics/trend", "/api/v1/forecast",
            "/api/v1/analytics/advice"} <= set(paths)


def test_the_funnel_report_equals_the_python_one_and_pg_answers_without_histories(
        goldsieve_api, goldsieve_runtime, goldsieve_engine, goldsieve_clock, deals):
    """On PostgreSQL the database computes the report (no history cache is built in the app);
    on either store the answer is what the Python computation says over the log read afresh."""
    from goldsieve.analytics.figures import FUNNEL, entries
    from goldsieve.analytics.loading import load_histories
    from goldsieve.analytics.metrics import funnel_metrics
    from goldsieve.analytics.windows import window
    from goldsieve.people.users import find_user

    from tests.analytics.equality import assert_same

    rita, _ = deals
    goldsieve_engine.move(rita, goldsieve_engine.store.find("deals")[1]["id"], "qualified",
                          changes={"needs_survey": "x", "amount": 55})
    goldsieve_clock.advance(hours=2)
    rt = goldsieve_runtime
    start, end = window(None, None, goldsieve_clock.now)
    for name in ("rita", "admin"):
        api = goldsieve_api if name == "admin" else as_user(goldsieve_api, rt, name)
        body = api.get("analytics/funnel?funnel=handmade").get_json()
        scope = rt.engine.scope(find_user(rt.store, name))
        expected = funnel_metrics(load_histories(rt.store, rt.funnels, "handmade", scope, end).values(),
                                  rt.funnels.get("handmade"), start, end, goldsieve_clock.now)
        assert_same(body, {**expected.as_dict(), "figures": entries(FUNNEL, expected),
                           "from": body["from"], "to": body["to"]})
    assert goldsieve_api.get("analytics/trend?funnel=handmade&interval=week").status_code == 200
    assert rt.histories.held() == ([] if rt.store.keeps_stays else ["handmade"])

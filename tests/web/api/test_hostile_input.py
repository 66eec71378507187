"""Input a client may send that the API must refuse cleanly (issue 14, parts 1 and 3), on both stores.

Numbers: every number in a deal's data is finite and within ±10^15; beyond it, or ``NaN`` and
``Infinity`` (tokens Python's JSON reader accepts), the answer is 422 naming the field and
nothing is written. Parameters: ``cursor``, ``limit``, ``version`` and ids take ASCII digits
within range, dates and quarters what the analytics can compute; never a 500.
"""
from __future__ import annotations

import json

from goldsieve.limits import MAX_ID, NUMBER_LIMIT

from tests.web.api.conftest import errors, send

FUNNEL = "handmade"
TABLES = ("deals", "events", "audit", "outbox")


def counts(runtime) -> dict[str, int]:
    return {table: runtime.store.count(table) for table in TABLES}


# --- numbers --------------------------------------------------------------------------------

#: an amount as the client writes it -> the code of the refusal at /data/amount
AMOUNTS = {
    str(NUMBER_LIMIT + 1): "maximum", "1e16": "maximum", "1" + "0" * 400: "maximum",
    "1.5e300": "maximum", "1e400": "maximum", "NaN": "type", "Infinity": "type", "-Infinity": "type",
}


def writes(deal_id: int | None) -> list[tuple[str, str, str]]:
    """(method, path, body with ``AMOUNT`` where the number goes) of every route writing data."""
    routes = [("POST", "deals", f'{{"funnel": "{FUNNEL}", "title": "T", "data": {{"company": "C", "amount": AMOUNT}}}}'),
              ("POST", "leads", f'{{"funnel": "{FUNNEL}", "title": "T", "data": {{"company": "C", "amount": AMOUNT}}}}')]
    if deal_id is not None:
        routes += [("PATCH", f"deals/{deal_id}", '{"version": 1, "data": {"amount": AMOUNT}}'),
                   ("POST", f"deals/{deal_id}/move", '{"to": "qualified", "data": {"needs_survey": "x", "amount": AMOUNT}}')]
    return routes


def test_a_number_past_the_limit_is_refused_naming_the_field_and_nothing_is_written(
        api, deal, goldsieve_runtime):
    before = counts(goldsieve_runtime)
    for amount, code in AMOUNTS.items():
        for method, path, template in writes(deal["id"]):
            response = send(api, method, path, template.replace("AMOUNT", amount))
            assert response.status_code == 422, (amount, method, path, response.status_code)
            assert errors(response) == [("/data/amount", code)], (amount, method, path)
    assert counts(goldsieve_runtime) == before
    assert api.get(f"deals/{deal['id']}").json == deal


def test_negative_numbers_past_the_limit_and_numbers_deep_in_the_data_are_refused(api, deal, goldsieve_runtime):
    before = counts(goldsieve_runtime)
    response = api.patch(f"deals/{deal['id']}", {"version": 1, "data": {
        "balance": -NUMBER_LIMIT - 1, "history": [1, {"peak": 1e300}]}})
    assert response.status_code == 422
    # the funnel declares neither field: each is named twice (tests/web/api/test_extra_fields.py opts in)
    assert sorted(errors(response)) == [("/data/balance", "minimum"), ("/data/balance", "unknown_field"),
                                        ("/data/history", "unknown_field"), ("/data/history/1/peak", "maximum")]
    response = send(api, "PATCH", f"deals/{deal['id']}", '{"version": 1, "data": {"history": [1, NaN]}}')
    assert errors(response) == [("/data/history/1", "type")]  # refused at the API, before the engine
    assert counts(goldsieve_runtime) == before


def test_the_limit_itself_is_a_number_like_any_other(api, deal):
    response = api.patch(f"deals/{deal['id']}", {"version": 1, "data": {"amount": NUMBER_LIMIT}})
    assert response.status_code == 200, response.json
    assert api.get(f"deals/{deal['id']}").json["data"]["amount"] == NUMBER_LIMIT


def test_a_constant_outside_the_data_is_named_where_it_stands(api, deal, goldsieve_runtime):
    before = counts(goldsieve_runtime)
    response = send(api, "PATCH", f"deals/{deal['id']}", '{"version": NaN, "data": {}}')
    assert response.status_code == 422 and errors(response) == [("/version", "type")]
    response = send(api, "POST", "deals", '{"funnel": "handmade", "title": -Infinity}')
    assert errors(response) == [("/title", "type")]
    assert counts(goldsieve_runtime) == before


# --- parameters -------------------------------------------------------------------------------

HOSTILE_DIGITS = ["²", "٣", "１", "9" * 30, str(MAX_ID + 1), "-1", "1.5", "1e3", " 5", "0x10"]


PAGED = ("deals", "audit", "notifications")


def test_a_cursor_is_ascii_digits_within_range(api):
    for route in PAGED:
        for value in HOSTILE_DIGITS + [""]:
            response = api.get(route, query_string={"cursor": value})
            assert response.status_code == 422, (route, value, response.status_code)
            assert errors(response) == [("/cursor", "invalid")]


def test_a_limit_is_ascii_digits_from_1_to_200(api):
    for route in PAGED:
        for value in HOSTILE_DIGITS + ["0", "201", ""]:
            response = api.get(route, query_string={"limit": value})
            assert response.status_code == 422, (route, value, response.status_code)
            assert errors(response) == [("/limit", "range")]


def test_both_paging_problems_are_named_at_once_and_good_values_pass(api, deal):
    assert sorted(errors(api.get("deals?limit=²&cursor=٣"))) == [("/cursor", "invalid"), ("/limit", "range")]
    page = api.get("deals", query_string={"limit": "200", "cursor": str(MAX_ID)})
    assert page.status_code == 200 and [d["id"] for d in page.json["items"]] == [deal["id"]]


def test_a_version_is_a_whole_number_within_range(api, deal, goldsieve_runtime):
    before = counts(goldsieve_runtime)
    for version in ("0", "-1", str(MAX_ID + 1), "1" + "0" * 400, "1.0", "true", '"1"'):
        for method, path, body in (
                ("PATCH", f"deals/{deal['id']}", f'{{"version": {version}, "data": {{"amount": 6}}}}'),
                ("POST", f"deals/{deal['id']}/move", f'{{"version": {version}, "to": "lost", "lost_reason": "price"}}')):
            response = send(api, method, path, body)
            assert response.status_code == 422, (path, version, response.status_code)
            assert [p for p, _ in errors(response)] == ["/version"], (path, version)
    assert counts(goldsieve_runtime) == before


def test_an_id_in_a_path_is_ascii_digits_within_range_or_no_such_deal(api, deal, goldsieve_runtime):
    before = counts(goldsieve_runtime)
    for deal_id in ("١", "１", "²", "9" * 30, str(MAX_ID + 1), "9" * 16, "-1"):  # deal 1 exists
        for method, path, body in (
                ("GET", f"deals/{deal_id}", None), ("GET", f"deals/{deal_id}/history", None),
                ("PATCH", f"deals/{deal_id}", {"version": 1, "data": {}}),
                ("POST", f"deals/{deal_id}/move", {"to": "lost", "lost_reason": "price"}),
                ("POST", f"tasks/{deal_id}/done", None), ("POST", f"notifications/{deal_id}/read", None)):
            response = api.request(method, path, body)
            assert response.status_code == 404, (method, path, response.status_code)
    assert counts(goldsieve_runtime) == before


WINDOWS = [
    ("from=9999-12-31", "/from"), ("from=8999-12-31&to=9999-01-01", "/to"), ("to=0001-01-02", "/to"),
    ("from=1899-12-31", "/from"), ("from=٢٠٢٦-01-01", "/from"), ("from=2026-1-1", "/from"),
    ("from=2026-02-30", "/from"), ("from=2026-03-01&to=2026-01-01", "/to"), ("from=%2B2026-01-01", "/from"),
]


def test_a_window_is_one_the_analytics_can_compute(api):
    for route in ("analytics/funnel", "analytics/trend", "analytics/advice"):
        for query, param in WINDOWS:
            response = api.get(f"{route}?funnel={FUNNEL}&{query}")
            assert response.status_code == 422, (route, query, response.status_code)
            assert [p for p, _ in errors(response)] == [param], (route, query)


def test_a_quarter_is_one_the_forecast_can_compute(api):
    for quarter in ("0000Q1", "9999Q4", "1899Q4", "٢٠٢٦Q1", "2026Q5", "2026Q²", "99999Q1"):
        response = api.get("forecast", query_string={"funnel": FUNNEL, "quarter": quarter})
        assert response.status_code == 422, (quarter, response.status_code)
        assert [p for p, _ in errors(response)] == ["/quarter"]


def test_the_edges_of_the_calendar_are_computed(api):
    for query in ("from=1900-01-01&to=1900-02-01", "from=8999-12-01", "to=1900-01-01"):
        response = api.get(f"analytics/trend?funnel={FUNNEL}&{query}")
        assert response.status_code == 200, query
    for quarter in ("1900Q1", "8999Q4"):
        assert api.get(f"forecast?funnel={FUNNEL}&quarter={quarter}").status_code == 200


def test_a_method_not_allowed_says_which_are(api):
    response = api.request("DELETE", "deals")
    assert response.status_code == 405 and set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert response.json["errors"][0]["code"] == "method_not_allowed"
    response = api.request("PUT", "deals/1")
    assert response.status_code == 405 and "PATCH" in response.headers["Allow"]


def test_the_openapi_document_states_the_bounds(api):
    spec = api.as_token(None).get("openapi.json").json
    deals = {p["name"]: p["schema"] for p in spec["paths"]["/api/v1/deals"]["get"]["parameters"]}
    assert deals["limit"] == {"type": "integer", "minimum": 1, "maximum": 200}
    assert deals["cursor"]["type"] == "string" and deals["customer"] == {"type": "integer", "minimum": 0, "maximum": MAX_ID}
    deal_id = spec["paths"]["/api/v1/deals/{deal_id}"]["get"]["parameters"][0]["schema"]
    assert deal_id == {"type": "integer", "minimum": 0, "maximum": MAX_ID}
    version = spec["components"]["schemas"]["DealPatch"]["properties"]["version"]
    assert (version["minimum"], version["maximum"]) == (1, MAX_ID)
    forecast = {p["name"]: p["schema"] for p in spec["paths"]["/api/v1/forecast"]["get"]["parameters"]}
    assert forecast["quarter"]["pattern"] and "1900" in json.dumps(spec["paths"]["/api/v1/forecast"])
    trend = {p["name"]: p["schema"] for p in spec["paths"]["/api/v1/analytics/trend"]["get"]["parameters"]}
    assert trend["interval"]["enum"] == ["week", "month"] and trend["from"]["format"] == "date"

"""What a browser may send that the pages must refuse cleanly (issue 14, parts 1, 3, 4 and 5).

Numbers typed into a form beyond ±10^15 (or not in ASCII digits) are refused beside their field
and nothing is written; numeric query and form parameters take ASCII digits within range (400
naming the parameter, never 500); ``next`` after a login or a language change is a path on this
site or the start page; and the CSV tables the pages offer never hand a spreadsheet a formula.
"""
from __future__ import annotations

import csv
import io
from urllib.parse import quote

import pytest

from goldsieve.people.users import find_user

from tests.ui.conftest import Browser, csrf_token

FUNNEL = "handmade"
BOTH_STORES = pytest.mark.parametrize("goldsieve_store_url", ["tinydb:data", "postgresql"],
                                      indirect=True)

AT_MOST = "Enter a number of at most 1,000,000,000,000,000."
#: an amount as typed -> the message beside the field
TYPED = {"1e16": AT_MOST, "1000000000000001": AT_MOST, "1" + "0" * 400: AT_MOST, "1e400": AT_MOST,
         "-1e400": "Enter a number of at least -1,000,000,000,000,000.",
         **{typed: f"“{typed}” is not a number" for typed in ("٣", "²", "1_000", "NaN", "Infinity")}}
HOSTILE_DIGITS = ["²", "٣", "１", "9" * 30, "-1", "1.5", "0x10"]


@pytest.fixture
def rita(rep_browser, goldsieve_runtime):
    return find_user(goldsieve_runtime.store, "rita")


@pytest.fixture
def deal(goldsieve_engine, rita):
    return goldsieve_engine.create(rita, FUNNEL, "Acme", {"company": "Acme", "amount": 5})


def body(response) -> str:
    return response.get_data(as_text=True)


# --- numbers typed into a form ------------------------------------------------------------------


def test_a_number_past_the_limit_typed_into_a_form_is_refused_beside_it_and_nothing_is_written(
        rep_browser, goldsieve_engine, deal):
    store = goldsieve_engine.store
    before = (store.count("deals"), store.count("events"), store.get("deals", deal["id"]))
    for typed, message in TYPED.items():
        forms = [("/deals/new?funnel=handmade", {"title": "New", "company": "C", "amount": typed}),
                 (f"/deals/{deal['id']}", {"version": "1", "title": "Acme", "company": "Acme", "amount": typed}),
                 (f"/deals/{deal['id']}/move", {"to": "qualified", "version": "1", "needs_survey": "x",
                                                "amount": typed})]
        for path, form in forms:
            response = rep_browser.post(path, form)
            assert response.status_code == 422, (typed, path, response.status_code)
            assert message in body(response), (typed, path)
    assert (store.count("deals"), store.count("events"), store.get("deals", deal["id"])) == before


def test_the_refusal_is_said_in_the_page_language(rep_browser, deal):
    response = rep_browser.post(f"/deals/{deal['id']}", {"version": "1", "title": "Acme", "amount": "1e16"},
                                headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 422 and "请输入不大于 1,000,000,000,000,000 的数字。" in body(response)


def test_the_limit_itself_can_be_typed(rep_browser, goldsieve_engine, deal):
    response = rep_browser.post(f"/deals/{deal['id']}", {"version": "1", "title": "Acme", "amount": "1e15"})
    assert response.status_code == 303
    assert goldsieve_engine.store.get("deals", deal["id"])["data"]["amount"] == 10**15


# --- numeric parameters -------------------------------------------------------------------------


@BOTH_STORES
def test_numeric_parameters_are_ascii_digits_within_range(browser, goldsieve_user, goldsieve_engine):
    deal = goldsieve_engine.create(goldsieve_user, FUNNEL, "Acme", {"company": "Acme"})
    assert browser.login("admin").status_code == 302
    for value in HOSTILE_DIGITS:
        for path, name in ((f"/inbox?cursor={quote(value)}", "cursor"),
                           (f"/admin/audit?cursor={quote(value)}", "cursor"),
                           (f"/board/{FUNNEL}/column/lead/more?after={quote(value)}", "after")):
            response = browser.get(path)
            assert response.status_code == 400, (path, response.status_code)
            assert f"“{name}” must be a whole number" in body(response)
        response = browser.post(f"/deals/{deal['id']}", {"version": value, "title": "Renamed"})
        assert response.status_code == 400 and "“version” must be a whole number" in body(response)
    assert goldsieve_engine.store.get("deals", deal["id"])["title"] == "Acme"
    for path in ("/inbox?cursor=5", "/admin/audit?cursor=", f"/board/{FUNNEL}/column/lead/more?after=9007199254740991"):
        assert browser.get(path).status_code == 200, path


@pytest.mark.parametrize("path", [
    f"/analytics/{FUNNEL}?from=9999-12-31", f"/analytics/{FUNNEL}?to=0001-01-02",
    f"/analytics/{FUNNEL}?from=%D9%A2%D9%A0%D9%A2%D9%A6-01-01", f"/analytics/{FUNNEL}/stages.csv?from=9999-01-01",
    f"/analytics/{FUNNEL}/forecast?quarter=0000Q1", f"/analytics/{FUNNEL}/forecast?quarter=9999Q4",
    f"/analytics/{FUNNEL}/advice?from=2026-03-01&to=2026-01-01",
])
def test_a_window_the_analytics_cannot_compute_is_a_400(rep_browser, path):
    response = rep_browser.get(path)
    assert response.status_code == 400, response.status_code


# --- where to go next ---------------------------------------------------------------------------

HOSTILE_NEXT = [
    "//evil.example", "///evil.example", "/\\evil.example", "/\\/evil.example", "\\\\evil.example",
    "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "/\r\nSet-Cookie: a=b",
    "https://evil.example/", "http:evil.example", "javascript:alert(1)", "data:text/html,<script>",
    "evil.example", " /board", "\t/board", "", "/\u3000/evil.example", "/\u202e/evil.example",
    "/\x00", "/\u2028/evil.example", "/\ufeff/evil.example", None,
]
GOOD_NEXT = ["/", f"/board/{FUNNEL}", "/deals/1?saved=1", f"/analytics/{FUNNEL}?from=2026-01-01&to=2026-02-01",
             "/%09/evil.example", "/%2F%2Fevil.example", "/inbox#unread"]


@pytest.mark.parametrize("value", HOSTILE_NEXT, ids=repr)
def test_a_hostile_next_is_no_path_of_this_site(value):
    from goldsieve.ui.auth import same_site_path

    assert same_site_path(value) is None


@pytest.mark.parametrize("value", GOOD_NEXT)
def test_a_path_of_this_site_is_kept_as_it_is(value):
    from goldsieve.ui.auth import same_site_path

    assert same_site_path(value) == value


def log_in(browser: Browser, query: str):
    return browser.client.post(f"/login?{query}", data={
        "username": "rita", "password": "correct-horse-battery", "csrf_token": csrf_token(browser.client)})


@pytest.mark.parametrize("query", [
    "next=/%09/evil.example", "next=/%0A/evil.example", "next=/%0D%0ASet-Cookie:%20a=b", "next=%2F%2Fevil.example",
    "next=/%5Cevil.example", "next=https://evil.example/", "next=javascript:alert(1)", "next=%09/evil.example",
    "next=/%E2%80%AE/evil.example", "next=",
])
def test_after_a_login_a_hostile_next_leads_to_the_start_page(browser, goldsieve_make_user, query):
    goldsieve_make_user("rita", "rep")
    page = browser.client.get(f"/login?{query}")
    assert page.status_code == 200 and '<form method="post" action="/login" class="stack">' in body(page)
    response = log_in(browser, query)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert browser.client.get("/").status_code == 200, "the login itself succeeded"


def test_after_a_login_a_path_of_this_site_is_where_it_goes(browser, goldsieve_make_user):
    goldsieve_make_user("rita", "rep")
    response = log_in(browser, "next=" + quote(f"/analytics/{FUNNEL}?from=2026-01-01", safe=""))
    assert response.headers["Location"] == f"/analytics/{FUNNEL}?from=2026-01-01"


@pytest.mark.parametrize("value", [v for v in HOSTILE_NEXT if v])
def test_after_a_language_change_a_hostile_next_leads_to_the_start_page(rep_browser, value):
    response = rep_browser.post("/locale", {"locale": "zh_Hans", "next": value})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_after_marking_the_inbox_read_a_hostile_next_leads_back_to_the_inbox(rep_browser):
    for value in ("//evil.example", "/\t/evil.example", "/\r\nX: y"):
        response = rep_browser.post("/inbox/read", {"next": value})
        assert response.status_code == 303 and response.headers["Location"] == "/inbox"


# --- the CSV a page offers ----------------------------------------------------------------------


def test_the_analytics_csv_never_hands_a_spreadsheet_a_formula(rep_browser, goldsieve_engine, rita):
    """A lost reason the log holds (written before the funnel's list changed) is text in a cell."""
    deal = goldsieve_engine.create(rita, FUNNEL, "Acme", {"company": "Acme"})
    goldsieve_engine.lose(rita, deal["id"], "price")
    store = goldsieve_engine.store
    [event] = [e for e in store.find("events") if e["type"] == "stage_changed"]
    with store.transaction() as txn:
        txn.replace("events", {**event, "lost_reason": "=cmd|' /C calc'!A0"})
    response = rep_browser.get(f"/analytics/{FUNNEL}/lost.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(body(response))))
    assert rows == [{"stage": "lead", "reason": "'=cmd|' /C calc'!A0", "lost": "1"}]

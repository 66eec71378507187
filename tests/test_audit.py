"""The audit log: every write leaves exactly one row (who, when, before → after), in the same
transaction; refused writes leave none; no row holds a secret; the API and the admin page."""
from __future__ import annotations

import json

import pytest

from goldsieve.audit import REDACTED, audit_entry, find_audit, record
from goldsieve.people.teams import add_team, update_team
from goldsieve.people.users import issue_token, update_user
from goldsieve.testing import TEST_PASSWORD

from tests.ui.conftest import Browser

NOW = "2026-01-05T09:00:00.000Z"


def rows(runtime) -> list[dict]:
    """Every audit row, oldest first."""
    return runtime.store.find("audit")


def actions(runtime) -> list[str]:
    return [row["action"] for row in rows(runtime)]


@pytest.fixture
def rita(goldsieve_make_user):
    return goldsieve_make_user("rita", "rep")


@pytest.fixture
def admin_browser(goldsieve_app, goldsieve_user) -> Browser:
    goldsieve_app.config["WTF_CSRF_ENABLED"] = True
    browser = Browser(goldsieve_app.test_client())
    assert browser.login("admin").status_code == 302
    return browser


@pytest.fixture
def rep_browser(goldsieve_app, rita) -> Browser:
    goldsieve_app.config["WTF_CSRF_ENABLED"] = True
    browser = Browser(goldsieve_app.test_client())
    assert browser.login("rita").status_code == 302
    return browser


# --- the entry itself --------------------------------------------------------------------

def test_entry_shape_and_redaction():
    entry = audit_entry("ann", "user_added", "user", "bob",
                        {"role": [None, "rep"], "password_hash": [None, "scrypt:abc"],
                         "digest": ["x", "y"], "session_id": [None, "s"]}, NOW)
    assert entry == {"at": NOW, "by": "ann", "action": "user_added",
                     "target": {"type": "user", "id": "bob"},
                     "changes": {"role": [None, "rep"], "password_hash": [None, REDACTED],
                                 "digest": [REDACTED, REDACTED], "session_id": [None, REDACTED]}}


def test_record_is_part_of_the_callers_transaction(goldsieve_runtime):
    store = goldsieve_runtime.store
    with pytest.raises(RuntimeError):
        with store.transaction() as txn:
            record(txn, audit_entry("ann", "x", "deal", 1, {}, NOW))
            raise RuntimeError("the write fails")
    assert store.count("audit") == 0


def test_find_audit_is_newest_first_and_pages(goldsieve_runtime):
    store = goldsieve_runtime.store
    with store.transaction() as txn:
        for n in range(5):
            record(txn, audit_entry("ann" if n % 2 else "bob", f"a{n}", "deal", n, {}, NOW))
    first = find_audit(store, limit=3)
    assert [r["action"] for r in first] == ["a4", "a3", "a2"]
    assert [r["action"] for r in find_audit(store, after=first[-1]["id"], limit=3)] == ["a1", "a0"]
    assert [r["action"] for r in find_audit(store, by="ann")] == ["a3", "a1"]


# --- every kind of write -----------------------------------------------------------------

def test_every_write_appends_exactly_its_row_in_order(goldsieve_runtime, goldsieve_clock,
                                                      goldsieve_user, rita):
    engine, store = goldsieve_runtime.engine, goldsieve_runtime.store
    deal = engine.create(rita, "handmade", "Acme ERP", {"company": "Acme"})
    deal = engine.update(rita, deal["id"], {"amount": 1000, "company": "Acme Ltd"},
                         version=deal["version"])
    goldsieve_clock.advance(hours=1)
    deal = engine.move(rita, deal["id"], "qualified",
                       {"needs_survey": "ERP"})
    deal = engine.lose(rita, deal["id"], "price")
    deal = engine.reopen(goldsieve_user, deal["id"])
    engine.add_note(rita, deal["id"], "Called back")
    add_team(store, "east", actor="admin")
    update_team(store, "east", manager="rita", actor="admin")
    update_user(store, "rita", team="east", actor="admin")
    issue_token(store, "rita", actor="admin")

    log = rows(goldsieve_runtime)
    assert [r["action"] for r in log] == [
        "user_added", "user_added", "deal_created", "deal_updated", "deal_moved", "deal_moved",
        "deal_reopened", "deal_note_added", "team_added", "team_changed", "user_changed",
        "token_issued",
    ]
    ids = [r["id"] for r in log]
    assert ids == sorted(ids)
    by_action = {}
    for r in log:
        by_action.setdefault(r["action"], []).append(r)

    assert by_action["user_added"][1]["target"] == {"type": "user", "id": "rita"}
    assert by_action["user_added"][1]["changes"]["role"] == [None, "rep"]

    created = by_action["deal_created"][0]
    assert created["by"] == "rita" and created["at"] == "2026-01-05T09:00:00.000Z"
    assert created["target"] == {"type": "deal", "id": deal["id"]}
    assert created["changes"]["data.company"] == [None, "Acme"]
    assert created["changes"]["stage"] == [None, "lead"]
    assert created["changes"]["owner"] == [None, "rita"]

    updated = by_action["deal_updated"][0]
    assert updated["changes"] == {"data.amount": [None, 1000], "data.company": ["Acme", "Acme Ltd"]}

    moved, lost = by_action["deal_moved"]
    assert moved["at"] == "2026-01-05T10:00:00.000Z"
    assert moved["changes"]["stage"] == ["lead", "qualified"]
    assert moved["changes"]["data.needs_survey"] == [None, "ERP"]
    assert lost["changes"]["status"] == ["open", "lost"]
    assert lost["changes"]["lost_reason"] == [None, "price"]

    reopened = by_action["deal_reopened"][0]
    assert reopened["by"] == "admin"
    assert reopened["changes"]["stage"] == ["lost", "qualified"]
    assert reopened["changes"]["status"] == ["lost", "open"]

    assert by_action["deal_note_added"][0]["changes"] == {"note": [None, "Called back"]}
    assert by_action["team_added"][0]["target"] == {"type": "team", "id": "east"}
    assert by_action["team_changed"][0]["changes"] == {"manager": [None, "rita"]}
    assert by_action["user_changed"][0]["changes"] == {"team": [None, "east"]}
    assert by_action["user_changed"][0]["by"] == "admin"
    token_row = by_action["token_issued"][0]
    assert token_row["target"] == {"type": "user", "id": "rita"}
    assert set(token_row["changes"]) == {"token"}


def test_no_op_changes_write_no_row(goldsieve_runtime, rita):
    engine = goldsieve_runtime.engine
    deal = engine.create(rita, "handmade", "Acme", {"company": "Acme"})
    before = actions(goldsieve_runtime)
    engine.update(rita, deal["id"], {"company": "Acme"})
    update_user(goldsieve_runtime.store, "rita", role="rep")
    assert actions(goldsieve_runtime) == before


def test_refused_writes_leave_no_row(goldsieve_api, goldsieve_runtime, rita):
    api = goldsieve_api
    deal = api.post("deals", {"funnel": "handmade", "title": "Acme", "data": {"company": "Acme"}}).get_json()
    rep = api.as_token(issue_token(goldsieve_runtime.store, "rita"))
    lost = api.post(f"deals/{deal['id']}/move", {"to": "lost", "lost_reason": "price"})
    assert lost.status_code == 200
    count = goldsieve_runtime.store.count("audit")

    assert api.post("deals", {"funnel": "handmade", "title": "No company", "data": {}}).status_code == 422
    assert api.patch(f"deals/{deal['id']}", {"data": {"amount": 5}, "version": 1}).status_code == 409
    assert api.post(f"deals/{deal['id']}/move", {"to": "quote"}).status_code == 422
    mine = rep.post("deals", {"funnel": "handmade", "title": "Mine", "data": {"company": "R"}}).get_json()
    count += 1  # that create is a write
    rep_lost = rep.post(f"deals/{mine['id']}/move", {"to": "lost", "lost_reason": "price"})
    count += 1
    assert rep_lost.status_code == 200
    assert rep.post(f"deals/{mine['id']}/reopen", {}).status_code == 403
    assert rep.post("deals", {"funnel": "handmade", "title": "x", "data": {"company": "x"},
                              "owner": "admin"}).status_code == 403
    assert goldsieve_runtime.store.count("audit") == count


# --- logins, logouts, languages ---------------------------------------------------------

def test_login_failure_success_logout_and_locale_are_recorded(goldsieve_app, goldsieve_runtime, rita):
    goldsieve_app.config["WTF_CSRF_ENABLED"] = True
    browser = Browser(goldsieve_app.test_client())
    start = goldsieve_runtime.store.count("audit")

    assert browser.login("rita", "not-the-password").status_code == 401
    assert browser.login("nobody", "whatever-it-is").status_code == 401
    assert browser.login("rita").status_code == 302
    assert browser.post("/locale", {"locale": "zh_Hans", "next": "/"}).status_code == 302
    assert browser.post("/logout").status_code == 302

    new = rows(goldsieve_runtime)[start:]
    assert [r["action"] for r in new] == ["login_failed", "login_failed", "login",
                                          "locale_changed", "logout"]
    failed, unknown, login, locale, logout = new
    assert failed["by"] == "rita" and failed["client"] == "127.0.0.1"
    assert failed["target"] == {"type": "user", "id": "rita"}
    assert unknown["by"] == "nobody"
    assert login["by"] == "rita" and login["client"] == "127.0.0.1"
    assert locale["changes"] == {"locale": [None, "zh_Hans"]}
    assert logout["by"] == "rita"


def test_no_row_holds_a_secret(goldsieve_app, goldsieve_runtime, goldsieve_api, rita):
    goldsieve_app.config["WTF_CSRF_ENABLED"] = True
    browser = Browser(goldsieve_app.test_client())
    browser.login("rita", "wrong-password-123")
    browser.login("rita")
    token = issue_token(goldsieve_runtime.store, "rita")
    goldsieve_api.post("deals", {"funnel": "handmade", "title": "A", "data": {"company": "A"}})
    store = goldsieve_runtime.store
    secrets = [TEST_PASSWORD, "wrong-password-123", token, goldsieve_api.token]
    secrets += [u["password_hash"] for u in store.find("users")]
    secrets += [t["digest"] for t in store.find("tokens")]
    secrets += [s["digest"] for s in store.find("sessions")]
    cookie = browser.client.get_cookie("session")
    text = json.dumps(rows(goldsieve_runtime))
    for secret in secrets:
        assert secret not in text
    assert cookie is None or cookie.value not in text
    assert {r["action"] for r in rows(goldsieve_runtime)} >= {"user_added", "token_issued",
                                                             "login_failed", "login", "deal_created"}


# --- the API -----------------------------------------------------------------------------

def test_api_audit_pages_for_admins(goldsieve_api, goldsieve_runtime):
    for n in range(3):
        goldsieve_api.post("deals", {"funnel": "handmade", "title": f"D{n}", "data": {"company": "C"}})
    total = goldsieve_runtime.store.count("audit")
    first = goldsieve_api.get("audit?limit=2")
    assert first.status_code == 200
    page = first.get_json()
    assert [i["action"] for i in page["items"]] == ["deal_created", "deal_created"]
    assert page["items"][0]["target"]["type"] == "deal" and page["items"][0]["by"] == "admin"
    assert page["items"][0]["changes"]["title"] == [None, "D2"]
    seen = page["items"]
    while page["next_cursor"]:
        page = goldsieve_api.get(f"audit?limit=2&cursor={page['next_cursor']}").get_json()
        seen += page["items"]
    assert len(seen) == total
    assert [i["id"] for i in seen] == sorted((i["id"] for i in seen), reverse=True)
    assert goldsieve_api.get("audit?limit=0").status_code == 422


def test_api_audit_refuses_others(goldsieve_api, goldsieve_runtime, rita):
    rep = goldsieve_api.as_token(issue_token(goldsieve_runtime.store, "rita"))
    assert rep.get("audit").status_code == 403
    assert goldsieve_api.as_token(None).get("audit").status_code == 401


def test_audit_is_in_the_openapi_document(goldsieve_api):
    doc = goldsieve_api.get("openapi.json").get_json()
    assert "/api/v1/audit" in doc["paths"]
    assert {"AuditEntry", "AuditPage"} <= set(doc["components"]["schemas"])


# --- the admin page ----------------------------------------------------------------------

def test_admin_page_shows_the_log_escaped(admin_browser, goldsieve_runtime, goldsieve_user):
    goldsieve_runtime.engine.create(goldsieve_user, "handmade", "<script>alert(1)</script>",
                                    {"company": '<img src=x onerror="alert(2)">'})
    response = admin_browser.get("/admin/audit")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<table" in page and "hx-disable" in page
    assert "deal_created" in page and "login" in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert page.index("hx-disable") < page.index("&lt;script&gt;")


def test_admin_page_has_an_older_link(admin_browser, goldsieve_runtime):
    from goldsieve.ui.admin import PAGE_SIZE

    with goldsieve_runtime.store.transaction() as txn:
        for n in range(PAGE_SIZE + 5):
            record(txn, audit_entry("admin", f"seeded_{n}", "deal", n, {}, NOW))
    page = admin_browser.get("/admin/audit").get_data(as_text=True)
    assert f"seeded_{PAGE_SIZE + 4}" in page and "seeded_0<" not in page
    older = page.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert "cursor=" in older
    second = admin_browser.get(older.replace("&amp;", "&")).get_data(as_text=True)
    assert "seeded_0<" in second and f"seeded_{PAGE_SIZE + 4}<" not in second


def test_rep_gets_403(rep_browser):
    response = rep_browser.get("/admin/audit")
    assert response.status_code == 403
    assert "<table" not in response.get_data(as_text=True)


def test_a_write_that_loses_a_race_leaves_no_audit_row(goldsieve_runtime, rita):
    """The version is checked inside the transaction; when it fails there, the audit row that
    was staged with the deal goes too."""
    from goldsieve.store import Conflict

    engine = goldsieve_runtime.engine
    deal = engine.create(rita, "handmade", "Acme", {"company": "Acme"})
    count = goldsieve_runtime.store.count("audit")
    stale = {**deal, "version": 5, "updated_at": deal["updated_at"]}
    with pytest.raises(Conflict):
        engine._write(stale, 4, [], engine._audit(rita, "deal_updated", deal, stale))
    assert goldsieve_runtime.store.count("audit") == count

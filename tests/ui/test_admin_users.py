"""The admin pages for users and teams, and the user's own password page, through the real
forms (CSRF token and all, no JavaScript): what they show, what they write, what they refuse."""
from __future__ import annotations

import json
import re

import pytest

from goldsieve.audit import REDACTED
from goldsieve.people.teams import find_team
from goldsieve.people.users import find_user, issue_token
from goldsieve.testing import TEST_PASSWORD

from tests.ui.conftest import Browser

NEW = "a-brand-new-passphrase"


def snapshot(store) -> str:
    return json.dumps({t: store.find(t) for t in ("users", "teams", "sessions", "tokens", "audit")},
                      sort_keys=True)


def field_errors(html: str) -> dict[str, str]:
    """``id`` of each field error (``<name>-error``) → its text."""
    return {m.group(1): re.sub(r"<[^>]+>", " ", m.group(2)).strip()
            for m in re.finditer(r'<p class="field-error" id="([\w-]+)-error">(.*?)</p>', html, re.S)}


@pytest.fixture
def admin(browser, goldsieve_user) -> Browser:
    assert browser.login("admin").status_code == 302
    return browser


@pytest.fixture
def login_as(goldsieve_app, browser):  # browser: the app checks CSRF tokens
    def login(name: str, password: str = TEST_PASSWORD) -> Browser:
        browser = Browser(goldsieve_app.test_client())
        assert browser.login(name, password).status_code == 302, name
        return browser

    return login


@pytest.fixture
def store(goldsieve_runtime):
    return goldsieve_runtime.store


@pytest.fixture
def north(goldsieve_make_team, goldsieve_make_user):
    goldsieve_make_team("north")
    goldsieve_make_user("rita", "rep", team="north")


def new_user(**fields) -> dict:
    return {"username": "ann", "display_name": "Ann Lee", "role": "manager", "team": "north",
            "password": NEW, "repeat_password": NEW, **fields}


# --- the user list and adding a user ---------------------------------------------------------


def test_the_list_shows_role_team_last_login_and_state(admin, north, store, login_as):
    login_as("rita")
    html = admin.get("/admin/users").get_data(as_text=True)
    row = re.search(r'<tr data-username="rita".*?</tr>', html, re.S).group(0)
    assert "Sales rep" in row and "north" in row and "Active" in row
    assert '<time datetime="2026-01-05T09:00:00.000Z"' in row
    assert 'action="/admin/users"' in html and 'name="csrf_token"' in html


def test_adding_a_user_through_the_form(admin, north, store):
    response = admin.post("/admin/users", new_user())
    assert response.status_code == 303 and response.headers["Location"] == "/admin/users"
    ann = find_user(store, "ann")
    assert (ann["role"], ann["team"], ann["display_name"], ann["active"]) == (
        "manager", "north", "Ann Lee", True)
    assert Browser(admin.client.application.test_client()).login("ann", NEW).status_code == 302
    row = next(r for r in store.find("audit") if r["action"] == "user_added" and
               r["target"]["id"] == "ann")
    assert row["by"] == "admin" and row["changes"]["role"] == [None, "manager"]
    assert row["changes"]["password_hash"] == [None, REDACTED]
    assert NEW not in json.dumps(store.find("audit"))
    assert "Added the user ann." in admin.get("/admin/users").get_data(as_text=True)


@pytest.mark.parametrize("fields, expected", [
    ({"username": "rita"}, {"username": "This name is taken."}),
    ({"username": "<b>x</b>"}, {"username": "Use 1–64 letters"}),
    ({"role": "king"}, {"role": "Choose one of the options."}),
    ({"team": "nowhere"}, {"team": "There is no such team."}),
    ({"password": "password123", "repeat_password": "password123"},
     {"password": "commonly used password"}),
    ({"password": "ann-the-manager", "repeat_password": "ann-the-manager"},
     {"password": "may not contain the user name"}),
    ({"password": "short", "repeat_password": "short"}, {"password": "at least 10 characters"}),
    ({"repeat_password": "something-else-entirely"}, {"repeat_password": "differ"}),
])
def test_a_refused_user_is_shown_again_with_its_field_error_and_nothing_is_written(
        admin, north, store, fields, expected):
    before = snapshot(store)
    response = admin.post("/admin/users", new_user(**fields))
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True))
    for field, words in expected.items():
        assert words in errors[field], errors
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert snapshot(store) == before


def test_every_problem_of_a_user_is_reported_at_once(admin, north, store):
    response = admin.post("/admin/users", new_user(username="rita", role="king", team="x",
                                                   password="qwertyuiop",
                                                   repeat_password="qwertyuiop"))
    assert set(field_errors(response.get_data(as_text=True))) == {"username", "role", "team",
                                                                  "password"}


def test_the_refused_form_keeps_what_was_typed_but_never_the_password(admin, north):
    html = admin.post("/admin/users", new_user(team="nowhere")).get_data(as_text=True)
    assert 'value="ann"' in html and 'value="Ann Lee"' in html
    assert NEW not in html


# --- one user: role, team, password, access --------------------------------------------------


def test_changing_role_team_and_display_name(admin, north, store, goldsieve_make_team):
    goldsieve_make_team("south")
    response = admin.post("/admin/users/rita", {"role": "manager", "team": "south",
                                                "display_name": "Rita R."})
    assert response.status_code == 303
    rita = find_user(store, "rita")
    assert (rita["role"], rita["team"], rita["display_name"]) == ("manager", "south", "Rita R.")
    row = store.find("audit")[-1]
    assert row["by"] == "admin" and row["changes"] == {
        "role": ["rep", "manager"], "team": ["north", "south"], "display_name": [None, "Rita R."]}
    assert admin.post("/admin/users/rita", {"team": ""}).status_code == 303  # no team
    assert find_user(store, "rita")["team"] is None


def test_unknown_users_are_404(admin):
    assert admin.get("/admin/users/nobody").status_code == 404
    for path in ("/admin/users/nobody", "/admin/users/nobody/password",
                 "/admin/users/nobody/active"):
        assert admin.post(path, new_user(active="0")).status_code == 404


def test_reset_password_ends_the_users_sessions(admin, north, store, login_as):
    rita = login_as("rita")
    before = snapshot(store)
    weak = admin.post("/admin/users/rita/password", {"password": "1234567890",
                                                     "repeat_password": "1234567890"})
    assert weak.status_code == 422 and "password" in field_errors(weak.get_data(as_text=True))
    assert snapshot(store) == before
    assert admin.post("/admin/users/rita/password", {"password": NEW,
                                                     "repeat_password": NEW}).status_code == 303
    assert rita.get("/").status_code == 302  # logged out
    assert login_as("rita", NEW)
    assert store.find("audit")[-2]["action"] == "password_reset"


def test_deactivating_ends_sessions_and_tokens_and_blocks_login(admin, north, store, login_as,
                                                               goldsieve_app):
    rita = login_as("rita")
    token = issue_token(store, "rita")
    api = goldsieve_app.test_client()
    assert api.get("/api/v1/deals", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    response = admin.post("/admin/users/rita/active", {"active": "0"})
    assert response.status_code == 303

    assert rita.get("/").status_code == 302
    assert api.get("/api/v1/deals", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert Browser(goldsieve_app.test_client()).login("rita").status_code == 401
    html = admin.get("/admin/users/rita").get_data(as_text=True)
    assert "Deactivated" in html and "Reactivate" in html
    row = next(r for r in store.find("audit") if r["action"] == "user_deactivated")
    assert (row["by"], row["changes"]) == ("admin", {"active": [True, False]})

    assert admin.post("/admin/users/rita/active", {"active": "1"}).status_code == 303
    assert login_as("rita")


def test_an_admin_cannot_demote_or_deactivate_the_last_active_admin(admin, store):
    before = snapshot(store)
    demote = admin.post("/admin/users/admin", {"role": "rep"})
    assert demote.status_code == 422
    assert "last active admin" in field_errors(demote.get_data(as_text=True))["role"]
    deactivate = admin.post("/admin/users/admin/active", {"active": "0"})
    assert deactivate.status_code == 422
    assert "last active admin" in field_errors(deactivate.get_data(as_text=True))["active"]
    assert admin.post("/admin/users/admin/active", {"active": "maybe"}).status_code == 422
    assert snapshot(store) == before
    assert admin.get("/admin/users").status_code == 200  # still logged in, still admin


def test_an_admin_may_step_down_when_another_admin_remains(admin, store, goldsieve_make_user):
    goldsieve_make_user("root", "admin")
    assert admin.post("/admin/users/admin", {"role": "manager"}).status_code == 303
    assert admin.get("/admin/users").status_code == 403  # the next request knows


# --- teams ----------------------------------------------------------------------------------


def test_teams_are_a_tree_with_managers(admin, north, store):
    assert admin.post("/admin/teams", {"name": "north-east", "parent": "north",
                                       "manager": "rita"}).status_code == 303
    assert admin.post("/admin/teams", {"name": "south", "parent": ""}).status_code == 303
    html = admin.get("/admin/teams").get_data(as_text=True)
    tree = re.search(r'<ul class="team-tree">.*</ul>', html, re.S).group(0)
    # north-east is a list item inside north's list item; south is beside north
    assert re.search(r'data-team="north">.*?<ul>\s*<li data-team="north-east">', tree, re.S)
    assert "Manager: rita" in tree
    assert find_team(store, "north-east")["parent"] == "north"
    row = store.find("audit")[-1]
    assert (row["by"], row["action"]) == ("admin", "team_added")


def test_changing_parent_and_manager(admin, north, store, goldsieve_make_team):
    goldsieve_make_team("south")
    assert admin.post("/admin/teams/south", {"parent": "north", "manager": "rita"}).status_code == 303
    assert (find_team(store, "south")["parent"], find_team(store, "south")["manager"]) == (
        "north", "rita")
    assert store.find("audit")[-1]["changes"] == {"parent": [None, "north"],
                                                  "manager": [None, "rita"]}
    assert admin.post("/admin/teams/south", {"parent": "", "manager": ""}).status_code == 303
    assert find_team(store, "south")["parent"] is None


def test_cycles_and_unknown_users_are_refused_with_field_errors(admin, north, store,
                                                               goldsieve_make_team):
    goldsieve_make_team("south", parent="north")
    before = snapshot(store)
    cycle = admin.post("/admin/teams/north", {"parent": "south", "manager": "nobody"})
    assert cycle.status_code == 422
    errors = field_errors(cycle.get_data(as_text=True))
    assert errors["parent"] == "A team cannot be below itself."
    assert errors["manager"] == "There is no such user."
    itself = admin.post("/admin/teams/north", {"parent": "north"})
    assert field_errors(itself.get_data(as_text=True))["parent"] == "A team cannot be below itself."
    taken = admin.post("/admin/teams", {"name": "north", "parent": "nowhere"})
    assert taken.status_code == 422 and set(field_errors(taken.get_data(as_text=True))) == {"name"}
    unknown = admin.post("/admin/teams", {"name": "west", "parent": "nowhere", "manager": "nobody"})
    assert set(field_errors(unknown.get_data(as_text=True))) == {"parent", "manager"}
    assert snapshot(store) == before
    assert admin.get("/admin/teams/nowhere").status_code == 404
    assert admin.post("/admin/teams/nowhere", {"parent": ""}).status_code == 404


# --- the user's own password ------------------------------------------------------------------


def test_changing_my_password_rotates_the_session_and_ends_the_others(north, store, login_as):
    here = login_as("rita")
    elsewhere = login_as("rita")
    old_cookie = here.client.get_cookie("goldsieve_session").value
    response = here.post("/account/password", {"current_password": TEST_PASSWORD,
                                               "new_password": NEW, "repeat_password": NEW})
    assert response.status_code == 303
    assert here.client.get_cookie("goldsieve_session").value != old_cookie
    assert here.get("/").status_code == 200  # this browser goes on, under a new session id
    assert elsewhere.get("/").status_code == 302  # the other one is logged out
    assert len(store.find("sessions")) == 1
    assert [r["action"] for r in store.find("audit")[-2:]] == ["password_changed",
                                                                "session_rotated"]
    assert login_as("rita", NEW)


def test_a_refused_change_says_why_and_writes_nothing(north, store, login_as):
    rita = login_as("rita")
    before = snapshot(store)
    response = rita.post("/account/password", {"current_password": "wrong-password-1",
                                                "new_password": "north-rita-1",
                                                "repeat_password": "other-thing-1"})
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True))
    assert errors == {"current_password": "The current password is wrong.",
                      "new_password": "A password may not contain the user name.",
                      "repeat_password": "The two passwords differ."}
    assert snapshot(store) == before


def test_guessing_the_current_password_is_throttled(north, login_as):
    rita = login_as("rita")
    statuses = [rita.post("/account/password", {"current_password": f"guess-number-{n}",
                                                 "new_password": NEW,
                                                 "repeat_password": NEW}).status_code
                for n in range(6)]
    assert statuses[0] == 422 and 429 in statuses
    throttled = rita.post("/account/password", {"current_password": TEST_PASSWORD,
                                                "new_password": NEW, "repeat_password": NEW})
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0


def test_the_top_bar_links_admins_to_the_admin_pages(admin, north, login_as):
    assert 'href="/admin/users"' in admin.get("/").get_data(as_text=True)
    html = login_as("rita").get("/").get_data(as_text=True)
    assert 'href="/admin/users"' not in html and 'href="/account/password"' in html


def test_the_pages_speak_chinese(admin, north):
    admin.post("/locale", {"locale": "zh_Hans", "next": "/"})
    html = admin.get("/admin/users").get_data(as_text=True)
    assert "添加用户" in html and "销售代表" in html
    refused = admin.post("/admin/users", new_user(password="password123",
                                                  repeat_password="password123"))
    assert "常用密码" in field_errors(refused.get_data(as_text=True))["password"]
    assert "上级团队" in admin.get("/admin/teams").get_data(as_text=True)

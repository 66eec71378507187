"""CSRF (issue 4, item 6): every state-changing route but the bearer-token API refuses a request
without a valid token with 400, and writes nothing."""
from __future__ import annotations

import pytest

from goldsieve.people.users import find_user

from tests.security.test_access_matrix import API, ROUTES, methods_of, rules, url_for_rule

STATE_CHANGING = ("POST", "PATCH", "PUT", "DELETE")
#: a body that would write if the token were not checked: a valid login, a save, a note, a move…
FORM = {"username": "admin", "password": None, "title": "csrf", "text": "csrf note",
        "to": "lost", "lost_reason": "price", "data.amount": "5", "data.company": "X",
        "funnel": "handmade", "locale": "zh-Hans", "version": "1",
        # the admin and account forms: a new user, a team, a role, a reset, a deactivation
        "role": "admin", "team": "", "display_name": "csrf", "repeat_password": None,
        "active": "0", "name": "csrf-team", "parent": "", "manager": "",
        "current_password": None, "new_password": "a-long-passphrase"}


def state_changing(app):
    return [(rule, method) for rule in rules(app) if ROUTES.get(rule.endpoint) != API
            for method in methods_of(rule) if method in STATE_CHANGING]


def form():
    from goldsieve.testing import TEST_PASSWORD

    return {**FORM, "password": TEST_PASSWORD, "repeat_password": TEST_PASSWORD,
            "current_password": TEST_PASSWORD}


def test_the_csrf_check_covers_every_state_changing_page_route(app):
    endpoints = {rule.endpoint for rule, _ in state_changing(app)}
    assert {"auth.login", "auth.logout", "auth.set_locale", "deals.new", "deals.save",
            "deals.add_note", "deals.reopen", "deals.move", "admin_users.add", "admin_users.save",
            "admin_users.reset_password", "admin_users.set_state", "admin_teams.add",
            "admin_teams.save", "account.password", "inbox.read", "inbox.read_all",
            "inbox.done", "admin.retry_delivery", "designer.start",
            "designer.change", "designer.apply"} <= endpoints


@pytest.mark.parametrize("who", ["admin", "rita", None])
@pytest.mark.parametrize("token", ["missing", "garbage", "another session's"])
def test_state_changing_routes_refuse_a_request_without_a_valid_token(app, org, who, token):
    deal_id = org.deals["rita"][0]
    browser = org.browser(app, who)
    other = org.browser(app, "rob")
    sent = {"missing": None, "garbage": "x" * 40, "another session's": other.token}[token]
    user_before = find_user(org.store, "admin")
    before = org.counts()
    for rule, method in state_changing(app):
        url = url_for_rule(rule, deal_id)
        for htmx in (False, True):
            headers = {"HX-Request": "true"} if htmx else {}
            data = form()
            if sent is not None:
                headers["X-CSRFToken"] = sent
                data["csrf_token"] = sent
            response = browser.client.open(url, method=method, data=data, headers=headers)
            assert response.status_code == 400, (rule.endpoint, method, who, token)
            assert org.counts() == before, (rule.endpoint, method, who, token)
    assert find_user(org.store, "admin") == user_before  # the locale was not changed either
    assert [org.engine.get(org.user("admin"), i)["version"] for i in org.deals["rita"]] == [1, 1]
    # the session is still the same user's (logout was refused)
    if who is not None:
        assert browser.get("/").status_code == 200


def test_the_same_requests_with_the_token_do_write(app, org):
    """The control: what was refused above is the missing token, not the request."""
    browser = org.browser(app, "rita")
    deal_id = org.deals["rita"][0]
    events = org.counts()["events"]
    assert browser.post(f"/deals/{deal_id}/notes", {"text": "with token"}).status_code in (200, 303)
    assert org.counts()["events"] == events + 1
    admin = org.browser(app, "admin")
    users, teams = org.counts()["users"], org.counts()["teams"]
    assert admin.post("/admin/users", {**form(), "username": "csrf-user", "role": "rep",
                                       "password": "a-long-passphrase",
                                       "repeat_password": "a-long-passphrase"}).status_code == 303
    assert admin.post("/admin/teams", form()).status_code == 303
    assert admin.post("/admin/users/rob/active", {"active": "0"}).status_code == 303
    assert (org.counts()["users"], org.counts()["teams"]) == (users + 1, teams + 1)
    assert find_user(org.store, "rob")["active"] is False

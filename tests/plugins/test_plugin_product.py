"""Plugins in the product: a permission's ``Deny(reason)`` shown by the API and the pages, and
``token_api`` making a plugin's blueprint an API that takes bearer tokens."""
from __future__ import annotations

import pytest
from flask import Blueprint, g, jsonify, request

from goldsieve import hookimpl
from goldsieve.errors import Deny
from goldsieve.web.api import token_api
from goldsieve.web.app import current_runtime

from tests.ui.conftest import Browser

FROZEN = {"en": "Won deals are frozen.", "zh-Hans": "赢单已冻结。", "zh-Hant": "贏單已凍結。"}


class FrozenWins:
    """Nobody edits a won deal (here: one its title marks won), and says so."""

    @hookimpl
    def goldsieve_permission(self, action, deal):
        if action == "edit" and deal is not None and deal.get("title") == "Won: Acme":
            return Deny(FROZEN)
        return None


def test_deny_is_a_no_with_a_reason():
    assert not Deny("why") and Deny("why").reason == "why"
    assert Deny(FROZEN).text("zh-Hans") == "赢单已冻结。" and Deny(FROZEN).text("fr") == "Won deals are frozen."


@pytest.fixture
def won_deal(goldsieve_runtime, goldsieve_user):
    return goldsieve_runtime.engine.create(goldsieve_user, "handmade", "Won: Acme", {"company": "Acme"})


def test_the_api_answers_a_denial_403_with_its_reason(goldsieve_api, goldsieve_register, won_deal,
                                                      goldsieve_runtime):
    goldsieve_register(FrozenWins())
    response = goldsieve_api.patch(f"deals/{won_deal['id']}", {"title": "Renamed", "version": won_deal["version"]})
    assert response.status_code == 403
    assert response.json["errors"] == [{"path": "", "code": "forbidden",
                                        "message": f"admin may not edit deal {won_deal['id']}: Won deals are frozen."}]
    assert goldsieve_runtime.store.get("deals", won_deal["id"])["title"] == "Won: Acme"


@pytest.mark.parametrize("language, title, reason", [("en-US", "Forbidden", "Won deals are frozen."),
                                                     ("zh-CN", "无权访问", "赢单已冻结。")])
def test_a_page_answers_a_denial_with_a_forbidden_page_giving_the_reason(
        goldsieve_app, goldsieve_register, goldsieve_runtime, won_deal, language, title, reason):
    goldsieve_register(FrozenWins())
    goldsieve_app.config["WTF_CSRF_ENABLED"] = True
    browser = Browser(goldsieve_app.test_client())
    assert browser.login("admin").status_code == 302
    page = browser.post(f"/deals/{won_deal['id']}", {"title": "Renamed", "version": won_deal["version"]},
                        headers={"Accept-Language": language})
    text = page.get_data(as_text=True)
    assert page.status_code == 403
    assert f"<h1>{title}</h1>" in text and reason in text
    assert goldsieve_runtime.store.get("deals", won_deal["id"])["title"] == "Won: Acme"


def _plugin_api() -> Blueprint:
    bp = Blueprint("acme_api", __name__, url_prefix="/acme/api")

    @bp.get("/deals/count")
    def count():
        return jsonify(user=g.user["username"], deals=current_runtime().store.count("deals"))

    @bp.post("/echo")
    def echo():
        return jsonify(got=request.get_json()), 201

    @bp.get("/deals/<int:deal_id>")
    def deal(deal_id):
        return jsonify(current_runtime().engine.get(g.user, deal_id))

    return token_api(bp)


class AcmeApi:
    @hookimpl
    def goldsieve_blueprints(self):
        return [_plugin_api()]


@pytest.fixture
def acme_app(goldsieve_runtime):
    from goldsieve.web.app import create_app

    goldsieve_runtime.pm.register(AcmeApi())
    return create_app(runtime=goldsieve_runtime, config={"TESTING": True, "WTF_CSRF_ENABLED": True})


def test_a_token_api_blueprint_takes_bearer_tokens(acme_app, goldsieve_runtime, goldsieve_user):
    from goldsieve.people.users import issue_token

    client = acme_app.test_client()
    auth = {"Authorization": f"Bearer {issue_token(goldsieve_runtime.store, 'admin')}"}
    answered = client.get("/acme/api/deals/count", headers=auth)
    assert answered.status_code == 200 and answered.json == {"user": "admin", "deals": 0}
    posted = client.post("/acme/api/echo", json={"a": 1}, headers=auth)  # no CSRF token: a bearer API
    assert posted.status_code == 201 and posted.json == {"got": {"a": 1}}


def test_a_token_api_refuses_without_a_token_in_json(acme_app, goldsieve_user):
    client = acme_app.test_client()
    for response in (client.get("/acme/api/deals/count"),
                     client.get("/acme/api/deals/count", headers={"Authorization": "Bearer nope"}),
                     client.post("/acme/api/echo", json={})):
        assert response.status_code == 401
        assert response.json["errors"][0]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_api_answers_kernel_errors_in_json(acme_app, goldsieve_runtime, goldsieve_make_user):
    from goldsieve.people.users import issue_token

    goldsieve_make_user("rita", "rep")
    auth = {"Authorization": f"Bearer {issue_token(goldsieve_runtime.store, 'rita')}"}
    missing = acme_app.test_client().get("/acme/api/deals/99", headers=auth)
    assert missing.status_code == 404 and missing.json["errors"][0]["code"] == "not_found"
    wrong_method = acme_app.test_client().delete("/acme/api/deals/count", headers=auth)
    assert wrong_method.status_code == 405 and wrong_method.json["errors"][0]["code"] == "method_not_allowed"


def test_a_session_alone_does_not_open_a_token_api(acme_app, goldsieve_user):
    browser = Browser(acme_app.test_client())
    assert browser.login("admin").status_code == 302
    assert browser.get("/acme/api/deals/count").status_code == 401


@pytest.mark.parametrize("language, note", [("en-US", "You may not change this deal. Won deals are frozen."),
                                            ("zh-CN", "你不能修改此商机。 赢单已冻结。")])
def test_the_page_offers_no_form_the_user_may_not_submit(goldsieve_app, goldsieve_register, goldsieve_runtime,
                                                         goldsieve_user, won_deal, language, note):
    goldsieve_register(FrozenWins())
    other = goldsieve_runtime.engine.create(goldsieve_user, "handmade", "Open: Beta", {"company": "Beta"})
    browser = Browser(goldsieve_app.test_client())
    assert browser.login("admin").status_code == 302
    locked = browser.get(f"/deals/{won_deal['id']}", headers={"Accept-Language": language}).get_data(as_text=True)
    assert f'<p class="form-locked-note" id="deal-form-locked">{note}</p>' in locked
    assert '<fieldset class="form-locked" disabled' in locked
    form = locked.split('id="deal-form"')[1].split("</form>")[0]
    assert '<button type="submit" class="primary">' not in form  # nothing to save
    editable = browser.get(f"/deals/{other['id']}").get_data(as_text=True)
    assert "form-locked" not in editable and '<button type="submit" class="primary">' in editable

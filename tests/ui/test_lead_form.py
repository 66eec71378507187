"""The public lead form: validation, owner by rule, honeypot, rate limit, unknown tokens."""
from __future__ import annotations

import pytest

from goldsieve.people.teams import add_team
from goldsieve.people.users import add_user, find_user
from goldsieve.runtime import open_runtime
from goldsieve.testing import TEST_PASSWORD
from goldsieve.web.app import create_app
from goldsieve.workspace import Workspace

from tests.conftest import load_funnel
from tests.ui.conftest import csrf_token

TOKEN = "spring-fair-7f3a9c2e"
CONFIG = f"""
[forms.fair]
funnel = "handmade"
token = "{TOKEN}"
as = "mark"
fields = ["amount"]
title = "Fair: {{company}}"
"""


@pytest.fixture
def goldsieve_funnel():
    funnel = load_funnel("design_example")
    funnel["assignment"] = {"rule": "round_robin", "team": "east"}
    return funnel


@pytest.fixture
def runtime(goldsieve_workspace, goldsieve_clock):
    config = goldsieve_workspace.path / "goldsieve.toml"
    config.write_text(config.read_text() + CONFIG)
    rt = open_runtime(Workspace.load(goldsieve_workspace.path), clock=goldsieve_clock, entry_points=False)
    add_user(rt.store, "mark", "marketing", TEST_PASSWORD)
    add_team(rt.store, "east")
    for name in ("ann", "bo"):
        add_user(rt.store, name, "rep", TEST_PASSWORD, team="east")
    add_user(rt.store, "rob", "rep", TEST_PASSWORD)
    yield rt
    rt.close()


@pytest.fixture
def client(runtime):
    app = create_app(runtime=runtime, config={"TESTING": True})
    return app.test_client()


def post(client, environ=None, **fields):
    token = csrf_token(client, f"/f/{TOKEN}")
    return client.post(f"/f/{TOKEN}", data={"csrf_token": token, **fields},
                       environ_base=environ or {"REMOTE_ADDR": "203.0.113.5"})


def test_a_lead_from_the_public_form_lands_with_an_owner_chosen_by_the_rule(client, runtime):
    page = client.get(f"/f/{TOKEN}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="company"' in html and 'name="amount"' in html
    assert 'name="needs_survey"' not in html  # neither needed nor configured
    response = post(client, **{"company": "Acme", "amount": "5000"})
    assert response.status_code == 200 and "Thank you" in response.get_data(as_text=True)
    [deal] = runtime.store.find("deals")
    assert (deal["title"], deal["stage"], deal["created_by"]) == ("Fair: Acme", "lead", "mark")
    assert deal["owner"] in ("ann", "bo") and deal["data"] == {"company": "Acme", "amount": 5000}
    engine = runtime.engine
    other = "bo" if deal["owner"] == "ann" else "ann"
    assert [d["id"] for d in engine.list(find_user(runtime.store, deal["owner"]))] == [deal["id"]]
    assert engine.list(find_user(runtime.store, other)) == []
    assert engine.list(find_user(runtime.store, "rob")) == []
    post(client, **{"company": "Bcme"})
    assert {d["owner"] for d in runtime.store.find("deals")} == {"ann", "bo"}


def test_invalid_leads_are_refused_beside_the_field_and_write_nothing(client, runtime):
    response = post(client, **{"amount": "-3"})
    assert response.status_code == 422
    assert response.get_data(as_text=True).count('class="field-error"') == 2  # company, amount
    assert runtime.store.count("deals") == 0


def test_the_honeypot_drops_bots_quietly(client, runtime):
    response = post(client, **{"company": "Spam", "contact-url": "http://spam.example"})
    assert response.status_code == 200 and "Thank you" in response.get_data(as_text=True)
    assert runtime.store.count("deals") == 0


def test_a_client_posting_too_often_is_refused_for_a_while(client, runtime, goldsieve_clock):
    for i in range(5):
        assert post(client, **{"company": f"C{i}"}).status_code == 200
    refused = post(client, **{"company": "C5"})
    assert refused.status_code == 429 and runtime.store.count("deals") == 5
    assert post(client, {"REMOTE_ADDR": "198.51.100.7"}, **{"company": "elsewhere"}).status_code == 200
    goldsieve_clock.advance(minutes=11)
    assert post(client, **{"company": "C6"}).status_code == 200


def test_unknown_tokens_and_csrf(client, runtime):
    assert client.get("/f/not-a-form-token-at-all").status_code == 404
    assert client.get(f"/f/{TOKEN[:-1]}").status_code == 404
    client.application.config["WTF_CSRF_ENABLED"] = True
    no_token = client.post(f"/f/{TOKEN}", data={"company": "Acme"})
    assert no_token.status_code == 400 and runtime.store.count("deals") == 0
    assert post(client, **{"company": "Acme"}).status_code == 200

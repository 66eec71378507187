"""The shape of what a client sends (issue 14, part 2), on both stores.

A body nesting past :data:`~goldsieve.limits.MAX_NESTING` is 422 ``too_deep`` at ``/`` (even
10,000 levels, which Python's JSON reader cannot read), a body past ``MAX_CONTENT_LENGTH`` a 413
in the API's error envelope; text with NUL or a lone surrogate is 422 naming the field, anywhere
in the body; a deal data key the funnel does not declare is 422 ``unknown_field``. Every refusal
writes nothing.
"""
from __future__ import annotations

import json

import pytest

from goldsieve.errors import ValidationFailed
from goldsieve.limits import MAX_NESTING

from tests.web.api.conftest import errors, send
from tests.web.api.test_hostile_input import FUNNEL, counts

#: every route that reads a JSON body; ``DEAL`` stands for an existing deal's id
ROUTES = [("POST", "deals"), ("PATCH", "deals/DEAL"), ("POST", "deals/DEAL/move"),
          ("POST", "deals/DEAL/reopen"), ("POST", "deals/DEAL/notes"), ("POST", "leads"),
          ("POST", "customers"), ("PATCH", "customers/CUSTOMER"), ("POST", "contacts")]


def nested(depth: int) -> str:
    """A JSON object whose ``data.company`` nests ``depth`` levels in all."""
    return '{"data": {"company": ' + "[" * (depth - 2) + "1" + "]" * (depth - 2) + "}}"


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 1000, 10_000])
def test_a_body_nested_too_deep_is_refused_at_the_root_on_every_route(api, deal, goldsieve_runtime, depth):
    customer = api.post("customers", {"name": "Acme"}).json["id"]
    before = counts(goldsieve_runtime)
    for method, path in ROUTES:
        path = path.replace("DEAL", str(deal["id"])).replace("CUSTOMER", str(customer))
        response = send(api, method, path, nested(depth))
        assert response.status_code == 422, (method, path, response.status_code)
        assert errors(response) == [("/", "too_deep")], (method, path)
    assert counts(goldsieve_runtime) == before


def test_a_body_at_the_nesting_limit_is_read(api, deal):
    body = json.loads(nested(MAX_NESTING))
    response = api.patch(f"deals/{deal['id']}", {"version": 1, "data": body["data"]})
    assert response.status_code == 422  # read, then refused for what it is: company is text
    assert errors(response) == [("/data/company", "type")]


def test_a_body_past_the_size_limit_is_413_in_the_api_envelope(api, goldsieve_app, goldsieve_runtime):
    before = counts(goldsieve_runtime)
    limit = goldsieve_app.config["MAX_CONTENT_LENGTH"]
    title = "x" * limit
    response = api.post("deals", {"funnel": FUNNEL, "title": title, "data": {"company": "A"}})
    assert response.status_code == 413
    assert [e["code"] for e in response.json["errors"]] == ["request_entity_too_large"]
    assert counts(goldsieve_runtime) == before


def test_the_size_limit_is_the_workspaces_own(goldsieve_runtime, goldsieve_user):
    from goldsieve.people.users import issue_token
    from goldsieve.testing import ApiClient
    from goldsieve.web.app import MAX_REQUEST_BYTES, create_app
    from goldsieve.workspace import WorkspaceError

    assert create_app(runtime=goldsieve_runtime).config["MAX_CONTENT_LENGTH"] == MAX_REQUEST_BYTES
    goldsieve_runtime.workspace.config["max_request_bytes"] = 4096
    app = create_app(runtime=goldsieve_runtime, config={"TESTING": True})
    api = ApiClient(app.test_client(), issue_token(goldsieve_runtime.store, goldsieve_user["username"]))
    payload = {"funnel": FUNNEL, "title": "T", "data": {"company": "C"}}
    assert api.post("deals", {**payload, "title": "x" * 5000}).status_code == 413
    assert api.post("deals", payload).status_code == 201
    for bad in (0, 1023, 1024**3 + 1, "2m", True):
        goldsieve_runtime.workspace.config["max_request_bytes"] = bad
        with pytest.raises(WorkspaceError, match="max_request_bytes"):
            create_app(runtime=goldsieve_runtime)


#: text no store keeps, as a client writes it inside a JSON string
BROKEN = {"nul": "\\u0000", "lone high surrogate": "\\ud800", "lone low surrogate": "x\\udc00y"}


@pytest.mark.parametrize("text", BROKEN.values(), ids=BROKEN.keys())
def test_text_no_store_keeps_is_refused_naming_the_field_and_nothing_is_written(
        api, deal, goldsieve_runtime, text):
    before = counts(goldsieve_runtime)
    deal_id = deal["id"]
    cases = [
        ("POST", "deals", f'{{"funnel": "{FUNNEL}", "title": "A{text}", "data": {{"company": "C"}}}}', "/title"),
        ("POST", "deals", f'{{"funnel": "{FUNNEL}", "title": "T", "data": {{"company": "C{text}"}}}}',
         "/data/company"),
        ("PATCH", f"deals/{deal_id}", f'{{"version": 1, "data": {{"needs_survey": "{text}"}}}}', "/data/needs_survey"),
        ("PATCH", f"deals/{deal_id}", f'{{"version": 1, "title": "{text}"}}', "/title"),
        ("POST", f"deals/{deal_id}/move", f'{{"to": "qualified", "data": {{"needs_survey": "a"}}, "note": "{text}"}}',
         "/note"),
        ("POST", f"deals/{deal_id}/notes", f'{{"text": "note {text}"}}', "/text"),
        ("POST", "leads", f'{{"funnel": "{FUNNEL}", "title": "T", "data": {{"company": "{text}"}}}}', "/data/company"),
        ("POST", "customers", f'{{"name": "N{text}"}}', "/name"),
    ]
    for method, path, text_body, field in cases:
        response = send(api, method, path, text_body)
        assert response.status_code == 422, (method, path, response.status_code)
        assert errors(response) == [(field, "invalid")], (method, path)
    assert counts(goldsieve_runtime) == before
    assert goldsieve_runtime.store.count("customers") == 0
    assert api.get(f"deals/{deal_id}").json == deal


def test_a_list_filter_with_broken_text_is_422_and_the_board_shows_no_deal(api, deal, goldsieve_app):
    for name in ("q", "funnel", "stage", "owner", "status"):
        response = api.get(f"deals?{name}=a%00b")
        assert response.status_code == 422 and errors(response) == [(f"/{name}", "invalid")], name
    assert api.get("deals?q=Acme").json["items"] == [deal]
    for name in ("q", "owner"):
        response = api.get(f"customers?{name}=%00")
        assert response.status_code == 422 and errors(response) == [(f"/{name}", "invalid")], name


def test_broken_text_in_a_key_is_named_with_the_character_escaped(api, deal, goldsieve_runtime):
    before = counts(goldsieve_runtime)
    response = send(api, "PATCH", f"deals/{deal['id']}", '{"version": 1, "data": {"a\\u0000b": 1}}')
    assert response.status_code == 422
    assert errors(response) == [("/data/a\\u0000b", "invalid")]
    assert counts(goldsieve_runtime) == before


def test_the_engine_refuses_broken_text_and_deep_values_the_api_never_passes(
        goldsieve_runtime, goldsieve_user):
    """The CLI, an import and the pages reach the engine without the API: it refuses alike."""
    engine, me = goldsieve_runtime.engine, goldsieve_user
    made = engine.create(me, FUNNEL, "Acme", {"company": "Acme"})
    before = counts(goldsieve_runtime)
    attempts = {
        ("/title", "invalid"): lambda: engine.update(me, made["id"], {}, title="a\x00"),
        ("/data/company/0", "invalid"): lambda: engine.update(me, made["id"], {"company": ["\ud800"]}),
        ("/data/needs_survey/x", "invalid"): lambda: engine.move(
            me, made["id"], "qualified", changes={"needs_survey": {"x": "\x00"}}),
        ("/note", "invalid"): lambda: engine.move(me, made["id"], "qualified",
                                                  changes={"needs_survey": "a"}, note="\x00"),
        ("/text", "invalid"): lambda: engine.add_note(me, made["id"], "\udfff"),
        ("/data/amount", "too_deep"): lambda: engine.update(me, made["id"], {"amount": _deep(5000)}),
        ("/data/company", "too_deep"): lambda: engine.create(me, FUNNEL, "T", {"company": _deep(MAX_NESTING)}),
        ("/data/phone/0", "invalid"): lambda: goldsieve_runtime.customers.create(me, "C", {"phone": ["1\x00"]}),
        ("/data/a\\u0000", "invalid"): lambda: goldsieve_runtime.customers.create(me, "C", {"a\x00": 1}),
    }
    for expected, attempt in attempts.items():
        with pytest.raises(ValidationFailed) as refused:
            attempt()
        assert [(v.path, v.code) for v in refused.value.violations][:1] == [expected]
    assert counts(goldsieve_runtime) == before and goldsieve_runtime.store.count("customers") == 0


def _deep(depth: int) -> list:
    """A list nesting ``depth`` levels."""
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


# --- undeclared keys -------------------------------------------------------------------------


def test_a_key_the_funnel_does_not_declare_is_refused_on_every_write(api, deal, goldsieve_runtime):
    before = counts(goldsieve_runtime)
    deal_id = deal["id"]
    for method, path, payload in [
        ("POST", "deals", {"funnel": FUNNEL, "title": "T", "data": {"company": "C", "regoin": "north"}}),
        ("POST", "leads", {"funnel": FUNNEL, "title": "T", "data": {"company": "C", "regoin": "north"}}),
        ("PATCH", f"deals/{deal_id}", {"version": 1, "data": {"regoin": "north"}}),
        ("POST", f"deals/{deal_id}/move", {"to": "qualified", "data": {"needs_survey": "a", "regoin": "n"}}),
    ]:
        response = api.request(method, path, payload)
        assert response.status_code == 422, (method, path)
        assert errors(response) == [("/data/regoin", "unknown_field")], (method, path)
    assert counts(goldsieve_runtime) == before


def test_a_key_stored_before_the_rule_stays_and_the_deal_stays_editable(api, deal, goldsieve_runtime):
    """Values stored before a rule existed: kept as they are, the rest of the deal can change,
    and the key can go; only setting it to something else is refused."""
    store = goldsieve_runtime.store
    with store.transaction() as txn:
        stored = txn.get("deals", deal["id"])
        txn.replace("deals", {**stored, "data": {**stored["data"], "legacy": {"from": "crm1"}}})
    current = api.get(f"deals/{deal['id']}").json
    assert current["data"]["legacy"] == {"from": "crm1"}
    response = api.patch(f"deals/{deal['id']}", {"version": current["version"], "data": {"amount": 7}})
    assert response.status_code == 200, response.json
    assert response.json["data"] == {"company": "Acme", "amount": 7, "legacy": {"from": "crm1"}}
    echoed = api.patch(f"deals/{deal['id']}", {"version": response.json["version"],
                                                "data": {**response.json["data"], "amount": 8}})
    assert echoed.status_code == 200, echoed.json
    changed = api.patch(f"deals/{deal['id']}", {"version": echoed.json["version"], "data": {"legacy": "x"}})
    assert errors(changed) == [("/data/legacy", "unknown_field")]
    removed = api.patch(f"deals/{deal['id']}", {"version": echoed.json["version"], "data": {"legacy": None}})
    assert removed.status_code == 200 and "legacy" not in removed.json["data"]

"""A boolean in a request body is JSON's ``true`` or ``false``, as the OpenAPI document says;
``0``, ``1``, ``"yes"`` and ``"false"`` answer 422 at the field and write nothing (found by a
long schemathesis run: ``"primary": 0`` made a contact). Both stores (the API conftest). The sharpest case: a hand-over sent
``"dry_run": "false"`` (a string) must not run."""
from __future__ import annotations

import pytest

from tests.records.conftest import (  # noqa: F401  (fixtures)
    client,
    goldsieve_workspace,
    people,
)
from tests.web.api.conftest import errors

NOT_BOOLEANS = (0, 1, "yes", "false", "true", None, [], {})


def written(store) -> dict[str, int]:
    return {t: store.count(t) for t in ("deals", "events", "audit", "customers", "customer_events",
                                        "contacts", "notifications")}


@pytest.mark.parametrize("value", NOT_BOOLEANS)
def test_a_boolean_that_is_not_true_or_false_is_refused_at_its_field(client, goldsieve_runtime, value):
    rita, mia, admin = client("rita"), client("mia"), client("admin")  # tokens are audited
    store = goldsieve_runtime.store
    made = rita.post("customers", {"name": "Ruijin"}).json
    deal = rita.post("deals", {"funnel": "handmade", "title": "Acme", "data": {"company": "Acme"}})
    assert deal.status_code == 201
    before = written(store)
    for api, path, body, field in (
            (rita, "contacts", {"customer_id": made["id"], "name": "Dr Wang", "primary": value}, "/primary"),
            (mia, f"customers/{made['id']}/assign", {"owner": "rob", "with_open_deals": value},
             "/with_open_deals"),
            (admin, "users/rita/hand-over", {"to": "rob", "dry_run": value}, "/dry_run")):
        response = api.post(path, body)
        assert (response.status_code, errors(response)) == (422, [(field, "invalid")]), (path, response.json)
    assert written(store) == before
    assert store.get("deals", deal.json["id"])["owner"] == "rita"  # the hand-over did not run


def test_true_and_false_still_work(client, goldsieve_runtime):
    rita = client("rita")
    made = rita.post("customers", {"name": "Ruijin"}).json
    for value in (True, False):
        contact = rita.post("contacts", {"customer_id": made["id"], "name": f"C {value}", "primary": value})
        assert contact.status_code == 201 and contact.json["primary"] is value
    dry = client("admin").post("users/rita/hand-over", {"to": "rob", "dry_run": True})
    assert dry.status_code == 200

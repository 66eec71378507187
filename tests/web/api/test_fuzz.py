"""The API fuzzed from its own OpenAPI document (schemathesis): whatever a client sends, the
answer is never a server error and always matches the documented response schema.

In-process (WSGI), on the embedded store, with a bounded number of examples per operation so
that `make test` stays quick; GOLDSIEVE_FUZZ_EXAMPLES raises it for a longer hunt.
"""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import response_schema_conformance

from goldsieve.people.users import add_user, issue_token
from goldsieve.runtime import open_runtime
from goldsieve.testing import TEST_PASSWORD, FrozenClock
from goldsieve.web.api.openapi import build_spec
from goldsieve.web.app import create_app
from goldsieve.workspace import init_workspace

from tests.conftest import load_funnel

EXAMPLES = int(os.environ.get("GOLDSIEVE_FUZZ_EXAMPLES", 25))


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    """An app with an admin, a rep and a few deals in several stages; yields (app, token)."""
    workspace = init_workspace(tmp_path_factory.mktemp("fuzz") / "ws", load_funnel("design_example"))
    with open_runtime(workspace, clock=FrozenClock(), entry_points=False) as runtime:
        admin = add_user(runtime.store, "admin", "admin", TEST_PASSWORD)
        add_user(runtime.store, "rita", "rep", TEST_PASSWORD)
        for n in range(3):
            deal = runtime.engine.create(admin, "handmade", f"Deal {n}", {"company": "Acme"})
            if n:
                runtime.engine.move(admin, deal["id"], "lost", lost_reason="price",
                                    version=deal["version"])
        app = create_app(runtime=runtime, config={"TESTING": True})
        yield app, issue_token(runtime.store, "admin")


# The document the app serves at /api/v1/openapi.json (tested to be the same below), read
# without an app, so the operations are known when pytest collects.
schema = schemathesis.openapi.from_dict(build_spec())


def test_the_fuzzed_document_is_the_one_the_app_serves(fuzzed):
    app, _ = fuzzed
    assert app.test_client().get("/api/v1/openapi.json").json == build_spec()


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_no_server_error_and_every_answer_as_documented(case, fuzzed):
    app, token = fuzzed
    response = case.call(app=app, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code}"
    case.validate_response(response, checks=[response_schema_conformance])

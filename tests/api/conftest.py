"""The API suite runs on both stores: the embedded one, and PostgreSQL (a schema per test)
when ``GOLDSIEVE_TEST_POSTGRES`` names a server."""
from __future__ import annotations

import pytest
from goldsieve.testing_postgres import ENVIRONMENT, scratch_schema, server_url


@pytest.fixture(params=[
    "tinydb",
    pytest.param("postgresql", marks=pytest.mark.skipif(
        not server_url(), reason=f"set {ENVIRONMENT}=postgresql://… to run it on PostgreSQL")),
])
def goldsieve_store_url(request):
    if request.param == "tinydb":
        yield "tinydb:data"
        return
    with scratch_schema(server_url()) as url:
        yield url

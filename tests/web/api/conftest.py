"""The API suite runs on both stores: the embedded one, and PostgreSQL (a schema per test)
when ``GOLDSIEVE_TEST_POSTGRES`` names a server."""
from __future__ import annotations


def pytest_generate_tests(metafunc):
    if "goldsieve_store_url" in metafunc.fixturenames:
        metafunc.parametrize("goldsieve_store_url", ["tinydb:data", "postgresql"], indirect=True)


def errors(response) -> list[tuple[str, str]]:
    """A refusal's ``(path, code)`` pairs, in order."""
    return [(e["path"], e["code"]) for e in response.json["errors"]]

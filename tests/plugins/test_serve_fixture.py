"""The kit's ``goldsieve_serve``: the real ``goldsieve serve`` on the test workspace, on a free
port of 127.0.0.1, handed over once it answers and stopped (SIGTERM, waited for) at teardown; a
server that cannot start is an error saying what it printed."""
from __future__ import annotations

import json
import urllib.request

import pytest

from goldsieve.testing.serving import ServerFailed


@pytest.fixture
def stopped_at_teardown():
    """The servers a test started, checked once the kit's teardown has run (this fixture is set
    up before ``goldsieve_serve``, so it is torn down after it): each process is gone, stopped
    cleanly by SIGTERM."""
    servers: list = []
    yield servers
    assert servers and all(server.process.poll() == 0 for server in servers)


def test_the_real_server_answers_at_its_url_and_is_stopped_at_teardown(stopped_at_teardown, goldsieve_serve):
    server = goldsieve_serve()
    stopped_at_teardown.append(server)
    assert server.url.startswith("http://127.0.0.1:") and not server.url.endswith(":0")
    with urllib.request.urlopen(f"{server.url}/api/v1/health", timeout=30) as answer:
        assert answer.status == 200 and json.load(answer)["status"] == "ok"
    assert server.process.poll() is None  # still serving until the test ends


def test_a_server_that_cannot_start_is_an_error_with_what_it_said(goldsieve_serve, goldsieve_workspace):
    config = goldsieve_workspace.path / "goldsieve.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\nbroken = [\n", encoding="utf-8")
    with pytest.raises(ServerFailed, match=r"^goldsieve serve ended \(1\): Error: .*goldsieve\.toml"):
        goldsieve_serve()

"""Several app processes on one PostgreSQL store (``goldsieve serve --workers N``), and the
refusal on the embedded store; bounded load and fault tests over loopback HTTP."""
from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

from goldsieve.cli import cli
from goldsieve.people.users import add_user, issue_token
from goldsieve.runtime import open_runtime
from goldsieve.store import In
from goldsieve.testing import TEST_PASSWORD
from goldsieve.testing.postgres import ENVIRONMENT, scratch_schema, server_url
from goldsieve.workspace import Workspace, set_store_url

needs_postgres = pytest.mark.skipif(
    not server_url(), reason=f"set {ENVIRONMENT}=postgresql://… to run several processes"
)
EXE = shutil.which("goldsieve", path=str(Path(sys.executable).parent))


@pytest.fixture
def workspace(tmp_path) -> Path:
    folder = tmp_path / "acme"
    assert CliRunner().invoke(cli, ["init", "--template", "software", str(folder)]).exit_code == 0
    return folder


def test_several_processes_on_the_embedded_store_are_refused_before_anything_starts(workspace):
    result = CliRunner().invoke(cli, ["serve", "-w", str(workspace), "--workers", "2"])
    assert result.exit_code == 1
    assert "one process owns" in result.output and "postgresql://" in result.output
    assert "goldsieve store copy" in result.output, "it says how to switch"
    assert not (workspace / "data" / "lock").exists(), "the store was never opened"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Client:
    """JSON over HTTP with a bearer token, for many threads at once."""

    def __init__(self, base: str, token: str):
        self.base, self.token = base, token

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.base + path, method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """4 gunicorn processes on a PostgreSQL schema of their own, shared by this module's tests
    (starting them is the slow part); yields (client, runtime, server)."""
    workspace = tmp_path_factory.mktemp("served") / "acme"
    assert CliRunner().invoke(cli, ["init", "--template", "software", str(workspace)]).exit_code == 0
    with scratch_schema(server_url()) as url:
        ws = set_store_url(Workspace.load(workspace), url)
        with open_runtime(ws, entry_points=False) as runtime:
            add_user(runtime.store, "admin", "admin", TEST_PASSWORD)
            token = issue_token(runtime.store, "admin")
            port = free_port()
            log = open(workspace / "serve.log", "w+")  # a pipe nobody reads could fill and stall it
            server = subprocess.Popen(
                [EXE, "serve", "-w", str(workspace), "--port", str(port), "--workers", "4",
                 "--threads", "8"], stdout=log, stderr=subprocess.STDOUT, text=True)
            try:
                client = Client(f"http://127.0.0.1:{port}/api/v1/", token)
                deadline = time.monotonic() + 60
                while True:
                    try:
                        assert client.call("GET", "health")[0] == 200
                        break
                    except OSError:
                        assert server.poll() is None and time.monotonic() < deadline, \
                            (workspace / "serve.log").read_text()
                        time.sleep(0.3)
                yield client, runtime, server
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=30)
                log.close()


@needs_postgres
def test_four_processes_create_a_thousand_deals_concurrently(served):
    client, runtime, server = served
    assert len(_children(server.pid)) == 4, "four app processes serve"
    deals_before, events_before = runtime.store.count("deals"), runtime.store.count("events")

    def create(n: int) -> tuple[int, dict]:
        return client.call("POST", "deals", {"funnel": "software", "title": f"Deal {n}",
                                             "data": {"company": f"Company {n}"}})

    with ThreadPoolExecutor(max_workers=32) as pool:
        answers = list(pool.map(create, range(1000)))
    assert [status for status, _ in answers] == [201] * 1000
    ids = [body["id"] for _, body in answers]
    assert len(set(ids)) == 1000
    assert runtime.store.count("deals") == deals_before + 1000
    titles = [d["title"] for d in runtime.store.iterate("deals", In("id", tuple(ids)))]
    assert sorted(titles) == sorted(f"Deal {n}" for n in range(1000))
    assert runtime.store.count("events") == events_before + 1000, \
        "one created event per deal, none lost or doubled"


@needs_postgres
def test_of_two_concurrent_moves_of_one_deal_one_wins_and_one_gets_409(served):
    client, runtime, _ = served
    events_before = runtime.store.count("events")
    deals = [client.call("POST", "deals", {"funnel": "software", "title": f"Deal {n}",
                                           "data": {"company": "Acme"}})[1] for n in range(50)]
    outcomes = []

    def move(deal: dict, barrier: threading.Barrier, reason: str) -> int:
        barrier.wait()
        status, _ = client.call("POST", f"deals/{deal['id']}/move",
                                {"to": "lost", "lost_reason": reason, "version": deal["version"]})
        return status

    with ThreadPoolExecutor(max_workers=16) as pool:
        for deal in deals:
            barrier = threading.Barrier(2)
            pair = [pool.submit(move, deal, barrier, reason) for reason in ("price", "timing")]
            outcomes.append(sorted(f.result() for f in pair))
    assert outcomes == [[200, 409]] * 50
    for deal in deals:
        stored = runtime.store.get("deals", deal["id"])
        assert stored["version"] == deal["version"] + 1 and stored["status"] == "lost"
    assert runtime.store.count("events") == events_before + 100, \
        "one created and one stage change per deal"


def _children(pid: int) -> list[int]:
    found = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(line) for line in found.stdout.split()]

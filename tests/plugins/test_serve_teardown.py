"""A server that will not stop on SIGTERM is killed with every process it started: a test run
leaves no orphan (gunicorn's workers are the server's children)."""
from __future__ import annotations

import os
import sys
import time

import pytest

from goldsieve.testing import serving

#: A stand-in for ``goldsieve serve`` that starts a child, answers the health check and ignores
#: SIGTERM, as a wedged server would.
STUBBORN = r'''
import http.server, signal, subprocess, sys
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"])
class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Health)
print(f"child {child.pid}", flush=True)
print(f"goldsieve is serving stub at http://127.0.0.1:{server.server_port}/ now", flush=True)
server.serve_forever()
'''


def gone(pid: int, within: float = 30) -> bool:
    """Whether ``pid`` is gone (or a zombie nobody has reaped yet) before the deadline."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        os.sched_yield()
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_server_deaf_to_sigterm_is_killed_with_its_children(tmp_path, monkeypatch):
    monkeypatch.setattr(serving, "goldsieve_command", lambda: [sys.executable, "-c", STUBBORN])
    server = serving.LiveServer(tmp_path, timeout=60)
    [child] = [int(line.split()[1]) for line in server.output if line.startswith("child ")]
    with pytest.raises(serving.ServerFailed, match="did not stop"):
        server.stop(timeout=1)
    assert gone(server.process.pid) and gone(child)


def test_teardown_stops_every_server_even_when_one_will_not_stop(monkeypatch):
    """The first server's failure to stop is reported, after the others were stopped all the same."""
    from goldsieve import testing

    stopped: list[int] = []

    class Server:
        def __init__(self, _path, *_args, **_kwargs):
            self.number = len(made)
            made.append(self)

        def stop(self) -> int:
            stopped.append(self.number)
            if self.number == 0:
                raise serving.ServerFailed("goldsieve serve did not stop within 1 s of SIGTERM")
            return 0

    made: list[Server] = []
    monkeypatch.setattr(serving, "LiveServer", Server)
    fixture = testing.goldsieve_serve.__wrapped__(type("Workspace", (), {"path": "."})())
    start = next(fixture)
    start(), start()
    with pytest.raises(serving.ServerFailed, match="did not stop"):
        next(fixture, None)
    assert stopped == [0, 1]

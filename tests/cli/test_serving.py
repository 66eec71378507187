"""`goldsieve serve` and `goldsieve demo` start honestly: the port is bound before anything else,
the line saying where goldsieve serves comes only once it answers, a busy port or a wrong host
is one line and exit 1, and SIGINT or SIGTERM stop it cleanly whatever it inherited."""
from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from goldsieve.cli import cli
from goldsieve.testing.postgres import ENVIRONMENT, scratch_schema, server_url
from goldsieve.web.serving import listen, serve
from goldsieve.workspace import Workspace, set_store_url

EXE = shutil.which("goldsieve", path=str(Path(sys.executable).parent))
ROOT = Path(__file__).resolve().parents[2]
SERVING = re.compile(r"^goldsieve is serving (.+) at http://127\.0\.0\.1:(\d+)/")


@pytest.fixture
def workspace(tmp_path) -> Path:
    folder = tmp_path / "acme"
    assert CliRunner().invoke(cli, ["init", "--template", "software", str(folder)]).exit_code == 0
    return folder


@pytest.fixture
def taken_port():
    """A port another program listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def health(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=10) as answer:
        return json.load(answer)


class Server:
    """`goldsieve …` in a child process that starts with SIGINT ignored, as a non-interactive
    shell leaves it for a job started with `&`; a thread hands its output lines to a queue, so
    the test waits for a line (with a deadline) instead of for a fixed time."""

    def __init__(self, *args: str):
        self.process = subprocess.Popen(
            [EXE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def line(self, pattern: re.Pattern[str], timeout: float = 120) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no line like {pattern.pattern} within {timeout} s")
            if line is None:
                pytest.fail(f"the server ended ({self.process.wait()}): {self.process.stderr.read()}")
            if found := pattern.match(line):
                return found

    def stop(self, signum: int) -> int:
        self.process.send_signal(signum)
        return self.process.wait(timeout=60)

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def test_a_busy_port_is_one_line_and_exit_1_before_the_store_is_opened(workspace, taken_port):
    result = subprocess.run([EXE, "serve", "-w", str(workspace), "--port", str(taken_port)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr == (f"Error: port {taken_port} is in use: stop the other server or pass "
                             f"--port {taken_port + 1} (--port 0 picks a free one)\n")
    assert result.stdout == "", "no line says it is serving"
    assert not (workspace / "data" / "lock").exists(), "the store was never opened"


def test_the_demo_binds_its_port_before_building_the_workspace(tmp_path, taken_port):
    folder = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", "-w", str(folder), "--deals", "0",
                                      "--port", str(taken_port)])
    assert result.exit_code == 1
    assert result.output == (f"Error: port {taken_port} is in use: stop the other server or pass "
                             f"--port {taken_port + 1} (--port 0 picks a free one)\n")
    assert not folder.exists(), "nothing was built"


def test_several_processes_bind_before_the_database_is_reached(workspace, taken_port):
    """gunicorn would retry a busy port five times and log each try; goldsieve binds first."""
    set_store_url(Workspace.load(workspace), "postgresql://nobody@127.0.0.1:1/nothing")
    result = CliRunner().invoke(cli, ["serve", "-w", str(workspace), "--workers", "2",
                                      "--port", str(taken_port)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: port {taken_port} is in use")
    assert result.output.count("\n") == 1


@pytest.mark.parametrize("option, value", [
    ("--port", "70000"), ("--port", "-1"), ("--port", "http"), ("--host", ""),
    ("--host", "http://127.0.0.1:8000"), ("--host", "127.0.0.1 "),
])
def test_an_impossible_port_or_host_is_a_usage_error(workspace, option, value):
    for command in (["serve", "-w", str(workspace)], ["demo", "-w", str(workspace / "demo")]):
        result = CliRunner().invoke(cli, [*command, option, value])
        assert result.exit_code == 2, result.output
        assert result.output.startswith(f"Error: {option}: ") and result.output.count("\n") == 1, result.output
    assert not (workspace / "data" / "lock").exists() and not (workspace / "demo").exists()


@pytest.mark.parametrize("host, says", [
    ("no-such-host.invalid", "the host “no-such-host.invalid” does not resolve"),
    ("192.0.2.1", "192.0.2.1 is not an address of this machine"),  # TEST-NET-1: nobody's
])
def test_a_host_that_cannot_be_served_is_one_line_and_exit_1(workspace, host, says):
    result = CliRunner().invoke(cli, ["serve", "-w", str(workspace), "--host", host])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {says}") and result.output.count("\n") == 1
    assert "--host 127.0.0.1" in result.output, "it says what would work"
    assert not (workspace / "data" / "lock").exists()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_the_serving_line_comes_when_it_answers_and_a_signal_stops_it_cleanly(workspace, signum):
    with Server("serve", "-w", str(workspace), "--port", "0") as server:
        serving = server.line(SERVING)
        port = int(serving.group(2))
        assert port != 0 and serving.group(1) == str(workspace), "the port really bound"
        assert (workspace / "data" / "lock").read_text().strip() == str(server.process.pid)
        assert health(port)["status"] == "ok", "asked as soon as the line was read"
        assert server.stop(signum) == 0
        assert "Traceback" not in server.process.stderr.read()
    assert (workspace / "data" / "lock").read_text() == "", "the store was closed, not abandoned"


def test_serve_returns_with_the_worker_stopped_the_store_closed_and_the_handlers_back(workspace):
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    ws = Workspace.load(workspace)

    def stop_once_it_answers(port: int) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                health(port)
                break
            except OSError:
                time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    with listen("127.0.0.1", 0) as listener:
        stopper = threading.Thread(target=stop_once_it_answers, args=(listener.port,))
        stopper.start()
        serve(ws, listener, threads=2)
        stopper.join()
    assert not [t for t in threading.enumerate() if t.name == "goldsieve-worker"]
    assert (workspace / "data" / "lock").read_text() == ""
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


@pytest.mark.skipif(not server_url(), reason=f"set {ENVIRONMENT}=postgresql://… for gunicorn")
def test_several_processes_say_where_they_serve_once_bound_and_stop_on_sigint(workspace):
    with scratch_schema(server_url()) as url:
        set_store_url(Workspace.load(workspace), url)
        with Server("serve", "-w", str(workspace), "--port", "0", "--workers", "2") as server:
            port = int(server.line(SERVING).group(2))
            assert port != 0 and health(port)["status"] == "ok"
            assert server.stop(signal.SIGINT) == 0


@pytest.mark.parametrize("variables, expected", [
    ([], "--port 8000 --host 127.0.0.1"),
    (["PORT=8001", "HOST=0.0.0.0"], "--port 8001 --host 0.0.0.0"),
])
def test_make_run_serves_where_it_is_told(variables, expected):
    planned = subprocess.run(["make", "-n", "-C", str(ROOT), "run", *variables],
                             capture_output=True, text=True, check=True).stdout
    assert f"goldsieve demo --workspace demo {expected}" in planned


@pytest.mark.parametrize("lang, label", [("en", "Reading the store"), ("zh_Hans", "正在读取存储"),
                                         ("zh_Hant", "正在讀取儲存")])
def test_serve_shows_how_far_a_large_stores_open_has_got_in_the_readers_language(capfd, lang, label):
    from goldsieve import locales
    from goldsieve.cli.serving import SHOW_PROGRESS_BYTES, OpeningProgress

    token = locales.reader.set(lang)
    try:
        progress = OpeningProgress()
        progress("snapshot", 10, SHOW_PROGRESS_BYTES - 1)  # small: opens at once, no bar
        assert capfd.readouterr().err == ""
        for done in (0, SHOW_PROGRESS_BYTES // 2, SHOW_PROGRESS_BYTES):
            progress("snapshot", done, SHOW_PROGRESS_BYTES)
        progress.close()
    finally:
        locales.reader.reset(token)
    assert label in capfd.readouterr().err

"""The command line: init, templates, check exit codes, users, serve."""
from __future__ import annotations

import json
import os
import pty
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from goldsieve.cli import cli
from goldsieve.runtime import open_runtime
from goldsieve.workspace import Workspace

from tests.conftest import FUNNELS, load_funnel


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input)


@pytest.fixture
def workspace(tmp_path) -> Path:
    folder = tmp_path / "acme"
    assert run("init", "--template", "software", str(folder)).exit_code == 0
    return folder


def test_init_creates_a_workspace_that_checks_clean(workspace):
    assert (workspace / "goldsieve.toml").is_file() and (workspace / "funnels" / "software.json").is_file()
    result = run("check", str(workspace))
    assert result.exit_code == 0, result.output


def test_init_refuses_a_used_folder_and_an_unknown_template(workspace, tmp_path):
    assert run("init", str(workspace)).exit_code == 1
    result = run("init", "--template", "nope", str(tmp_path / "x"))
    assert result.exit_code == 2 and "fmcg" in result.output
    assert not (tmp_path / "x").exists()


def test_templates_lists_id_title_and_stage_count():
    result = run("templates")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    software = next(line for line in lines if line.startswith("software "))
    assert "9 stages (7 open)" in software and "Software B2B" in software and "软件" in software
    medical = next(line for line in lines if line.startswith("medical "))
    assert "8 stages (6 open)" in medical and "Medical devices / 医疗器械" in medical
    assert run("templates", "--ids").output.split() == ["equipment", "fmcg", "medical", "services", "software", "trade"]


def test_check_exit_codes(tmp_path):
    good = FUNNELS / "design_example.json"
    assert run("check", str(good)).exit_code == 0
    broken = load_funnel("design_example")
    broken["stages"][1]["gate"]["required"] = ["neds_survey"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(broken))
    result = run("check", str(good), str(bad))
    assert result.exit_code == 1
    assert f"{bad}: /stages/1/gate/required/0: error:" in result.output
    assert "needs_survey" in result.output
    assert run("check", str(tmp_path / "missing.json")).exit_code == 2
    assert run("check", "--no-such-option").exit_code == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("check", str(empty)).exit_code == 2


def test_check_without_paths_checks_the_current_workspace(workspace, monkeypatch):
    monkeypatch.chdir(workspace)
    result = run("check")
    assert result.exit_code == 0 and "software.json" not in result.output


def test_users_add_list_and_token(workspace):
    assert run("teams", "add", "north", "-w", str(workspace)).exit_code == 0
    result = run("users", "add", "ann", "--role", "manager", "--team", "north", "-w", str(workspace),
                 input="s3cret-enough\ns3cret-enough\n")
    assert result.exit_code == 0, result.output
    listing = run("users", "list", "-w", str(workspace)).output
    assert "ann" in listing and "manager" in listing and "north" in listing
    token = run("users", "token", "ann", "-w", str(workspace)).output.removesuffix("\n")
    assert re.fullmatch(r"gs_[\w-]{43}", token), "into a pipe the token comes alone"
    with open_runtime(Workspace.load(workspace)) as runtime:
        from goldsieve.people.users import authenticate, user_for_token

        assert user_for_token(runtime.store, token)["username"] == "ann"
        assert authenticate(runtime.store, "ann", "s3cret-enough")["role"] == "manager"
        assert authenticate(runtime.store, "ann", "wrong-password") is None
        stored = runtime.store.find("tokens")
        assert token not in json.dumps(stored), "tokens are stored hashed"
        assert "s3cret-enough" not in json.dumps(runtime.store.find("users"))


def test_users_add_refuses_bad_input_and_writes_nothing(workspace):
    mismatch = run("users", "add", "bob", "--role", "rep", "-w", str(workspace), input="one-password\nother-password\n")
    short = run("users", "add", "bob", "--role", "rep", "-w", str(workspace), input="short\n")
    common = run("users", "add", "bob", "--role", "rep", "-w", str(workspace), input="password123\n")
    named = run("users", "add", "bob", "--role", "rep", "-w", str(workspace), input="bob-is-my-name\n")
    role = run("users", "add", "bob", "--role", "king", "-w", str(workspace), input="long-enough-pw\n")
    assert (mismatch.exit_code, short.exit_code, role.exit_code) == (1, 1, 2)
    assert (common.exit_code, named.exit_code) == (1, 1)
    assert "differ" in mismatch.output and "10 characters" in short.output
    assert "commonly used" in common.output and "user name" in named.output
    assert "bob" not in run("users", "list", "-w", str(workspace)).output
    assert run("users", "token", "nobody", "-w", str(workspace)).exit_code == 1


def test_without_a_terminal_the_first_line_of_standard_input_is_the_password(workspace):
    w = ("-w", str(workspace))
    empty = run("users", "add", "alice", "--role", "admin", *w, input="")
    assert empty.exit_code == 1 and empty.output.count("\n") == 1
    assert "first line of standard input" in empty.output and "echo '" in empty.output
    assert "alice" not in run("users", "list", *w).output
    assert run("users", "add", "alice", "--role", "admin", *w,
               input="a long passphrase here\n").exit_code == 0
    with open_runtime(Workspace.load(workspace)) as runtime:
        from goldsieve.people.users import authenticate

        assert authenticate(runtime.store, "alice", "a long passphrase here")["role"] == "admin"


def test_user_names_differing_only_in_case_are_refused_and_nothing_is_written(workspace):
    w = ("-w", str(workspace))
    assert run("users", "add", "alice", "--role", "admin", *w, input="a long passphrase here\n").exit_code == 0
    listing = run("users", "list", *w).output
    twin = run("users", "add", "Alice", "--role", "rep", *w, input="another long passphrase\n")
    assert twin.exit_code == 1
    assert twin.output == "Error: username: The user “alice” already exists; user names ignore case.\n"
    assert run("users", "list", *w).output == listing


def test_users_token_prints_a_sentence_on_a_terminal_and_the_token_alone_otherwise(workspace):
    w = ("-w", str(workspace))
    assert run("users", "add", "ann", "--role", "rep", *w, input="long-enough-pw\n").exit_code == 0
    quiet = run("users", "token", "ann", "--quiet", *w).output
    assert re.fullmatch(r"gs_[\w-]{43}\n", quiet)
    exe = shutil.which("goldsieve", path=str(Path(sys.executable).parent))
    screen, terminal = pty.openpty()
    try:
        try:
            done = subprocess.run([exe, "users", "token", "ann", "--days", "30", *w],
                                  stdout=terminal, timeout=60)
        finally:
            os.close(terminal)
        shown = b""
        while chunk := _read_pty(screen):
            shown += chunk
    finally:
        os.close(screen)
    assert done.returncode == 0
    assert re.fullmatch(r"API token for ann \(valid for 30 days\): gs_[\w-]{43}\r\n", shown.decode())
    with open_runtime(Workspace.load(workspace)) as runtime:
        assert runtime.store.count("tokens") == 2, "each call issued one"


def _read_pty(fd: int) -> bytes:
    """What a terminal shows; b"" once the writer has closed it (Linux answers EIO then)."""
    try:
        return os.read(fd, 1024)
    except OSError:
        return b""


def test_users_password_and_deactivation(workspace):
    w = ("-w", str(workspace))
    assert run("users", "add", "root", "--role", "admin", *w, input="long-enough-pw\n").exit_code == 0
    assert run("users", "add", "ann", "--role", "rep", "--display-name", "Ann Lee", *w,
               input="long-enough-pw\n").exit_code == 0
    token = run("users", "token", "ann", *w).output.split()[-1]
    weak = run("users", "password", "ann", *w, input="qwertyuiop\n")
    assert weak.exit_code == 1 and "commonly used" in weak.output
    assert run("users", "password", "ann", *w, input="a-new-passphrase\n").exit_code == 0
    off = run("users", "set", "ann", "--inactive", *w)
    assert off.exit_code == 0 and "deactivated" in off.output
    listing = run("users", "list", *w).output.splitlines()
    assert re.fullmatch(r"user\s+role\s+team\s+state\s+display name", listing[0])
    assert re.fullmatch(r"ann\s+rep\s+deactivated\s+Ann Lee", listing[2])
    assert re.fullmatch(r"root\s+admin\s+active", listing[1])
    last = run("users", "set", "root", "--role", "rep", *w)
    assert last.exit_code == 1 and "last active admin" in last.output
    assert run("users", "set", "root", *w).exit_code == 2  # nothing to change: usage error
    with open_runtime(Workspace.load(workspace)) as runtime:
        from goldsieve.people.users import authenticate, find_user, user_for_token

        assert authenticate(runtime.store, "ann", "a-new-passphrase") is None  # deactivated
        assert user_for_token(runtime.store, token) is None
        assert runtime.store.find("tokens") == []
        assert find_user(runtime.store, "ann")["display_name"] == "Ann Lee"
        assert find_user(runtime.store, "root")["role"] == "admin"
    assert run("users", "set", "ann", "--active", *w).exit_code == 0
    with open_runtime(Workspace.load(workspace)) as runtime:
        from goldsieve.people.users import authenticate, user_for_token

        assert authenticate(runtime.store, "ann", "a-new-passphrase")["username"] == "ann"
        assert user_for_token(runtime.store, token) is None  # revoked tokens stay revoked


def test_errors_are_one_line_without_traceback(tmp_path):
    env = {**os.environ, "GOLDSIEVE_WORKSPACE": str(tmp_path)}
    exe = shutil.which("goldsieve", path=str(Path(sys.executable).parent))
    result = subprocess.run([exe, "users", "list"], capture_output=True, text=True, env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("Error:") and "Traceback" not in result.stderr
    assert "goldsieve init" in result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_runs_a_real_server_and_a_second_process_is_refused(workspace):
    exe = shutil.which("goldsieve", path=str(Path(sys.executable).parent))
    port = free_port()
    server = subprocess.Popen([exe, "serve", "-w", str(workspace), "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2) as r:
                    assert json.load(r)["status"] == "ok"
                    assert r.headers["Server"] == "goldsieve"  # waitress, not a development server
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()
                time.sleep(0.2)
        second = subprocess.run([exe, "worker", "--once", "-w", str(workspace)], capture_output=True, text=True)
        assert second.returncode == 1 and "PostgreSQL" in second.stderr
        served = subprocess.run([exe, "users", "list", "-w", str(workspace)], capture_output=True, text=True)
        assert served.returncode == 0 and served.stdout.startswith("user "), "the server ran it"
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)


def test_report_prints_the_funnel_numbers_for_a_user(tmp_path):
    folder = tmp_path / "demo"
    assert run("demo", "--workspace", str(folder), "--deals", "60", "--no-serve").exit_code == 0
    everyone = json.loads(run("report", "-w", str(folder), "--funnel", "software",
                              "--from", "2020-01-01", "--to", "2100-01-01").output)
    rep = json.loads(run("report", "-w", str(folder), "--funnel", "software", "--as", "rep.li",
                         "--from", "2020-01-01", "--to", "2100-01-01").output)
    assert everyone["deals"] == 60 and 0 < rep["deals"] < 60
    assert everyone["stages"][0]["entered"] == 60  # every demo deal starts in the first stage
    figures = {f["id"]: f["value"] for f in everyone["figures"]}  # named as on the pages and the API
    assert figures["deals"] == 60 and figures["win_rate"] == everyone["win_rate"]
    bad = run("report", "-w", str(folder), "--funnel", "software", "--from", "someday")
    assert bad.exit_code == 1 and "from" in bad.output
    assert run("report", "-w", str(folder), "--funnel", "nope").exit_code == 1

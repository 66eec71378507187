"""The command line while `goldsieve serve` holds the embedded store: the server carries the
commands out (through data/cli.sock), with the output and exit status they have with the server
stopped, each write landing once; the socket is this user's only, bounded, and gone after a
stop; a dead server's socket is replaced."""
from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import click
import pytest
from click.testing import CliRunner

from goldsieve.cli import cli
from goldsieve.cli.remote import command_line
from goldsieve.people.users import authenticate
from goldsieve.runtime import open_runtime
from goldsieve.testing import TEST_PASSWORD
from goldsieve.workspace import Workspace

from tests.cli.test_serving import EXE, SERVING, Server, health

CSV = "title,company,amount\nAcme ERP,Acme,12\nBeta,Beta,7\n"


def make_workspace(folder: Path) -> Path:
    """A software workspace with the admin alice and two deals; the store is closed again."""
    runner = CliRunner()
    assert runner.invoke(cli, ["init", "--template", "software", str(folder)]).exit_code == 0
    ws = ["-w", str(folder)]
    assert runner.invoke(cli, ["users", "add", "alice", "--role", "admin", *ws],
                         input=TEST_PASSWORD + "\n").exit_code == 0
    (folder / "seed.csv").write_text(CSV, "utf-8")
    assert runner.invoke(cli, ["import", str(folder / "seed.csv"), "--funnel", "software", *ws]).exit_code == 0
    return folder


def count(folder: Path, table: str, **where: object) -> int:
    with open_runtime(Workspace.load(folder)) as runtime:
        return sum(all(doc.get(k) == v for k, v in where.items()) for doc in runtime.store.find(table))


def new_version(cwd: Path, folder: Path) -> None:
    definition = json.loads((folder / "funnels" / "software.json").read_text("utf-8"))
    definition["version"] += 1
    definition["stages"][0]["title"] = {"en": "Fresh lead", "zh-Hans": "新线索", "zh-Hant": "新線索"}
    (cwd / "next.json").write_text(json.dumps(definition, ensure_ascii=False), "utf-8")


@dataclass
class Case:
    """A command, what it is given (files in its working folder, standard input), and the rows
    it writes: (table, filter, how many there are afterwards)."""

    argv: list[str]
    stdin: str = ""
    prepare: Callable[[Path, Path], None] = lambda cwd, folder: None
    rows: list[tuple[str, dict, int]] = field(default_factory=list)
    output: str | None = None  # a file it writes, relative to its working folder


CASES = {
    "users add": Case(["users", "add", "bob", "--role", "rep", "--display-name", "Bob B."], TEST_PASSWORD + "\n",
                      rows=[("users", {"username": "bob"}, 1)]),
    "users add refused": Case(["users", "add", "alice", "--role", "rep"], TEST_PASSWORD + "\n",
                              rows=[("users", {}, 1)]),
    "users token": Case(["users", "token", "alice", "--days", "5"], rows=[("tokens", {}, 1)]),
    "users token refused": Case(["users", "token", "nobody"], rows=[("tokens", {}, 0)]),
    "import": Case(["import", "more.csv", "--funnel", "software", "--map", "Name=title"],
                   prepare=lambda cwd, _: (cwd / "more.csv").write_text(
                       "Name,company\nGamma,Gamma\n", "utf-8"),
                   rows=[("deals", {}, 3), ("deals", {"title": "Gamma"}, 1)]),
    "import refused": Case(["import", "./bad.csv", "--funnel", "software"],
                           prepare=lambda cwd, _: (cwd / "bad.csv").write_text(
                               "title,company,amount\nA,A,x\n", "utf-8"),
                           rows=[("deals", {}, 2)]),
    # the server speaks the caller's language, not its own shell's (the sentence is checked below)
    "import refused in Chinese": Case(["--lang", "zh-Hant", "import", "./bad.csv", "--funnel", "software"],
                                      prepare=lambda cwd, _: (cwd / "bad.csv").write_text(
                                          "title,company,email\nA,A,not-an-email\n", "utf-8"),
                                      rows=[("deals", {}, 2)]),
    "export": Case(["export", "--format", "jsonl", "--funnel", "software", "-o", "out.jsonl"],
                   output="out.jsonl"),
    "export csv": Case(["export", "--what", "events"]),
    "report": Case(["report", "--funnel", "software", "--as", "alice"]),
    "customers from-deals": Case(["customers", "from-deals", "--field", "company"],
                                 rows=[("customers", {}, 2), ("customers", {"owner": "alice"}, 2)]),
    "report refused": Case(["report", "--funnel", "software", "--from", "someday"]),
    "funnel apply": Case(["funnel", "apply", "next.json", "--as", "consultant"], prepare=new_version,
                         rows=[("funnel_versions", {"id": 2}, 1), ("funnel_versions", {}, 2)]),
    "activities plan": Case(["activities", "plan", "--as", "alice", "--type", "visit", "--deal", "1",
                             "--due", "2030-03-02 09:30"], rows=[("activities", {"status": "planned"}, 1)]),
    "activities plan refused": Case(["activities", "plan", "--as", "alice", "--type", "visit", "--deal", "1",
                                     "--due", "2030-03-02 09:30", "--contact", "1"],
                                    rows=[("activities", {}, 0)]),  # there is no contact 1
    "activities log": Case(["activities", "log", "--as", "alice", "--type", "call", "--deal", "2",
                            "--duration", "15", "--outcome", "Called back"],
                           rows=[("activities", {"type": "call", "deal_id": 2}, 1)]),
    "activities log refused": Case(["activities", "log", "--as", "alice", "--type", "parade", "--deal", "1"],
                                   rows=[("activities", {}, 0)]),
    "activities list": Case(["activities", "list", "--as", "alice", "--deal", "1"]),
}

MOMENTS = re.compile(r"\d{4}-\d\d-\d\d[T ][\d:.]+(Z|[+-]\d\d:\d\d)?|gs_[\w-]{43}"
                     r'|(?:(?<="median": )|(?<="mean": )|(?<="max": ))[-\d.e+]+')


def same(text: str, folder: Path) -> str:
    """The output with what differs between two workspaces made alike blanked out: their
    folders, moments, ages and tokens."""
    return MOMENTS.sub("…", text.replace(str(folder), "WORKSPACE"))


def goldsieve(cwd: Path, folder: Path, case: Case) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, *case.argv, "-w", str(folder)], cwd=cwd, input=case.stdin,
                          capture_output=True, text=True, timeout=120)


def serving(folder: Path) -> Server:
    """`goldsieve serve` on ``folder``, once it answers."""
    server = Server("serve", "-w", str(folder), "--port", "0")
    try:
        server.port = int(server.line(SERVING).group(2))
        assert health(server.port)["status"] == "ok"
    except BaseException:
        server.__exit__()
        raise
    return server


def stopped(server: Server, folder: Path) -> str:
    """Stop the server with SIGINT; it exits at once, cleanly, and takes its socket along."""
    assert server.stop(signal.SIGINT) == 0
    assert not (folder / "data" / "cli.sock").exists()
    errors = server.process.stderr.read()
    assert "Traceback" not in errors
    return errors


@pytest.mark.parametrize("name", CASES)
def test_a_command_says_and_writes_the_same_with_the_server_stopped_or_serving(tmp_path, name):
    case, results = CASES[name], {}
    for way in ("stopped", "serving"):
        folder, cwd = make_workspace(tmp_path / way / "acme"), tmp_path / way / "cwd"
        cwd.mkdir()
        case.prepare(cwd, folder)
        if way == "stopped":
            result = goldsieve(cwd, folder, case)
        else:
            with serving(folder) as server:
                result = goldsieve(cwd, folder, case)
                assert (folder / "data" / "cli.sock").exists(), "it went through the server"
                stopped(server, folder)
        written = (cwd / case.output).read_text("utf-8") if case.output else ""
        results[way] = (result.returncode, same(result.stdout, folder), same(result.stderr, folder),
                        same(written, folder))
        for table, where, expected in case.rows:
            assert count(folder, table, **where) == expected, (way, table, where)
    assert results["serving"] == results["stopped"]
    code, out, err, written = results["serving"]
    assert (code == 0) == ("refused" not in name), (out, err)
    assert out or err or written, "it said something"
    assert str(tmp_path) not in out + err, "a path given relative is said as given"
    if "Chinese" in name:
        assert "bad.csv:2: 邮箱: “not-an-email” 不是電子郵件地址" in err  # the template's only Chinese title


def test_command_line_rebuilds_what_click_checked_with_absolute_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.csv").write_text(CSV, "utf-8")
    command = cli.commands["import"]
    ctx = command.make_context("import", ["in.csv", "-w", "elsewhere", "--funnel", "software",
                                          "--map", "a=b", "--map", "c=d", "--dry-run"])
    assert command_line(ctx) == ["--funnel", "software", "--map", "a=b", "--map", "c=d",
                                 "--dry-run", "--", str(tmp_path / "in.csv")]
    users_set = cli.commands["users"].commands["set"]
    ctx = users_set.make_context("set", ["--inactive", "--", "-dash"])
    assert command_line(ctx) == ["--inactive", "--", "-dash"]
    export = cli.commands["export"]
    assert command_line(export.make_context("export", ["-o", "out.csv"]))[-2:] == [
        str(tmp_path / "out.csv"), "--"]
    assert not (tmp_path / "out.csv").exists(), "nothing was written by the calling process"


def api(port: int, token: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.load(answer)


def test_forwarded_commands_and_requests_at_once_write_everything_once(tmp_path):
    folder = make_workspace(tmp_path / "acme")
    with serving(folder) as server:
        token = subprocess.run([EXE, "users", "token", "alice", "-w", str(folder)],
                               capture_output=True, text=True, timeout=60).stdout.strip()
        failures: list[BaseException] = []

        def create(worker: int) -> None:
            try:
                for n in range(15):
                    api(server.port, token, "/api/v1/deals",
                        {"funnel": "software", "title": f"w{worker}-{n}", "data": {"company": "X"}})
            except BaseException as error:  # noqa: BLE001 (handed to the test's thread)
                failures.append(error)

        writers = [threading.Thread(target=create, args=(w,)) for w in range(3)]
        for writer in writers:
            writer.start()
        added = [subprocess.run([EXE, "users", "add", f"user{i}", "--role", "rep", "-w", str(folder)],
                                input=TEST_PASSWORD + "\n", capture_output=True, text=True, timeout=60)
                 for i in range(4)]
        for writer in writers:
            writer.join()
        assert not failures
        assert [(r.returncode, r.stdout) for r in added] == [(0, f"Added user{i} (rep).\n") for i in range(4)]
        stopped(server, folder)
    assert count(folder, "deals") == 2 + 3 * 15
    assert [count(folder, "users", username=f"user{i}") for i in range(4)] == [1] * 4
    with open_runtime(Workspace.load(folder)) as runtime:
        ids = [deal["id"] for deal in runtime.store.find("deals")]
        assert len(set(ids)) == len(ids) == 47


def test_commands_a_server_does_not_run_are_refused_in_one_line(tmp_path):
    folder = make_workspace(tmp_path / "acme")
    with serving(folder) as server:
        result = subprocess.run([EXE, "worker", "--once", "-w", str(folder)],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 1 and result.stdout == ""
        assert result.stderr.startswith(f"Error: the store in {folder / 'data'} is in use by "
                                        f"process {server.process.pid}")
        assert result.stderr.count("\n") == 1
        # the server itself refuses a command line naming a command it does not run
        assert exchange(folder, {"command": ["serve"], "argv": ["--port", "0"], "stdin": "",
                                 "tty": {"stdout": False, "stderr": False}}) == [
            (b"e", b"Error: a running server does not carry out goldsieve serve\n"), (b"x", b"1")]
        stopped(server, folder)


def exchange(folder: Path, request: dict | None = None, raw: bytes | None = None) -> list[tuple[bytes, bytes]]:
    """Send one request on the socket; the frames that come back until it closes."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(60)
        sock.connect(str(folder / "data" / "cli.sock"))
        payload = json.dumps(request).encode() if request is not None else b""
        sock.sendall(raw if raw is not None else struct.pack(">cI", b"r", len(payload)) + payload)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    frames = []
    while received:
        kind, size = struct.unpack(">cI", received[:5])
        frames.append((kind, received[5:5 + size]))
        received = received[5 + size:]
    return frames


def test_the_socket_is_this_users_bounded_and_replaced_after_a_crash(tmp_path):
    folder = make_workspace(tmp_path / "acme")
    sock = folder / "data" / "cli.sock"
    with serving(folder) as server:
        assert sock.stat().st_mode & 0o777 == 0o600
        too_big = struct.pack(">cI", b"r", (1 << 20) + 1)
        assert exchange(folder, raw=too_big) == [], "closed without running anything"
        assert exchange(folder, raw=struct.pack(">cI", b"r", 2) + b"[]") == []
        server.process.kill()
        server.process.wait(timeout=60)
    assert sock.exists(), "a killed server leaves its socket"
    with serving(folder) as server:
        user = Case(["users", "add", "carol", "--role", "rep"], TEST_PASSWORD + "\n")
        result = goldsieve(tmp_path, folder, user)
        assert (result.returncode, result.stdout) == (0, "Added carol (rep).\n")
        stopped(server, folder)
    assert count(folder, "users") == 2


@pytest.mark.skipif(os.getuid() != 0, reason="needs root, to connect as another user")
def test_another_user_is_refused_even_where_the_socket_lets_them_connect(request):
    outside = Path(tempfile.mkdtemp(prefix="goldsieve-peer-"))  # a folder everyone may pass
    request.addfinalizer(lambda: shutil.rmtree(outside))
    os.chmod(outside, 0o755)
    folder = make_workspace(outside / "acme")
    with serving(folder) as server:
        os.chmod(folder / "data" / "cli.sock", 0o666)
        probe = (f"import socket, struct, json\n"
                 f"s = socket.socket(socket.AF_UNIX)\n"
                 f"s.connect({str(folder / 'data' / 'cli.sock')!r})\n"
                 "p = json.dumps({'command': ['users', 'list'], 'argv': [], 'stdin': '', "
                 "'tty': {'stdout': False, 'stderr': False}}).encode()\n"
                 "try:\n"
                 "    s.sendall(struct.pack('>cI', b'r', len(p)) + p)\n"
                 "    print(s.recv(100) or 'closed')\n"
                 "except ConnectionError:\n"
                 "    print('closed')\n")
        result = subprocess.run(["/usr/bin/python3", "-c", probe], capture_output=True, text=True,
                                timeout=60, preexec_fn=lambda: os.setuid(65534))
        assert result.stdout == "closed\n", result.stderr
        assert "refused a command line from user id 65534" in stopped(server, folder)


def test_a_data_folder_others_may_change_gets_no_socket(tmp_path):
    folder = make_workspace(tmp_path / "acme")
    os.chmod(folder / "data", 0o777)
    with serving(folder) as server:
        assert not (folder / "data" / "cli.sock").exists()
        result = goldsieve(tmp_path, folder, Case(["users", "list"]))
        assert result.returncode == 1 and "is in use by process" in result.stderr
        assert "chmod go-w" in stopped(server, folder)


def test_sigint_under_load_stops_within_seconds_and_keeps_every_acknowledged_write(tmp_path):
    folder = make_workspace(tmp_path / "acme")
    created: list[int] = []
    with serving(folder) as server:
        token = subprocess.run([EXE, "users", "token", "alice", "-w", str(folder)],
                               capture_output=True, text=True, timeout=60).stdout.strip()
        busy = threading.Event()

        def create() -> None:
            while server.process.poll() is None:
                try:
                    deal = api(server.port, token, "/api/v1/deals",
                               {"funnel": "software", "title": "load", "data": {"company": "X"}})
                except OSError:
                    continue  # the server is going: refused or cut off, not acknowledged
                created.append(deal["id"])
                if len(created) >= 20:
                    busy.set()

        writers = [threading.Thread(target=create) for _ in range(8)]
        for writer in writers:
            writer.start()
        assert busy.wait(120), "the writers got going"
        reader = subprocess.Popen([EXE, "users", "list", "-w", str(folder)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(timeout=20) == 0, "stopped within 20 s of SIGINT"
        for writer in writers:
            writer.join()
        assert reader.wait(timeout=60) in (0, 1), "said by the server, or refused in one line"
        assert "Traceback" not in reader.stderr.read()
    assert not (folder / "data" / "cli.sock").exists()
    with open_runtime(Workspace.load(folder)) as runtime:
        stored = {deal["id"] for deal in runtime.store.find("deals")}
    assert set(created) <= stored and len(stored) >= 2 + 20


def on_terminal(argv: list[str], answers: dict[bytes, bytes]) -> tuple[int, str]:
    """Run ``goldsieve ARGV`` on a terminal of its own, typing each answer once its prompt
    shows; what the terminal showed, and the exit status."""
    screen, terminal = pty.openpty()
    process = subprocess.Popen([EXE, *argv], stdin=terminal, stdout=terminal, stderr=terminal)
    os.close(terminal)
    shown, waiting = b"", list(answers)
    try:
        while True:
            ready, _, _ = select.select([screen], [], [], 60)
            assert ready, f"nothing more on the terminal; it shows {shown!r}"
            try:
                chunk = os.read(screen, 1024)
            except OSError:  # Linux: EIO once the command closed the terminal
                chunk = b""
            if not chunk:
                break
            shown += chunk
            if waiting and shown.endswith(waiting[0]):
                os.write(screen, answers[waiting.pop(0)])
    finally:
        os.close(screen)
    return process.wait(timeout=60), shown.decode()


def test_on_a_terminal_the_password_is_asked_here_and_the_token_told_in_a_sentence(tmp_path):
    folder = make_workspace(tmp_path / "acme")
    typed = TEST_PASSWORD.encode() + b"\n"
    with serving(folder) as server:
        code, shown = on_terminal(["users", "add", "dave", "--role", "rep", "-w", str(folder)],
                                  {b"Password: ": typed, b"Repeat for confirmation: ": typed})
        assert code == 0 and shown.endswith("Added dave (rep).\r\n"), shown
        assert TEST_PASSWORD not in shown, "not echoed"
        code, shown = on_terminal(["users", "token", "dave", "--days", "30", "-w", str(folder)], {})
        assert code == 0
        assert re.fullmatch(r"API token for dave \(valid for 30 days\): gs_[\w-]{43}\r\n", shown)
        stopped(server, folder)
    assert count(folder, "users", username="dave") == 1 and count(folder, "tokens") == 1


def test_a_workspace_deep_enough_for_a_socket_address_too_long_still_takes_commands(tmp_path):
    folder = make_workspace(tmp_path / ("deep-folder-" * 8) / "acme")
    assert len(str(folder / "data" / "cli.sock")) > 108, "longer than a socket address may be"
    with serving(folder) as server:
        result = goldsieve(tmp_path, folder, Case(["users", "list"]))
        assert result.returncode == 0 and result.stdout.splitlines()[1].startswith("alice "), result.stderr
        stopped(server, folder)


def test_each_forwarded_command_sends_only_the_input_it_read(tmp_path):
    """Two commands in one process (as in a test harness): each sends its own password."""
    folder = make_workspace(tmp_path / "acme")
    passwords = {"erin": "first-long-passphrase", "finn": "second-long-passphrase"}
    with serving(folder) as server:
        for name, password in passwords.items():
            result = CliRunner().invoke(cli, ["users", "add", name, "--role", "rep", "-w", str(folder)],
                                        input=f"{password}\n")
            assert (result.exit_code, result.output) == (0, f"Added {name} (rep).\n")
        stopped(server, folder)
    with open_runtime(Workspace.load(folder)) as runtime:
        assert all(authenticate(runtime.store, n, p) for n, p in passwords.items())


#: The commands a running server does not carry out, and why: each either needs no store, or is
#: the store's owner itself.
LOCAL = {"channels list": "reads goldsieve.toml only", "channels test": "sends from this process",
         "check": "reads files only", "plugins": "no store", "templates": "no store",
         "init": "makes a new workspace", "demo": "makes a new workspace", "serve": "the owner",
         "worker": "an owner", "store copy": "reads the store whole, with the server stopped",
         "plugin new": "writes a package, no workspace"}


def leaf_commands(group: click.Group, path: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from leaf_commands(command, (*path, name))
        else:
            yield " ".join((*path, name)), command


def test_every_command_is_forwarded_or_local_for_a_stated_reason():
    commands = dict(leaf_commands(cli))
    unclassified = [name for name, command in commands.items()
                    if not getattr(command, "forwarded", False) and name not in LOCAL]
    assert unclassified == [], "mark them @forwarded, or say in LOCAL why a server must not run them"
    assert set(LOCAL) <= set(commands)
    assert not any(getattr(commands[name], "forwarded", False) for name in LOCAL)

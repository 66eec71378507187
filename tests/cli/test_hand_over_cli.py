"""`goldsieve users hand-over NAME --to USER [--dry-run]`: everything of a leaver in one command,
and bad input refused in one line with a non-zero exit and nothing written."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from goldsieve.cli import cli
from goldsieve.people.users import add_user, find_user
from goldsieve.runtime import open_runtime
from goldsieve.store.filters import Eq
from goldsieve.testing import TEST_PASSWORD
from goldsieve.workspace import Workspace


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def workspace(tmp_path) -> Path:
    folder = tmp_path / "acme"
    assert run("init", "--template", "software", str(folder)).exit_code == 0
    with open_runtime(Workspace.load(folder)) as rt:
        for name, role in (("boss", "admin"), ("lea", "rep"), ("ned", "rep")):
            add_user(rt.store, name, role, TEST_PASSWORD)
        lea = find_user(rt.store, "lea")
        for title in ("One", "Two", "Closed"):
            rt.engine.create(lea, "software", title, {"company": "Acme"})
        closed = rt.store.find("deals", Eq("title", "Closed"))[0]
        with rt.store.transaction() as txn:
            txn.replace("deals", {**closed, "status": "lost", "stage": "lost"})
        rt.customers.create(lea, "Ruijin")
    return folder


def owners(folder: Path) -> dict[str, str]:
    with open_runtime(Workspace.load(folder)) as rt:
        found = {d["title"]: d["owner"] for d in rt.store.find("deals")}
        found.update({c["name"]: c["owner"] for c in rt.store.find("customers")})
        found["audit"] = str(rt.store.count("audit"))
    return found


def test_a_dry_run_says_what_would_move_and_the_real_one_moves_it(workspace):
    before = owners(workspace)
    dry = run("users", "hand-over", "lea", "--to", "ned", "--dry-run", "-w", str(workspace))
    assert dry.exit_code == 0, dry.output
    assert dry.stdout == "lea → ned: would move 2 open deals, 1 customers, 0 open tasks.\n"
    chinese = run("--lang", "zh-Hans", "users", "hand-over", "lea", "--to", "ned", "--dry-run", "-w", str(workspace))
    assert chinese.stdout == "lea → ned：将移交 2 个进行中的商机、1 个客户、0 个未完成任务。\n"
    assert owners(workspace) == before
    done = run("users", "hand-over", "lea", "--to", "ned", "-w", str(workspace))
    assert done.exit_code == 0, done.output + done.stderr
    assert done.stdout == "lea → ned: moved 2 open deals, 1 customers, 0 open tasks.\n"
    after = owners(workspace)
    assert (after["One"], after["Two"], after["Ruijin"], after["Closed"]) == ("ned", "ned", "ned", "lea")
    with open_runtime(Workspace.load(workspace)) as rt:
        summary = [a for a in rt.store.find("audit") if a["action"] == "user_handed_over"]
        assert [(a["by"], a["target"]["id"]) for a in summary] == [("boss", "lea")]


@pytest.mark.parametrize(("args", "message"), [
    (("ghost", "--to", "ned"), "Error: from: There is no user “ghost”.\n"),
    (("lea", "--to", "ghost"), "Error: to: There is no user “ghost”.\n"),
    (("lea", "--to", "lea"), "Error: to: Hand over to another user.\n"),
    (("lea", "--to", "ned", "--as", "ned"), "Error: ned may not hand over what a user has: only an admin may.\n"),
    (("lea", "--to", "ned", "--as", "nobody"), "Error: there is no user “nobody”\n"),
])
def test_bad_input_is_one_line_a_non_zero_exit_and_nothing_written(workspace, args, message):
    before = owners(workspace)
    result = run("users", "hand-over", *args, "-w", str(workspace))
    assert (result.exit_code, result.stderr) == (1, message)
    assert owners(workspace) == before

"""Several `goldsieve worker` processes sharing one PostgreSQL outbox: every delivery reaches
the receiver once, and a worker killed mid-delivery leaves its rows to the other after the
lease. Real subprocesses, a real HTTP receiver on 127.0.0.1, bounded in rows and seconds."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Callable, Iterator

import pytest
from click.testing import CliRunner

from goldsieve.cli import cli
from goldsieve.clock import stamp
from goldsieve.deals.outbox import DONE, PENDING, new_row
from goldsieve.people.users import add_user
from goldsieve.runtime import Runtime, open_runtime
from goldsieve.store.filters import Eq
from goldsieve.testing import TEST_PASSWORD
from goldsieve.testing.postgres import scratch_schema, server_url
from goldsieve.workspace import Workspace, set_store_url

from tests.web.test_processes import EXE, needs_postgres

try:
    from tests.automation.receiver import receiver  # noqa: F401  (a fixture)
except ImportError:
    from receiver import receiver  # noqa: F401

SECRET = "worker-test-secret"


@pytest.fixture
def outbox(tmp_path, receiver) -> Iterator[tuple[Path, Runtime, Callable[[int], list[str]]]]:
    """A workspace on a PostgreSQL schema of its own with a webhook channel to the receiver;
    yields (folder, runtime, owe) where ``owe(n)`` writes n pending webhook deliveries for one
    deal, in one transaction, and returns their idempotency keys."""
    folder = tmp_path / "acme"
    assert CliRunner().invoke(cli, ["init", "--template", "software", str(folder)]).exit_code == 0
    with (folder / "goldsieve.toml").open("a", encoding="utf-8") as config:
        config.write(f'\n[channels.ops]\ntype = "webhook"\nurl = "{receiver.url("/hook")}"\n'
                     f'secret = "{SECRET}"\n')
    with scratch_schema(server_url()) as url:
        with open_runtime(set_store_url(Workspace.load(folder), url), entry_points=False) as rt:
            add_user(rt.store, "admin", "admin", TEST_PASSWORD)
            admin = rt.store.find("users", Eq("username", "admin"))[0]
            deal = rt.engine.create(admin, "software", "Acme", {"company": "Acme"})

            def owe(n: int) -> list[str]:
                at = stamp(rt.engine.clock())
                rows = [new_row(key=f"load.{i}", action="webhook", params={"channel": "ops"},
                                deal=deal, at=at, trigger="won") for i in range(n)]
                with rt.store.transaction() as txn:
                    for row in rows:
                        txn.insert("outbox", row)
                return [row["key"] for row in rows]

            yield folder, rt, owe


def start_worker(folder: Path, lease: float) -> subprocess.Popen:
    """A `goldsieve worker` process, returned once it says it is running."""
    log = open(folder / f"worker-{time.monotonic_ns()}.log", "w+")  # never a pipe nobody reads
    process = subprocess.Popen([EXE, "worker", "-w", str(folder), "--interval", "0.2",
                                "--lease", str(lease)], stdout=log, stderr=subprocess.STDOUT,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 30
    while "is running" not in Path(log.name).read_text():
        assert process.poll() is None and time.monotonic() < deadline, Path(log.name).read_text()
        time.sleep(0.1)
    return process


def stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_done(rt: Runtime, total: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while rt.store.count("outbox", Eq("status", DONE)) < total:
        assert time.monotonic() < deadline, \
            f"{rt.store.count('outbox', Eq('status', DONE))} of {total} delivered in {seconds} s"
        time.sleep(0.2)


def received(receiver) -> Counter[str]:
    return Counter(c.headers["X-Goldsieve-Delivery"] for c in receiver.captured)


@needs_postgres
def test_two_workers_deliver_a_thousand_rows_each_exactly_once(outbox, receiver):
    folder, rt, owe = outbox
    workers = [start_worker(folder, lease=60) for _ in range(2)]
    try:
        keys = owe(1000)
        wait_until_done(rt, 1000, seconds=45)
    finally:
        stop(*workers)
    assert received(receiver) == Counter(keys), "each idempotency key reached the receiver once"
    rows = rt.store.find("outbox")
    assert {row["status"] for row in rows} == {DONE} and {row["attempts"] for row in rows} == {1}
    by_worker = Counter(row["lease_owner"] for row in rows)
    assert {name.rsplit(":", 1)[1] for name in by_worker} == {str(w.pid) for w in workers}, \
        f"both workers took a share: {by_worker}"


@needs_postgres
def test_a_killed_workers_rows_are_delivered_by_the_other_after_its_lease(outbox, receiver):
    folder, rt, owe = outbox
    receiver.stall = 30.0  # the first request hangs: the worker is killed in the middle of it
    first = start_worker(folder, lease=2)
    try:
        keys = owe(20)
        deadline = time.monotonic() + 20
        while not receiver.captured:
            assert time.monotonic() < deadline, "the first worker never began delivering"
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        stop(first)
    leased = rt.store.find("outbox")
    assert {row["lease_owner"].rsplit(":", 1)[1] for row in leased} == {str(first.pid)}, \
        "the killed worker had claimed every row"
    assert {row["status"] for row in leased} == {PENDING}
    lease_ends = max(row["lease_until"] for row in leased)
    receiver.stall = 0.0
    receiver.release.set()  # let the dead worker's request go
    second = start_worker(folder, lease=2)
    try:
        wait_until_done(rt, 20, seconds=20)
    finally:
        stop(second)
    rows = rt.store.find("outbox")
    assert {row["lease_owner"].rsplit(":", 1)[1] for row in rows} == {str(second.pid)}
    assert all(row["done_at"] >= lease_ends for row in rows), "nothing was taken before the lease ended"
    got = received(receiver)
    assert set(got) == set(keys) and sorted(got.values()) == [1] * 19 + [2], \
        "the cut-off delivery came again with its key; every other came once"


def test_a_lease_below_one_second_is_refused_before_the_store_opens(tmp_path):
    folder = tmp_path / "acme"
    assert CliRunner().invoke(cli, ["init", "--template", "software", str(folder)]).exit_code == 0
    before = sorted(p.name for p in (folder / "data").iterdir())
    result = CliRunner().invoke(cli, ["worker", "-w", str(folder), "--once", "--lease", "0.5"])
    assert result.exit_code == 2 and "--lease" in result.output and "enter a number from 1 to 86400" in result.output
    assert sorted(p.name for p in (folder / "data").iterdir()) == before, "nothing was written"

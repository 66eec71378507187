"""The weekly digest end to end: a workspace whose ``[digest]`` names a signed webhook channel,
the background worker ``goldsieve serve`` runs, on the real clock, and an HTTP receiver on
127.0.0.1. The receiver gets each manager's digest once, signed, across rounds and a restart; a
receiver that keeps failing gets it ``max_attempts`` times under one key, then it is dead."""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timezone

import pytest

from goldsieve.automation.digest import week_label
from goldsieve.automation.worker import Worker
from goldsieve.deals.outbox import DEAD
from goldsieve.people.teams import add_team
from goldsieve.people.users import add_user
from goldsieve.runtime import open_runtime
from goldsieve.testing import TEST_PASSWORD
from goldsieve.workspace import Workspace
from tests.automation.receiver import receiver  # noqa: F401  (the fixture)
from tests.automation.test_dispatch import wait_for

SECRET = "a-shared-digest-secret"


@pytest.fixture
def workspace(goldsieve_workspace, receiver):  # noqa: F811
    """Due from 00:00 UTC today, so the worker's first scan sends it; mia leads east."""
    config = goldsieve_workspace.path / "goldsieve.toml"
    today = datetime.now(timezone.utc).isoweekday()
    config.write_text(config.read_text() + f'\n[channels.east_room]\ntype = "webhook"\n'
                      f'url = "{receiver.url("/east")}"\nsecret = "{SECRET}"\n\n'
                      f'[digest]\nweekday = {today}\nhour = 0\n\n[digest.teams]\neast = "east_room"\n')
    with open_runtime(Workspace.load(goldsieve_workspace.path), entry_points=False) as rt:
        add_user(rt.store, "mia", "manager", TEST_PASSWORD)
        add_team(rt.store, "east", manager="mia")
        add_user(rt.store, "rita", "rep", TEST_PASSWORD, team="east")
    return Workspace.load(goldsieve_workspace.path)


def running(workspace, **dispatcher):
    rt = open_runtime(workspace, entry_points=False)  # the real clock
    for name, value in dispatcher.items():
        setattr(rt.dispatcher, name, value)
    return rt, Worker(rt, interval=0.2, scan_interval=0.3).start()


def stop(rt, worker):
    worker.stop()
    rt.close()


def test_the_worker_delivers_the_digest_once_signed(workspace, receiver):  # noqa: F811
    week = week_label(datetime.now(timezone.utc))
    rt, worker = running(workspace)
    try:
        wait_for(lambda: receiver.captured)
        seen = worker.scans
        wait_for(lambda: worker.scans >= seen + 3)  # three more rounds, each scanning again
    finally:
        stop(rt, worker)
    rt, worker = running(workspace)  # a restart
    try:
        wait_for(lambda: worker.scans >= 3)
        [row] = rt.store.find("outbox")
    finally:
        stop(rt, worker)
    request = receiver.last
    expected = hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.path == "/east" and request.headers["X-Goldsieve-Signature"] == f"sha256={expected}"
    assert request.headers["X-Goldsieve-Delivery"] == f"digest:mia:{week}"
    body = request.json
    assert (body["event"], body["deal"], body["mentions"]) == ("digest", None, ["mia"])
    assert body["text"].startswith(f"Weekly digest {week} (") and "Stale deals: 0" in body["text"]
    assert (row["status"], row["attempts"], row["key"]) == ("done", 1, f"digest:mia:{week}")


def test_a_failing_receiver_is_retried_with_backoff_then_dead(workspace, receiver):  # noqa: F811
    receiver.default = (503, b"busy", {})
    rt, worker = running(workspace, max_attempts=3, base_delay=0.2, max_delay=1.0, jitter=lambda: 1.0)
    try:
        wait_for(lambda: rt.store.find("outbox") and rt.store.find("outbox")[0]["status"] == DEAD)
        [row] = rt.store.find("outbox")
        seen = worker.rounds
        wait_for(lambda: worker.rounds >= seen + 3)  # dead: no further attempt in three rounds
    finally:
        stop(rt, worker)
    assert row["attempts"] == 3 and "HTTP 503: busy" in row["last_error"]
    assert len(receiver.captured) == 3 and len({r.headers["X-Goldsieve-Delivery"] for r in receiver.captured}) == 1
    stamps = [r.arrived for r in receiver.captured]
    assert stamps[1] - stamps[0] >= 0.2 and stamps[2] - stamps[1] >= 0.4  # waits doubling

"""Automation end to end (issue 5, "Done when"): a funnel written here, a real `webhook` channel
from goldsieve.toml, the background worker thread `goldsieve serve` runs, and an HTTP receiver on
127.0.0.1. Entering negotiation must reach the manager's inbox and the receiver, signed, within
seconds; a receiver that fails three times still gets the message under one idempotency key."""
from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from goldsieve.automation.worker import Worker
from goldsieve.people.teams import add_team
from goldsieve.people.users import add_user
from goldsieve.runtime import open_runtime
from goldsieve.store import Conflict
from goldsieve.store.filters import Eq, all_of
from goldsieve.testing import TEST_PASSWORD
from goldsieve.workspace import Workspace

from tests.conftest import load_funnel
from tests.automation.receiver import receiver  # noqa: F401  (the fixture)

SECRET = "a-shared-webhook-secret"


@pytest.fixture
def goldsieve_funnel():
    """A funnel no other test uses: its own id and stage titles, one rule on negotiation."""
    funnel = load_funnel("design_example")
    funnel["id"], funnel["title"] = "wholesale", {"en": "Wholesale"}
    funnel["automations"] = [
        {"id": "tell-manager", "on": "stage_entered", "stage": "negotiation",
         "do": [{"action": "notify", "to": "manager", "message": "{title} is in {stage}"},
                {"action": "webhook", "channel": "ops", "message": "{title} is in {stage}"}]}]
    return funnel


@pytest.fixture
def runtime(goldsieve_workspace, receiver):  # noqa: F811
    config = goldsieve_workspace.path / "goldsieve.toml"
    config.write_text(config.read_text() + f'\n[channels.ops]\ntype = "webhook"\n'
                      f'url = "{receiver.url()}"\nsecret = "{SECRET}"\n')
    rt = open_runtime(Workspace.load(goldsieve_workspace.path), entry_points=False)  # the real clock
    add_user(rt.store, "mia", "manager", TEST_PASSWORD)
    add_team(rt.store, "east", manager="mia")
    add_user(rt.store, "rita", "rep", TEST_PASSWORD, team="east")
    worker = Worker(rt, interval=0.2, scan_interval=3600).start()
    yield rt
    worker.stop()
    rt.close()


def to_negotiation(rt):
    rep = rt.store.find("users", Eq("username", "rita"))[0]
    deal = rt.engine.create(rep, "wholesale", "Corner shops", {"company": "Acme"})
    for stage in ("qualified", "quote", "negotiation"):
        deal = rt.engine.move(rep, deal["id"], stage,
                              {"needs_survey": "shelf plan", "amount": 80_000})
    return deal


def wait_for(condition, seconds: float = 5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("not within %s s" % seconds)


def test_entering_negotiation_reaches_the_inbox_and_a_signed_webhook_within_seconds(runtime, receiver):  # noqa: F811
    started = time.monotonic()
    deal = to_negotiation(runtime)
    about_deal = all_of(Eq("user", "mia"), Eq("deal_id", deal["id"]))  # not her weekly digest
    wait_for(lambda: receiver.captured and runtime.store.count("notifications", about_deal))
    assert time.monotonic() - started < 5
    [note] = runtime.store.find("notifications", about_deal)
    assert note["deal_id"] == deal["id"] and note["text"] == "Corner shops is in Negotiation"
    request = receiver.last
    expected = hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Goldsieve-Signature"] == f"sha256={expected}"
    body = json.loads(request.body)
    assert (body["event"], body["funnel"], body["deal"]["id"]) == ("stage_entered", "wholesale", deal["id"])
    assert runtime.store.get("deals", deal["id"])["stage"] == "negotiation"


def test_a_receiver_failing_three_times_gets_one_message_and_the_move_stays(runtime, receiver):  # noqa: F811
    for _ in range(3):
        receiver.reply(503, b"busy")
    runtime.dispatcher.jitter = lambda: 0.0
    deal = to_negotiation(runtime)
    # the retries wait with backoff; bring each due time forward instead of sleeping through it
    deadline = time.monotonic() + 10
    while len(receiver.captured) < 4 and time.monotonic() < deadline:
        for row in runtime.store.find("outbox", Eq("action", "webhook")):
            if row["status"] == "pending" and not row["lease_owner"]:
                try:
                    with runtime.store.transaction() as txn:
                        txn.replace("outbox", {**row, "due": "1970-01-01T00:00:00Z",
                                               "version": row["version"] + 1},
                                    expect_version=row["version"])
                except Conflict:
                    pass  # the worker took it meanwhile
        runtime.engine.on_outbox()
        time.sleep(0.1)
    wait_for(lambda: runtime.store.find("outbox", Eq("action", "webhook"))[0]["status"] == "done")
    keys = {r.headers["X-Goldsieve-Delivery"] for r in receiver.captured}
    assert len(receiver.captured) == 4 and len(keys) == 1  # three refusals, one success, one key
    assert runtime.store.get("deals", deal["id"])["stage"] == "negotiation"

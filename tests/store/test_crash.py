"""Acknowledged writes survive ``kill -9``: a child process writes and acknowledges each
committed transaction; the parent kills it at a random moment, reopens the store and checks
every acknowledged write. The rounds share one data folder, so each starts from what the
previous crash left (including torn journal tails and interrupted compactions). Events go to a file of their own,
with an index beside it: they are checked by id and through that index."""
from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from goldsieve.store import In, TinyStore
from goldsieve.store.tinydb import events, journal

CHILD = Path(__file__).with_name("crash_child.py")
ROUNDS = 25
COMPACT_BYTES = 16 * 1024  # small, so that kills also land in and around compactions


class Acks:
    def __init__(self):
        self.versions: dict[int, int] = {}
        self.deleted: set[int] = set()
        self.maybe_deleted: set[int] = set()
        self.events: dict[int, int] = {}  # event id -> deal id

    def take(self, line: bytes) -> None:
        assert line.endswith(b"\n"), f"child stopped mid-line: {line!r}"
        kind, *fields = line.decode().split()
        id = int(fields[0])
        if kind == "event":
            self.events[id] = int(fields[1])
            return
        if kind == "deleting":
            self.maybe_deleted.add(id)
            return
        if kind == "del":
            self.deleted.add(id)
            self.versions.pop(id, None)  # may be a write the previous child never got to ack
            return
        version = int(fields[1])
        assert kind == "ack"
        if version == 1:
            assert id not in self.versions and id not in self.deleted, f"id {id} handed out twice"
        self.versions[id] = version

    def check(self, store) -> None:
        for id, version in self.versions.items():
            doc = store.get("deals", id)
            if doc is None and id in self.maybe_deleted:
                continue  # deleted by a commit the child did not live to acknowledge
            assert doc is not None, f"acknowledged deal {id} is lost"
            assert doc["version"] >= version, f"deal {id} is at {doc['version']}, acked {version}"
        for id in self.deleted:
            assert store.get("deals", id) is None, f"acknowledged delete of {id} is lost"
        for id, deal_id in self.events.items():
            event = store.get("events", id)
            assert event is not None and event["deal_id"] == deal_id, f"acknowledged event {id} is lost"
        found = store.find("events", In("deal_id", tuple(set(self.events.values()))))
        by_index = {event["id"]: event["deal_id"] for event in found}
        assert self.events.items() <= by_index.items(), "the events' index lost an acknowledged event"


def run_round(folder: Path, rng: random.Random, acks: Acks) -> int:
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(folder), str(rng.randrange(2**32)), str(COMPACT_BYTES)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    watchdog = threading.Timer(30, child.kill)
    watchdog.start()
    try:
        ready = child.stdout.readline()
        assert ready == b"ready\n", child.stderr.read().decode()
        taken = 0
        for _ in range(rng.randint(0, 120)):
            line = child.stdout.readline()
            if not line:
                pytest.fail(f"the child died by itself:\n{child.stderr.read().decode()}")
            acks.take(line)
            taken += 1
        if rng.random() < 0.5:
            time.sleep(rng.uniform(0, 0.01))  # a kill between acknowledgements, too
        child.send_signal(signal.SIGKILL)
        rest = child.stdout.read()  # acknowledged before it died: promised as well
        child.wait()
    finally:
        watchdog.cancel()
        child.stdout.close()
        child.stderr.close()
    *complete, partial = rest.split(b"\n")
    for line in complete:
        acks.take(line + b"\n")
    return taken + len(complete)


@pytest.mark.slow
def test_acknowledged_writes_survive_kill_9(tmp_path):
    rng = random.Random(1234)
    folder = tmp_path / "data"
    acks = Acks()
    total = 0
    started = time.monotonic()
    for _ in range(ROUNDS):
        total += run_round(folder, rng, acks)
        with TinyStore(folder) as store:  # opens cleanly, or raises
            acks.check(store)
    assert total > ROUNDS * 20, "the children barely wrote anything"
    assert (folder / journal.SNAPSHOT).exists(), "no round got as far as a compaction"
    assert (folder / events.EVENTS_INDEX).exists(), "no compaction wrote the events' index"
    assert acks.events, "the children wrote no event"
    assert time.monotonic() - started < 60

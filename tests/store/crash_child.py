"""Run by test_crash.py: write to the store forever and acknowledge each committed write.

Usage: ``python crash_child.py FOLDER SEED COMPACT_BYTES``. Prints ``ready`` once the store is
open, then after every committed transaction one line per write: ``ack <id> <version>`` for an
insert or replace, ``event <id> <deal id>`` for an event (each insert writes one, to the events'
own file), ``del <id>`` for a delete (announced as ``deleting <id>`` before the commit). A line is
printed only after ``transaction()`` returned, so each one is a promise that the write survives the ``kill -9`` that will come.
"""
from __future__ import annotations

import random
import sys

from goldsieve.store import TinyStore


def main() -> None:
    folder, seed, compact_bytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    store = TinyStore(folder, compact_bytes=compact_bytes)
    versions = {row["id"]: row["version"] for row in store.iterate("deals")}
    print("ready", flush=True)
    while True:
        pending = dict(versions)
        acks = []
        with store.transaction() as txn:
            for _ in range(rng.randint(1, 3)):
                roll = rng.random()
                if roll < 0.4 or not pending:
                    doc = {"version": 1, "data": {"pad": "x" * rng.randint(10, 300)}}
                    id = txn.insert("deals", doc)
                    pending[id] = 1
                    acks.append(f"ack {id} 1")
                    event = txn.insert("events", {"deal_id": id, "pad": "e" * rng.randint(10, 300)})
                    acks.append(f"event {event} {id}")
                elif roll < 0.93:
                    id = rng.choice(list(pending))
                    version = pending[id] + 1
                    doc = {"id": id, "version": version, "data": {"pad": "y" * rng.randint(10, 300)}}
                    txn.replace("deals", doc, expect_version=pending[id])
                    pending[id] = version
                    acks.append(f"ack {id} {version}")
                else:
                    id = rng.choice(list(pending))
                    # Said before the commit: if the kill comes after the commit but before
                    # the ack, the parent knows this deal may rightly be gone.
                    print(f"deleting {id}", flush=True)
                    txn.delete("deals", id)
                    del pending[id]
                    acks.append(f"del {id}")
        versions = pending
        sys.stdout.write("".join(line + "\n" for line in acks))
        sys.stdout.flush()
        if rng.random() < 0.1:
            store.compact()  # besides the automatic ones: kills land in compactions more often


if __name__ == "__main__":
    main()

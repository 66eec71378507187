"""The embedded store's events on disk: their own file and the index beside it, through
compactions, reopens, what a crash leaves, and stores written before the file existed."""
from __future__ import annotations

import json

import pytest

from goldsieve.store import Eq, StoreError, TinyStore
from goldsieve.store.tinydb import events, image, journal
from goldsieve.store.tinydb.events import EventFile

from tests.store.conftest import ids, insert


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "data"


def history(n: int) -> list[dict]:
    return [{"deal_id": n % 5, "funnel": "f" if n % 2 else "g", "type": "created", "n": n} for n in range(n)]


def answers(store) -> dict:
    """What the engine's reads of events give: by id, by deal, by funnel after a cursor, newest."""
    every = store.find("events")
    return {
        "all": every,
        "by_id": [store.get("events", doc["id"]) for doc in every],
        "deal": {d: ids(store.find("events", Eq("deal_id", d))) for d in range(6)},
        "funnel_after": ids(store.find("events", Eq("funnel", "f"), after=every[3]["id"])),
        "newest": store.find("events", descending=True, limit=1),
        "count": store.count("events"),
    }


def test_a_compaction_writes_the_events_to_their_file_not_into_the_snapshot(folder):
    with TinyStore(folder) as store:
        insert(store, "events", *history(40))
        before = answers(store)
        store.compact()
    snapshot = journal.read_snapshot(folder)
    assert snapshot[0]["snapshot"] == 2 and snapshot[0]["events_end"] == (folder / events.EVENTS).stat().st_size
    assert not [row for row in snapshot[1] if row[0] == "events"]
    with TinyStore(folder) as store:
        assert answers(store) == before
        assert before["deal"][0] == [1, 6, 11, 16, 21, 26, 31, 36]


def test_an_open_with_a_current_index_reads_no_event(folder, monkeypatch):
    with TinyStore(folder) as store:
        insert(store, "events", *history(30))
        store.compact()

    def refuse(*args, **kwargs):
        raise AssertionError("the open read an event")

    monkeypatch.setattr(EventFile, "read", refuse)
    monkeypatch.setattr(EventFile, "read_many", refuse)
    with TinyStore(folder) as store:
        assert store.count("events") == 30 and store.count("events", Eq("deal_id", 2)) == 6
        monkeypatch.undo()
        assert store.get("events", 30)["n"] == 29


@pytest.mark.parametrize("spoil", ["missing", "damaged", "torn"])
def test_an_unusable_index_is_rebuilt_from_the_file(folder, spoil):
    with TinyStore(folder) as store:
        made = insert(store, "events", *history(30))
        with store.transaction() as txn:
            txn.replace("events", {"id": made[0], "deal_id": 4, "funnel": "f", "n": 0})
            txn.delete("events", made[1])
        store.compact()
        before = answers(store)
    index = folder / events.EVENTS_INDEX
    if spoil == "missing":
        index.unlink()
    elif spoil == "damaged":
        data = bytearray(index.read_bytes())
        data[-3] ^= 0xFF
        index.write_bytes(bytes(data))
    else:
        index.write_bytes(index.read_bytes()[:-10])
    with TinyStore(folder) as store:
        assert answers(store) == before
        assert made[0] in before["deal"][4] and made[1] not in ids(before["all"])


def test_an_index_for_other_paths_is_rebuilt_for_the_paths_asked_for(folder):
    with TinyStore(folder) as store:
        insert(store, "events", *history(20))
        store.compact()
    with TinyStore(folder, indexes={"events": ("type",)}) as store:
        assert store.explain("events", Eq("type", "created")).startswith("index type (20 ids)")
        assert store.explain("events", Eq("deal_id", 1)) == "scan"
        assert ids(store.find("events", Eq("deal_id", 1))) == [2, 7, 12, 17]


def test_an_index_behind_the_snapshot_is_completed_from_the_file(folder):
    with TinyStore(folder) as store:
        insert(store, "events", *history(20))
        store.compact()
        old_index = (folder / events.EVENTS_INDEX).read_bytes()
        insert(store, "events", {"deal_id": 9, "funnel": "f", "n": 20})
        store.compact()
        before = answers(store)
    (folder / events.EVENTS_INDEX).write_bytes(old_index)  # as if the open died before writing it
    with TinyStore(folder) as store:
        assert answers(store) == before
        assert ids(store.find("events", Eq("deal_id", 9))) == [21]


def test_what_a_crash_left_past_the_snapshot_is_cut_off_and_the_journal_replayed(folder):
    with TinyStore(folder) as store:
        insert(store, "events", *history(10))
        store.compact()
        insert(store, "events", *history(5))  # in the journal, and unsynced in the file
        before = answers(store)
    with open(folder / events.EVENTS, "ab") as f:
        f.write(b'57 0badf00d {"deal_id": 3, "n"')  # a torn frame after them
    with TinyStore(folder) as store:
        assert answers(store) == before
        assert store.count("events") == 15
        insert(store, "events", {"deal_id": 3, "n": 99})
        assert ids(store.find("events", Eq("deal_id", 3)))[-1] == 16
    with TinyStore(folder) as store:
        assert store.get("events", 16)["n"] == 99


def test_an_open_that_only_reads_leaves_the_events_file_as_it_found_it(folder):
    """The open cuts the file back to the snapshot's length and the journal's replay appends the
    rest again: a close without a commit or a read of an event must write them too, or the file
    shrinks by what only the journal then holds (a refused command would change the folder)."""
    with TinyStore(folder) as store:
        insert(store, "events", *history(4))
        store.compact()
        insert(store, "events", *history(3))  # past the snapshot: in the journal and the file
    written = (folder / events.EVENTS).read_bytes()
    for _ in range(2):
        with TinyStore(folder) as store:
            assert store.count("deals") == 0  # reads no event
        assert (folder / events.EVENTS).read_bytes() == written
    with TinyStore(folder) as store:
        assert store.count("events") == 7


def test_an_events_file_shorter_than_the_snapshot_says_is_an_error(folder):
    with TinyStore(folder) as store:
        insert(store, "events", *history(10))
        store.compact()
    path = folder / events.EVENTS
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(StoreError, match="the snapshot says"):
        TinyStore(folder)
    with pytest.raises(StoreError, match="the snapshot says"):
        TinyStore(folder)


def test_damage_inside_the_durable_part_is_an_error_when_read(folder):
    with TinyStore(folder) as store:
        insert(store, "events", *history(10))
        store.compact()
    path = folder / events.EVENTS
    data = bytearray(path.read_bytes())
    data[20] ^= 0x01  # inside the first event's JSON: its checksum no longer matches
    path.write_bytes(bytes(data))
    with TinyStore(folder) as store:
        assert store.get("events", 2)["n"] == 1
        with pytest.raises(StoreError, match="damaged at byte 0"):
            store.get("events", 1)


def test_a_store_from_before_the_events_file_is_converted_on_open(folder):
    folder.mkdir()
    docs = [["deals", 1, {"id": 1, "title": "A", "version": 1}]] + [
        ["events", n, {"id": n, "deal_id": 1, "funnel": "f", "n": n}] for n in range(1, 8)]
    with open(folder / journal.SNAPSHOT, "wb") as f:  # format 1: the events among the documents
        f.write(journal.frame(json.dumps({"snapshot": 1, "seq": 3, "next_ids": {"events": 9}}).encode()))
        f.writelines(journal.frame(json.dumps(row).encode()) for row in docs)
        f.write(journal.frame(json.dumps({"end": len(docs)}).encode()))
    with TinyStore(folder) as store:
        assert ids(store.find("events", Eq("deal_id", 1))) == list(range(1, 8))
        with store.transaction() as txn:
            assert txn.insert("events", {"deal_id": 1}) == 9  # the header's next id holds
    header, rows, _ = journal.read_snapshot(folder)
    assert header["snapshot"] == 2 and [row[0] for row in rows] == ["deals"]
    assert (folder / events.EVENTS_INDEX).exists()
    with TinyStore(folder) as store:
        assert store.get("deals", 1)["title"] == "A"
        assert [e.get("n") for e in store.find("events", Eq("deal_id", 1))] == [*range(1, 8), None]
        assert store.count("events") == 8


def test_a_large_open_says_how_far_it_has_got(folder):
    with TinyStore(folder) as store:
        insert(store, "deals", *[{"n": n, "pad": "x" * 200} for n in range(3000)])
        insert(store, "events", *history(50))
        store.compact()
    (folder / events.EVENTS_INDEX).unlink()  # the events' index is then rebuilt, and says so too
    (folder / image.IMAGE).unlink()  # and the snapshot decoded, which it tells as it goes
    told: list[tuple[str, int, int]] = []
    with TinyStore(folder, progress=lambda *report: told.append(report)) as store:
        assert store.count("deals") == 3000
    snapshot = [(done, total) for phase, done, total in told if phase == "snapshot"]
    assert len(snapshot) > 2 and snapshot[-1][0] == snapshot[-1][1] == (folder / journal.SNAPSHOT).stat().st_size
    assert [done for done, _ in snapshot] == sorted(done for done, _ in snapshot)
    assert [report for report in told if report[0] == "events"][-1][1:] == ((folder / events.EVENTS).stat().st_size,) * 2

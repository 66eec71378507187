"""The snapshot's image (goldsieve.store.tinydb.image): an open reads the documents and their
indexes from it when it fits the snapshot, and decodes the snapshot, rebuilds and writes a new
image whenever it does not; it is never trusted beyond what it can prove."""
from __future__ import annotations

import json
import shutil

import pytest

from goldsieve.store import Eq, In, Range, TinyStore
from goldsieve.store.tinydb import image, journal
from goldsieve.store.tinydb import store as tiny
from goldsieve.store.tinydb.indexes import DEFAULT_INDEXES, DEFAULT_ORDERED, build_indexes, build_ordered

from tests.store.conftest import ids, insert


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "data"


def fill(folder, n=40):
    """A compacted store of ``n`` deals; the snapshot's generation."""
    with TinyStore(folder) as store:
        insert(store, "deals", *[{"stage": f"s{i % 3}", "owner": f"rep{i % 4}", "updated_at": f"2026-01-{i % 28 + 1:02}",
                                  "data": {"amount": i * 1.5, "tags": ["a", "b"]}, "big": 2**70 + i} for i in range(n)])
        insert(store, "users", {"username": "ann"})
        store.compact()
    return header(folder)["generation"]


def header(folder):
    return json.loads((folder / journal.SNAPSHOT).read_bytes().split(b"\n", 1)[0].split(b" ", 2)[2])


def decoded(monkeypatch):
    """Counts the documents an open decodes from the snapshot."""
    seen = []
    monkeypatch.setattr(tiny, "shared", lambda doc: seen.append(doc) or doc)
    return seen


def same_as_rebuilt(store):
    """Every table's indexes equal those built afresh from its documents."""
    raw = {name: store._tables[name].raw() for name in DEFAULT_INDEXES if name != "events"}
    hashed = build_indexes({t: p for t, p in DEFAULT_INDEXES.items() if t != "events"}, raw)
    ordered = build_ordered(DEFAULT_ORDERED, {name: store._tables[name].raw() for name in DEFAULT_ORDERED})
    for table, indexes in hashed.items():
        for path, index in indexes.items():
            assert {k: list(v) for k, v in store._indexes[table][path].buckets.items()} == index.buckets, (table, path)
    for table, indexes in ordered.items():
        for path, index in indexes.items():
            held = store._ordered[table][path]
            assert (held.values, held.ids) == (index.values, index.ids), (table, path)


def test_an_open_reads_the_image_instead_of_decoding_the_snapshot(folder, monkeypatch):
    fill(folder)
    with TinyStore(folder) as store:
        expected = store.find("deals")
    seen = decoded(monkeypatch)
    with TinyStore(folder) as store:
        assert store.find("deals") == expected and expected[0]["big"] == 2**70
        assert ids(store.find("deals", Eq("owner", "rep1"))) == [2, 6, 10, 14, 18, 22, 26, 30, 34, 38]
        assert "index" in store.explain("deals", Eq("owner", "rep1"))
        same_as_rebuilt(store)
        first, second = store._tables["deals"].raw()["1"], store._tables["deals"].raw()["4"]
        assert first["stage"] is second["stage"], "texts stay shared through the image"
    assert seen == []


def test_the_journal_after_the_image_keeps_its_indexes_current(folder, monkeypatch):
    monkeypatch.setattr(image, "PART_DOCS", 7)  # the deals in six parts
    fill(folder)
    with TinyStore(folder) as store:
        with store.transaction() as txn:
            txn.replace("deals", {"id": 1, "stage": "won", "owner": "rep9", "updated_at": "2027-01-01"})
            txn.delete("deals", 2)
        insert(store, "deals", {"stage": "s0", "owner": "rep9", "updated_at": "2025-12-31"})
    with TinyStore(folder) as store:  # the image is of the snapshot; the journal replays onto it
        assert ids(store.find("deals", Eq("owner", "rep9"))) == [1, 41]
        assert 2 not in ids(store.find("deals", In("owner", ["rep1", "rep2"])))
        assert ids(store.find("deals", Range("updated_at", "2027", None))) == [1]
        same_as_rebuilt(store)
        store.compact()
    with TinyStore(folder) as store:
        assert ids(store.find("deals", Eq("owner", "rep9"))) == [1, 41]
        same_as_rebuilt(store)


def test_indexes_on_other_paths_are_built_from_the_documents(folder, monkeypatch):
    fill(folder)
    seen = decoded(monkeypatch)
    with TinyStore(folder, indexes={"deals": ("stage", "data.amount")}, ordered={"users": ("username",)}) as store:
        assert set(store._indexes["deals"]) == {"stage", "data.amount"}
        assert ids(store.find("deals", Eq("data.amount", 3.0))) == [3]
        assert store._ordered["users"]["username"].values == ["ann"] and "deals" not in store._ordered
    assert seen == []


def damage_body(folder):
    path = folder / image.IMAGE
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))


def cut_body(folder):
    path = folder / image.IMAGE
    path.write_bytes(path.read_bytes()[:-100])


def other_python(folder):
    path = folder / image.IMAGE
    first, body = path.read_bytes().split(b"\n", 1)
    head = json.loads(first.split(b" ", 2)[2])
    head["python"][2] -= 1
    path.write_bytes(journal.frame(json.dumps(head).encode()) + body)


def older_image(folder):
    """The image of the snapshot before the last one (a crash between writing the two)."""
    shutil.copy(folder / image.IMAGE, folder.parent / "old.image")
    with TinyStore(folder) as store:
        insert(store, "deals", {"stage": "late", "owner": "rep9"})
        store.compact()
    shutil.copy(folder.parent / "old.image", folder / image.IMAGE)


def snapshot_cut_short(folder):
    path = folder / journal.SNAPSHOT
    path.write_bytes(path.read_bytes()[:-30])


@pytest.mark.parametrize("spoil", [damage_body, cut_body, other_python, older_image])
def test_an_image_that_does_not_fit_is_not_used_and_is_written_anew(folder, monkeypatch, spoil):
    fill(folder)
    with TinyStore(folder) as store:
        before = store.find("deals")
    spoil(folder)
    generation = header(folder)["generation"]
    seen = decoded(monkeypatch)
    with TinyStore(folder) as store:
        found = store.find("deals")
        assert found[:40] == before and len(seen) == len(found) + 1  # the deals and the user
        same_as_rebuilt(store)
    assert header(folder)["generation"] != generation, "the open compacted: a new snapshot"
    monkeypatch.undo()
    seen = decoded(monkeypatch)
    with TinyStore(folder) as store:
        assert store.find("deals") == found
    assert seen == [], "and the image written with it is used"


def test_an_image_beside_a_snapshot_cut_short_does_not_hide_the_damage(folder):
    fill(folder)
    snapshot_cut_short(folder)
    with pytest.raises(tiny.StoreError, match="damaged or incomplete"):
        TinyStore(folder)


def test_a_snapshot_without_a_generation_converts_itself_on_first_open(folder, monkeypatch):
    fill(folder)
    path = folder / journal.SNAPSHOT
    first, rest = path.read_bytes().split(b"\n", 1)
    head = json.loads(first.split(b" ", 2)[2])
    del head["generation"]  # as every snapshot before the image was written
    path.write_bytes(journal.frame(json.dumps(head).encode()) + rest)
    (folder / image.IMAGE).unlink()
    with TinyStore(folder) as store:
        assert store.count("deals") == 40
    assert "generation" in header(folder) and (folder / image.IMAGE).exists()
    seen = decoded(monkeypatch)
    with TinyStore(folder) as store:
        assert store.count("deals", Eq("stage", "s1")) == 13
    assert seen == []


def test_a_failed_image_write_leaves_the_compaction_done(folder, monkeypatch, caplog):
    fill(folder)

    def full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tiny, "write_image", full)
    with TinyStore(folder) as store:
        insert(store, "deals", {"stage": "s0"})
        store.compact()
        assert (folder / journal.JOURNAL).stat().st_size == 0
    assert "could not write the snapshot's image" in caplog.text
    monkeypatch.undo()
    with TinyStore(folder) as store:  # the old image names the old snapshot: decoded instead
        assert store.count("deals") == 41

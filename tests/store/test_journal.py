"""The embedded store's files: torn and corrupt journal tails, compaction, the one-process lock."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from goldsieve.store import StoreError, StoreLocked, TinyStore, open_store
from goldsieve.store.tinydb import journal
from goldsieve.store.tinydb.store import InPlaceTable


def write(store, n, table="deals", **fields):
    ids = []
    for i in range(n):
        with store.transaction() as txn:
            ids.append(txn.insert(table, {"n": i, "version": 1, **fields}))
    return ids


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "data"


def test_each_commit_appends_one_checksummed_record(folder):
    with TinyStore(folder) as store:
        [a, b] = write(store, 2)
        with store.transaction() as txn:
            txn.replace("deals", {"id": a, "version": 2})
            txn.delete("deals", b)
        with store.transaction():
            pass  # nothing staged: nothing written
    records = [journal.unframe(line) for line in lines(folder / journal.JOURNAL)]
    assert [r["seq"] for r in records] == [1, 2, 3]
    assert records[2]["ops"] == [["deals", a, {"id": a, "version": 2}], ["deals", b, None]]


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) - 7], id="torn mid-record"),
        pytest.param(lambda data: data[:-1], id="missing newline"),
        pytest.param(lambda data: data + b"37 0badf00d {\"seq\": 4", id="torn next record"),
        pytest.param(lambda data: data + b"\0" * 300, id="zeros after a crash"),
        pytest.param(lambda data: data + b"garbage\n", id="garbage line"),
    ],
)
def test_a_damaged_tail_is_dropped_and_the_store_goes_on(folder, damage):
    with TinyStore(folder) as store:
        ids = write(store, 3)
    path = folder / journal.JOURNAL
    intact = path.read_bytes()
    path.write_bytes(damage(intact))
    good = intact if len(damage(intact)) > len(intact) else b"".join(lines(path)[:-1])

    with TinyStore(folder) as store:
        kept = [row["id"] for row in store.find("deals")]
        assert kept == (ids if good == intact else ids[:2])
        assert path.read_bytes() == good, "the file is cut back to the last good record"
        [new] = write(store, 1)
    with TinyStore(folder) as store:
        assert [row["id"] for row in store.find("deals")] == kept + [new]


def test_a_bad_checksum_in_the_last_record_drops_it(folder):
    with TinyStore(folder) as store:
        ids = write(store, 3, title="abc")
    path = folder / journal.JOURNAL
    data = bytearray(path.read_bytes())
    at = data.rindex(b"abc")
    data[at] = ord("x")  # same length, same JSON shape, wrong checksum
    path.write_bytes(bytes(data))
    with TinyStore(folder) as store:
        assert [row["id"] for row in store.find("deals")] == ids[:2]
        write(store, 1)
    with TinyStore(folder) as store:
        assert store.count("deals") == 3


def test_damage_before_intact_records_is_an_error_not_a_repair(folder):
    with TinyStore(folder) as store:
        write(store, 3, title="abc")
    path = folder / journal.JOURNAL
    damaged = lines(path)
    damaged[1] = damaged[1].replace(b"abc", b"xyz")
    path.write_bytes(b"".join(damaged))
    with pytest.raises(StoreError, match="intact records after it"):
        TinyStore(folder)
    assert path.read_bytes() == b"".join(damaged), "nothing was cut"
    path.write_bytes(b"".join(damaged[:1]))  # the operator decides; the lock was released
    with TinyStore(folder) as store:
        assert store.count("deals") == 1


def test_a_missing_record_is_detected(folder):
    with TinyStore(folder) as store:
        write(store, 3)
    path = folder / journal.JOURNAL
    records = lines(path)
    path.write_bytes(records[0] + records[2])
    with pytest.raises(StoreError, match="missing"):
        TinyStore(folder)


def test_a_write_is_one_record_whatever_the_size_of_the_data(folder):
    """O(1) per write: the journal grows by the record, and TinyDB's table is changed in place."""
    with TinyStore(folder) as store:
        table = store._tables["deals"]
        assert isinstance(table, InPlaceTable)
        path = folder / journal.JOURNAL

        def replace_cost(id):
            before, raw = path.stat().st_size, table.raw()
            with store.transaction() as txn:
                txn.replace("deals", {"id": id, "n": 0, "version": 2, "pad": "x" * 50})
            assert table.raw() is raw, "the table was rebuilt"
            return path.stat().st_size - before

        [small] = write(store, 1)
        cost_small = replace_cost(small)
        with store.transaction() as txn:
            for n in range(5000):
                txn.insert("deals", {"n": n, "version": 1})
        [big] = write(store, 1)
        assert replace_cost(big) <= cost_small + 10  # a few more digits in the id, no more


def test_compaction_keeps_everything_and_bounds_the_journal(folder):
    with TinyStore(folder, compact_bytes=4096) as store:
        ids = write(store, 200, pad="p" * 40)
        with store.transaction() as txn:
            txn.delete("deals", ids[-1])
            txn.replace("deals", {"id": ids[0], "version": 2})
        assert (folder / journal.SNAPSHOT).exists()
        journal_size = (folder / journal.JOURNAL).stat().st_size
        assert journal_size <= max(4096, (folder / journal.SNAPSHOT).stat().st_size) + 200
        before = store.find("deals")
    with TinyStore(folder, compact_bytes=4096) as store:
        assert store.find("deals") == before
        assert store.get("deals", ids[0]) == {"id": ids[0], "version": 2}
        [new] = write(store, 1)
        assert new > ids[-1], "the deleted last id is not handed out again"


def test_compact_on_close(folder):
    with TinyStore(folder, compact_on_close=True) as store:
        write(store, 5)
    assert (folder / journal.JOURNAL).stat().st_size == 0
    with TinyStore(folder) as store:
        assert store.count("deals") == 5


@pytest.mark.parametrize("torn_tail", [b"", b"57 0badf00d {\"seq\""], ids=["", "and a torn tail"])
def test_a_crash_between_snapshot_and_journal_reset_replays_idempotently(folder, torn_tail):
    with TinyStore(folder) as store:
        ids = write(store, 10)
        with store.transaction() as txn:
            txn.replace("deals", {"id": ids[0], "n": 0, "version": 2})
            txn.delete("deals", ids[1])
            txn.delete("deals", ids[-1])
        old_journal = (folder / journal.JOURNAL).read_bytes()
        store.compact()
        before = store.find("deals")
    # The snapshot is in place but the old journal survived: as if the process died just
    # before resetting it.
    (folder / journal.JOURNAL).write_bytes(old_journal + torn_tail)
    with TinyStore(folder) as store:
        assert store.find("deals") == before
        [new] = write(store, 1)
        assert new > ids[-1]
        with store.transaction() as txn:
            txn.replace("deals", {"id": ids[0], "n": 0, "version": 3}, expect_version=2)
    with TinyStore(folder) as store:
        assert store.get("deals", ids[0])["version"] == 3
        assert [row["id"] for row in store.find("deals")] == [row["id"] for row in before] + [new]


def test_a_leftover_temporary_snapshot_is_ignored(folder):
    with TinyStore(folder) as store:
        write(store, 3)
    (folder / journal.SNAPSHOT_TMP).write_bytes(b"half a snapshot")
    with TinyStore(folder) as store:
        assert store.count("deals") == 3
    assert not (folder / journal.SNAPSHOT_TMP).exists()


def test_a_damaged_snapshot_is_an_error(folder):
    with TinyStore(folder) as store:
        write(store, 3)
        store.compact()
    path = folder / journal.SNAPSHOT
    path.write_bytes(b"".join(lines(path)[:-2]))  # lost its last document and the end mark
    with pytest.raises(StoreError, match="damaged or incomplete"):
        TinyStore(folder)


def test_a_failed_fsync_commits_nothing_and_stops_writes(folder, monkeypatch):
    with TinyStore(folder) as store:
        [id] = write(store, 1)

        def broken_fsync(fd):
            raise OSError(5, "Input/output error")

        monkeypatch.setattr(journal.os, "fsync", broken_fsync)
        with pytest.raises(StoreError, match="nothing was committed"):
            with store.transaction() as txn:
                txn.replace("deals", {"id": id, "version": 2})
        monkeypatch.undo()
        assert store.get("deals", id)["version"] == 1
        with pytest.raises(StoreError, match="reopen"):
            with store.transaction() as txn:
                txn.insert("deals", {})
        assert store.get("deals", id)["version"] == 1, "reads go on"
    with TinyStore(folder) as store:
        assert store.get("deals", id)["version"] == 1


# --- one process -----------------------------------------------------------------------------


def test_a_second_open_is_refused_with_a_pointer_to_postgresql(folder):
    with TinyStore(folder):
        with pytest.raises(StoreLocked) as caught:
            TinyStore(folder)
        message = str(caught.value)
        assert str(folder) in message and str(os.getpid()) in message
        assert "PostgreSQL" in message and "postgresql://" in message
    with TinyStore(folder) as store:  # released on close
        store.close()
        store.close()


def test_another_process_is_refused(folder):
    with TinyStore(folder):
        child = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(f"""
                import sys
                from goldsieve.store import StoreLocked, TinyStore
                try:
                    TinyStore({str(folder)!r})
                except StoreLocked as error:
                    print(error)
                    sys.exit(3)
            """)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert child.returncode == 3, child.stderr
    assert "PostgreSQL" in child.stdout and f"process {os.getpid()}" in child.stdout
    assert str(folder) in child.stdout


# --- open_store ------------------------------------------------------------------------------


def test_open_store_takes_a_folder_relative_to_the_workspace_or_absolute(tmp_path):
    with open_store("tinydb:data", tmp_path) as store:
        assert isinstance(store, TinyStore) and store.folder == tmp_path / "data"
        assert store.url == "tinydb:data"
    elsewhere = tmp_path / "elsewhere" / "store"
    with open_store(f"tinydb:{elsewhere}", tmp_path / "ws") as store:
        assert store.folder == elsewhere


@pytest.mark.parametrize(
    "url, says",
    [
        ("postgresql://u:secret@127.0.0.1:1/crm", r"cannot reach PostgreSQL at postgresql://u:\*\*\*@127\.0\.0\.1:1/crm"),
        ("sqlite:///x.db", "tinydb:"),
        ("tinydb:", "names no folder"),
        ("data", "tinydb:"),
    ],
)
def test_open_store_refuses_what_it_cannot_open(tmp_path, url, says):
    with pytest.raises(StoreError, match=says):
        open_store(url, tmp_path)


def test_the_journal_format_is_plain_lines(folder):
    with TinyStore(folder) as store:
        write(store, 1, title="Ünïcode\nnew line")
    [line] = lines(folder / journal.JOURNAL)
    size, crc, payload = line.rstrip(b"\n").split(b" ", 2)
    assert int(size) == len(payload) and len(crc) == 8
    assert json.loads(payload)["ops"][0][2]["title"] == "Ünïcode\nnew line"


def test_documents_held_share_their_keys_and_short_texts_after_a_commit_and_a_reopen(folder):
    long = "a long text that only one deal holds, more than 32 characters"
    with TinyStore(folder) as store:
        write(store, 2, stage="qualified", note=long + "!")
        raw = store._tables["deals"].raw()
        first, second = raw["1"], raw["2"]
        assert [a is b for a, b in zip(first, second)] == [True] * len(first)
        assert first["stage"] is second["stage"]
        store.compact()
    with TinyStore(folder) as store:
        raw = store._tables["deals"].raw()
        first, second = raw["1"], raw["2"]
        assert first["stage"] is second["stage"] and next(iter(first)) is next(iter(second))
        assert first["note"] == second["note"] == long + "!"
        assert first["note"] is not second["note"], "long texts are not interned"

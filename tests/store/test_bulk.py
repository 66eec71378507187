"""``Store.bulk``: the embedded store writes one snapshot at the end of a bulk load instead of one
each time the journal outgrows the last, and every write inside stays durable."""
from __future__ import annotations

from goldsieve.store import TinyStore
from goldsieve.store.tinydb import store as tiny
from goldsieve.store.tinydb.journal import JOURNAL, SNAPSHOT


def fill(store: TinyStore, batches: int) -> None:
    for batch in range(batches):
        with store.transaction() as txn:
            for n in range(50):
                txn.insert("deals", {"title": f"deal {batch}.{n}", "data": {"note": "x" * 200}})


def test_compaction_waits_for_the_end_of_a_bulk_load(tmp_path, monkeypatch):
    snapshots = []
    real = tiny.write_snapshot
    monkeypatch.setattr(tiny, "write_snapshot", lambda *a: snapshots.append(1) or real(*a))
    with TinyStore(tmp_path / "bulk", compact_bytes=4096) as store:
        with store.bulk():
            fill(store, 20)
            assert snapshots == [] and (tmp_path / "bulk" / JOURNAL).stat().st_size > 4096
        assert snapshots == [1]  # once, at the end
        assert (tmp_path / "bulk" / JOURNAL).stat().st_size == 0
    with TinyStore(tmp_path / "bulk") as reopened:
        assert reopened.count("deals") == 1000


def test_without_bulk_the_journal_is_compacted_as_it_grows(tmp_path, monkeypatch):
    snapshots = []
    real = tiny.write_snapshot
    monkeypatch.setattr(tiny, "write_snapshot", lambda *a: snapshots.append(1) or real(*a))
    with TinyStore(tmp_path / "plain", compact_bytes=4096) as store:
        fill(store, 20)
    assert len(snapshots) > 1
    assert (tmp_path / "plain" / SNAPSHOT).exists()


def test_a_bulk_block_left_by_an_error_still_compacts_and_keeps_what_committed(tmp_path):
    with TinyStore(tmp_path / "err", compact_bytes=4096) as store:
        try:
            with store.bulk():
                fill(store, 20)
                raise RuntimeError("the caller failed after its writes")
        except RuntimeError:
            pass
        assert (tmp_path / "err" / JOURNAL).stat().st_size == 0
        assert store.count("deals") == 1000

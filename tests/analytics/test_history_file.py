"""The histories kept across starts: a start reads the file the last process wrote and folds only
the events written since; a file that is damaged, of another store or of another funnel version
is not used, and every number stays what reading the log afresh says."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from goldsieve.analytics import funnel_report
from goldsieve.analytics import history_file
from goldsieve.analytics.cache import HistoryCache
from goldsieve.analytics.history_file import NAME, SavedFunnel, event_mark
from goldsieve.analytics.metrics import funnel_metrics
from goldsieve.runtime import open_runtime
from goldsieve.store.filters import Everything
from goldsieve.workspace import Workspace

BOTH_STORES = pytest.mark.parametrize("goldsieve_store_url", ["tinydb:data", "postgresql"], indirect=True)


@pytest.fixture
def logged(goldsieve_engine, goldsieve_clock, goldsieve_make_user, goldsieve_user):
    """Three deals with a loss, a reopen, a move past a gate and amounts; returns the users."""
    engine, clock = goldsieve_engine, goldsieve_clock
    rita, rob = goldsieve_make_user("rita", "rep"), goldsieve_make_user("rob", "rep")
    first = engine.create(rita, "handmade", "a", {"company": "A", "amount": 5})
    clock.advance(hours=1)
    second = engine.create(rob, "handmade", "b", {"company": "B", "amount": 7})
    clock.advance(hours=1)
    engine.lose(rita, first["id"], "price")
    clock.advance(hours=1)
    engine.reopen(goldsieve_user, first["id"])
    clock.advance(hours=1)
    engine.move(goldsieve_user, second["id"], "qualified", bypass_gate="the survey came by mail")
    clock.advance(hours=1)
    engine.create(rita, "handmade", "c", {"company": "C", "amount": 11})
    clock.advance(hours=1)
    return rita, rob, goldsieve_user


def same_as_fresh(cache, engine, users, start, end):
    funnel = engine.funnels.get("handmade")
    for user in users:
        scope = engine.scope(user)
        cached = funnel_metrics(cache.histories("handmade", scope, end), funnel, start, end)
        fresh = funnel_report(engine.store, engine.funnels, "handmade", scope, start, end)
        assert cached.as_dict() == fresh.as_dict(), user["username"]


def event_reads(monkeypatch, store) -> list:
    """The ``after`` of every events query the store answers from now on."""
    seen: list = []
    find = store.find

    def spy(table, where=None, **options):
        if table == "events" and "limit" in options and options["limit"] > 1:
            seen.append(options.get("after"))
        return find(table, where, **options)
    monkeypatch.setattr(store, "find", spy)
    return seen


def test_a_new_cache_reads_the_file_and_folds_only_what_came_after(goldsieve_engine, goldsieve_clock, logged,
                                                                   tmp_path, monkeypatch):
    engine, clock = goldsieve_engine, goldsieve_clock
    start, path = clock.now - timedelta(days=1), tmp_path / NAME
    first = HistoryCache(engine.store, engine.funnels, path)
    same_as_fresh(first, engine, logged, start, clock.now + timedelta(days=1))
    first.save()
    saved_at = engine.store.find("events", limit=1, descending=True)[0]["id"]
    deal = engine.store.find("deals", limit=1)[0]
    engine.move(logged[2], deal["id"], "qualified", changes={"needs_survey": "x", "amount": 9})
    clock.advance(hours=1)

    reads = event_reads(monkeypatch, engine.store)
    second = HistoryCache(engine.store, engine.funnels, path)
    same_as_fresh(second, engine, logged, start, clock.now + timedelta(days=1))
    assert reads and all(after is not None and after >= saved_at for after in reads)  # never from the start


def test_what_the_file_holds_is_what_a_start_uses(goldsieve_engine, goldsieve_clock, logged, tmp_path):
    """A file with the right mark and signature but no deals: its (empty) histories are used,
    which shows the start did not read the log (a real file always agrees with the log)."""
    engine, clock = goldsieve_engine, goldsieve_clock
    path = tmp_path / NAME
    cache = HistoryCache(engine.store, engine.funnels, path)
    cache.histories("handmade", Everything(), clock.now)
    cache.save()
    mark, funnels = history_file.read(path)
    funnels["handmade"].histories.clear()
    path.write_bytes(history_file.encode(mark, funnels))
    again = HistoryCache(engine.store, engine.funnels, path)
    assert again.histories("handmade", Everything(), clock.now) == []


def doctored(path, engine, mark=None, signature=None):
    """The saved file again with no deals in it, under another mark or signature."""
    found, funnels = history_file.read(path)
    saved = funnels["handmade"]
    funnels["handmade"] = SavedFunnel(signature or saved.signature, {}, set())
    path.write_bytes(history_file.encode(mark or found, funnels))


@pytest.mark.parametrize("spoil", ["damaged", "truncated", "another format", "another store",
                                   "a newer event than the store has", "another funnel version"])
def test_a_file_that_cannot_be_used_is_rebuilt_from_the_log(goldsieve_engine, goldsieve_clock, logged,
                                                            tmp_path, spoil, caplog):
    engine, clock = goldsieve_engine, goldsieve_clock
    start, path = clock.now - timedelta(days=1), tmp_path / NAME
    cache = HistoryCache(engine.store, engine.funnels, path)
    cache.histories("handmade", Everything(), clock.now)
    cache.save()
    newest = engine.store.find("events", limit=1, descending=True)[0]
    data = path.read_bytes()
    if spoil == "damaged":
        path.write_bytes(data[:-40] + bytes(b ^ 0xFF for b in data[-40:]))
    elif spoil == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif spoil == "another format":
        path.write_bytes(b"goldsieve histories 0\n" + data[22:])
    elif spoil == "another store":
        doctored(path, engine, mark=event_mark({**newest, "at": "2020-01-01T00:00:00.000Z"}))
    elif spoil == "a newer event than the store has":
        doctored(path, engine, mark=event_mark({**newest, "id": newest["id"] + 1}))
    else:
        doctored(path, engine, signature=(99, (), None))
    caplog.set_level(logging.WARNING, "goldsieve.analytics.cache")
    again = HistoryCache(engine.store, engine.funnels, path)
    same_as_fresh(again, engine, logged, start, clock.now + timedelta(days=1))
    assert len(again.histories("handmade", Everything(), clock.now)) == 3
    if spoil != "another funnel version":  # that one is a rebuild of one funnel, not a bad file
        assert "is not used" in caplog.text


def test_warm_primes_in_a_thread_and_a_report_meanwhile_waits(goldsieve_engine, goldsieve_clock, logged, tmp_path):
    engine, clock = goldsieve_engine, goldsieve_clock
    cache = HistoryCache(engine.store, engine.funnels, tmp_path / NAME)
    thread = cache.warm()
    same_as_fresh(cache, engine, logged, clock.now - timedelta(days=1), clock.now)  # right away
    thread.join()
    assert cache.held() == ["handmade"]
    assert HistoryCache(engine.store, engine.funnels).warm() is None  # nothing to keep it in: no thread


@BOTH_STORES
def test_the_runtime_keeps_the_histories_beside_the_embedded_store(goldsieve_runtime, goldsieve_workspace,
                                                                   goldsieve_clock, logged):
    runtime, clock = goldsieve_runtime, goldsieve_clock
    start, end = clock.now - timedelta(days=1), clock.now + timedelta(days=1)
    expected = funnel_metrics(runtime.histories.histories("handmade", Everything(), end),
                              runtime.funnels.get("handmade"), start, end).as_dict()
    embedded = not runtime.store.keeps_stays
    assert (runtime.histories.path is not None) is embedded
    runtime.close()
    if not embedded:
        assert runtime.histories.path is None  # processes on PostgreSQL keep no file
        return
    path = runtime.store.folder / NAME
    assert path.is_file()
    with open_runtime(Workspace.load(goldsieve_workspace.path), clock=clock, entry_points=False) as again:
        mark, _ = history_file.read(path)
        assert mark == event_mark(again.store.find("events", limit=1, descending=True)[0])
        found = funnel_metrics(again.histories.histories("handmade", Everything(), end),
                               again.funnels.get("handmade"), start, end).as_dict()
    assert found == expected

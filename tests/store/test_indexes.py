"""The embedded store's hash and ordered indexes: used for the lookups the engine makes, kept
right through every kind of write, and never changing an answer (the property tests compare
every query with :func:`filters.matches` over all documents, order, cursor and limit included)."""
from __future__ import annotations

import json
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from goldsieve.store import (
    And,
    Contains,
    Eq,
    Everything,
    In,
    Not,
    Nothing,
    Or,
    Range,
    StoreError,
    TinyStore,
    matches,
)
from goldsieve.store.tinydb import journal
from goldsieve.store.tinydb.indexes import DEFAULT_INDEXES, DEFAULT_ORDERED, build_indexes, build_ordered

from tests.store.conftest import ids, insert


def fresh_buckets(store, table):
    """The buckets a rebuild from the stored documents gives, to compare with the live ones."""
    paths = tuple(store._indexes[table])
    built = build_indexes({table: paths}, {table: store._tables[table].raw()})[table]
    return {path: index.buckets for path, index in built.items()}


def live_buckets(store, table):
    """As lists: the events' indexes keep their buckets in arrays."""
    return {path: {value: list(bucket) for value, bucket in index.buckets.items()}
            for path, index in store._indexes[table].items()}


def fresh_ordered(store, table):
    """The ordered indexes a rebuild gives, as ``{path: [(value, id), ...]}``."""
    paths = tuple(store._ordered[table])
    built = build_ordered({table: paths}, {table: store._tables[table].raw()})[table]
    return {path: list(zip(index.values, index.ids)) for path, index in built.items()}


def live_ordered(store, table):
    return {path: list(zip(index.values, index.ids)) for path, index in store._ordered[table].items()}


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "data"


# --- which lookups use an index --------------------------------------------------------------


@pytest.mark.parametrize(
    "table, where, plan",
    [
        ("events", Eq("deal_id", 1), "index deal_id"),
        ("tokens", Eq("digest", "d1"), "index digest"),
        ("users", Eq("username", "ann"), "index username"),
        ("deals", Eq("owner", "ann"), "index owner"),
        ("deals", In("owner", ("ann", "bob")), "index owner"),
        ("deals", And((Eq("funnel", "f"), Eq("stage", "lead"), Eq("owner", "ann"))), "index owner"),
        ("deals", And((Eq("funnel", "f"), And((Eq("stage", "won"), Contains("title", "a"))))), "index stage"),
        ("deals", And((Eq("funnel", "f"), Or((Eq("owner", "ann"), Eq("owner", "bob"))))), "index funnel"),
        ("deals", Eq("stage", "nowhere"), "nothing can match"),
        ("deals", And((Eq("stage", "lead"), Nothing())), "nothing can match"),
        ("deals", In("owner", ()), "nothing can match"),
        ("deals", Or((Eq("owner", "ann"), Eq("owner", "bob"))), "scan"),
        ("deals", Not(Eq("owner", "ann")), "scan"),
        ("deals", Range("stage", "a", "z"), "scan"),
        ("deals", Contains("owner", "an"), "scan"),
        ("deals", Eq("title", "Acme"), "scan"),  # not indexed
        ("deals", Eq("owner", ["ann"]), "scan"),  # a list: only a scan finds lists
        ("deals", In("owner", ("ann", {"x": 1})), "scan"),
        ("deals", Everything(), "scan"),
        ("events", None, "scan"),
    ],
)
def test_the_planner_uses_indexes_for_the_engines_lookups(folder, table, where, plan):
    with TinyStore(folder) as store:
        insert(store, "deals", *[
            {"funnel": "f", "stage": s, "owner": o, "status": "open", "title": "Acme"}
            for s in ("lead", "won") for o in ("ann", "bob", "cid")
        ])
        insert(store, "events", {"deal_id": 1}, {"deal_id": 2})
        insert(store, "tokens", {"digest": "d1"})
        insert(store, "users", {"username": "ann"})
        assert store.explain(table, where).startswith(plan)


def test_the_smallest_index_drives_and_the_others_are_checked_without_documents(folder):
    with TinyStore(folder) as store:
        insert(store, "deals", *[{"funnel": "f", "stage": "lead", "owner": f"u{n % 10}"} for n in range(50)])
        where = And((Eq("funnel", "f"), Eq("stage", "lead"), Eq("owner", "u3")))
        assert store.explain("deals", where) == "index owner (5 ids), check funnel, stage"
        assert store.explain("deals", And((where, Contains("title", "x")))).endswith("test the rest on each document")


def test_counting_on_indexes_reads_no_document(folder, monkeypatch):
    with TinyStore(folder) as store:
        insert(store, "deals", *[{"funnel": "f", "stage": f"s{n % 3}", "owner": f"u{n % 4}"} for n in range(40)])

        def no_reading():
            raise AssertionError("a document was read")

        monkeypatch.setattr(store._tables["deals"], "raw", no_reading)
        assert store.count("deals", Eq("stage", "s1")) == 13
        assert store.count("deals", In("stage", ("s1", "s2", "gone"))) == 26
        assert store.count("deals", And((Eq("funnel", "f"), Eq("stage", "s0"), In("owner", ("u0", "u1"))))) == 7
        assert store.count("deals", Eq("stage", "gone")) == 0
        with pytest.raises(AssertionError):
            store.count("deals", And((Eq("stage", "s1"), Contains("title", "x"))))


def day(n):
    return f"2024-01-{n:02d}T09:00:00Z"


def fill_ranged(store):
    """24 deals updated on days 1..24 (stages s0..s2 in turn), and six whose ``updated_at``
    no text bound can match: a number, null, text in a list, an object, absent, a nested text."""
    insert(store, "deals", *[{"stage": f"s{n % 3}", "updated_at": day(n)} for n in range(1, 25)])
    insert(store, "deals", *[{"stage": "s0", "updated_at": odd} for odd in (5, None, [day(1)], {"a": day(1)})])
    insert(store, "deals", {"stage": "s0"}, {"stage": "s0", "data": {"updated_at": day(1)}})


@pytest.mark.parametrize(
    "where, plan",
    [
        (Range("updated_at", None, day(4)), "ordered index updated_at (3 ids)"),
        (Range("updated_at", day(20), None), "ordered index updated_at (5 ids)"),
        (Range("updated_at", "", None), "ordered index updated_at (24 ids)"),
        (Range("updated_at", day(3), day(5)), "ordered index updated_at (2 ids)"),
        (Range("updated_at", day(5), day(3)), "nothing can match"),
        (Range("updated_at", "z", None), "nothing can match"),
        # No bound: every value matches, even lists and objects, which the index leaves out.
        (Range("updated_at", None, None), "scan"),
        # A bound that is not text: only documents can say (here: the number 5 only).
        (Range("updated_at", 0, None), "scan"),
        (Range("updated_at", day(1), 10), "scan"),
        (Range("stage", "s0", "s1"), "scan"),  # a hash index only
        (And((Eq("stage", "s1"), Range("updated_at", None, day(4)))),
         "ordered index updated_at (3 ids), check stage"),
        (And((Eq("stage", "s1"), Range("updated_at", day(20), None))),
         "ordered index updated_at (5 ids), check stage"),
        # A range up to twice the driving lookup's size is checked by id...
        (And((Eq("stage", "s1"), Range("updated_at", "", day(17)))),
         "index stage (8 ids), check updated_at (ordered)"),
        (And((Eq("stage", "s1"), Range("updated_at", "", day(18)))),
         "index stage (8 ids), then test the rest on each document"),
        # ... a larger one is cheaper to test on the few candidates' documents.
        (And((Range("updated_at", None, day(4)), Range("updated_at", "", None))),
         "ordered index updated_at (3 ids), then test the rest on each document"),
        (Or((Range("updated_at", None, day(4)), Eq("stage", "s1"))), "scan"),
    ],
)
def test_text_ranges_use_the_ordered_index(folder, where, plan):
    with TinyStore(folder) as store:
        fill_ranged(store)
        assert store.explain("deals", where) == plan
        everything = store.find("deals")
        assert store.find("deals", where) == [doc for doc in everything if matches(where, doc)]
        assert store.count("deals", where) == sum(matches(where, doc) for doc in everything)


def test_the_paths_the_background_work_ranges_over_are_ordered_by_default(folder):
    assert DEFAULT_ORDERED == {
        "deals": ("updated_at", "stale_since"),
        "outbox": ("due",),
        "tasks": ("due",),
        "login_failures": ("at",),
        "customers": ("last_activity_at",),
    }
    with TinyStore(folder) as store:
        insert(store, "outbox", {"due": day(1), "status": "pending"}, {"due": day(9), "status": "pending"})
        insert(store, "tasks", {"due": day(2)}, {"due": None})
        insert(store, "login_failures", {"key": "k", "at": day(3)})
        insert(store, "deals", {"stale_since": day(4)}, {"stale_since": ""}, {})
        assert store.explain("outbox", Range("due", None, day(5))) == "ordered index due (1 ids)"
        assert store.explain("tasks", Range("due", "", day(5))) == "ordered index due (1 ids)"
        assert store.explain("login_failures", Range("at", day(1), None)) == "ordered index at (1 ids)"
        assert store.explain("deals", Range("stale_since", "", None)) == "ordered index stale_since (2 ids)"
        insert(store, "customers", {"last_activity_at": day(1)}, {"last_activity_at": day(8)})
        assert store.explain("customers", Range("last_activity_at", None, day(5))) == \
            "ordered index last_activity_at (1 ids)"


def test_counting_a_text_range_reads_no_document(folder, monkeypatch):
    with TinyStore(folder) as store:
        fill_ranged(store)

        def no_reading():
            raise AssertionError("a document was read")

        monkeypatch.setattr(store._tables["deals"], "raw", no_reading)
        assert store.count("deals", Range("updated_at", day(10), day(20))) == 10
        assert store.count("deals", And((Eq("stage", "s0"), Range("updated_at", day(10), day(20))))) == 3
        assert store.count("deals", And((Eq("stage", "s0"), Range("updated_at", "", day(24))))) == 7
        with pytest.raises(AssertionError):
            store.count("deals", Range("updated_at", None, None))


def test_ordered_index_upkeep_through_replace_delete_and_odd_values(folder):
    with TinyStore(folder) as store:
        a, b, c = insert(store, "deals", {"updated_at": day(2)}, {"updated_at": day(2)}, {"updated_at": 7})
        with store.transaction() as txn:
            txn.replace("deals", {"id": a, "updated_at": day(9)})  # moves to the end
            txn.replace("deals", {"id": c, "updated_at": day(1)})  # a number becomes text
        assert live_ordered(store, "deals")["updated_at"] == [(day(1), c), (day(2), b), (day(9), a)]
        with store.transaction() as txn:
            txn.replace("deals", {"id": b, "updated_at": [day(2)]})  # no longer text
            txn.delete("deals", c)
            txn.insert("deals", {"updated_at": day(9)})  # equal values: in id order
        d = c + 1
        assert live_ordered(store, "deals") == fresh_ordered(store, "deals") == {
            "updated_at": [(day(9), a), (day(9), d)], "stale_since": []
        }
        assert ids(store.find("deals", Range("updated_at", day(1), None), descending=True)) == [d, a]


def test_index_settings(folder):
    with TinyStore(folder, indexes={}) as store:
        insert(store, "events", {"deal_id": 1})
        assert store.explain("events", Eq("deal_id", 1)) == "scan"
        assert store.find("events", Eq("deal_id", 1))[0]["deal_id"] == 1
    with TinyStore(folder, indexes={"events": ("payload.kind",)}) as store:
        insert(store, "events", {"deal_id": 1, "payload": {"kind": "x"}}, {"payload": "x"})
        assert store.explain("events", Eq("deal_id", 1)) == "scan"
        assert store.explain("events", Eq("payload.kind", "x")).startswith("index payload.kind (1 ids)")
    assert set(DEFAULT_INDEXES) >= {"deals", "events", "tokens", "users"}
    for bad, error in [
        ({"dealz": ("owner",)}, ValueError),
        ({"deals": "owner"}, TypeError),
        ({"deals": ("data..x",)}, ValueError),
        ({"deals": (3,)}, ValueError),
    ]:
        with pytest.raises(error, match="indexes"):
            TinyStore(folder, indexes=bad)
        with pytest.raises(error, match="ordered"):
            TinyStore(folder, ordered=bad)
    with TinyStore(folder, ordered={}) as store:
        insert(store, "deals", {"updated_at": day(1)})
        assert store.explain("deals", Range("updated_at", "", None)) == "scan"
        assert store.count("deals", Range("updated_at", "", None)) == 1
    with TinyStore(folder) as store:  # a refused open released the lock and wrote nothing
        assert store.count("events") == 3 and store.count("deals") == 1


# --- keeping them right ----------------------------------------------------------------------


def test_replace_moves_between_buckets_and_handles_fields_coming_and_going(folder):
    with TinyStore(folder) as store:
        a, b, c = insert(store, "deals", {"stage": "lead"}, {"stage": "lead"}, {"owner": "ann"})
        with store.transaction() as txn:
            txn.replace("deals", {"id": a, "stage": "won"})  # changed
            txn.replace("deals", {"id": b})  # removed
            txn.replace("deals", {"id": c, "owner": "ann", "stage": "lead"})  # added
        assert ids(store.find("deals", Eq("stage", "lead"))) == [c]
        assert ids(store.find("deals", Eq("stage", "won"))) == [a]
        with store.transaction() as txn:
            txn.replace("deals", {"id": a, "stage": ["won"]})  # no longer a scalar
            txn.delete("deals", c)
        assert store.find("deals", Eq("stage", "won")) == []
        assert ids(store.find("deals", Eq("stage", ["won"]))) == [a]
        assert store.count("deals", Eq("owner", "ann")) == 0
        assert live_buckets(store, "deals") == fresh_buckets(store, "deals") == {
            "funnel": {}, "stage": {}, "owner": {}, "status": {}, "customer_id": {}
        }


def test_equal_values_share_a_bucket_as_matches_says(folder):
    with TinyStore(folder, indexes={"deals": ("n",)}) as store:
        one, one_f, true, text = insert(store, "deals", {"n": 1}, {"n": 1.0}, {"n": True}, {"n": "1"})
        for value in (1, 1.0, True):
            assert ids(store.find("deals", Eq("n", value))) == [one, one_f, true]
        assert ids(store.find("deals", Eq("n", "1"))) == [text]
        assert ids(store.find("deals", In("n", (True, "1", 1)), descending=True)) == [text, true, one_f, one]
        with store.transaction() as txn:
            txn.replace("deals", {"id": one, "n": True})  # same bucket: nothing moves
            txn.replace("deals", {"id": true, "n": 0})
        assert ids(store.find("deals", Eq("n", 1))) == [one, one_f]
        assert ids(store.find("deals", Eq("n", False))) == [true]


def test_aborted_transactions_and_failed_commits_change_no_index(folder, monkeypatch):
    with TinyStore(folder) as store:
        [kept] = insert(store, "deals", {"stage": "lead"})
        before = {path: {k: list(v) for k, v in b.items()} for path, b in live_buckets(store, "deals").items()}
        with pytest.raises(RuntimeError):
            with store.transaction() as txn:
                txn.insert("deals", {"stage": "lead"})
                txn.replace("deals", {"id": kept, "stage": "won"})
                raise RuntimeError
        with store.transaction() as outer:
            with pytest.raises(RuntimeError):
                with store.transaction() as inner:
                    inner.delete("deals", kept)
                    raise RuntimeError
            outer.insert("deals", {"stage": "won"})
        assert store.count("deals", Eq("stage", "lead")) == 1
        assert store.count("deals", Eq("stage", "won")) == 1

        def broken_fsync(fd):
            raise OSError(5, "Input/output error")

        monkeypatch.setattr(journal.os, "fsync", broken_fsync)
        with pytest.raises(StoreError):
            with store.transaction() as txn:
                txn.replace("deals", {"id": kept, "stage": "lost"})
        monkeypatch.undo()
        assert store.count("deals", Eq("stage", "lost")) == 0
        assert live_buckets(store, "deals") == fresh_buckets(store, "deals")
        assert before["stage"]["lead"] == [kept]


def test_reopen_and_compaction_rebuild_the_same_indexes(folder):
    with TinyStore(folder, compact_bytes=2048) as store:
        made = insert(store, "events", *[{"deal_id": n % 7, "pad": "x" * 30} for n in range(100)])
        for id in made[::3]:
            with store.transaction() as txn:
                txn.replace("events", {"id": id, "deal_id": 99})
        with store.transaction() as txn:
            txn.delete("events", made[1])
        assert (folder / journal.SNAPSHOT).exists(), "compacted along the way"
        history = store.find("events", Eq("deal_id", 99))
        buckets = live_buckets(store, "events")
        assert buckets == fresh_buckets(store, "events")
    with TinyStore(folder) as store:
        assert live_buckets(store, "events") == buckets
        assert store.find("events", Eq("deal_id", 99)) == history
        store.compact()
    with TinyStore(folder) as store:
        assert live_buckets(store, "events") == buckets


def test_the_files_are_the_same_with_and_without_indexes(tmp_path):
    def run(folder, indexes, ordered=None):
        with TinyStore(folder, indexes=indexes, ordered=ordered) as store:
            [a, b] = insert(store, "deals", {"stage": "lead", "owner": "ann", "updated_at": "t"}, {"stage": "won"})
            with store.transaction() as txn:
                txn.replace("deals", {"id": a, "stage": "won"})
                txn.delete("deals", b)
            journal_bytes = (folder / journal.JOURNAL).read_bytes()
            store.compact()
        header, *rows = (folder / journal.SNAPSHOT).read_bytes().splitlines()
        header = json.loads(header.split(b" ", 2)[2])
        assert len(header.pop("generation")) == 16  # each snapshot's own
        return journal_bytes, header, rows

    assert run(tmp_path / "with", None) == run(tmp_path / "without", {})
    assert run(tmp_path / "with ordered", None) == run(tmp_path / "without ordered", None, {})


def test_readers_see_whole_transactions_through_an_index(folder):
    with TinyStore(folder) as store:
        stop = threading.Event()
        seen = []

        def read():
            while not stop.is_set():
                seen.append((store.count("events", Eq("deal_id", 1)), len(store.find("events", Eq("deal_id", 1)))))

        reader = threading.Thread(target=read)
        reader.start()
        try:
            for _ in range(100):
                insert(store, "events", {"deal_id": 1}, {"deal_id": 1})
        finally:
            stop.set()
            reader.join()
        assert seen and all(count % 2 == 0 and found % 2 == 0 for count, found in seen)


# --- the same answers as a scan --------------------------------------------------------------

INDEXED = ("a", "b", "data.a", "data.b.c")
ORDERED = ("a", "c", "data.b.c")  # hash-indexed too, or not: "c"
FIELDS = [*INDEXED, "c", "missing"]
# Few distinct values, so that filters hit; 1, 1.0 and True are equal, "x" and "X" are not.
COMMON = st.sampled_from([None, True, 0, 1, 1.0, "x"])
SCALARS = COMMON | st.sampled_from([False, -1.5, "", "X", "ab"])
VALUE_SET = [None, True, False, 0, 1.0, -1.5, "", "x", "X", "ab", ["x"], {"a": 1}]
VALUES = st.one_of(
    COMMON, COMMON, SCALARS,
    st.lists(SCALARS, max_size=2),
    st.dictionaries(st.sampled_from(["a", "c"]), SCALARS, max_size=1),
)
DOCS = st.fixed_dictionaries({"a": VALUES, "b": VALUES}, optional={
    "c": VALUES,
    "data": st.one_of(VALUES, st.fixed_dictionaries({}, optional={
        "a": VALUES, "b": VALUES | st.fixed_dictionaries({}, optional={"c": VALUES}),
    })),
})
# Text bounds around and between the documents' texts; None for an open end.
BOUND_SET = [None, "", "X", "a", "ab", "x", "y"]
BOUNDS = st.sampled_from(BOUND_SET)
field = st.sampled_from(FIELDS)
indexed = st.sampled_from(INDEXED)
eligible = st.one_of(
    st.builds(Eq, indexed, SCALARS),
    st.builds(Range, st.sampled_from(ORDERED), BOUNDS, BOUNDS),
    st.builds(In, indexed, st.lists(SCALARS, max_size=3).map(tuple)),
    st.builds(In, indexed, st.lists(SCALARS, min_size=9, max_size=12).map(tuple)),  # not a check
)
leaf = st.one_of(
    eligible,
    st.builds(Eq, field, VALUES),
    st.builds(In, field, st.lists(VALUES, max_size=3).map(tuple)),
    st.builds(Range, field, SCALARS, SCALARS),  # mixed bounds: text, numbers, null
    st.builds(Contains, field, st.sampled_from(["", "a", "X"])),
    st.just(Everything()),
    st.just(Nothing()),
)
FILTERS = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.builds(And, st.lists(inner, max_size=4).map(tuple)),
        st.builds(Or, st.lists(inner, max_size=3).map(tuple)),
        st.builds(Not, inner),
    ),
    max_leaves=8,
) | st.builds(And, st.lists(eligible, min_size=2, max_size=3).map(tuple)) | st.builds(
    And, st.lists(eligible | leaf, min_size=1, max_size=4).map(tuple)
)
WRITES = st.lists(
    st.one_of(
        st.tuples(st.just("insert"), DOCS),
        st.tuples(st.just("insert"), DOCS),
        st.tuples(st.just("replace"), st.integers(0, 10**6), DOCS),
        st.tuples(st.just("delete"), st.integers(0, 10**6)),
    ),
    min_size=1,
    max_size=8,
)


def canonical(rows):
    return json.dumps(rows, sort_keys=True)


class IndexedStoreAgreesWithAScan(RuleBasedStateMachine):
    """Random writes, aborts, reopens and compactions; every query compared with ``matches``."""

    def __init__(self):
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="goldsieve-indexes-"))
        self.options = {"indexes": {"deals": INDEXED}, "ordered": {"deals": ORDERED}, "compact_bytes": 4096}
        self.store = TinyStore(self.tmp / "data", **self.options)
        self.docs: dict[int, dict] = {}  # the committed documents, by id

    @initialize(docs=st.lists(DOCS, min_size=3, max_size=15))
    def fill(self, docs):
        self.transaction([("insert", doc) for doc in docs], abort=False)

    def teardown(self):
        self.store.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _stage(self, txn, writes, docs):
        for write in writes:
            if write[0] == "insert":
                doc = json.loads(json.dumps(write[1]))
                id = txn.insert("deals", doc)
                docs[id] = doc
            elif docs:
                id = sorted(docs)[write[1] % len(docs)]
                if write[0] == "replace":
                    docs[id] = {**json.loads(json.dumps(write[2])), "id": id}
                    txn.replace("deals", dict(docs[id]))
                else:
                    txn.delete("deals", id)
                    del docs[id]

    @rule(writes=WRITES, abort=st.booleans())
    def transaction(self, writes, abort):
        docs = dict(self.docs)
        try:
            with self.store.transaction() as txn:
                self._stage(txn, writes, docs)
                if abort:
                    raise RuntimeError("abort")
        except RuntimeError:
            return
        self.docs = docs

    @rule(outer=WRITES, inner=WRITES)
    def nested_transaction_that_fails_inside(self, outer, inner):
        docs = dict(self.docs)
        with self.store.transaction() as txn:
            self._stage(txn, outer, docs)
            with pytest.raises(RuntimeError):
                with self.store.transaction() as nested:
                    self._stage(nested, inner, dict(docs))
                    raise RuntimeError("undo only this part")
        self.docs = docs

    @rule()
    def reopen(self):
        self.store.close()
        self.store = TinyStore(self.tmp / "data", **self.options)

    @rule()
    def compact(self):
        self.store.compact()

    @rule(wheres=st.lists(FILTERS, min_size=1, max_size=4), data=st.data())
    def query(self, wheres, data):
        near = st.integers(-1, max(self.docs, default=0) + 2)
        if self.docs:
            near |= st.sampled_from(sorted(self.docs))  # a cursor on a stored id, as pages have
        for where in wheres:
            after = data.draw(st.none() | near, label="after")
            limit = data.draw(st.none() | st.integers(0, 4), label="limit")
            descending = data.draw(st.booleans(), label="descending")
            self.check(where, after, limit, descending)

    def check(self, where, after=None, limit=None, descending=False):
        rows = sorted(self.docs.items(), reverse=descending)
        expected = [doc for id, doc in rows if matches(where, doc)]
        assert self.store.count("deals", where) == len(expected), where
        if after is not None:
            expected = [d for d in expected if (d["id"] < after if descending else d["id"] > after)]
        if limit is not None:
            expected = expected[:limit]
        got = self.store.find("deals", where, after=after, limit=limit, descending=descending)
        assert canonical(got) == canonical(expected), (where, after, limit, descending)

    @invariant()
    def every_value_of_every_index_answers_like_a_scan(self):
        for path in INDEXED:
            for value in VALUE_SET:
                self.check(Eq(path, value), descending=value is None)

    @invariant()
    def every_text_range_of_every_ordered_path_answers_like_a_scan(self):
        for path in ORDERED:
            for n, low in enumerate(BOUND_SET):
                for high in BOUND_SET[n:]:
                    self.check(Range(path, low, high), descending=high is None)

    @invariant()
    def indexes_equal_a_rebuild(self):
        assert live_buckets(self.store, "deals") == fresh_buckets(self.store, "deals")
        assert live_ordered(self.store, "deals") == fresh_ordered(self.store, "deals")


IndexedStoreAgreesWithAScan.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_indexed_store_agrees_with_a_scan = IndexedStoreAgreesWithAScan.TestCase


@pytest.mark.parametrize("indexes", [None, {}])
def test_an_eq_or_in_on_id_reads_only_the_ids_it_names(tmp_path, indexes):
    with TinyStore(tmp_path / "data", indexes=indexes) as store:
        insert(store, "deals", *[{"stage": f"s{n % 3}", "n": n} for n in range(1, 31)])
        with store.transaction() as txn:
            txn.delete("deals", 5)
        everything = store.find("deals")
        cases = [
            In("id", (3, 5, 7, 99, 1.0, True, "2", 2.5, None)),  # 5 is deleted, 99 never was
            Eq("id", 4.0),
            Eq("id", "4"),
            In("id", ()),
            And((In("id", tuple(range(1, 31, 2))), Eq("stage", "s1"))),
            And((Eq("stage", "s0"), In("id", (3, 6, 9, 10)), Range("n", 4, None))),
        ]
        for where in cases:
            expected = [doc for doc in everything if matches(where, doc)]
            assert store.find("deals", where) == expected, where
            assert store.count("deals", where) == len(expected), where
            assert store.find("deals", where, descending=True, limit=2) == expected[::-1][:2], where
            if expected:
                assert store.find("deals", where, after=expected[0]["id"]) == expected[1:], where
        assert store.explain("deals", In("id", (3, 5, 7))).startswith("index id (3 ids)")
        assert store.explain("deals", Eq("id", "4")) == "nothing can match"
        assert store.explain("teams", In("id", (1, 2))).startswith("index id"), "no index of its own needed"

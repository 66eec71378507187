"""How the embedded store answers a filter: a TinyDB query tested on every document (a scan),
or indexes that name the candidate ids, with a TinyDB query for the rest of the filter.

An index maps a value to the ascending list of ids of the documents holding it at one path of
one table. Indexes live in memory only: built from the data when the store opens, updated as
each commit is applied, never written to the journal or the snapshot, so the set of indexes
can change between runs without touching the files.

Only JSON scalars are indexed (text, numbers, booleans, null). A document with a list or an
object at an indexed path is left out of that index, which loses nothing: a list or object is
never ``==`` a scalar, so it cannot match an ``Eq`` or ``In`` on scalars, and a filter on a
non-scalar value is answered by a scan. Values that Python calls equal share a bucket (``1``,
``1.0`` and ``True``), which is what ``Eq`` means in :func:`filters.matches`, the reference
every plan must agree with.

An ordered index keeps the *text* values of one path sorted, so that a ``Range`` with text
bounds (``updated_at`` before a moment, ``due`` up to now) is a slice instead of a test on every
document. Text only, because that is all such a ``Range`` can match: comparing text with a
number, null, list or object raises ``TypeError``, which ``matches`` counts as no match.
"""
from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import reduce
from itertools import repeat
from typing import Any

from tinydb import Query
from tinydb.queries import QueryInstance

from . import filters as F

#: What a store indexes unless told otherwise: what the engine, the API and sign-in look up.
DEFAULT_INDEXES: dict[str, tuple[str, ...]] = {
    "deals": ("funnel", "stage", "owner", "status"),
    "events": ("deal_id",),
    "tokens": ("digest",),
    "users": ("username",),
    "outbox": ("status",),
    "tasks": ("assignee", "deal_id"),
    "notifications": ("user",),
    "login_failures": ("key",),
}

#: The ordered indexes a store keeps unless told otherwise: the paths the background work
#: ranges over (the stale scan, the digest's stale deals, the outbox claim, overdue tasks,
#: sign-in throttling).
DEFAULT_ORDERED: dict[str, tuple[str, ...]] = {
    "deals": ("updated_at", "stale_since"),
    "outbox": ("due",),
    "tasks": ("due",),
    "login_failures": ("at",),
}

#: An ``In`` with more values than this is tested on the documents instead of by bisecting
#: each of its buckets for every candidate.
MAX_CHECK_BUCKETS = 8

#: A ``Range`` on an ordered index is checked by id (its ids copied and sorted once) only when it
#: holds at most this many times the driving lookup's ids; a larger one costs more to sort than
#: testing the candidates' documents does (sorting costs about 0.5 µs an id, testing a document
#: about 2 µs, checking an id by bisection about 1 µs).
MAX_CHECK_RANGE_RATIO = 2

_SCALARS = frozenset({str, int, float, bool, type(None)})
_SKIP = object()


# ---------------------------------------------------------------------------------------------
# Filters -> TinyDB queries


def _in_range(value: Any, low: Any, high: Any) -> bool:
    try:
        return (low is None or value >= low) and (high is None or value < high)
    except TypeError:
        return False


def _contains(value: Any, folded: str) -> bool:
    return isinstance(value, str) and folded in value.casefold()


def _all(parts: list[QueryInstance], kind: str) -> QueryInstance:
    # One flat node instead of nested ``a & b & c``: a long OR (say, of many team scopes)
    # would otherwise nest one call per part and can hit the recursion limit.
    combine = all if kind == "and" else any
    hashes = [p._hash for p in parts]
    hashval = None if None in hashes else (kind, frozenset(hashes))
    return QueryInstance(lambda doc: combine(p(doc) for p in parts), hashval)


def to_query(flt: F.Filter) -> QueryInstance:
    """The TinyDB query equivalent to ``flt`` (reference: :func:`filters.matches`)."""
    if isinstance(flt, F.Everything):
        return Query().noop()
    if isinstance(flt, F.Nothing):
        return ~Query().noop()
    if isinstance(flt, F.And):
        return _all([to_query(p) for p in flt.parts], "and")
    if isinstance(flt, F.Or):
        return _all([to_query(p) for p in flt.parts], "or")
    if isinstance(flt, F.Not):
        return ~to_query(flt.part)
    field = reduce(lambda q, key: q[key], flt.field.split("."), Query())
    if isinstance(flt, F.Eq):
        return field == flt.value
    if isinstance(flt, F.In):
        return field.one_of(tuple(flt.values))
    if isinstance(flt, F.Range):
        return field.test(_in_range, flt.low, flt.high)
    if isinstance(flt, F.Contains):
        return field.test(_contains, flt.text.casefold())
    raise TypeError(f"not a filter: {flt!r}")


# ---------------------------------------------------------------------------------------------
# Hash indexes


class _PathIndex:
    """What every index of one path does the same way: keep itself current through a commit.

    A kind of index says which values it holds (:meth:`value`, ``_SKIP`` for none) and how to
    add and discard one id with its value."""

    __slots__ = ("_keys", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        self._keys = tuple(path.split("."))

    def value(self, doc: Mapping | None) -> Any:
        raise NotImplementedError

    def add(self, id: int, value: Any) -> None:
        raise NotImplementedError

    def discard(self, id: int, value: Any) -> None:
        raise NotImplementedError

    def change(self, id: int, old: Mapping | None, new: Mapping | None) -> None:
        """Move ``id`` from ``old``'s value to ``new``'s (``None``: inserted, deleted)."""
        before, after = self.value(old), self.value(new)
        if before == after:  # unchanged, or neither is indexed (_SKIP is only equal to itself)
            return
        if before is not _SKIP:
            self.discard(id, before)
        if after is not _SKIP:
            self.add(id, after)


class Index(_PathIndex):
    """Value -> ascending ids of the documents holding that value at ``path``."""

    __slots__ = ("buckets",)

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.buckets: dict[Any, list[int]] = {}

    def value(self, doc: Mapping | None) -> Any:
        """The indexed value of ``doc``, or ``_SKIP`` (no document, path absent, not a scalar)."""
        value = _value_at(self._keys, doc)
        return value if type(value) in _SCALARS else _SKIP

    def add(self, id: int, value: Any) -> None:
        bucket = self.buckets.get(value)
        if bucket is None:
            self.buckets[value] = [id]
        elif bucket[-1] < id:
            bucket.append(id)  # ids are handed out increasing: the common case
        else:
            insort(bucket, id)

    def discard(self, id: int, value: Any) -> None:
        bucket = self.buckets.get(value)
        if bucket is None:
            return
        at = bisect_left(bucket, id)
        if at < len(bucket) and bucket[at] == id:
            del bucket[at]
            if not bucket:
                del self.buckets[value]

    def lookup(self, value: Any) -> list[int] | None:
        """The bucket of ``value``, ``[]`` for none, ``None`` when an index cannot say."""
        if type(value) not in _SCALARS:
            return None
        return self.buckets.get(value, [])


def _value_at(keys: tuple[str, ...], doc: Mapping | None) -> Any:
    """The value at the path ``keys`` of ``doc``, or ``_SKIP`` (no document, path absent)."""
    value: Any = doc
    for key in keys:
        if not isinstance(value, dict):
            return _SKIP
        value = value.get(key, _SKIP)
    return value


def index_spec(
    indexes: Mapping[str, Iterable[str]] | None,
    tables: Iterable[str],
    default: Mapping[str, tuple[str, ...]] = DEFAULT_INDEXES,
    option: str = "indexes",
) -> dict[str, tuple[str, ...]]:
    """The checked ``{table: (path, ...)}`` a store maintains; ``None`` means ``default``.

    ``option`` names the setting in error messages (``indexes`` or ``ordered``).
    """
    spec = default if indexes is None else indexes
    known = tuple(tables)
    checked: dict[str, tuple[str, ...]] = {}
    for table, paths in spec.items():
        if table not in known:
            raise ValueError(f"{option}: cannot index table {table!r}; the tables are {', '.join(known)}")
        if isinstance(paths, str):
            raise TypeError(f"{option}[{table!r}] is a tuple of paths, not the string {paths!r}")
        paths = tuple(dict.fromkeys(paths))
        for path in paths:
            if not isinstance(path, str) or not all(path.split(".")):
                raise ValueError(f"{option}[{table!r}]: {path!r} is not a dotted field path")
        if paths:
            checked[table] = paths
    return checked


def build_indexes(
    spec: Mapping[str, tuple[str, ...]], tables: Mapping[str, Mapping[str, Mapping]]
) -> dict[str, dict[str, Index]]:
    """Indexes of ``spec`` over ``tables`` (table -> str id -> document)."""
    built: dict[str, dict[str, Index]] = {}
    for table, paths in spec.items():
        indexes = [Index(path) for path in paths]
        ids = list(map(int, tables[table]))
        docs = list(tables[table].values())
        for index in indexes:
            # The open's hot loop (a million events): appends only, sorted once at the end.
            buckets, value_of = index.buckets, index.value
            if len(index._keys) == 1:  # a top-level field: skip the path walk
                values = map(dict.get, docs, repeat(index.path), repeat(_SKIP))
            else:
                values = map(value_of, docs)
            for id, value in zip(ids, values):
                if type(value) in _SCALARS:
                    bucket = buckets.get(value)
                    if bucket is None:
                        buckets[value] = [id]
                    else:
                        bucket.append(id)
            for bucket in buckets.values():
                bucket.sort()  # a no-op pass in the usual case: the table is in id order
        built[table] = {index.path: index for index in indexes}
    return built


# ---------------------------------------------------------------------------------------------
# Ordered indexes


class OrderedIndex(_PathIndex):
    """The text values at ``path`` in order: document ``ids[i]`` holds ``values[i]``, the pairs
    sorted by value, then id.

    Two parallel lists rather than one of ``(value, id)`` pairs: a tuple per document would
    cost more memory than the two references it holds.
    """

    __slots__ = ("ids", "values")

    def __init__(self, path: str, values: list[str] | None = None, ids: list[int] | None = None) -> None:
        super().__init__(path)
        self.values: list[str] = [] if values is None else values
        self.ids: list[int] = [] if ids is None else ids

    def value(self, doc: Mapping | None) -> Any:
        """The indexed value of ``doc``, or ``_SKIP`` (no document, path absent, not text)."""
        value = _value_at(self._keys, doc)
        return value if type(value) is str else _SKIP

    def _position(self, id: int, value: str) -> int:
        """Where the pair ``(value, id)`` is, or belongs."""
        low = bisect_left(self.values, value)
        high = bisect_right(self.values, value, low)
        return bisect_left(self.ids, id, low, high)

    def add(self, id: int, value: str) -> None:
        at = self._position(id, value)
        self.values.insert(at, value)
        self.ids.insert(at, id)

    def discard(self, id: int, value: str) -> None:
        at = self._position(id, value)
        if at < len(self.ids) and self.ids[at] == id and self.values[at] == value:
            del self.values[at], self.ids[at]

    def span(self, low: Any, high: Any) -> "Span | None":
        """The documents with ``low <= value < high``; ``None`` when this index cannot say.

        It can when each bound is text or ``None`` and not both are ``None``: a text bound
        matches text values only, but with no bound at all every value matches, lists too.
        """
        if (low is None and high is None) or any(
            bound is not None and type(bound) is not str for bound in (low, high)
        ):
            return None
        start = 0 if low is None else bisect_left(self.values, low)
        end = len(self.values) if high is None else bisect_left(self.values, high)
        return Span(self.ids, start, max(start, end))


class Span:
    """A slice of an ordered index: how many ids it holds is known at once, the ids in id order
    (what plans merge and bisect) only by copying and sorting them."""

    __slots__ = ("_ids", "end", "start")

    def __init__(self, ids: list[int], start: int, end: int):
        self._ids, self.start, self.end = ids, start, end

    def __len__(self) -> int:
        return self.end - self.start

    def sorted_ids(self) -> list[int]:
        return sorted(self._ids[self.start : self.end])


def build_ordered(
    spec: Mapping[str, tuple[str, ...]], tables: Mapping[str, Mapping[str, Mapping]]
) -> dict[str, dict[str, OrderedIndex]]:
    """Ordered indexes of ``spec`` over ``tables`` (table -> str id -> document)."""
    built: dict[str, dict[str, OrderedIndex]] = {}
    for table, paths in spec.items():
        built[table] = {}
        for path in paths:
            index = OrderedIndex(path)
            # One sort of (value, id) pairs, split afterwards: inserting one by one would move
            # the lists' tails for every document.
            pairs = sorted(
                (value, int(id))
                for id, doc in tables[table].items()
                if (value := index.value(doc)) is not _SKIP
            )
            index.values, index.ids = [v for v, _ in pairs], [i for _, i in pairs]
            built[table][path] = index
    return built


# ---------------------------------------------------------------------------------------------
# Plans


class Plan:
    """Candidate ids from indexes and the part of the filter they leave to test on documents.

    ``drive`` is the smallest lookup (its buckets' union gives the candidates, in id order);
    each of ``checks`` is another lookup a candidate's id must be in (found by bisection,
    without the document); ``rest`` is what only the document can answer, or ``None``.
    ``used`` names the lookups, driving one first, as ``(path, ordered)``.
    """

    def __init__(
        self,
        drive: list[list[int]],
        checks: list[list[list[int]]],
        rest: F.Filter | None,
        used: list[tuple[str, bool]],
    ):
        self.drive, self.checks, self.rest, self.used = drive, checks, rest, used

    def ids(self, after: int | None = None, descending: bool = False) -> Iterator[int]:
        """Candidate ids that pass every check, in id order, past the ``after`` cursor.

        Read the buckets only while holding the lock the store applies commits under.
        """
        streams = [_walk(bucket, after, descending) for bucket in self.drive]
        ids = streams[0] if len(streams) == 1 else heapq.merge(*streams, reverse=descending)
        for buckets in self.checks:
            ids = filter(_member(buckets), ids)
        return ids

    def count(self) -> int:
        """How many ids pass (``rest`` aside); touches no document."""
        if not self.checks:
            return sum(map(len, self.drive))
        return sum(1 for _ in self.ids())

    def describe(self) -> str:
        if not self.used:
            return "nothing can match"
        (path, ordered), *checks = self.used
        text = f"{'ordered index' if ordered else 'index'} {path} ({sum(map(len, self.drive))} ids)"
        if checks:
            text += ", check " + ", ".join(f"{p} (ordered)" if o else p for p, o in checks)
        if self.rest is not None:
            text += ", then test the rest on each document"
        return text


NOTHING = Plan([], [], None, [])


def plan(
    where: F.Filter | None,
    indexes: Mapping[str, Index] | None,
    ordered: Mapping[str, OrderedIndex] | None = None,
) -> Plan | None:
    """How to answer ``where`` from ``indexes`` and ``ordered``, or ``None`` when a scan must.

    An ``Eq`` or ``In`` on scalars of a hash-indexed path, or a ``Range`` with text bounds on
    an ordered path, alone or as a part of an ``And`` (nested ones too), is answered by its
    index; an ``Or``, ``Not``, ``Contains`` or any other part becomes part of ``rest``. The
    smallest lookup drives; the others are checks by id if cheap enough, else part of ``rest``.
    Without a single such part, there is no plan.
    """
    if (not indexes and not ordered) or where is None:
        return None
    lookups: list[tuple[int, list[list[int]] | Span, F.Filter]] = []
    rest: list[F.Filter] = []
    for part in _conjuncts(where):
        if isinstance(part, F.Everything):
            continue
        if isinstance(part, F.Nothing):
            return NOTHING
        found = _lookup(part, indexes) if indexes else None
        if found is None and ordered and isinstance(part, F.Range):
            index = ordered.get(part.field)
            found = None if index is None else index.span(part.low, part.high)
        if found is None:
            rest.append(part)
            continue
        size = len(found) if isinstance(found, Span) else sum(map(len, found))
        if not size:
            return NOTHING
        lookups.append((size, found, part))
    if not lookups:
        return None
    lookups.sort(key=lambda lookup: lookup[0])
    (driving, first, part), *others = lookups
    drive = [first.sorted_ids()] if isinstance(first, Span) else first
    checks, used = [], [(part.field, isinstance(first, Span))]
    for size, found, part in others:
        if isinstance(found, Span):
            cheap = size <= MAX_CHECK_RANGE_RATIO * driving
        else:
            cheap = len(found) <= MAX_CHECK_BUCKETS
        if cheap:
            checks.append([found.sorted_ids()] if isinstance(found, Span) else found)
            used.append((part.field, isinstance(found, Span)))
        else:
            rest.append(part)
    remainder = None if not rest else rest[0] if len(rest) == 1 else F.And(tuple(rest))
    return Plan(drive, checks, remainder, used)


def _conjuncts(flt: F.Filter) -> Iterator[F.Filter]:
    if isinstance(flt, F.And):
        for part in flt.parts:
            yield from _conjuncts(part)
    else:
        yield flt


def _lookup(part: F.Filter, indexes: Mapping[str, Index]) -> list[list[int]] | None:
    """The non-empty buckets answering ``part``; ``None`` when no index can answer it."""
    if isinstance(part, F.Eq):
        index = indexes.get(part.field)
        if index is None:
            return None
        bucket = index.lookup(part.value)
        return None if bucket is None else [bucket] if bucket else []
    if isinstance(part, F.In):
        index = indexes.get(part.field)
        if index is None:
            return None
        found: dict[int, list[int]] = {}  # by identity: In(("a", 1, True)) has two buckets
        for value in part.values:
            bucket = index.lookup(value)
            if bucket is None:
                return None
            if bucket:
                found[id(bucket)] = bucket
        return list(found.values())
    return None


def _walk(bucket: list[int], after: int | None, descending: bool) -> Iterator[int]:
    """The ids of a sorted bucket past ``after``, without copying it."""
    if after is None:
        return reversed(bucket) if descending else iter(bucket)
    if descending:
        return map(bucket.__getitem__, range(bisect_left(bucket, after) - 1, -1, -1))
    return map(bucket.__getitem__, range(bisect_right(bucket, after), len(bucket)))


def _member(buckets: list[list[int]]) -> Callable[[int], bool]:
    """A test whether an id is in one of the sorted ``buckets``."""
    if len(buckets) == 1:
        [bucket] = buckets

        def member_of_one(id: int) -> bool:
            at = bisect_left(bucket, id)
            return at < len(bucket) and bucket[at] == id

        return member_of_one

    def member(id: int) -> bool:
        for bucket in buckets:
            at = bisect_left(bucket, id)
            if at < len(bucket) and bucket[at] == id:
                return True
        return False

    return member


# ---------------------------------------------------------------------------------------------
# Answers


def select(
    raw: Mapping[str, Mapping],
    next_id: int,
    where: F.Filter | None,
    steps: Plan | None,
    after: int | None = None,
    descending: bool = False,
) -> Iterator[Mapping]:
    """The documents of ``raw`` (str id -> document, in id order) matching ``where``, in id
    order past ``after``: by ``steps`` (a plan for ``where``), or by a scan when it is ``None``.

    Consume it while holding the lock the store applies commits under.
    """
    if steps is None:
        test = None if where is None or isinstance(where, F.Everything) else to_query(where)
        docs = _scan(raw, next_id, after, descending)
        return docs if test is None else filter(test, docs)
    docs = map(raw.__getitem__, map(str, steps.ids(after, descending)))
    return docs if steps.rest is None else filter(to_query(steps.rest), docs)


def _scan(
    raw: Mapping[str, Mapping], next_id: int, after: int | None, descending: bool
) -> Iterator[Mapping]:
    """Documents in id order past the cursor; probes ids directly when that is cheaper."""
    if after is None:
        yield from reversed(raw.values()) if descending else raw.values()
        return
    span = range(after - 1, 0, -1) if descending else range(after + 1, next_id)
    if len(span) < len(raw):
        for id in span:
            doc = raw.get(str(id))
            if doc is not None:
                yield doc
        return
    for doc in reversed(raw.values()) if descending else raw.values():
        if (doc["id"] < after) if descending else (doc["id"] > after):
            yield doc

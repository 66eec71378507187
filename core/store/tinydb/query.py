"""How the embedded store answers a filter: a TinyDB query tested on every document (a scan),
or indexes that name the candidate ids, with a TinyDB query for the rest of the filter.

An index maps a value to the ascending list of ids of the documents holding it at one path of
one table. Indexes live in memory (:mod:`.indexes` says where they are saved as caches), updated
as each commit is applied, never written to the journal or the snapshot, so the set of indexes
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
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Mapping
from functools import reduce
from typing import Any

from tinydb import Query
from tinydb.queries import QueryInstance

from .. import filters as F
from .indexes import Index, OrderedIndex, Span

#: An ``In`` with more values than this is tested on the documents instead of by bisecting
#: each of its buckets for every candidate.
MAX_CHECK_BUCKETS = 8

#: A ``Range`` on an ordered index is checked by id (its ids copied and sorted once) only when it
#: holds at most this many times the driving lookup's ids; a larger one costs more to sort than
#: testing the candidates' documents does (sorting costs about 0.5 µs an id, testing a document
#: about 2 µs, checking an id by bisection about 1 µs).
MAX_CHECK_RANGE_RATIO = 2



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

    An ``Eq`` or ``In`` on scalars of a hash-indexed path or on ``id`` (every table's own
    index), or a ``Range`` with text bounds on an ordered path, alone or as a part of an ``And``
    (nested ones too), is answered by its index; an ``Or``, ``Not``, ``Contains`` or any other part becomes part of ``rest``. The
    smallest lookup drives; the others are checks by id if cheap enough, else part of ``rest``.
    Without a single such part, there is no plan.
    """
    if where is None:
        return None
    lookups: list[tuple[int, list[list[int]] | Span, F.Filter]] = []
    rest: list[F.Filter] = []
    for part in _conjuncts(where):
        if isinstance(part, F.Everything):
            continue
        if isinstance(part, F.Nothing):
            return NOTHING
        found = _by_id(part)
        if found is not None:
            # An id named need not exist: select skips it, and a rest (here one that every
            # document passes, not the part: a test against the tuple of values would cost a
            # pass over them per document) makes count read the documents.
            rest.append(F.Everything())
        elif indexes:
            found = _lookup(part, indexes)
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


def _by_id(part: F.Filter) -> list[list[int]] | None:
    """The ids an ``Eq`` or ``In`` on ``id`` names, as one bucket: a table's keys are the index
    of its ids. Only whole numbers can equal a document's id (``1.0`` and ``True`` equal 1)."""
    if not isinstance(part, (F.Eq, F.In)) or part.field != "id":
        return None
    ids = set()
    for value in (part.value,) if isinstance(part, F.Eq) else part.values:
        if type(value) in (int, bool) or (type(value) is float and value.is_integer()):
            ids.add(int(value))
    return [sorted(ids)] if ids else []


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
    # A plan's ids are stored documents', but for those an ``id`` lookup names (see ``_by_id``).
    docs = filter(None, map(raw.get, map(str, steps.ids(after, descending))))
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

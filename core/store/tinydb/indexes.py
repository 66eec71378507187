"""The embedded store's indexes: hash indexes (a value → the ascending ids of the documents
holding it at one path of one table) and ordered indexes (the text values of one path, sorted).

Indexes live in memory: built from the data when the store opens, updated as each commit is
applied, never written to the journal or the snapshot, so the set of indexes can change between
runs without touching the files. They are also saved, as caches that an open reads instead of
building them: the events' beside the events' file (:mod:`.events`), the other tables' in the
snapshot's image (:mod:`.image`); either is rebuilt when it was saved for other paths. Only JSON scalars are indexed (see :mod:`.query` for why that
loses nothing); an ordered index holds text only, all a ``Range`` with text bounds can match.
"""
from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Mapping
from itertools import repeat
from typing import Any

#: What a store indexes unless told otherwise: what the engine, the API, sign-in and the customer
#: page (a customer's deals) look up.
DEFAULT_INDEXES: dict[str, tuple[str, ...]] = {
    "deals": ("funnel", "stage", "owner", "status", "customer_id"),
    "events": ("deal_id", "funnel"),  # funnel: the analytics' history of one funnel
    "tokens": ("digest",),
    "users": ("username",),
    "outbox": ("status",),
    "tasks": ("assignee", "deal_id"),
    "notifications": ("user",),
    "login_failures": ("key",),
    "customers": ("owner",),
    "customer_events": ("customer_id",),
    "customer_keys": ("key", "customer_id"),
    "contacts": ("customer_id", "data.email", "data.phone"),  # and lead intake's match
    "activities": ("deal_id", "customer_id", "owner", "type"),  # type: the list's activity filter
    "workplace_state": ("key",),
}

#: The ordered indexes a store keeps unless told otherwise: the paths the background work
#: ranges over (the stale scan, the digest's stale deals, the outbox claim, overdue tasks,
#: sign-in throttling, the pool's reclaim scan).
DEFAULT_ORDERED: dict[str, tuple[str, ...]] = {
    "deals": ("updated_at", "stale_since"),
    "outbox": ("due",),
    "tasks": ("due",),
    "login_failures": ("at",),
    "customers": ("last_activity_at",),
}

_SCALARS = frozenset({str, int, float, bool, type(None)})
_SKIP = object()


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


def _compact(ids: Iterable[int]) -> array:
    return array("q", ids)


class Index(_PathIndex):
    """Value -> ascending ids of the documents holding that value at ``path``.

    ``compact`` buckets are arrays of 8-byte ids instead of lists of int objects (a third of the
    memory): for the events' indexes, a million ids each.
    """

    __slots__ = ("_bucket", "buckets")

    def __init__(self, path: str, *, compact: bool = False) -> None:
        super().__init__(path)
        self.buckets: dict[Any, list[int]] = {}
        self._bucket: Callable[[Iterable[int]], Any] = _compact if compact else list

    def value(self, doc: Mapping | None) -> Any:
        """The indexed value of ``doc``, or ``_SKIP`` (no document, path absent, not a scalar)."""
        value = _value_at(self._keys, doc)
        return value if type(value) in _SCALARS else _SKIP

    def add(self, id: int, value: Any) -> None:
        bucket = self.buckets.get(value)
        if bucket is None:
            self.buckets[value] = self._bucket((id,))
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
        ids = list(map(int, tables[table]))
        docs = list(tables[table].values())
        for path in paths:
            index = OrderedIndex(path)
            if len(index._keys) == 1:  # a top-level field: skip the path walk (the open's hot loop)
                values = map(dict.get, docs, repeat(path), repeat(_SKIP))
            else:
                values = map(index.value, docs)
            # One sort of (value, id) pairs, split afterwards: inserting one by one would move
            # the lists' tails for every document.
            pairs = sorted((value, id) for value, id in zip(values, ids) if type(value) is str)
            index.values, index.ids = [v for v, _ in pairs], [i for _, i in pairs]
            built[table][path] = index
    return built

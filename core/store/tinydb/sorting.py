"""The embedded store's sort indexes: every document of a table in the order of one path
(:func:`goldsieve.store.ordering.sort_key`), so that the first page of a sorted list walks that
order and stops after a page instead of looking at every match and sorting it.

A :class:`SortIndex` holds each document once, absent values and lists too (they have a place
in the order), in one segment per rank of :func:`~goldsieve.store.ordering.value_key`: within a
segment two parallel lists, the values (the document's own objects, shared, not copied) and the
ids, sorted by value, then id. Values of every kind at one path sort as the reference says,
whatever was stored there before a funnel declared the field.

Like the store's other indexes they live in memory and change only where the store applies a
committed write (``_apply``, under its commit lock). Those of :data:`SORTED` are built when the
store opens; a sort by any other path (a declared field) builds its index on its first use, at
most :data:`MAX_SORTED` a table, and keeps it from then on. A reopen rebuilds them from the data.

Walking the order pays when many documents match (the page is found after few of them); when an
index lookup leaves few candidates, sorting those is cheaper: :func:`ordered_page` chooses.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Mapping
from itertools import chain, islice
from typing import Any

from .. import filters as F
from ..base import page_of
from ..filters import MISSING, field_value
from ..ordering import OTHER, TEXT, Key, Order, after_cursor, sort_key, value_key
from .query import Plan, select, to_query

#: The sorts whose indexes are built when the store opens: the list's common ones.
SORTED: dict[str, tuple[str, ...]] = {"deals": ("title", "created_at", "updated_at", "data.amount")}
#: Sort indexes a table keeps at most; a sort by yet another path is answered by a pass.
MAX_SORTED = 16
#: Tables never sort-indexed: the events are read from their file on demand.
UNSORTED = frozenset({"events"})


def _place(doc: Mapping, path: str) -> tuple[int, Any]:
    """The segment (rank) and the value within it where ``doc`` goes in the order of ``path``."""
    return _placed(field_value(doc, path))


def _placed(value: Any) -> tuple[int, Any]:
    if type(value) is str:  # the common case first: the open builds the indexes of every deal
        return TEXT, value
    rank, number, text = value_key(value)
    return rank, text if rank == TEXT else number


class SortIndex:
    """The documents of one table in the order of ``path``, ascending: segment ``r`` holds the
    documents of rank ``r``, ``ids[r][i]`` holding ``values[r][i]``."""

    __slots__ = ("ids", "path", "values")

    def __init__(self, path: str, docs: Iterator[Mapping]) -> None:
        self.path = path
        self.values: list[list[Any]] = [[] for _ in range(OTHER + 1)]
        self.ids: list[list[int]] = [[] for _ in range(OTHER + 1)]
        keys = path.split(".")
        for doc in docs:
            value: Any = doc.get(keys[0], MISSING) if len(keys) == 1 else field_value(doc, path)
            rank, value = _placed(value)
            self.values[rank].append(value)
            self.ids[rank].append(doc["id"])
        for rank, (values, ids) in enumerate(zip(self.values, self.ids)):
            # One sort, not an insert per document (each would move the tail). The documents come
            # in id order, and a stable sort by value keeps that order among equal values.
            if any(a > b for a, b in zip(ids, islice(ids, 1, None))):
                pairs = sorted(zip(values, ids))
                order = range(len(pairs))
                values, ids = [v for v, _ in pairs], [i for _, i in pairs]
            else:
                order = sorted(range(len(values)), key=values.__getitem__)
            self.values[rank] = [values[i] for i in order]
            self.ids[rank] = [ids[i] for i in order]

    def _run(self, rank: int, value: Any) -> tuple[int, int]:
        """The bounds of the documents of ``rank`` holding ``value``."""
        values = self.values[rank]
        low = bisect_left(values, value)
        return low, bisect_right(values, value, low)

    def change(self, id: int, old: Mapping | None, new: Mapping | None) -> None:
        """Move ``id`` from ``old``'s place to ``new``'s (``None``: inserted, deleted)."""
        before = None if old is None else _place(old, self.path)
        after = None if new is None else _place(new, self.path)
        if before == after:
            return
        if before is not None:
            rank, value = before
            low, high = self._run(rank, value)
            at = bisect_left(self.ids[rank], id, low, high)
            if at < high and self.ids[rank][at] == id:
                del self.values[rank][at], self.ids[rank][at]
        if after is not None:
            rank, value = after
            low, high = self._run(rank, value)
            at = bisect_left(self.ids[rank], id, low, high)
            self.values[rank].insert(at, value)
            self.ids[rank].insert(at, id)

    def walk(self, descending: bool, after: Key | None = None) -> Iterator[int]:
        """The ids in order (or in reverse), past the cursor ``after`` when given.

        Consume it while holding the lock the store applies commits under."""
        ranks = range(OTHER + 1)
        if after is None:
            if descending:
                return chain.from_iterable(reversed(self.ids[r]) for r in reversed(ranks))
            return chain.from_iterable(self.ids[r] for r in ranks)
        rank, number, text, last = after
        low, high = self._run(rank, text if rank == TEXT else number)
        ids = self.ids[rank]
        if descending:
            end = bisect_left(ids, last, low, high)  # the documents before the cursor's
            head = map(ids.__getitem__, range(end - 1, -1, -1))
            return chain(head, *(reversed(self.ids[r]) for r in range(rank - 1, -1, -1)))
        start = bisect_right(ids, last, low, high)
        head = map(ids.__getitem__, range(start, len(ids)))
        return chain(head, *(self.ids[r] for r in range(rank + 1, OTHER + 1)))

    def __len__(self) -> int:
        return sum(map(len, self.ids))


class SortIndexes:
    """The sort indexes of one store, by table and path."""

    def __init__(self) -> None:
        self._built: dict[str, dict[str, SortIndex]] = {}

    def build(self, raw: Callable[[str], Mapping[str, Mapping]]) -> None:
        """Build those of :data:`SORTED` over the tables ``raw(name)`` (str id -> document)."""
        for table, paths in SORTED.items():
            docs = raw(table)
            self._built[table] = {path: SortIndex(path, iter(docs.values())) for path in paths}

    def change(self, table: str, id: int, old: Mapping | None, new: Mapping | None) -> None:
        """Keep every index of ``table`` current through one applied write."""
        for index in self._built.get(table, {}).values():
            index.change(id, old, new)

    def get(self, table: str, path: str, raw: Mapping[str, Mapping]) -> SortIndex | None:
        """The index of ``path`` on ``table``, built from ``raw`` now if there is none yet;
        ``None`` when the table is never indexed or keeps :data:`MAX_SORTED` already. Call it
        holding the lock the store applies commits under."""
        if table in UNSORTED:
            return None
        indexes = self._built.setdefault(table, {})
        index = indexes.get(path)
        if index is None and len(indexes) < MAX_SORTED:
            index = indexes[path] = SortIndex(path, iter(raw.values()))
        return index


def walks(candidates: int, documents: int, limit: int) -> bool:
    """Whether walking the order beats sorting the candidates (what an index leaves of the
    ``documents``; the matches are at most that many): the walk reads about ``limit`` ×
    ``documents`` / matches documents, the sort every candidate."""
    return candidates * candidates > limit * documents


def candidate_count(steps: Plan | None, documents: int) -> int:
    """How many documents a pass over the plan's matches would read: the driving lookup's."""
    return documents if steps is None else sum(map(len, steps.drive))


def ordered_page(raw: Mapping[str, Mapping], next_id: int, where: F.Filter | None, steps: Plan | None,
                 order: Order, after: Key | None, limit: int, index: SortIndex | None
                 ) -> tuple[list[Mapping], Key | None]:
    """The page of :meth:`Store.find_ordered` from the stored documents (not copied) and the
    cursor after it: by walking ``index`` (the order of ``order.field``) while that pays, else
    by one pass over the matches (``steps``: the plan for ``where``). Call it holding the lock
    the store applies commits under."""
    if index is None or not walks(candidate_count(steps, len(raw)), len(raw), limit):
        found: Iterator[Mapping] = select(raw, next_id, where, steps)
        if after is not None:
            found = (doc for doc in found if after_cursor(sort_key(doc, order), after, order))
        return page_of(found, order, limit)
    docs = map(raw.__getitem__, map(str, index.walk(order.descending, after)))
    if where is not None and not isinstance(where, F.Everything):
        docs = filter(to_query(where), docs)
    page = list(islice(docs, limit + 1))
    if len(page) <= limit:
        return page, None
    return page[:limit], sort_key(page[limit - 1], order)

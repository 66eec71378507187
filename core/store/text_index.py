"""The embedded store's search index: every gram (:func:`goldsieve.store.search.grams`) of the
search text of customers, contacts and deals → the ascending ids of the documents holding it, in
memory.

A query with a search (``Contains(SEARCH, text)``, alone, AND-ed with others, or OR-ed with
parts the store's hash indexes answer) then reads only the documents holding the query's grams,
newest first, and stops at the page's end; every candidate is still checked against the whole
filter (:func:`goldsieve.store.filters.matches`), so the index narrows and never decides, and
record-level access stays in the query.

The seam: :class:`TextIndexedStore` is the embedded :class:`~goldsieve.store.tinydb.store.TinyStore`
with this index kept current where the store applies each committed write (``_apply``, under
its commit lock; replaying the journal on open comes before any index exists). A table's index is
built on its first search, from the committed documents, while no transaction can commit. The
:class:`TextIndex` itself knows no store: ``change(id, old, new)`` is the contract of the
embedded store's own indexes, so it can move among them unchanged.
"""
from __future__ import annotations

import threading
from bisect import bisect_left, insort
from collections.abc import Iterator
from itertools import islice
from typing import Any

from . import filters as F
from .base import Doc, page_of
from .ordering import Key, Order, after_cursor, sort_key
from .search import SEARCH, SEARCHED, grams, query_grams
from .tinydb.sorting import walks
from .tinydb.store import TinyStore

#: A search whose grams more than this share of a table holds reads the table in id order
#: instead: the matches are dense there, so the first page comes after few documents.
DENSE = 0.25


class TextIndex:
    """Gram → ascending ids of the documents whose search text holds it."""

    def __init__(self) -> None:
        self.postings: dict[str, list[int]] = {}
        self.texts: dict[int, str] = {}

    def change(self, id: int, old: Doc | None, new: Doc | None) -> None:
        """Move ``id`` to ``new``'s grams (``None``: deleted) from those of the text it had; ``old``
        (the contract of the embedded store's indexes) is not needed: the index keeps each text."""
        before = self.texts.pop(id, None)
        after = new.get(SEARCH) if new is not None else None
        after = after if isinstance(after, str) else None
        if after is not None:
            self.texts[id] = after
        if before == after:
            return
        had, has = grams(before or ""), grams(after or "")
        for gram in had - has:
            bucket = self.postings[gram]
            del bucket[bisect_left(bucket, id)]
            if not bucket:
                del self.postings[gram]
        for gram in has - had:
            bucket = self.postings.setdefault(gram, [])
            if not bucket or bucket[-1] < id:
                bucket.append(id)  # ids are handed out increasing: the common case
            else:
                insort(bucket, id)

    def ids(self, query: str) -> list[int] | None:
        """The ascending ids of the documents that may hold ``query`` (all its grams), or
        ``None`` when every document may (an empty query)."""
        wanted = query_grams(query)
        if not wanted:
            return None
        buckets = sorted((self.postings.get(g, []) for g in wanted), key=len)
        if len(buckets) == 1:
            return list(buckets[0])
        return sorted(set(buckets[0]).intersection(*buckets[1:]))


def _searches(flt: F.Filter) -> bool:
    """Whether ``flt`` holds a search: only then may the index narrow an ``Or`` of it (reading the
    ids of its other parts first)."""
    if isinstance(flt, F.Contains):
        return flt.field == SEARCH
    if isinstance(flt, (F.And, F.Or)):
        return any(_searches(part) for part in flt.parts)
    return False


class TextIndexedStore(TinyStore):
    """The embedded store answering searches from a :class:`TextIndex` per searched table."""

    def __init__(self, *args: Any, **kwargs: Any):
        self._text_lock = threading.Lock()
        self._text_indexes: dict[str, TextIndex] = {}  # before the journal's replay calls _apply
        super().__init__(*args, **kwargs)

    def _apply(self, table: str, id: int, doc: Doc | None) -> None:
        index = self._text_indexes.get(table)
        if index is None:
            super()._apply(table, id, doc)
            return
        super()._apply(table, id, doc)
        with self._text_lock:
            index.change(id, None, doc)  # the index keeps each id's text: the old one is its own

    def _index(self, table: str) -> TextIndex:
        index = self._text_indexes.get(table)
        if index is not None:
            return index
        with self.transaction():  # the writer's lock: nothing commits while the index is built
            index = self._text_indexes.get(table)
            if index is None:
                index = TextIndex()
                for doc in super().iterate(table):
                    index.change(doc["id"], None, doc)
                with self._text_lock:
                    self._text_indexes[table] = index
        return index

    def _candidates(self, table: str, where: F.Filter | None) -> list[int] | None:
        """Ascending ids holding every document ``where`` may match, when a search in it says
        (``None``: it does not narrow them, or not enough to beat the table's id order)."""
        if table not in SEARCHED or where is None:
            return None
        found = self._narrowed(table, where)
        if found is None or len(found) > DENSE * max(self.count(table), 1):
            return None
        return found

    def _narrowed(self, table: str, flt: F.Filter) -> list[int] | None:
        if isinstance(flt, F.Contains) and flt.field == SEARCH and isinstance(flt.text, str):
            index = self._index(table)
            with self._text_lock:
                return index.ids(flt.text.casefold())
        if isinstance(flt, F.And):
            narrowed = [n for n in (self._narrowed(table, p) for p in flt.parts) if n is not None]
            return min(narrowed, key=len) if narrowed else None
        if isinstance(flt, F.Or) and _searches(flt):
            parts = []
            for part in flt.parts:
                if isinstance(part, (F.Eq, F.In)):  # what the store's hash indexes answer
                    parts.append([d["id"] for d in super().find(table, part)])
                    continue
                narrowed = self._narrowed(table, part)
                if narrowed is None:
                    return None
                parts.append(narrowed)
            return sorted(set().union(*parts))
        return None

    def _matching(self, table: str, where: F.Filter, ids: list[int], after: int | None = None,
                  descending: bool = False) -> Iterator[Doc]:
        if after is not None:
            ids = [i for i in ids if (i < after if descending else i > after)]
        for id in reversed(ids) if descending else ids:
            doc = self.get(table, id)
            if doc is not None and F.matches(where, doc):
                yield doc

    def find(self, table: str, where: F.Filter | None = None, *, after: int | None = None,
             limit: int | None = None, descending: bool = False) -> list[Doc]:
        ids = self._candidates(table, where)
        if ids is None or (limit is not None and limit <= 0):
            return super().find(table, where, after=after, limit=limit, descending=descending)
        assert where is not None
        found = self._matching(table, where, ids, after, descending)
        return list(found if limit is None else islice(found, limit))

    def find_ordered(self, table: str, where: F.Filter | None, order: Order, *,
                     after: Key | None = None, limit: int = 50) -> tuple[list[Doc], Key | None]:
        ids = self._candidates(table, where)
        if ids is None or limit <= 0 or walks(len(ids), self.count(table), limit):
            # many candidates: walking the sort index finds the page after fewer of them
            return super().find_ordered(table, where, order, after=after, limit=limit)
        assert where is not None
        rows = (doc for doc in self._matching(table, where, ids)
                if after is None or after_cursor(sort_key(doc, order), after, order))
        return page_of(rows, order, limit)

    def count(self, table: str, where: F.Filter | None = None) -> int:
        if where is None or table not in SEARCHED:
            return super().count(table, where)
        found = self._narrowed(table, where)
        if found is None:
            return super().count(table, where)
        return sum(1 for _ in self._matching(table, where, found))

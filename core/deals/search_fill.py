"""Filling in the search text (:mod:`goldsieve.store.search`) of the customers, contacts and deals
a store holds from before goldsieve kept one: no search would find them otherwise.

Every writer keeps the text from then on, and the first open after an upgrade fills in the rest
before anything is written, so a table whose oldest document has its text needs nothing: that one
look is all an open costs. Filling keeps each document's version (nothing a person changed), and
a batch that meets a concurrent change is read again.
"""
from __future__ import annotations

from ..errors import NotFound
from ..funnels.registry import FunnelRegistry
from ..store import Conflict, Store
from ..store.filters import Not, Range
from ..store.search import SEARCH, SEARCHED, search_text

BATCH = 1000


def with_search(funnels: FunnelRegistry, table: str, doc: dict) -> dict:
    """``doc`` of ``table`` with its search text, as its writer would have written it."""
    if table != "deals":
        return {**doc, SEARCH: search_text([doc.get("name")])}
    try:
        return funnels.get(doc.get("funnel"), doc.get("funnel_version")).with_search(dict(doc))
    except NotFound:  # a funnel no longer loaded: its title at least
        return {**doc, SEARCH: search_text([doc.get("title")])}


def fill_search(store: Store, funnels: FunnelRegistry) -> int:
    """Give every searched document without a search text its text; returns how many."""
    filled = 0
    for table in SEARCHED:
        oldest = store.find(table, limit=1)
        if not oldest or isinstance(oldest[0].get(SEARCH), str):
            continue
        while rows := store.find(table, Not(Range(SEARCH)), limit=BATCH):
            try:
                with store.transaction() as txn:
                    for doc in rows:
                        txn.replace(table, with_search(funnels, table, doc), expect_version=doc.get("version"))
            except Conflict:
                continue
            filled += len(rows)
    return filled

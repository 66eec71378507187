"""The one rule of text search, for customers, contacts and deals on both stores.

A searchable document keeps its folded search text at :data:`SEARCH` — half-width (NFKC), case
folded (:func:`fold`) — written by whoever writes the document (the customers and contacts
services, the deal engine) from what a search looks at (a name; a deal's title and declared
text fields). A search is then ``Contains(SEARCH, fold(query))``: a substring of folded text, so
that ``白云`` finds ``广州白云医院`` and ``ＡＣＭＥ`` finds ``Acme``, and so that the stores can
index it instead of folding every document's text at query time:

- PostgreSQL (migration 0005): a ``pg_trgm`` GIN index on the text answers a query of three or
  more characters; trigrams cannot index a shorter one, so a GIN index on the text's
  :func:`grams` (every character and every pair) answers one or two;
- the embedded store: the in-memory :class:`goldsieve.store.text_index.TextIndex` of the same
  grams.

Match keys (:mod:`goldsieve.records.duplicates`) fold names with the same :func:`fold`.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable

#: Where a document keeps its folded search text.
SEARCH = "search"
#: The tables whose documents keep one.
SEARCHED = ("customers", "contacts", "deals")
#: Between the parts of a search text: no query typed in one box holds it, so none matches across two.
SEPARATOR = "\n"


def fold(text: str) -> str:
    """Full-width forms made half-width (NFKC), then case folded, outer spaces trimmed."""
    return unicodedata.normalize("NFKC", text).casefold().strip()


def search_text(parts: Iterable[object]) -> str:
    """The folded search text of a document: its text parts (anything else is left out), folded,
    one per line."""
    return SEPARATOR.join(fold(part) for part in parts if isinstance(part, str) and part.strip())


def grams(text: str) -> set[str]:
    """Every character and every pair of adjacent characters of ``text``: what the indexes hold."""
    return {*text, *(text[i:i + 2] for i in range(len(text) - 1))}


def query_grams(query: str) -> set[str]:
    """The grams every text holding ``query`` holds: the query itself when it is one or two
    characters, else its pairs (empty for an empty query, which every text holds)."""
    if len(query) <= 2:
        return {query} if query else set()
    return {query[i:i + 2] for i in range(len(query) - 1)}

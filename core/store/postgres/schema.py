"""The PostgreSQL layout of the store's tables, derived from :data:`~goldsieve.store.base.TABLES`.

Every table is the same shape: ``id`` (bigserial, the store's id), ``doc`` (the whole document
as JSONB) and ``version`` (the document's ``version`` when it is an integer, for optimistic
concurrency in the ``UPDATE``'s own ``WHERE``). A GIN index (``jsonb_path_ops``) on ``doc``
answers equality filters on any path by containment (``doc @> '{"deal_id": 7}'``), so a
filter on a custom field needs no migration.

``deals`` also carries generated columns for what the board, the API and visibility filter
and sort by; PostgreSQL keeps them equal to the document's text at that field on every write
(NULL when it holds no text), and they use the "C" collation so that ordering agrees with
Python's (code point order).
"""
from __future__ import annotations

import functools
import sys

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from ...limits import NUMBER_LIMIT
from .. import ordering as O
from ..base import TABLES

#: Deal fields held as indexed columns besides the document (generated from it).
DEAL_COLUMNS = ("funnel", "stage", "status", "owner", "team", "updated_at")

#: ``last_activity_at`` exactly as :mod:`.query` compiles a text range on it, so that the
#: reclaim scan's range uses the index.
RECLAIM_EXPRESSION = ("(CASE WHEN jsonb_typeof(doc -> 'last_activity_at') = 'string' "
                      "THEN (doc -> 'last_activity_at') #>> '{}' END COLLATE \"C\")")

#: The SQL function that does what ``str.casefold`` does (``Contains`` is case-insensitive).
CASEFOLD = "goldsieve_casefold"

#: A document's search text (:mod:`goldsieve.store.search`), as the search indexes hold it and
#: :mod:`.query` compiles a search on it (the key a literal, so that the planner sees the index's
#: own expression).
SEARCH_TEXT = "(doc ->> 'search')"
#: What a search tests first, that the search text is text: the expression the search statistics
#: describe (migration 0006), as :mod:`.query` compiles it.
SEARCH_KIND = "jsonb_typeof(doc -> 'search')"
#: The SQL function of :func:`goldsieve.store.search.grams`: every character and every pair.
GRAMS = "goldsieve_grams"
GRAMS_FUNCTION = (
    f"CREATE OR REPLACE FUNCTION {GRAMS}(text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT "
    "PARALLEL SAFE AS $grams$ SELECT coalesce(array_agg(DISTINCT gram), '{}') FROM ("
    "SELECT substr($1, i, 1) FROM generate_series(1, length($1)) AS i UNION ALL "
    "SELECT substr($1, i, 2) FROM generate_series(1, length($1) - 1) AS i) AS grams(gram) $grams$"
)


#: The deals' sorts kept by an expression index each (migration 0006): the list's common ones.
SORT_INDEXES = {"title": "deals_sort_title", "created_at": "deals_sort_created_at",
                "updated_at": "deals_sort_updated_at", "data.amount": "deals_sort_amount"}


def sort_expressions(path: str, doc: str = "doc") -> tuple[str, str, str]:
    """(rank, number, text) of the value at a dotted ``path`` of the document column ``doc``, as
    :func:`goldsieve.store.ordering.value_key` makes them, in SQL text: what a sorted query
    orders by and what the sort indexes hold, written once so that the planner sees the index's
    own expressions in the query."""
    node = "to_jsonb(id)" if path == "id" else " -> ".join(
        [doc, *(_literal(key) for key in path.split("."))])
    kind = f"jsonb_typeof({node})"
    fits = f"abs(({node})::numeric) <= {NUMBER_LIMIT}"
    rank = (f"CASE {kind} WHEN 'boolean' THEN {O.BOOLEAN} WHEN 'number' THEN CASE WHEN {fits} "
            f"THEN {O.NUMBER} ELSE {O.OTHER} END WHEN 'string' THEN {O.TEXT} WHEN 'null' THEN {O.ABSENT} "
            f"ELSE CASE WHEN {node} IS NULL THEN {O.ABSENT} ELSE {O.OTHER} END END")
    number = (f"CASE {kind} WHEN 'boolean' THEN CASE WHEN {node} = 'true'::jsonb THEN 1 ELSE 0 END "
              f"WHEN 'number' THEN CASE WHEN {fits} THEN ({node})::numeric ELSE 0 END ELSE 0 END")
    text = f"coalesce(CASE WHEN {kind} = 'string' THEN ({node}) #>> '{{}}' END, '') COLLATE \"C\""
    return f"({rank})", f"({number})", f"({text})"


def document_table(metadata: sa.MetaData, name: str) -> sa.Table:
    """The table holding the documents of store table ``name``."""
    columns = [
        sa.Column("id", sa.BigInteger, sa.Identity(always=False), primary_key=True),
        sa.Column("doc", JSONB, nullable=False),
        sa.Column("version", sa.BigInteger),
    ]
    if name == "deals":
        # Only text is copied: a number or object at the path leaves the column NULL, so that
        # ``column = 'x'`` means exactly what ``Eq(field, "x")`` means, with no look at the doc.
        columns += [
            sa.Column(field, sa.Text(collation="C"), sa.Computed(
                f"CASE WHEN jsonb_typeof(doc -> '{field}') = 'string' THEN doc ->> '{field}' END",
                persisted=True))
            for field in DEAL_COLUMNS
        ]
    table = sa.Table(name, metadata, *columns)
    sa.Index(f"{name}_doc_gin", table.c.doc, postgresql_using="gin",
             postgresql_ops={"doc": "jsonb_path_ops"})
    if name == "deals":
        for field in DEAL_COLUMNS:
            sa.Index(f"deals_{field}", table.c[field], table.c.id)
        # A board column: one funnel's open deals in one stage, newest first.
        sa.Index("deals_board", table.c.funnel, table.c.status, table.c.stage, table.c.id)
    if name == "events":
        # History and analytics read a deal's events, and events by time.
        sa.Index("events_deal_id", sa.text("(doc -> 'deal_id')"), table.c.id)
        sa.Index("events_at", sa.text("(doc ->> 'at') COLLATE \"C\""))
    if name == "customer_keys":
        # One customer per match key, also against two concurrent creates (migration 0004).
        sa.Index("customer_keys_key", sa.text("(doc ->> 'key')"), unique=True)
    if name == "customers":
        # The pool's reclaim scan: a range on last_activity_at, as the filter compiles it.
        sa.Index("customers_last_activity_at", sa.text(RECLAIM_EXPRESSION))
    return table


def tables(names: tuple[str, ...] = TABLES) -> dict[str, sa.Table]:
    """Table objects for ``names`` (the store's tables by default), sharing one ``MetaData``."""
    metadata = sa.MetaData()
    return {name: document_table(metadata, name) for name in names}


@functools.cache
def casefold_function() -> str:
    """``CREATE FUNCTION goldsieve_casefold(text)``: full Unicode case folding, as Python's.

    PostgreSQL's ``lower()`` depends on the database's locale (ASCII only under "C") and does
    not fold ``ß`` to ``ss``; this maps every code point whose ``casefold()`` differs, taken
    from the Unicode tables of the Python that creates it: one ``translate`` for the one-to-one
    foldings, one ``replace`` per one-to-many folding. Folded text folds to itself, so the
    order of the two steps does not matter.
    """
    changed = [c for c in map(chr, range(sys.maxunicode + 1)) if c.casefold() != c]
    single = [c for c in changed if len(c.casefold()) == 1]
    expression = "translate($1, {}, {})".format(
        _literal("".join(single)), _literal("".join(c.casefold() for c in single))
    )
    for c in changed:
        if len(c.casefold()) > 1:
            expression = f"replace({expression}, {_literal(c)}, {_literal(c.casefold())})"
    return (
        f"CREATE OR REPLACE FUNCTION {CASEFOLD}(text) RETURNS text "
        f"LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fold$ SELECT {expression} $fold$"
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"

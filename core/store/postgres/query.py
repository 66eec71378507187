"""Store filters (:mod:`goldsieve.store.filters`) as SQL on a document table.

The reference is :func:`filters.matches`, i.e. Python's own comparisons, so the translation
follows them rather than SQL's:

- a missing path never matches; JSON ``null`` is a value (``Eq(f, None)`` matches it);
- ``Eq``/``In`` on a scalar is a containment test (``doc @> '{"a": {"b": 1}}'``) that the GIN
  index answers; ``True == 1`` and ``False == 0`` in Python, so 1/0 also match the booleans
  and the other way round; a number matches numerically (``1`` equals ``1.0``); an ``In`` of
  many text or number values is instead one ``= ANY(array)`` on the value at the path (the same
  rows, one index scan or one hashed pass instead of a GIN probe per value);
- ``Range`` compares numbers (booleans count as 0/1) with numbers and text with text in code
  point order (collation "C"); anything else is a ``TypeError`` in Python, hence no match;
- ``Contains`` folds case as ``str.casefold`` does (``goldsieve_casefold``, see
  :mod:`.postgres_schema`) and escapes ``%``, ``_`` and ``\\`` in the pattern.

SQL's third truth value appears only where a path is missing; it behaves as false under
``AND``/``OR`` and in ``WHERE``, so only ``Not`` needs it turned into false first.

On ``deals``, equality and ranges on text of the indexed columns (:data:`DEAL_COLUMNS`)
compare the column, which holds the field's text (NULL for any other type), so the document
itself is not read.
"""
from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from .. import filters as F
from ..search import SEARCH
from .schema import CASEFOLD, DEAL_COLUMNS, GRAMS, SEARCH_KIND, SEARCH_TEXT, sort_expressions

_NUMBERS = (bool, int, float)
#: From how many plain values on an ``In`` one ``= ANY(array)`` replaces a containment test each.
MANY_VALUES = 16
#: The empty path: ``value #>> '{}'`` is a JSON string's text without quotes.
_ROOT = sa.literal_column("'{}'::text[]")


def where_clause(table: sa.Table, flt: F.Filter | None) -> sa.ColumnElement[bool]:
    """The SQL condition selecting the rows of ``table`` that ``flt`` matches."""
    if flt is None:
        return sa.true()
    return _Translator(table).clause(flt)


class PathExpressions:
    """SQL for the value at a dotted path of a table's documents."""

    def __init__(self, table: sa.Table):
        self.table = table
        self.doc = table.c.doc
        self.columns = {name for name in DEAL_COLUMNS if name in table.c}

    def node(self, path: str) -> sa.ColumnElement[Any]:
        """The JSONB value at a dotted path; SQL NULL when absent (``->`` never indexes arrays
        by a text key, as ``field_value`` never does)."""
        if path == "id":  # the row's column: the stored document does not repeat it
            return sa.func.to_jsonb(self.table.c.id)
        node: sa.ColumnElement[Any] = self.doc
        for key in path.split("."):
            node = node.op("->", return_type=JSONB)(sa.literal(key, sa.Text))
        return node

    def typed(self, path: str, kind: str) -> sa.ColumnElement[bool]:
        return sa.func.jsonb_typeof(self.node(path)) == kind

    def text(self, path: str) -> sa.ColumnElement[str]:
        """The value as text when it is a JSON string, else NULL (an indexed column's own)."""
        if path in self.columns:
            return self.table.c[path]
        node = self.node(path)
        return sa.case((sa.func.jsonb_typeof(node) == "string", node.op("#>>", return_type=sa.Text)(_ROOT)))

    def number(self, path: str) -> sa.ColumnElement[Any]:
        """The value as a number when it is a JSON number or boolean (0/1), else NULL."""
        node = self.node(path)
        kind = sa.func.jsonb_typeof(node)
        return sa.case(
            (kind == "number", sa.cast(node, sa.Numeric)),
            (kind == "boolean", sa.case((node == sa.cast(sa.literal("true"), JSONB), 1), else_=0)),
        )

    def sort_terms(self, path: str) -> tuple[sa.ColumnElement[Any], ...]:
        """(rank, number, text) of the value at ``path``, as :func:`ordering.value_key` makes
        them, for an ORDER BY and a row comparison with a cursor; never NULL. The SQL text of
        :func:`.schema.sort_expressions`, so that a sort index on ``path`` answers it."""
        rank, number, words = sort_expressions(path, f'"{self.table.name}".doc')
        return (sa.literal_column(rank, sa.Integer), sa.literal_column(number, sa.Numeric),
                sa.literal_column(words, sa.Text))

    def containing(self, path: str, value: Any) -> sa.ColumnElement[bool]:
        """``doc @> {"a": {"b": value}}``: the GIN index finds these rows."""
        nested: Any = value
        for key in reversed(path.split(".")):
            nested = {key: nested}
        return self.doc.op("@>")(sa.cast(sa.literal(json.dumps(nested, allow_nan=False)), JSONB))


class _Translator(PathExpressions):
    def clause(self, flt: F.Filter) -> sa.ColumnElement[bool]:
        if isinstance(flt, F.Everything):
            return sa.true()
        if isinstance(flt, F.Nothing):
            return sa.false()
        if isinstance(flt, F.And):
            return sa.and_(sa.true(), *(self.clause(p) for p in flt.parts))
        if isinstance(flt, F.Or):
            return sa.or_(sa.false(), *(self.clause(p) for p in flt.parts))
        if isinstance(flt, F.Not):
            return sa.not_(sa.func.coalesce(self.clause(flt.part), sa.false(), type_=sa.Boolean))
        if isinstance(flt, F.Eq):
            return self.equal(flt.field, flt.value)
        if isinstance(flt, F.In):
            return self.one_of(flt.field, flt.values)
        if isinstance(flt, F.Range):
            return self.range(flt)
        if isinstance(flt, F.Contains):
            return self.contains(flt)
        raise TypeError(f"not a filter: {flt!r}")

    # -- leaves --------------------------------------------------------------------------------

    def equal(self, path: str, value: Any) -> sa.ColumnElement[bool]:
        if path == "id":
            whole = isinstance(value, _NUMBERS) and math.isfinite(value) and value == int(value)
            return self.table.c.id == int(value) if whole else sa.false()
        if isinstance(value, str) and path in self.columns:
            return self.table.c[path] == value
        if isinstance(value, float) and not math.isfinite(value):
            return sa.false()  # JSON holds no NaN or infinity, so nothing stored equals one
        if isinstance(value, _NUMBERS) and not isinstance(value, bool) and value in (0, 1):
            return sa.or_(self.containing(path, value), self.containing(path, bool(value)))
        if isinstance(value, bool):
            return sa.or_(self.containing(path, value), self.containing(path, int(value)))
        if value is None or isinstance(value, (str, int, float)):
            return self.containing(path, value)
        # A list or object: JSON equality (containment would also accept a subset).
        try:
            literal = json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            return sa.false()
        return sa.func.coalesce(self.node(path) == sa.cast(sa.literal(literal), JSONB), sa.false())

    def one_of(self, path: str, values: tuple[Any, ...]) -> sa.ColumnElement[bool]:
        """``In``: equal to any of ``values``. Many plain values (text, numbers but 0 and 1) on
        a document path are one ``= ANY(array)`` on the value there: an expression index (such
        as events' ``deal_id``) takes the whole list in one scan, and without one PostgreSQL
        hashes the array. One containment test per value instead plans an OR of as many GIN
        probes, each re-run for every page of rows: an export of a manager's 90,000 events
        (15,000 deal ids) spent minutes there. The value at the path equals a plain value
        exactly when the document contains it there (numbers compare numerically in both)."""
        plain = [v for v in values if _plain(v)]
        if len(plain) < MANY_VALUES or path == "id" or path in self.columns:
            return sa.or_(sa.false(), *(self.equal(path, v) for v in values))
        array = sa.cast(sa.literal([json.dumps(v) for v in plain], ARRAY(sa.Text)), ARRAY(JSONB))
        rest = (self.equal(path, v) for v in values if not _plain(v))
        return sa.or_(self.node(path) == sa.any_(array), *rest)

    def range(self, flt: F.Range) -> sa.ColumnElement[bool]:
        bounds = [b for b in (flt.low, flt.high) if b is not None]
        if not bounds:
            return self.node(flt.field).is_not(None)  # every present value
        if all(isinstance(b, _NUMBERS) for b in bounds):
            if any(isinstance(b, float) and b != b for b in bounds):
                return sa.false()  # comparisons with NaN are false in Python
            value, low, high = self.number(flt.field), numeric(flt.low), numeric(flt.high)
        elif all(isinstance(b, str) for b in bounds):
            value = self.text(flt.field)
            if flt.field not in self.columns:  # the columns are in collation "C" already
                value = value.collate("C")
            low, high = flt.low, flt.high
        else:
            return sa.false()  # Python cannot order these: a TypeError, so no match
        parts = [value.is_not(None)]
        if low is not None:
            parts.append(value >= low)
        if high is not None:
            parts.append(value < high)
        return sa.and_(*parts)

    def contains(self, flt: F.Contains) -> sa.ColumnElement[bool]:
        if not isinstance(flt.text, str):
            return sa.false()
        query = flt.text.casefold()
        escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        if flt.field == SEARCH:
            return self.search(query, f"%{escaped}%")
        folded = getattr(sa.func, CASEFOLD)(self.text(flt.field))
        return folded.like(f"%{escaped}%", escape="\\")

    def search(self, query: str, pattern: str) -> sa.ColumnElement[bool]:
        """A search of the folded search text, as it is stored (folded already): a ``LIKE`` that
        the trigram index answers from three characters; one or two are the grams index's
        (``goldsieve_grams(text) @> ARRAY[query]``), which trigrams cannot answer. The text's
        kind is tested in the very expression the search statistics describe (migration 0006)."""
        own = f'"{self.table.name}".doc'
        text = sa.literal_column(SEARCH_TEXT.replace("doc", own), sa.Text)
        kind = sa.literal_column(SEARCH_KIND.replace("doc", own), sa.Text)
        parts = [kind == "string", text.like(pattern, escape="\\")]
        if 0 < len(query) <= 2:
            parts.append(getattr(sa.func, GRAMS)(text, type_=ARRAY(sa.Text)).op("@>")(
                sa.literal([query], ARRAY(sa.Text))))
        return sa.and_(*parts)


def _plain(value: Any) -> bool:
    """Text, or a finite number that no boolean equals (``True == 1`` in Python)."""
    if isinstance(value, str):
        return True
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value not in (0, 1))


def numeric(bound: Any) -> Any:
    """A bound as an exact SQL numeric: a float by its shortest repr (as JSON writes it)."""
    if bound is None:
        return None
    if isinstance(bound, float):
        return sa.literal(Decimal(repr(bound)), sa.Numeric)
    return sa.literal(int(bound), sa.Numeric)

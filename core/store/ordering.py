"""Sorting a query by a field, with keyset paging: the order every backend must agree with.

A list view sorts on any column, a custom field too, and pages through the result with a
cursor rather than an offset (an offset skips or repeats rows when others are written between
two pages, and costs more the further one reads). So the order must be total and the same on
every backend, whatever a document holds at the path: :func:`sort_key` is its reference. Values
are ranked by kind first — absent or ``null``, then booleans, numbers, text and anything else
(a list, an object, a number beyond :func:`goldsieve.limits.in_range`) — then by value within
a kind (text in code point order, which is PostgreSQL's collation "C"), then by id, so no two
documents tie.

A cursor is the sort key of the last row of a page: the next page holds the rows whose key
comes after it in the sort's direction. :func:`encode_cursor` and :func:`decode_cursor` turn
it into an opaque string for a URL and back, refusing anything they did not write.
"""
from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from typing import Any

from ..limits import MAX_ID, in_range, is_number, storable_text
from .filters import MISSING, field_value

#: Ranks of the kinds of value, in sort order.
ABSENT, BOOLEAN, NUMBER, TEXT, OTHER = range(5)

#: (rank, number, text, id): what a row is ordered by.
Key = tuple[int, float | int, str, int]


@dataclass(frozen=True)
class Order:
    """Sort by the value at the dotted path ``field``, ascending unless ``descending``."""

    field: str
    descending: bool = False


def value_key(value: Any) -> tuple[int, float | int, str]:
    """The (rank, number, text) part of a value's sort key (absent: :data:`~.filters.MISSING`)."""
    if value is MISSING or value is None:
        return (ABSENT, 0, "")
    if isinstance(value, bool):
        return (BOOLEAN, int(value), "")
    if is_number(value):
        return (NUMBER, value, "") if in_range(value) else (OTHER, 0, "")
    if isinstance(value, str):
        return (TEXT, 0, value)
    return (OTHER, 0, "")


def sort_key(doc: dict, order: Order) -> Key:
    """Where ``doc`` goes in ``order`` (the reference every backend's ORDER BY agrees with)."""
    return (*value_key(field_value(doc, order.field)), doc["id"])


def after_cursor(key: Key, cursor: Key, order: Order) -> bool:
    """Whether a row with sort key ``key`` belongs to a page that starts after ``cursor``."""
    return key < cursor if order.descending else key > cursor


def encode_cursor(key: Key) -> str:
    """A page's last sort key as URL-safe text."""
    return base64.urlsafe_b64encode(json.dumps(list(key), ensure_ascii=False).encode()).decode().rstrip("=")


def decode_cursor(text: str) -> Key | None:
    """The sort key :func:`encode_cursor` wrote, or ``None`` for anything else (the caller
    refuses it, naming the parameter)."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        rank, number, words, id = json.loads(raw.decode())
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        return None
    if not (isinstance(rank, int) and not isinstance(rank, bool) and ABSENT <= rank <= OTHER):
        return None
    if not (is_number(number) and math.isfinite(number) and isinstance(words, str) and storable_text(words)):
        return None
    if not (isinstance(id, int) and not isinstance(id, bool) and 0 <= id <= MAX_ID):
        return None
    return (rank, number, words, id)

"""The range of numbers goldsieve stores and counts, how it reads a number a person typed, and
the shape of what it stores: text every store keeps, and how deep a value may nest.

Every part that takes a number from outside — deal data (the engine's validation), a query
parameter, a form field, a cell read back from the store — asks here, so they all draw the line
in the same place.

:data:`NUMBER_LIMIT` bounds every number in a deal's data. 10^15 keeps a sum exact: the analytics
and the board add amounts as decimals of 15 significant digits (what PostgreSQL makes of a
``float8``), and every integer up to 10^15 is also exact as a JSON reader's double, so a value
reads back as it was written. :data:`MAX_ID` bounds ids, versions and cursors: the largest
integer every JSON reader keeps exact, well inside PostgreSQL's ``bigint``.

:func:`storable_text` is the one rule for text (titles, notes, names, every string in a deal's
or a customer's data, at any depth, keys too): PostgreSQL keeps no NUL in ``text`` or ``jsonb``,
and a lone surrogate is not Unicode (no UTF-8 encoder writes it), so neither store may be asked
to hold them. :data:`MAX_NESTING` bounds how deep a request body or a stored value nests, so
that nothing that walks one (a JSON reader, a copy, a validator, a page) runs out of stack.
"""
from __future__ import annotations

import math
import re
from typing import Any

NUMBER_LIMIT = 10**15
MAX_ID = 2**53 - 1
#: The longest title a deal or a task may have; forms mirror it as ``maxlength``.
MAX_TITLE = 200
#: The deepest a request body or a value in a deal's data may nest (objects and lists counted).
MAX_NESTING = 32

#: ASCII digits only: Python's ``int()`` and ``float()`` also read ``²``, ``٣``, ``1_000`` and
#: ``nan``, which nobody means as a number here.
_DIGITS = re.compile(r"[0-9]+")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def is_number(value: Any) -> bool:
    """A JSON number (a boolean is not one, though Python says ``True == 1``)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def in_range(value: Any) -> bool:
    """A number goldsieve can hold and sum exactly: finite and within ±:data:`NUMBER_LIMIT`.

    Whatever else a store holds at a number's place (text, ``NaN``, 10^400 written before the
    limit existed) is not counted: every sum treats it as 0, and a page shows it as it is.
    """
    if not is_number(value):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return -NUMBER_LIMIT <= value <= NUMBER_LIMIT


def storable_text(text: str) -> bool:
    """Whether both stores can keep ``text`` as it is: no NUL, no lone surrogate.

    A refusal names the field and says "NUL characters or broken Unicode"; U+FFFD, the
    replacement character a broken form post is decoded into, is ordinary text.
    """
    return "\x00" not in text and not any("\ud800" <= c <= "\udfff" for c in text)


def searchable(*values: Any) -> bool:
    """Whether every text among ``values`` (list filters, a search) can be sent to a store: one
    that holds NUL or a lone surrogate matches nothing, rather than reaching a store that might
    refuse it with an error instead of an answer."""
    return all(storable_text(v) for v in values if isinstance(v, str))


def nesting(value: Any, limit: int = MAX_NESTING) -> int:
    """How deep ``value`` nests (a scalar 0, ``[]`` 1, ``[[1]]`` 2), counted without recursion
    so that any depth can be measured; stops counting past ``limit`` (returns ``limit + 1``)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            depth += 1
            if depth > limit:
                return limit + 1
            deepest = max(deepest, depth)
            stack.extend((child, depth) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def whole_number(text: Any, low: int = 0, high: int = MAX_ID) -> int | None:
    """``text`` as an integer from ``low`` to ``high`` when it is written in ASCII digits only
    (no sign, no spaces), else ``None``: the caller names the parameter in its refusal."""
    if not isinstance(text, str) or not _DIGITS.fullmatch(text) or len(text) > len(str(high)):
        return None
    number = int(text)
    return number if low <= number <= high else None



def read_number(text: str, integer: bool = False) -> int | float | None:
    """A number as a person writes one (``-12``, ``3.5``, ``1e6``, ASCII only), or ``None`` when
    ``text`` is not one (or, with ``integer``, not a whole one: ``1e3`` is, ``2.5`` is not).

    Digits alone come back as an exact ``int``. The result may still be out of range (``1e400``
    reads as infinity, and so do more digits than Python converts): :func:`in_range` says, so
    that the caller can say why it refuses.
    """
    text = text.strip()
    if _INTEGER.fullmatch(text):
        try:
            return int(text)
        except ValueError:  # more digits than Python converts: far beyond any limit anyway
            return -math.inf if text.startswith("-") else math.inf
    if not _NUMBER.fullmatch(text):
        return None
    number = float(text)
    if integer:
        return int(number) if number.is_integer() else None
    return number

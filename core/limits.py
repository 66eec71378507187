"""The range of numbers goldsieve stores and counts, and how it reads a number a person typed.

Every part that takes a number from outside — deal data (the engine's validation), a query
parameter, a form field, a cell read back from the store — asks here, so they all draw the line
in the same place.

:data:`NUMBER_LIMIT` bounds every number in a deal's data. 10^15 keeps a sum exact: the analytics
and the board add amounts as decimals of 15 significant digits (what PostgreSQL makes of a
``float8``), and every integer up to 10^15 is also exact as a JSON reader's double, so a value
reads back as it was written. :data:`MAX_ID` bounds ids, versions and cursors: the largest
integer every JSON reader keeps exact, well inside PostgreSQL's ``bigint``.
"""
from __future__ import annotations

import math
import re
from typing import Any

NUMBER_LIMIT = 10**15
MAX_ID = 2**53 - 1
#: The longest title a deal or a task may have; forms mirror it as ``maxlength``.
MAX_TITLE = 200

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

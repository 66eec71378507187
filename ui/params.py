"""Whole numbers in a page's query string or form: cursors, versions, ids.

One reading for every page, the API's too (:func:`goldsieve.limits.whole_number`): ASCII
digits within range, or a 400 that names the parameter. ``str.isdigit`` says yes to ``²``, which
``int()`` then refuses: ``/inbox?cursor=²`` answered 500.
"""
from __future__ import annotations

from collections.abc import Mapping

from flask import abort, request
from flask_babel import gettext as _

from goldsieve.limits import MAX_ID, whole_number


def whole_number_param(name: str, values: Mapping[str, str] | None = None, high: int = MAX_ID) -> int | None:
    """The parameter ``name`` of ``values`` (the query string by default) as a whole number from
    0 to ``high``; ``None`` when it is absent or empty."""
    written = (request.args if values is None else values).get(name, "").strip()
    if not written:
        return None
    number = whole_number(written, 0, high)
    if number is None:
        abort(400, description=_("“%(name)s” must be a whole number written with the digits 0 to 9.",
                                 name=name))
    return number

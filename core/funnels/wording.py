"""How a refused value is said to a person: one rule for the command line, the API's messages
and the pages.

A :class:`~goldsieve.errors.Violation` of a declared field keeps what was broken (its ``code``
and ``limit``), the refused ``value`` and the field's ``title``, so the refusal can be said in
any reader's language at any time: :mod:`.validation` says it when it refuses (in the reader's
language, :data:`goldsieve.locales.reader`; English for the API), a page says it again in its
own (``ui.forms.field_message``), and the command line puts the field's title in front
(:func:`line`). The words are the value and the rule in plain terms ("“x” is not an e-mail
address", "choose one of Website, Referral"), never a validator's Python ``repr`` or a JSON
pointer where a title can name the place.
"""
from __future__ import annotations

import functools
import json
import re
from typing import Any, Callable

from ..errors import UNSEEN, Violation
from ..limits import is_number
from ..locales import N_, bcp47, localized, reader, say

#: the prefix of a declared field's JSON pointer (``/data/amount``)
FIELDS = "/data/"


TYPES = {"number": N_("a number"), "integer": N_("a whole number"), "string": N_("text"),
         "boolean": N_("true or false"), "array": N_("a list"), "object": N_("a set of fields"),
         "null": N_("nothing")}
#: what a value of each ``format`` is, in words (a format not listed is "the expected form")
FORMATS = {"email": N_("an e-mail address"), "idn-email": N_("an e-mail address"),
           "date": N_("a date (YYYY-MM-DD)"),
           "date-time": N_("a date and time (YYYY-MM-DDTHH:MM:SSZ)"),
           "time": N_("a time (HH:MM:SS)"), "uri": N_("a web address (https://…)"),
           "uuid": N_("a UUID"), "ipv4": N_("an IPv4 address")}
BOUNDS = {"minimum": N_("Enter a number of at least %(limit)s."),
          "maximum": N_("Enter a number of at most %(limit)s."),
          "exclusiveMinimum": N_("Enter a number greater than %(limit)s."),
          "exclusiveMaximum": N_("Enter a number less than %(limit)s."),
          "minLength": N_("Enter at least %(limit)s characters."),
          "maxLength": N_("Enter at most %(limit)s characters."),
          "minItems": N_("Choose at least %(limit)s."), "maxItems": N_("Choose at most %(limit)s."),
          "multipleOf": N_("Enter a multiple of %(limit)s.")}


def said(violation: Violation, locale: str | None = None) -> str:
    """What is wrong with the value, in ``locale`` (by default the reader's, else English).

    A violation that is not about a field's value (a stage, an owner) says its own words
    (:meth:`~goldsieve.errors.Violation.of`), else its message as the catalogs translate it.
    """
    locale = locale or reader.get() or "en"
    _: Callable[..., str] = functools.partial(say, locale=locale)
    code, limit, value = violation.code, violation.limit, violation.value
    seen = value is not UNSEEN
    shown = show(value) if seen else ""
    if code == "required" and violation.path.startswith(FIELDS):
        return _("This field is required.")
    if code == "enum" and isinstance(limit, list):
        choices = listing([localized(c, bcp47(locale)) if isinstance(c, dict) else c for c in limit])
        if seen:
            return _("%(value)s is not a choice: choose one of %(choices)s", value=shown, choices=choices)
        return _("Choose one of %(choices)s.", choices=choices)
    if code == "const" and seen:
        return _("%(value)s is not allowed: enter %(expected)s", value=shown, expected=show(limit))
    if code == "type" and limit:
        wanted = [_(TYPES.get(t, t)) for t in ([limit] if isinstance(limit, str) else list(limit))]
        kind = functools.reduce(lambda one, other: _("%(one)s or %(other)s", one=one, other=other), wanted)
        return _("%(value)s is not %(kind)s", value=shown, kind=kind) if seen else _("Enter %(kind)s.", kind=kind)
    if code == "format" and limit in FORMATS:
        kind = _(FORMATS[limit])
        return _("%(value)s is not %(kind)s", value=shown, kind=kind) if seen else _("Enter %(kind)s.", kind=kind)
    if code in ("pattern", "format") and violation.path.startswith(FIELDS):
        if seen:
            return _("%(value)s is not in the expected form", value=shown)
        return _("Enter a value in the expected format.")
    if code == "json" and seen:  # text a field of lists or fields was given, which JSON cannot read
        return _("%(value)s is not valid JSON", value=shown)
    if code in BOUNDS and is_number(limit):
        from babel.numbers import format_decimal  # the limit as the reader's locale writes it

        return _(BOUNDS[code], limit=format_decimal(limit, locale=locale))
    if code == "too_deep" and is_number(limit):
        return _("This nests deeper than %(limit)s levels.", limit=limit)
    if violation.words is not None:
        return violation.words.say(locale)
    return say(violation.message, locale=locale)


def place(violation: Violation, locale: str | None = None) -> str:
    """Where the violation is, as a person names it: the field's title (``Email``; an item of a
    list: ``Modules, item 2``), else the path's plain words (``owner``); ``""`` for the whole."""
    locale = locale or reader.get() or "en"
    _: Callable[..., str] = functools.partial(say, locale=locale)
    parts = [part.replace("~1", "/").replace("~0", "~") for part in violation.path.split("/")[1:]]
    if violation.path.startswith(FIELDS):
        parts = parts[1:]
        if violation.title:
            parts[0] = localized(violation.title, bcp47(locale)) or parts[0]
    if not parts:
        return ""
    named = parts[0]
    for part in parts[1:]:
        if part.isdigit():
            named = _("%(field)s, item %(number)s", field=named, number=int(part) + 1)
        else:
            named = _("%(field)s › %(key)s", field=named, key=part)
    return named


def line(violation: Violation, locale: str | None = None) -> str:
    """``Place: what is wrong`` (:func:`place`, :func:`said`), or only the latter for the whole."""
    where = place(violation, locale)
    return f"{where}: {said(violation, locale)}" if where else said(violation, locale)


def show(value: Any) -> str:
    """A value quoted as a message shows it: text as written, anything else as JSON, cut at 60;
    control characters and lone surrogates as ``\\uXXXX``, which a terminal prints safely."""
    text = value if isinstance(value, str) else _json_text(value)
    text = text[:60] + "…" if len(text) > 60 else text
    return "“" + re.sub("[\x00-\x1f\x7f\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", text) + "”"


def _json_text(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def listing(values: list[Any]) -> str:
    """The first eight choices, then "…"."""
    shown = [v if isinstance(v, str) else _json_text(v) for v in values[:8]]
    return ", ".join(shown) + (", …" if len(values) > 8 else "")

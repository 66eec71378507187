"""Turning JSON Schema errors on deal data into field-by-field violations."""
from __future__ import annotations

import copy
import functools
import json
import math
import re
from typing import TYPE_CHECKING, Any, Iterable

from ..errors import ValidationFailed, Violation
from ..limits import MAX_NESTING, NUMBER_LIMIT, in_range, is_number, nesting, storable_text
from ..locales import N_, reader
from ..locales import say as _  # the catalogs' keyword: `make messages` extracts what it says

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, FormatChecker
    from jsonschema.exceptions import ValidationError

BOUNDS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                    "minLength", "maxLength", "minItems", "maxItems", "pattern"})


def compile_schema(schema: dict) -> Draft202012Validator:
    """A validator for deal data, with formats (date, email, …) enforced, not just annotated.

    jsonschema is imported here, not with the module: loading it loads every format checker's
    library (dates, e-mail, URIs, durations), about a third of a command's start-up, and only
    a command that validates data needs them (``goldsieve --help`` and ``templates`` do not).
    """
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema, format_checker=_formats())


@functools.cache
def _formats() -> FormatChecker:
    """The one format checker every compiled schema shares."""
    from jsonschema import FormatChecker

    return FormatChecker()


def merge_data(data: dict, changes: dict | None) -> dict:
    """Apply changes to a copy of declared data (a deal's, a customer's); a ``None`` value
    removes the field (merge patch).

    :class:`ValidationFailed` (``too_deep`` at the field) for a change nesting deeper than
    :data:`~goldsieve.limits.MAX_NESTING`: copying it could exhaust the stack.
    """
    deep = _too_deep(changes or {}, "/data")
    if deep:
        raise ValidationFailed(deep)
    merged = copy.deepcopy(data)
    for key, value in (changes or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def too_deep(path: str) -> Violation:
    """The refusal of a value nesting deeper than :data:`~goldsieve.limits.MAX_NESTING`."""
    return Violation(path, "too_deep", f"This nests deeper than {MAX_NESTING} levels.", MAX_NESTING)


def _too_deep(data: Any, prefix: str) -> list[Violation]:
    """``data`` nesting past the limit: refused at each field that does, else at ``prefix``."""
    if nesting(data) <= MAX_NESTING:
        return []
    deep = [key for key, value in data.items() if nesting(value, MAX_NESTING - 1) >= MAX_NESTING] \
        if isinstance(data, dict) else []
    return [too_deep(pointer(prefix, [key])) for key in deep] or [too_deep(prefix)]


def text_violation(path: str) -> Violation:
    """The refusal of text no store keeps (:func:`goldsieve.limits.storable_text`)."""
    return Violation(path, "invalid", "Text cannot hold NUL characters or broken Unicode.")


def shown_key(key: str) -> str:
    """A key as a refusal names it: NUL and lone surrogates written as ``\\uXXXX``."""
    return re.sub("[\x00\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", key)


def pointer_part(part: object) -> str:
    """One step of a JSON pointer, with ``~`` and ``/`` escaped as RFC 6901 says."""
    return str(part).replace("~", "~0").replace("/", "~1")


def pointer(prefix: str, parts: Iterable[Any]) -> str:
    """The JSON pointer of ``parts`` below ``prefix``."""
    return prefix + "".join("/" + pointer_part(part) for part in parts)


def violations(validator: Draft202012Validator, data: Any, prefix: str = "/data") -> list[Violation]:
    """Every error of ``data`` as a violation whose path points at the field it is about.

    A missing required property is reported at the property's own path (``/data/amount``),
    which is what a form needs to put the message beside the right input.
    """
    deep = _too_deep(data, prefix)  # before anything walks it
    if deep:
        return deep
    found: list[Violation] = list(_unstorable(data, prefix))
    if found:  # such a number compares oddly with every bound: its other "errors" would confuse
        return found
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        found.extend(_explain(error, prefix))
    # one message per (path, code) is enough for a person; keep the first
    seen: set[tuple[str, str]] = set()
    unique = []
    for v in found:
        if (v.path, v.code) not in seen:
            seen.add((v.path, v.code))
            unique.append(v)
    return unique


def _unstorable(value: Any, path: str) -> Iterable[Violation]:
    """Numbers goldsieve cannot hold or sum exactly (:func:`goldsieve.limits.in_range`), and text
    no store keeps (:func:`goldsieve.limits.storable_text`, in keys too), wherever they are in the
    data. The number bound is the default of every number, which a field's own ``minimum`` and
    ``maximum`` may narrow (``goldsieve check`` flags wider ones). JSON Schema lets NaN and the
    infinities through ``minimum``, and compares 10^400 with a ``multipleOf`` by overflowing."""
    if isinstance(value, str) and not storable_text(value):
        yield text_violation(path)
    if is_number(value) and not in_range(value):
        if isinstance(value, float) and math.isnan(value):  # neither too large nor too small
            yield Violation(path, "type", "Enter a finite number.")
        elif value > 0:  # an infinity too: what ``1e400`` and a 5,000-digit number read as
            yield Violation(path, "maximum", f"Enter a number of at most {NUMBER_LIMIT:,}.", NUMBER_LIMIT)
        else:
            yield Violation(path, "minimum", f"Enter a number of at least {-NUMBER_LIMIT:,}.", -NUMBER_LIMIT)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and not storable_text(key):
                yield text_violation(pointer(path, [shown_key(key)]))
            else:
                yield from _unstorable(item, pointer(path, [key]))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unstorable(item, pointer(path, [index]))


def _explain(error: ValidationError, prefix: str) -> list[Violation]:
    if error.validator == "required" and isinstance(error.instance, dict):
        return [
            Violation(pointer(prefix, [*error.path, name]), "required", _("This field is required."))
            for name in error.validator_value
            if name not in error.instance
        ]
    choices = _const_choices(error)
    if choices is not None:  # a choice with titles: say the titles, as the form shows them
        return [Violation(pointer(prefix, error.path), "enum", _(
            "%(value)s is not a choice: choose one of %(choices)s",
            value=_show(error.instance), choices=_listing(choices)))]
    if error.validator in ("anyOf", "oneOf", "allOf") and error.context:
        return [v for sub in error.context for v in _explain(sub, prefix)]
    limit = error.validator_value if error.validator in BOUNDS else None
    return [Violation(pointer(prefix, error.path), str(error.validator), _message(error), limit)]


def _const_choices(error: ValidationError) -> list[Any] | None:
    """The titles (or values) of a ``oneOf``/``anyOf`` whose every branch is a ``const``."""
    branches = error.validator_value
    if error.validator not in ("oneOf", "anyOf") or not isinstance(branches, list) or not branches:
        return None
    if not all(isinstance(b, dict) and "const" in b for b in branches):
        return None
    return [_title(b["title"]) if b.get("title") else b["const"] for b in branches]


def _title(title: Any) -> Any:
    if isinstance(title, dict):  # translated: the API and the CLI speak English
        return title.get("en") or next(iter(title.values()), "")
    return title


_TYPES = {"number": N_("a number"), "integer": N_("a whole number"), "string": N_("text"),
          "boolean": N_("true or false"), "array": N_("a list"), "object": N_("a set of fields"),
          "null": N_("nothing")}
_FORMATS_SAID = {"email": N_("an e-mail address"), "date": N_("a date (YYYY-MM-DD)"),
                 "date-time": N_("a date and time (YYYY-MM-DDTHH:MM:SSZ)"),
                 "time": N_("a time (HH:MM:SS)"), "uri": N_("a web address (https://…)"),
                 "uuid": N_("a UUID"), "ipv4": N_("an IPv4 address")}
_BOUND_WORDS = {"minimum": N_("Enter a number of at least %(limit)s."),
                "maximum": N_("Enter a number of at most %(limit)s."),
                "exclusiveMinimum": N_("Enter a number greater than %(limit)s."),
                "exclusiveMaximum": N_("Enter a number less than %(limit)s."),
                "minLength": N_("Enter at least %(limit)s characters."),
                "maxLength": N_("Enter at most %(limit)s characters."),
                "minItems": N_("Choose at least %(limit)s."), "maxItems": N_("Choose at most %(limit)s."),
                "multipleOf": N_("Enter a multiple of %(limit)s.")}


def _message(error: ValidationError) -> str:
    """What a person reads (a CLI line, an API client): the rule in plain words with the value,
    not the validator's Python ``repr``, in the reader's language (:data:`goldsieve.locales.reader`;
    English for the API). The pages say the same from the violation's code and limit
    (``ui.forms.field_message``)."""
    rule, value = error.validator, error.validator_value
    shown = _show(error.instance)
    if rule == "enum" and isinstance(value, list):
        return _("%(value)s is not a choice: choose one of %(choices)s", value=shown,
                   choices=_listing(value))
    if rule == "const":
        return _("%(value)s is not allowed: enter %(expected)s", value=shown, expected=_show(value))
    if rule == "type":
        wanted = [_(_TYPES.get(t, t)) for t in ([value] if isinstance(value, str) else list(value))]
        kinds = functools.reduce(lambda one, other: _("%(one)s or %(other)s", one=one, other=other),
                                 wanted)
        return _("%(value)s is not %(kind)s", value=shown, kind=kinds)
    if rule == "format" and value in _FORMATS_SAID:
        return _("%(value)s is not %(kind)s", value=shown, kind=_(_FORMATS_SAID[value]))
    if rule in _BOUND_WORDS and is_number(value):
        from babel.numbers import format_decimal  # the limit as the reader's locale writes it

        return _(_BOUND_WORDS[rule], limit=format_decimal(value, locale=reader.get() or "en"))
    if rule == "pattern":
        return _("%(value)s is not in the expected form", value=shown)
    return error.message


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else _json_text(value)
    return f"“{text[:60]}…”" if len(text) > 60 else f"“{text}”"


def _json_text(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def _listing(values: list[Any]) -> str:
    shown = [v if isinstance(v, str) else _json_text(v) for v in values[:8]]
    return ", ".join(shown) + (", …" if len(values) > 8 else "")

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
            Violation(pointer(prefix, [*error.path, name]), "required", "This field is required.")
            for name in error.validator_value
            if name not in error.instance
        ]
    choices = _const_choices(error)
    if choices is not None:  # a choice with titles: say the titles, as the form shows them
        return [Violation(pointer(prefix, error.path), "enum",
                          f"{_show(error.instance)} is not a choice: choose one of {_listing(choices)}")]
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


_TYPES = {"number": "a number", "integer": "a whole number", "string": "text",
          "boolean": "true or false", "array": "a list", "object": "a set of fields", "null": "nothing"}
_FORMATS_SAID = {"email": "an e-mail address", "date": "a date (YYYY-MM-DD)",
                 "date-time": "a date and time (YYYY-MM-DDTHH:MM:SSZ)", "time": "a time (HH:MM:SS)",
                 "uri": "a web address (https://…)", "uuid": "a UUID", "ipv4": "an IPv4 address"}


def _message(error: ValidationError) -> str:
    """What a person reads (a CLI line, an API client): the rule in plain words with the value,
    not the validator's Python ``repr``. The pages say the same in the reader's language from
    the violation's code and limit (``ui.forms.field_message``)."""
    rule, value = error.validator, error.validator_value
    shown = _show(error.instance)
    if rule == "enum" and isinstance(value, list):
        return f"{shown} is not a choice: choose one of {_listing(value)}"
    if rule == "const":
        return f"{shown} is not allowed: enter {_show(value)}"
    if rule == "type":
        wanted = [value] if isinstance(value, str) else list(value)
        return f"{shown} is not {' or '.join(_TYPES.get(t, t) for t in wanted)}"
    if rule == "format" and value in _FORMATS_SAID:
        return f"{shown} is not {_FORMATS_SAID[value]}"
    words = {"minimum": "Enter a number of at least {}.", "maximum": "Enter a number of at most {}.",
             "exclusiveMinimum": "Enter a number greater than {}.",
             "exclusiveMaximum": "Enter a number less than {}.",
             "minLength": "Enter at least {} characters.", "maxLength": "Enter at most {} characters.",
             "minItems": "Choose at least {}.", "maxItems": "Choose at most {}.",
             "multipleOf": "Enter a multiple of {}."}
    if rule in words and is_number(value):
        return words[rule].format(f"{value:,}")
    if rule == "pattern":
        return f"{shown} is not in the expected form"
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

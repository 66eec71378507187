"""Turning JSON Schema errors on deal data into field-by-field violations, each said in the
reader's language by :mod:`.wording`."""
from __future__ import annotations

import copy
import functools
import math
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Iterable

from ..errors import UNSEEN, ValidationFailed, Violation
from ..limits import MAX_NESTING, NUMBER_LIMIT, in_range, is_number, nesting, storable_text
from ..locales import say as _  # the catalogs' keyword: `make messages` extracts what it says
from . import wording
from ..locales import N_

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, FormatChecker
    from jsonschema.exceptions import ValidationError

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
    return Violation(path, "too_deep", _("This nests deeper than %(limit)s levels.", limit=MAX_NESTING),
                     MAX_NESTING)


def _too_deep(data: Any, prefix: str) -> list[Violation]:
    """``data`` nesting past the limit: refused at each field that does, else at ``prefix``."""
    if nesting(data) <= MAX_NESTING:
        return []
    deep = [key for key, value in data.items() if nesting(value, MAX_NESTING - 1) >= MAX_NESTING] \
        if isinstance(data, dict) else []
    return [too_deep(pointer(prefix, [key])) for key in deep] or [too_deep(prefix)]


def text_violation(path: str) -> Violation:
    """The refusal of text no store keeps (:func:`goldsieve.limits.storable_text`)."""
    return Violation(path, "invalid", _("Text cannot hold NUL characters or broken Unicode."))


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
    if found and not isinstance(data, dict):
        return found
    # such a number compares oddly with every bound: its field's other "errors" would confuse;
    # the other fields are checked without it, so a person learns of every problem at once
    kept = {key: value for key, value in data.items()
            if isinstance(key, str) and storable_text(key) and next(_unstorable(value, prefix), None) is None
            } if found else data
    left_out = {pointer(prefix, [key]) for key in data if key not in kept} if found else set()
    for error in sorted(validator.iter_errors(kept), key=lambda e: list(map(str, e.path))):
        found.extend(v for v in _explain(error, prefix, validator.schema)
                     if not any(v.path == out or v.path.startswith(out + "/") for out in left_out))
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
            yield Violation(path, "type", _("Enter a finite number."))
        else:  # an infinity too: what ``1e400`` and a 5,000-digit number read as
            bound = Violation(path, "maximum" if value > 0 else "minimum", "",
                              NUMBER_LIMIT if value > 0 else -NUMBER_LIMIT)
            yield replace(bound, message=wording.said(bound))
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and not storable_text(key):
                yield text_violation(pointer(path, [shown_key(key)]))
            else:
                yield from _unstorable(item, pointer(path, [key]))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unstorable(item, pointer(path, [index]))


def _explain(error: ValidationError, prefix: str, root: dict) -> list[Violation]:
    if error.validator == "required" and isinstance(error.instance, dict):
        return [_refusal(pointer(prefix, [*error.path, name]), "required", root, [*error.path, name])
                for name in error.validator_value if name not in error.instance]
    choices = _const_choices(error)
    if choices is not None:  # a choice with titles: say the titles, as the form shows them
        return [_refusal(pointer(prefix, error.path), "enum", root, error.path, choices, error.instance)]
    if error.validator in ("anyOf", "oneOf", "allOf") and error.context:
        return [v for sub in error.context for v in _explain(sub, prefix, root)]
    rule, limit = str(error.validator), error.validator_value
    if rule not in SAID:
        return [_refusal(pointer(prefix, error.path), rule, root, error.path, None, error.instance,
                         N_("This value does not meet this field's rules."))]
    return [_refusal(pointer(prefix, error.path), rule, root, error.path, limit, error.instance)]


#: the rules :func:`goldsieve.funnels.wording.said` words from their limit and value
SAID = frozenset({"enum", "const", "type", "format", "pattern", *wording.BOUNDS})


def _refusal(path: str, code: str, root: dict, parts: Iterable[Any], limit: Any = None,
             value: Any = UNSEEN, message: str = "") -> Violation:
    """A violation carrying what a person needs to read it, said in the reader's language."""
    found = Violation(path, code, message, limit, value, _field_title(root, list(parts)))
    return replace(found, message=wording.said(found))


def _field_title(root: dict, parts: list[Any]) -> Any:
    """The declared title of the field ``parts`` begins with, if the schema gives one."""
    properties = root.get("properties") if isinstance(root, dict) else None
    if not parts or not isinstance(properties, dict) or not isinstance(properties.get(parts[0]), dict):
        return None
    return properties[parts[0]].get("title")


def _const_choices(error: ValidationError) -> list[Any] | None:
    """The titles (or values) of a ``oneOf``/``anyOf`` whose every branch is a ``const``."""
    branches = error.validator_value
    if error.validator not in ("oneOf", "anyOf") or not isinstance(branches, list) or not branches:
        return None
    if not all(isinstance(b, dict) and "const" in b for b in branches):
        return None
    return [b["title"] if b.get("title") else b["const"] for b in branches]



"""Reading a JSON definition file (a funnel, a record type) as a checker does: UTF-8, no byte order
mark, valid JSON without NaN or Infinity, and no key given twice in an object (JSON would keep
the last one without a word). Every problem is a :class:`~.findings.Finding` of the file as a
whole, or at the key given twice. :func:`unkeepable` is what a parsed definition may not hold
beyond that: nesting no checker walks, text no store keeps (a funnel uploaded, a record type)."""
from __future__ import annotations

import json
from os import PathLike
from pathlib import Path
from typing import Any, Iterator

from ..limits import MAX_NESTING, nesting, storable_text
from ..locales import say
from .findings import Finding, _join
from .validation import N_


def read_json(path: str | PathLike[str]) -> tuple[Any, list[Finding]]:
    """Read and parse a JSON definition file: the value (``None`` if unparsable) and what is wrong
    with the file as a file (encoding, BOM, syntax, NaN, a key given twice). Shared by every
    kind of declared definition (funnels, record types), so they all report a broken file alike.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return None, [Finding("", say(N_("cannot read the file: %(reason)s"), reason=exc.strerror or exc))]
    return parse_json(data)


def parse_json(data: bytes) -> tuple[Any, list[Finding]]:
    """Parse the bytes of a JSON definition file (one read from disk, or uploaded) as
    :func:`read_json` does: the value (``None`` if unparsable) and what is wrong with the file."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [Finding("", say(N_("the file is not UTF-8 text (%(reason)s at byte %(byte)s)"),
                                      reason=exc.reason, byte=exc.start))]
    if text.startswith("\ufeff"):  # what some Windows editors write; json and goldsieve refuse it
        return None, [Finding("", say(N_("not valid JSON: the file starts with a byte order mark at line 1, column 1")),
                              hint=say(N_("save the file as UTF-8 without BOM")))]
    try:
        definition = json.loads(text, object_pairs_hook=_Object, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        return None, [Finding("", say(N_("not valid JSON: %(problem)s at line %(line)s, column %(column)s"),
                                      problem=exc.msg, line=exc.lineno, column=exc.colno),
                              hint=say(N_("check the commas, quotes and brackets just before that place")))]
    except RecursionError:
        return None, [Finding("", say(N_("not valid JSON: it nests too deep to read")),
                              hint=say(N_("a funnel file nests a few levels, not hundreds")))]
    except _BadConstant as exc:
        line, column = _position(text, exc.name)
        return None, [Finding("", say(N_("not valid JSON: `%(name)s` at line %(line)s, column %(column)s"),
                                      name=exc.name, line=line, column=column),
                              hint=say(N_("JSON has no NaN or Infinity; write a number")))]
    return definition, list(_duplicate_keys(definition, "")) if isinstance(definition, dict) else []


class _Object(dict):
    """A parsed JSON object that remembers the keys it saw twice (JSON keeps only the last)."""

    def __init__(self, pairs: list[tuple[str, Any]]):
        super().__init__()
        self.duplicates: list[str] = []
        for key, value in pairs:
            if key in self and key not in self.duplicates:
                self.duplicates.append(key)
            self[key] = value


def _duplicate_keys(value: object, where: str) -> Iterator[Finding]:
    if isinstance(value, dict):
        for key in getattr(value, "duplicates", ()):
            yield Finding(_join(where, key), say(N_("the key `%(key)s` appears more than once in this object"), key=key),
                          say(N_("JSON keeps only the last one; merge them")))
        for key, sub in value.items():
            yield from _duplicate_keys(sub, _join(where, key))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from _duplicate_keys(sub, f"{where}/{i}")


class _BadConstant(ValueError):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def _no_constant(name: str) -> object:
    raise _BadConstant(name)


def _position(text: str, token: str) -> tuple[int, int]:
    index = max(text.find(token), 0)
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def unkeepable(definition: object) -> list[Finding]:
    """What makes a parsed definition unusable whatever it declares: nesting past
    :data:`~goldsieve.limits.MAX_NESTING` (a schema checker would run out of stack walking it),
    or text no store keeps and no page can be written in (NUL, a lone surrogate, which JSON can
    spell as ``\\u0000`` and ``\\ud800``). Asked before any other check; empty when usable."""
    if nesting(definition) > MAX_NESTING:
        return [Finding("", say(N_("the file nests deeper than %(limit)s levels"), limit=MAX_NESTING))]
    if not all(storable_text(text) for text in _strings(definition)):
        return [Finding("", say(N_("the file holds text no store can keep (a NUL or a lone surrogate)")),
                        hint=say(N_("remove control characters and broken characters")))]
    return []


def _strings(value: Any) -> list[str]:
    """Every string in ``value``, keys included, without recursion (the nesting is bounded anyway)."""
    found, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found

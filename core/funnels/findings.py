"""A checker's finding and the words every checker of a declared definition shares (a funnel, a
record type, the automations): how a value, a list of choices and a JSON type are said, and
"did you mean", in the reader's language (:data:`goldsieve.locales.reader`)."""
from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any, Iterable

from ..locales import say
from .validation import N_, pointer_part

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Finding:
    """One problem of a definition: where (a JSON pointer, "" for the whole), what, how to fix."""

    pointer: str
    message: str
    hint: str | None = None
    severity: str = ERROR  # "error" or "warning"


_TYPE_NAMES = {"object": N_("an object"), "array": N_("a list"), "string": N_("a string"),
               "integer": N_("a whole number"), "number": N_("a number"), "boolean": N_("true or false"),
               "null": N_("null")}


def _did_you_mean(word: str, choices: Iterable[Any]) -> str | None:
    matches = difflib.get_close_matches(word, [c for c in choices if isinstance(c, str)], n=1, cutoff=0.6)
    return say(N_("did you mean `%(guess)s`?"), guess=matches[0]) if matches else None

def _join(where: str, key: object) -> str:
    return f"{where}/{pointer_part(key)}"

def _sort_key(path: Iterable[object]) -> list[tuple[int, int, str]]:
    return [(0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in path]

def _a(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    for python_type, name in ((dict, "object"), (list, "array"), (str, "string"), (int, "integer"), (float, "number")):
        if isinstance(value, python_type):
            return say(_TYPE_NAMES[name])
    return type(value).__name__

def _show(value: object) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    text = text[1:-1] if isinstance(value, str) else text
    return text if len(text) <= 60 else text[:57] + "..."

def _listing(values: Iterable[object]) -> str:
    return ", ".join(f"`{_show(v)}`" for v in values)

def _unique(findings: Iterable[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))

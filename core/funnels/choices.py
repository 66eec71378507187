"""A field's choices, in either form a funnel writes them: a bare ``enum``, or a ``oneOf`` (or
``anyOf``) whose every branch is a ``const`` with an optional ``title`` per language. Forms,
lists, the demo and the funnel lint all read choices through here, so a labelled field is a
field with choices everywhere and not only in the form that shows its labels."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

#: The keys whose list of ``const`` branches is a list of choices.
BRANCH_KEYS = ("oneOf", "anyOf")


def is_choice_list(value: Any) -> bool:
    """Whether ``value`` is a list of ``const`` branches (a labelled list of choices)."""
    return isinstance(value, list) and all(isinstance(b, dict) and "const" in b for b in value)


def field_choices(schema: Mapping[str, Any]) -> list[tuple[Any, Any]]:
    """The values a field schema allows, each with its title (a text or a map of languages to
    texts; ``None`` when unlabelled); ``[]`` when the field is no list of choices."""
    if isinstance(schema.get("enum"), list):
        return [(member, None) for member in schema["enum"]]
    for key in BRANCH_KEYS:
        if is_choice_list(schema.get(key)):
            return [(branch["const"], branch.get("title")) for branch in schema[key]]
    return []


def choice_values(schema: Mapping[str, Any]) -> list[Any]:
    """Just the values of :func:`field_choices`."""
    return [value for value, _title in field_choices(schema)]


def by_label(schema: Mapping[str, Any], read: Callable[[str], Any]) -> Callable[[str], Any]:
    """How an imported cell of a field with labelled choices is read: a cell holding one of a
    choice's titles, in any language and any case, is that choice's value (a spreadsheet says
    官网 where the field keeps ``website``: what a refusal lists is then what may be typed);
    any other cell as ``read`` reads it."""
    labels: dict[str, Any] = {}
    for value, title in field_choices(schema):
        for text in (title.values() if isinstance(title, Mapping) else [title]):
            if isinstance(text, str) and text.strip():
                labels.setdefault(text.strip().casefold(), value)
    if not labels:
        return read

    def cell_value(cell: str) -> Any:
        found = labels.get(cell.strip().casefold(), _NO_LABEL)
        return read(cell) if found is _NO_LABEL else found

    return cell_value


_NO_LABEL = object()

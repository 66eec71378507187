"""Forms generated from a funnel's JSON Schema: HTML controls out, typed JSON values back.

A record type (a customer's or a contact's declared fields, :mod:`goldsieve.records.model`)
declares its fields the same way and gets the same forms: every function here takes a
:class:`Declared`, which both are.

The funnel's ``fields`` schema says *what* a field is; its ``ui`` hints (``order``, ``widgets``,
``help``) say *how* it is shown (the react-jsonschema-form split). :func:`controls` decides, per
field, which widget and which HTML attributes (:mod:`.form_controls`); ``forms/fields.html``
only renders that, with autoescaping. :func:`parse` reads a submitted form back into JSON values; the engine validates
the result again with the funnel's compiled validator, so the HTML attributes mirrored here
(``min``, ``maxlength``, ``pattern``…) are a convenience, never the check.

Every rendered field always submits its name (an unchecked box its hidden ``false``, an empty
multi-select or radio group its hidden empty value), so "the field was in the form" is simply
"its name was posted", and an emptied field means "remove it" (``None``, a merge patch).

Custom widgets come from the ``goldsieve_field_widgets`` hook: a funnel whose
``ui.widgets[field]`` names one gets ``widget(name, value, schema, attrs) -> str | Markup``
(see ``docs/plugins.md``); its output is trusted plugin HTML.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

from goldsieve.errors import Violation
from goldsieve.funnels import wording
from goldsieve.funnels.choices import field_choices
from goldsieve.funnels.model import Funnel, Stage
from goldsieve.limits import NUMBER_LIMIT, in_range, read_number
from goldsieve.plugin_manager import field_widgets

from .i18n import text

#: Form names the pages use for themselves (the deal, customer and contact forms', and the activity
#: form's: its type, status, time, duration, outcome, contacts, position); a declared field so named
#: is posted as ``data.<name>``.
RESERVED = frozenset({"csrf_token", "to", "version", "next", "lost_reason", "note", "title", "text",
                      "name", "role", "primary", "customer_id", "customer_q",
                      "type", "status", "when", "duration", "outcome", "contact", "locate", "lat", "lon"})
DATA_PREFIX = "data."
#: The ``<input type>`` of a string by its JSON Schema ``format``.
_INPUT_TYPES = {"date": "date", "date-time": "datetime-local", "email": "email", "idn-email": "email",
                "uri": "url", "url": "url", "iri": "url", "tel": "tel"}
_LOCAL_DATETIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$")

Widget = Callable[[str, Any, dict, dict], Any]


class Declared(Protocol):
    """What a form needs of a declaration: its ``fields`` schema and its ``ui`` hints (in
    ``definition``). A funnel and a record type are both."""

    @property
    def fields_schema(self) -> dict: ...

    @property
    def definition(self) -> dict: ...


@dataclass
class Parsed:
    """What a form submitted: ``changes`` (``None`` = remove), unparsable input by field."""

    changes: dict[str, Any]
    errors: dict[str, list[str]]
    names: list[str]  # the fields the form carried, in form order


# --- the schema, as a form sees it ------------------------------------------------------------


def properties(funnel: Declared) -> dict[str, dict]:
    return funnel.fields_schema.get("properties", {}) or {}


def ui_hints(funnel: Declared) -> dict:
    return funnel.definition.get("ui", {}) or {}


def hidden(funnel: Declared) -> set[str]:
    """Fields no form shows (``ui.hidden``): the API, an import or an automation fills them."""
    return set(ui_hints(funnel).get("hidden", []))


def field_names(funnel: Declared) -> list[str]:
    """Every field the forms show: ``ui.order`` first, then the rest in schema order."""
    props, skip = properties(funnel), hidden(funnel)
    ordered = [name for name in ui_hints(funnel).get("order", []) if name in props and name not in skip]
    return ordered + [name for name in props if name not in ordered and name not in skip]


def sort_names(funnel: Declared, names: Iterable[str]) -> list[str]:
    """``names`` without duplicates and hidden fields, in the funnel's field order (unknown names last)."""
    position = {name: i for i, name in enumerate(field_names(funnel))}
    skip = hidden(funnel)
    unique = [name for name in dict.fromkeys(names) if name not in skip]
    return sorted(unique, key=lambda n: (position.get(n, len(position)), unique.index(n)))


def schema_required(funnel: Declared) -> set[str]:
    return set(funnel.fields_schema.get("required", []) or [])


def gate_required(funnel: Funnel, stage: Stage, data: dict) -> set[str]:
    """The fields the gates on the way into ``stage`` list as required."""
    return {name for gated in funnel.gates_to_enter(stage, data)
            for name in (gated.gate or {}).get("required", [])}


def input_name(name: str) -> str:
    if name in RESERVED or name.startswith(DATA_PREFIX):
        return DATA_PREFIX + name
    return name


def field_of(path: str) -> str | None:
    """The deal field a violation's JSON pointer is about (``/data/amount/0`` → ``amount``)."""
    if not path.startswith("/data/"):
        return None
    first = path[len("/data/"):].split("/", 1)[0]
    return first.replace("~1", "/").replace("~0", "~")


def split_violations(funnel: Declared, found: Iterable[Violation]) -> tuple[dict[str, list[str]], list[Violation]]:
    """Violations about a deal field, as messages by field, and the others (``/to``, ``/title``…).

    A violation about a hidden field is one of the others: the form has no control to show it
    beside, and the person must still learn why the move was refused.
    """
    by_field: dict[str, list[str]] = {}
    others: list[Violation] = []
    skip = hidden(funnel)
    for violation in found:
        name = field_of(violation.path)
        if name is None or name in skip:
            others.append(violation)
            continue
        message = field_message(properties(funnel).get(name, {}), violation)
        if message not in by_field.setdefault(name, []):
            by_field[name].append(message)
    return by_field, others


def text_message(violation: Violation) -> str:
    """A refusal in the page's language, in the kernel's words (:func:`goldsieve.funnels.wording.said`)."""
    return wording.said(violation, str(get_locale()))


def field_message(schema: dict, violation: Violation) -> str:
    """A field's refusal in the page's language, worded as the command line and the API word it
    (:mod:`goldsieve.funnels.wording`: one rule, one table of words).

    A refusal read back from an event may not carry the format or the choices it broke: the
    field's schema says them then.
    """
    if violation.code == "format" and violation.limit is None:
        violation = replace(violation, limit=schema.get("format"))
    if violation.code == "enum" and violation.limit is None:
        listed = schema if field_choices(schema) else schema.get("items", {})  # an item of a list
        if isinstance(listed, dict) and field_choices(listed):
            violation = replace(violation, limit=_labels(listed))
    return text_message(violation)


def _labels(schema: dict) -> list[Any]:
    """The choices of a field as a refusal lists them: their titles where they have one."""
    return [label if label is not None else value for value, label in field_choices(schema)]


def choice_label(schema: dict, value: Any) -> str | None:
    """The label a field gives its choice ``value``, in the reader's language (``None``: it has none)."""
    return next((text(label) for v, label in field_choices(schema) if label is not None and _encode(v) == _encode(value)), None)


def _refused(code: str, limit: Any, value: Any) -> str:
    """What a value a form posted cannot be, said as the engine would say it."""
    return text_message(Violation("", code, "", limit, value))


def _type(schema: dict) -> str:
    declared = schema.get("type")
    if isinstance(declared, list):
        declared = next((t for t in declared if t != "null"), None)
    if declared:
        return declared
    members = [value for value, _label in field_choices(schema)]
    if members and all(isinstance(m, bool) for m in members):
        return "boolean"
    if members and all(isinstance(m, int) and not isinstance(m, bool) for m in members):
        return "integer"
    if members and all(isinstance(m, (int, float)) and not isinstance(m, bool) for m in members):
        return "number"
    return "string"


def _encode(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def kind_of(schema: dict, hint: str | None, plugins: Mapping[str, Widget]) -> str:
    if hint and hint in plugins:
        return "plugin"
    type_ = _type(schema)
    if type_ == "boolean":
        return "checkbox"
    if type_ == "array":
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        if field_choices(items):
            return "checkboxes" if hint == "checkboxes" else "multiselect"
        return "json" if _type(items) in ("object", "array") else "list"
    if type_ == "object":
        return "json"
    if field_choices(schema):
        return "radio" if hint == "radio" else "select"
    if type_ in ("number", "integer"):
        return "number"
    return "textarea" if hint == "textarea" else "text"


def _input_type(schema: dict, hint: str | None) -> str:
    if hint in ("tel", "email", "url", "date", "datetime-local", "text"):
        return hint
    return _INPUT_TYPES.get(schema.get("format", ""), "text")


def html_pattern(pattern: Any) -> str | None:
    """A JSON Schema ``pattern`` as an HTML ``pattern``, or ``None`` when it cannot be one.

    JSON Schema patterns search (unanchored); HTML anchors its pattern as ``^(?:…)$`` and
    compiles it with the ``v`` flag. ``[\\s\\S]*(?:p)[\\s\\S]*`` keeps the search meaning (a ``^``
    or ``$`` inside still asserts the ends). Patterns the stricter ``v`` syntax would reject in a
    character class are left out: a browser would log an error and the server checks anyway.
    """
    if not isinstance(pattern, str) or not pattern:
        return None
    for klass in re.findall(r"\[((?:\\.|[^\]\\])*)\]", pattern):
        body = klass.removeprefix("^")
        unescaped = re.sub(r"\\.", "", body)
        if re.search(r"[()\[{}/|]", unescaped) or unescaped.startswith("-") or unescaped.endswith("-") \
                or re.search(r"([!#$%&*+,.:;<=>?@^`~-])\1", unescaped):
            return None
    return f"[\\s\\S]*(?:{pattern})[\\s\\S]*"


def _constraint_attrs(schema: dict, kind: str, input_type: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    if kind == "number":
        integer = _type(schema) == "integer"
        for key, attr in (("minimum", "min"), ("maximum", "max")):
            if isinstance(schema.get(key), (int, float)) and not isinstance(schema.get(key), bool):
                attrs[attr] = _number_text(schema[key])
        step = schema.get("multipleOf")
        attrs["step"] = _number_text(step) if isinstance(step, (int, float)) and step > 0 else ("1" if integer else "any")
        attrs["inputmode"] = "numeric" if integer else "decimal"
    elif kind in ("text", "textarea") and input_type not in ("date", "datetime-local"):
        for key, attr in (("minLength", "minlength"), ("maxLength", "maxlength")):
            if isinstance(schema.get(key), int):
                attrs[attr] = str(schema[key])
        pattern = html_pattern(schema.get("pattern")) if kind == "text" else None
        if pattern:
            attrs["pattern"] = pattern
    return attrs


def _number_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "field"
    if slug != name:  # keep ids unique when two names differ only in such characters
        slug += "-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:6]
    return slug


# --- values to text and back ------------------------------------------------------------------


def display(schema: dict, kind: str, value: Any) -> list[str]:
    """A JSON value as the strings its control shows (and would post back)."""
    if value is None:
        return []
    if kind == "checkbox":
        return ["true" if value is True else "false"]
    if kind in ("multiselect", "checkboxes"):
        return [_encode(v) for v in value] if isinstance(value, list) else [_encode(value)]
    if kind in ("select", "radio"):
        return [_encode(value)]
    if kind == "list":
        items = value if isinstance(value, list) else [value]
        return ["\n".join(_number_text(v) if isinstance(v, (int, float)) else str(v) for v in items)]
    if kind == "json":
        return [json.dumps(value, ensure_ascii=False, indent=2)]
    if kind == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return [_number_text(value)]
    if isinstance(value, str) and schema.get("format") == "date-time":
        return [_to_local_input(value)]
    if isinstance(value, (dict, list)):
        return [json.dumps(value, ensure_ascii=False)]
    return [str(value)]


def _to_local_input(value: str) -> str:
    """``2026-01-05T09:00:00Z`` → ``2026-01-05T09:00`` (UTC; ``datetime-local`` has no zone)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S" if moment.second else "%Y-%m-%dT%H:%M")


def _from_local_input(text_: str) -> str | None:
    if _LOCAL_DATETIME.match(text_):
        moment = datetime.fromisoformat(text_)
        return moment.strftime("%Y-%m-%dT%H:%M:%S") + "Z"
    try:  # a full RFC 3339 stamp (a plugin widget, a script) passes through
        datetime.fromisoformat(text_)
    except ValueError:
        return None
    return text_ if re.search(r"(Z|[+-]\d{2}:\d{2})$", text_) else None


def _same_instant(a: Any, b: Any) -> bool:
    try:
        return (datetime.fromisoformat(str(a))
                == datetime.fromisoformat(str(b)))
    except ValueError:
        return False


def _within_limit(number: int | float) -> tuple[int | float | None, str | None]:
    """A typed number, or why it cannot be stored: beyond ±:data:`~goldsieve.limits.NUMBER_LIMIT`
    (``1e400`` reads as infinity), said as the engine's bound would be."""
    if in_range(number):
        return number, None
    if number > 0:
        return None, _refused("maximum", NUMBER_LIMIT, number)
    return None, _refused("minimum", -NUMBER_LIMIT, number)


def parse_value(schema: dict, kind: str, posted: list[str], current: Any = None) -> tuple[Any, str | None]:
    """One field's posted strings as a JSON value (``None`` = absent), or an error message."""
    if kind == "checkbox":
        if "true" in posted:
            return True, None
        return (False, None) if posted else (None, None)
    values = [v for v in posted if v != ""]
    if kind in ("multiselect", "checkboxes"):
        choices = {_encode(v): v for v, _label in field_choices(schema.get("items", {}))}
        strays = [v for v in values if v not in choices]
        if strays:
            return None, _refused("enum", _labels(schema.get("items", {})), strays[0])
        picked = list(dict.fromkeys(choices[v] for v in values))
        return (picked or None), None
    raw = values[-1] if values else ""
    if kind in ("select", "radio"):
        if raw == "":
            return None, None
        choices = {_encode(v): v for v, _label in field_choices(schema)}
        return (choices[raw], None) if raw in choices else (None, _refused("enum", _labels(schema), raw))
    if kind == "textarea":
        value = raw.replace("\r\n", "\n")
        if not value.strip():
            return None, None
        return (current if current == value else value), None
    raw = raw.strip()
    if raw == "":
        return None, None
    if kind == "number":
        integer = _type(schema) == "integer"
        number = read_number(raw, integer)
        if number is None:
            return None, _refused("type", "integer" if integer else "number", raw)
        return _within_limit(number)
    if kind == "list":
        item_schema = schema.get("items", {}) if isinstance(schema.get("items"), dict) else {}
        item_type = _type(item_schema)
        items: list[Any] = []
        for line in (line.strip() for line in raw.splitlines()):
            if not line:
                continue
            if item_type in ("number", "integer"):
                number = read_number(line, item_type == "integer")
                if number is None:
                    return None, _refused("type", item_type, line)
                number, error = _within_limit(number)
                if error:
                    return None, error
                items.append(number)
            else:
                items.append(line)
        return (items or None), None
    if kind == "json":
        try:
            return json.loads(raw), None
        except (ValueError, RecursionError):  # nested past the reader's stack is no JSON to keep
            return None, _refused("json", None, raw)
    if schema.get("format") == "date-time":
        stamp = _from_local_input(raw)
        if stamp is None:
            return None, _("Enter a date and time.")
        return (current if _same_instant(current, stamp) else stamp), None
    if isinstance(current, str) and current.strip() == raw:
        return current, None  # don't record a change for whitespace the input trimmed
    return raw, None


def parse(funnel: Declared, form: Mapping, current: dict | None = None,
          names: Iterable[str] | None = None) -> Parsed:
    """The deal fields a form posted, as typed changes; unparsable input as errors by field.

    :param form: the submitted form (a werkzeug ``MultiDict``).
    :param current: the deal's data, so that a value shown and posted back unchanged (a trimmed
        string, a time written another way) does not count as a change.
    :param names: the fields to read; by default every field whose name was posted.
    """
    props, hints, plugins = properties(funnel), ui_hints(funnel).get("widgets", {}), _plugins()
    current = current or {}
    if names is None:
        names = [n for n in field_names(funnel) if input_name(n) in form]
    changes: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    names = list(names)
    for name in names:
        schema = props.get(name, {})
        # a plugin widget posts what the built-in widget of its type would
        kind = kind_of(schema, hints.get(name) if hints.get(name) not in plugins else None, {})
        posted = form.getlist(input_name(name)) if hasattr(form, "getlist") else [form.get(input_name(name), "")]
        value, error = parse_value(schema, kind, posted, current.get(name))
        if error:
            errors[name] = [error]
        else:
            changes[name] = value
    return Parsed(changes, errors, names)


def _plugins() -> Mapping[str, Widget]:
    runtime = current_app.extensions.get("goldsieve")
    return field_widgets(runtime.pm) if runtime is not None else {}

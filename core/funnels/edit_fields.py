"""The designer's field editor, and a funnel draft's lost reasons (see :mod:`.edit` for drafts).

A field is a JSON Schema under ``fields.properties`` plus its form hints under ``ui`` (widget,
help). Choices without labels are an ``enum``; choices with labels in some language become a
``oneOf`` of ``const`` + ``title``, the form the deal forms already read labels from.

The field edits work on any declaration of that shape (``declared``: a dict holding ``fields``
and ``ui``): a funnel's definition, a customer's or a contact's record type, one activity type
of ``records/activity.json``. The funnel designer (ui/designer_fields.py) and its records page
(ui/designer_records.py, saving through :mod:`goldsieve.records.edit`) both edit fields with them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from .choices import BRANCH_KEYS, field_choices, is_choice_list
from .edit import SLUG, Draft, EditError, properties_of, set_texts, texts_of, typed
from .validation import N_

FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
FIELD_TYPES = ("string", "number", "integer", "boolean", "date")
#: The string formats the deal forms give an input of their own (``date`` is a type here).
FORMATS = ("email", "uri", "tel", "date-time")
#: The widgets the built-in forms know besides the default one for the type.
WIDGETS = ("textarea", "radio")
HELP_LIMIT = 1000


@dataclass
class FieldForm:
    """What the field editor sends: everything but the name is optional."""

    kind: str = "string"
    titles: Mapping[str, str] = field(default_factory=dict)
    required: bool = False
    choices: list[tuple[str, Mapping[str, str]]] = field(default_factory=list)
    format: str = ""
    widget: str = ""
    help: Mapping[str, str] = field(default_factory=dict)


def set_field(declared: dict[str, Any], name: str, form: FieldForm, *, new: bool,
              plugin_widgets: tuple[str, ...] = ()) -> None:
    """Add a field (``new``) or change one of ``declared`` from the field editor's form."""
    name = name.strip()
    fields = properties_of(declared)
    if new:
        if not FIELD_NAME.match(name) or len(name) > 64:
            raise EditError(N_("“%(name)s” is not a valid field name: use letters, digits and _"), name=name[:40])
        if name in fields:
            raise EditError(N_("there already is a field “%(name)s”"), name=name)
    elif name not in fields:
        raise EditError(N_("there is no field “%(name)s”"), name=name[:40])
    if form.kind not in FIELD_TYPES:
        raise EditError(N_("a field's type is one of %(types)s"), types=", ".join(FIELD_TYPES))
    if form.format and (form.format not in FORMATS or form.kind != "string"):
        raise EditError(N_("a format is for a text field, one of %(formats)s"), formats=", ".join(FORMATS))
    if form.widget and form.widget not in WIDGETS + plugin_widgets:
        raise EditError(N_("unknown widget “%(widget)s”"), widget=form.widget[:40])
    schema = dict(fields.get(name, {}))
    _set_type(schema, form)
    set_texts(schema, "title", form.titles, fallback=name)
    _set_choices(schema, form.choices)
    fields[name] = schema
    listed = declared["fields"].setdefault("required", [])
    if form.required and name not in listed:
        listed.append(name)
    elif not form.required and name in listed:
        listed.remove(name)
    if not listed:
        declared["fields"].pop("required")
    _set_hint(declared, "widgets", name, form.widget or None)
    helps = dict(declared.get("ui", {}).get("help", {}))
    set_texts(helps, name, form.help, limit=HELP_LIMIT)
    _set_hint(declared, "help", name, helps.get(name))


def _set_type(schema: dict, form: FieldForm) -> None:
    wanted = {"type": "string", "format": "date"} if form.kind == "date" else {"type": form.kind}
    if form.format:
        wanted["format"] = form.format
    if (schema.get("type"), schema.get("format")) != (wanted["type"], wanted.get("format")):
        schema.pop("format", None)
        schema.update(wanted)


def _set_choices(schema: dict, choices: list[tuple[str, Mapping[str, str]]]) -> None:
    """The field's choices: an ``enum``, or a ``oneOf`` of ``const`` + ``title`` when some are labelled."""
    values, labelled = [], []
    for text, labels in choices:
        if not text.strip():
            continue
        value = typed(schema, text.strip())
        if value in values:
            raise EditError(N_("the choice “%(value)s” is listed twice"), value=text.strip()[:40])
        values.append(value)
        branch: dict[str, Any] = {"const": value}
        set_texts(branch, "title", labels)
        labelled.append(branch)
    if any("title" in branch for branch in labelled):
        wanted: dict[str, Any] = {"oneOf": labelled}
    else:
        wanted = {"enum": values} if values else {}
    current = {key: schema[key] for key in ("enum", *BRANCH_KEYS) if key in schema
               and (key == "enum" or is_choice_list(schema[key]))}
    if current == wanted:
        return  # unchanged: the keys keep their place
    for key in current:
        del schema[key]
    schema.update(wanted)


def choices_of(schema: Mapping[str, Any]) -> list[tuple[Any, dict[str, str]]]:
    """A field's choices as the editor's rows show them: value → its label per language."""
    return [(value, texts_of(title)) for value, title in field_choices(schema)]


def _set_hint(definition: dict, key: str, name: str, value: Any) -> None:
    """Set (or, with ``None``, drop) one field's form hint under ``ui``, dropping empty maps."""
    ui = definition.get("ui", {})
    hints = dict(ui.get(key, {}))
    if value is None:
        hints.pop(name, None)
    else:
        hints[name] = value
    if hints == ui.get(key, {}):
        return
    ui = {**ui, key: hints} if hints else {k: v for k, v in ui.items() if k != key}
    if ui:
        definition["ui"] = ui
    else:
        definition.pop("ui", None)


def remove_field(declared: dict[str, Any], name: str) -> None:
    """Remove a field of ``declared`` from the schema, the required list and the form hints."""
    fields = properties_of(declared)
    if name not in fields:
        raise EditError(N_("there is no field “%(name)s”"), name=name[:40])
    del fields[name]
    if name in declared["fields"].get("required", []):
        declared["fields"]["required"].remove(name)
    for key in ("widgets", "help"):
        _set_hint(declared, key, name, None)
    ui = declared.get("ui", {})
    for key in ("order", "hidden"):
        if name in ui.get(key, []):
            ui[key].remove(name)


# --- lost reasons ---------------------------------------------------------------------------


def set_lost_reason(draft: Draft, reason_id: str, titles: Mapping[str, str], *, new: bool) -> None:
    """Add a lost reason (``new``) or re-title one; a reason needs a title in some language."""
    reasons = draft["definition"].setdefault("lost_reasons", [])
    reason_id = reason_id.strip()
    found = next((r for r in reasons if r["id"] == reason_id), None)
    if new:
        if not SLUG.match(reason_id):
            raise EditError(N_("“%(id)s” is not a valid id: use lowercase letters, digits, _ and -, "
                            "starting with a letter"), id=reason_id[:40])
        if found is not None:
            raise EditError(N_("there already is a lost reason “%(id)s”"), id=reason_id)
        found = {"id": reason_id}
        reasons.append(found)
    elif found is None:
        raise EditError(N_("there is no lost reason “%(id)s”"), id=reason_id[:40])
    set_texts(found, "title", titles, fallback=reason_id)


def remove_lost_reason(draft: Draft, reason_id: str) -> None:
    reasons = draft["definition"].get("lost_reasons", [])
    kept = [r for r in reasons if r["id"] != reason_id]
    if len(kept) == len(reasons):
        raise EditError(N_("there is no lost reason “%(id)s”"), id=reason_id[:40])
    if kept:
        draft["definition"]["lost_reasons"] = kept
    else:
        draft["definition"].pop("lost_reasons")

"""The controls of a generated form (:mod:`.forms`): per declared field, which widget and which
HTML attributes, decided here so that ``forms/fields.html`` only prints them, autoescaped.

The rules of what a schema means for a form (kinds, input types, constraints, choices, how a
value is shown) are :mod:`.forms`'; this module puts them together into :class:`Control` objects
and HTML, a plugin's widget included (its output is trusted plugin HTML; one that fails falls back
to the built-in widget).
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import render_template
from goldsieve.funnels.choices import field_choices
from markupsafe import Markup

from .forms import (
    Declared,
    Widget,
    _constraint_attrs,
    _encode,
    _input_type,
    _plugins,
    _slug,
    display,
    input_name,
    kind_of,
    parse_value,
    properties,
    schema_required,
    ui_hints,
)
from .i18n import text

log = logging.getLogger(__name__)


@dataclass
class Option:
    value: str  # as posted: a string enum member itself, any other JSON value as JSON text
    label: str
    selected: bool = False


@dataclass
class Control:
    """One field of a form, decided: the template only prints it."""

    name: str  # the deal field
    input_name: str  # the name it is posted under
    id: str
    label: str
    kind: str  # text textarea number checkbox select radio multiselect checkboxes list json plugin
    attrs: dict[str, str] = field(default_factory=dict)  # for the <input>/<select>/<textarea>
    value: str = ""
    checked: bool = False
    options: list[Option] = field(default_factory=list)
    help: str = ""
    errors: list[str] = field(default_factory=list)
    required: bool = False
    html: Markup | None = None  # a plugin widget's output

    @property
    def help_id(self) -> str:
        return f"{self.id}-help"

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"



def controls(
    funnel: Declared,
    names: Iterable[str],
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, list[str]] | None = None,
    required: Iterable[str] = (),
    posted: Mapping | None = None,
    prefix: str = "f",
) -> list[Control]:
    """The controls of ``names``, in that order.

    :param values: the fields' current JSON values (the deal's data).
    :param errors: messages by field name, shown beside each field.
    :param required: fields a gate requires; the schema's ``required`` are always added.
    :param posted: the submitted form, when re-showing it: what the person typed is shown again,
        even where it could not be parsed, instead of ``values``.
    :param prefix: makes ids unique when two forms of one deal share a page (the dialog).
    """
    props, hints = properties(funnel), ui_hints(funnel)
    widgets, help_texts, plugins = hints.get("widgets", {}), hints.get("help", {}), _plugins()
    # a store may hold data that is no object (written past the engine): no field has a value
    values, errors = values if isinstance(values, dict) else {}, errors or {}
    required = set(required) | schema_required(funnel)
    result = []
    for name in names:
        schema = props.get(name, {}) if isinstance(props.get(name), dict) else {}
        hint = widgets.get(name)
        kind = kind_of(schema, hint, plugins)
        input_type = _input_type(schema, hint) if kind == "text" else ""
        control = Control(
            name=name, input_name=input_name(name), id=f"{prefix}-{_slug(input_name(name))}",
            label=text(schema.get("title")) or name, kind=kind,
            help=text(help_texts.get(name)) or text(schema.get("description")),
            errors=list(errors.get(name, [])), required=name in required,
        )
        if posted is not None and control.input_name in posted:
            shown = [v for v in posted.getlist(control.input_name) if v != ""]
            if kind == "checkbox":
                shown = ["true"] if "true" in shown else []
        else:
            shown = display(schema, kind, values.get(name))
        control.value = shown[-1] if shown else ""
        control.checked = "true" in shown
        options = field_choices(schema.get("items", {}) if kind in ("multiselect", "checkboxes") else schema)
        control.options = [Option(_encode(v), text(label) if label is not None else _encode(v),
                                  _encode(v) in shown) for v, label in options]
        control.attrs = _attrs(control, schema, input_type)
        if kind == "plugin":
            value = values.get(name)
            if posted is not None and control.input_name in posted:
                builtin = kind_of(schema, None, {})
                value, error = parse_value(schema, builtin, posted.getlist(control.input_name))
                value = control.value if error else value
            control.html = _plugin_html(plugins[hint], control, value, schema)
            if control.html is None:  # the plugin failed: fall back to the built-in widget
                control.kind = kind_of(schema, None, {})
                control.attrs = _attrs(control, schema, _input_type(schema, None))
        result.append(control)
    return result


def _attrs(control: Control, schema: dict, input_type: str) -> dict[str, str]:
    kind = control.kind
    attrs: dict[str, str] = {}
    if kind not in ("radio", "checkboxes"):  # a group's inputs get their own ids
        attrs["id"] = control.id
        attrs["name"] = control.input_name
    if kind == "text":
        attrs["type"] = input_type
    elif kind == "number":
        attrs["type"] = "number"
    elif kind == "checkbox":
        attrs.update(type="checkbox", value="true")
    elif kind == "multiselect":
        attrs["multiple"] = ""
    builtin = kind_of(schema, None, {}) if kind == "plugin" else kind  # a plugin gets them too
    attrs.update(_constraint_attrs(schema, builtin, input_type or _input_type(schema, None)))
    if control.required and kind not in ("checkbox", "checkboxes", "multiselect", "plugin"):
        attrs["required"] = ""
    elif control.required:
        attrs["aria-required"] = "true"
    described = [i for i, present in ((control.help_id, control.help), (control.error_id, control.errors)) if present]
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if control.errors:
        attrs["aria-invalid"] = "true"
    if kind in ("text", "number") and control.value:
        attrs["value"] = control.value
    return attrs


def _plugin_html(widget: Widget, control: Control, value: Any, schema: dict) -> Markup | None:
    attrs = {k: v for k, v in control.attrs.items() if k != "name"}
    attrs["required"] = control.required
    try:
        return Markup(widget(control.input_name, value, schema, attrs))
    except Exception:
        log.exception("field widget for %s failed; using the built-in widget", control.name)
        return None


def render(funnel: Declared, names: Iterable[str], **kwargs: Any) -> Markup:
    """The HTML of the controls of ``names`` (see :func:`controls` for the arguments)."""
    return Markup(render_template("forms/fields.html", controls=controls(funnel, names, **kwargs)))

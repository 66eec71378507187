"""The designer's records page: the fields of the customers, the contacts and each activity type.

For the users who may use the funnel designer (its one rule, :func:`.designer.only_funnel_changers`).
A record type's fields are edited with the funnel designer's field editor (its kernel
:mod:`goldsieve.funnels.edit_fields`, its inputs ``designer/_fields.html``), but there is no draft:
each edit is checked and saved at once (:meth:`goldsieve.records.edit.RecordFiles.save`), and the
customer, contact and activity forms ask for the new field from the next request on. A refused
edit writes nothing and says why at the field it is about (422); an edit begun before someone
else's save is refused too (409), and the page shows the fields as they are now.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from goldsieve.errors import DefinitionError, NotFound
from goldsieve.funnels import edit as funnel_edit
from goldsieve.funnels import edit_fields
from goldsieve.funnels.check import Finding
from goldsieve.funnels.edit import EditError
from goldsieve.records.check import ACTIVITY
from goldsieve.records.edit import StaleDefinition, declared, definition_of, digest
from goldsieve.records.model import ActivityType, RecordType
from goldsieve.web.app import current_runtime

from . import designer_fields, designer_findings, forms
from .deals import respond, wants_fragment
from .designer import field_kind, now, only_funnel_changers, page_language
from .designer_forms import Form, language_names, say
from .errors import not_found
from .i18n import text

bp = Blueprint("designer_records", __name__, url_prefix="/designer/records")
bp.before_request(only_funnel_changers)

#: op → the field edit it makes on the declared part of a record type (``fields`` and ``ui``)
EDITS: dict[str, Callable[[dict, Form], None]] = {
    "add_field": lambda d, f: edit_fields.set_field(d, f.get("name", ""), designer_fields.field_form(f), new=True,
                                                    plugin_widgets=designer_fields.plugin_widgets()),
    "update_field": lambda d, f: edit_fields.set_field(d, f.get("name", ""), designer_fields.field_form(f),
                                                       new=False, plugin_widgets=designer_fields.plugin_widgets()),
    "remove_field": lambda d, f: edit_fields.remove_field(d, f.get("name", "")),
}
#: Where a refusal without a field of its own is shown: above the fields.
RECORD: designer_findings.Part = ("record", "")
#: Where a refused new field's problems are shown: in the box that adds it.
ADDING: designer_findings.Part = ("add_field", "")


@bp.errorhandler(NotFound)
def _not_found(error: NotFound):
    return not_found(_("There is no such record type."))


@bp.get("/")
def index():
    """The workspace's record types: customers, contacts and each activity type, with their fields."""
    types = current_runtime().records.types
    rows = [(_("Customers"), "customer", None, types.customer.fields_schema),
            (_("Contacts"), "contact", None, types.contact.fields_schema)]
    rows += [(text(kind.definition.get("title")) or kind.id, ACTIVITY, kind.id, kind.fields_schema)
             for kind in types.activity.all]
    return respond(render_template("designer/records_index.html", rows=rows))


@bp.get("/<kind>")
@bp.get("/activity/<type_id>", defaults={"kind": ACTIVITY}, endpoint="edit")
def edit(kind: str, type_id: str | None = None):
    _target(kind, type_id)
    return respond(render_fields(kind, type_id))


@bp.post("/<kind>")
@bp.post("/activity/<type_id>", defaults={"kind": ACTIVITY}, endpoint="change")
def change(kind: str, type_id: str | None = None):
    """Make one field edit (``op``) and save the record type; a refusal writes nothing."""
    running = _target(kind, type_id)
    op, form = request.form.get("op", ""), request.form
    name = form.get("name", "").strip()
    at = _where(op, name, declared(running, kind, type_id))
    if op not in EDITS:
        return respond(render_fields(kind, type_id, placed={RECORD: [_refusal(_("Unknown change."))]}), 422)
    candidate = copy.deepcopy(running)
    try:
        EDITS[op](declared(candidate, kind, type_id), form)
        with page_language():
            current_runtime().records.save(kind, candidate, by=g.user["username"], at=now(),
                                           base=form.get("base", ""))
    except EditError as refused:
        return respond(render_fields(kind, type_id, placed={at: [_refusal(say(refused))]}, adding=form), 422)
    except DefinitionError as problem:
        placed = _placed(declared(candidate, kind, type_id), kind, candidate, problem.findings,
                         name if at == ADDING else None)
        return respond(render_fields(kind, type_id, placed=placed, adding=form), 422)
    except StaleDefinition:
        message = _("Someone else changed these fields meanwhile, so nothing was kept: here they are "
                    "as they are now; make your change again.")
        return respond(render_fields(kind, type_id, placed={RECORD: [_refusal(message)]}), 409)
    note = {"add_field": _("Field “%(name)s” added: the forms ask for it now.", name=name),
            "update_field": _("Field “%(name)s” saved.", name=name),
            "remove_field": _("Field “%(name)s” removed.", name=name)}[op]
    if wants_fragment():
        return respond(render_fields(kind, type_id, note=note))
    flash(note)
    return redirect(_url(kind, type_id), 303)


def _target(kind: str, type_id: str | None) -> dict[str, Any]:
    """The running definition of the record type a page is about; :class:`NotFound` for none."""
    if (kind == ACTIVITY) != (type_id is not None):
        raise NotFound("an activity type is /designer/records/activity/<id>")
    running = definition_of(current_runtime().records.types, kind)
    declared(running, kind, type_id)
    return running


def _where(op: str, name: str, part: dict[str, Any]) -> designer_findings.Part:
    """Where a refusal of edit ``op`` of field ``name`` is said: in the box adding it, in the
    field's editor, or (a field the type does not have) above the fields."""
    if op == "add_field":
        return ADDING
    return ("field", name) if name in _fields(part)["properties"] else RECORD


def _url(kind: str, type_id: str | None) -> str:
    return url_for("designer_records.edit", kind=kind, **({"type_id": type_id} if type_id else {}))


def _refusal(message: str) -> Finding:
    return Finding("", message)


def _placed(part: dict[str, Any], kind: str, definition: dict[str, Any], found: list[Finding],
            adding: str | None) -> dict[designer_findings.Part, list[Finding]]:
    """The check's findings by the control that fixes them: a field's own editor (the box adding
    it, for the field being ``adding``), else above the fields."""
    prefix = ""
    if kind == ACTIVITY:
        prefix = f"/types/{next(i for i, entry in enumerate(definition['types']) if entry is part)}"
    placed: dict[designer_findings.Part, list[Finding]] = {}
    for finding in found:
        where = RECORD
        if finding.pointer.startswith(prefix + "/"):
            part_kind, name = designer_findings.part_of(part, finding.pointer[len(prefix):])
            if part_kind == "field":
                where = ADDING if name == adding else ("field", name)
        placed.setdefault(where, []).append(finding)
    return placed


def _fields(part: dict[str, Any]) -> dict[str, Any]:
    fields = part.get("fields") or {}
    return {"type": "object", **fields, "properties": fields.get("properties") or {}}


def render_fields(kind: str, type_id: str | None, *, placed: dict | None = None, note: str | None = None,
                  adding: Form | None = None) -> str:
    """The records editor: the fields of one record type in the field editor, and its form."""
    running = definition_of(current_runtime().records.types, kind)
    part = declared(running, kind, type_id)
    shown = {"fields": _fields(part), "ui": part.get("ui") or {}}
    record = ActivityType(part) if kind == ACTIVITY else RecordType(kind, running)
    preview = forms.render(record, forms.field_names(record), values={}, required=forms.schema_required(record),
                           prefix="preview")
    placed = placed or {}
    title = {"customer": _("Customers"), "contact": _("Contacts")}.get(kind) or text(part.get("title")) or type_id
    context: dict[str, Any] = {
        "kind": kind, "type_id": type_id, "record_title": title, "definition": shown,
        "props": shown["fields"]["properties"], "placed": placed, "note": note,
        "refused": placed.get(RECORD, []), "adding": adding if adding is not None and ADDING in placed else None,
        **_typed_again(adding if ADDING in placed else None),
        "base": digest(running), "action": _url(kind, type_id), "preview": preview,
        "form_url": _form_url(kind), "required_label": _required_label(kind),
        "field_types": edit_fields.FIELD_TYPES, "formats": edit_fields.FORMATS,
        "widgets": edit_fields.WIDGETS + designer_fields.plugin_widgets(), "choices_of": edit_fields.choices_of,
        "spare_choices": designer_fields.SPARE_CHOICES, "texts_of": funnel_edit.texts_of,
        "languages": language_names(), "field_kind": field_kind,
    }
    template = "designer/_records_editor.html" if wants_fragment() else "designer/records.html"
    return render_template(template, **context)


def _typed_again(form: Form | None) -> dict[str, Any]:
    """A refused new field as its box shows it again: what of the form the field editor can read
    (a type it does not offer, say, leaves the box empty but for the name)."""
    scratch: dict[str, Any] = {}
    if form is not None:
        try:
            edit_fields.set_field(scratch, "typed", designer_fields.field_form(form), new=True,
                                  plugin_widgets=designer_fields.plugin_widgets())
        except EditError:
            pass  # nothing of it to show again
    fields = scratch.get("fields", {})
    schema = {key: value for key, value in fields.get("properties", {}).get("typed", {}).items()
              if (key, value) != ("title", "typed")}
    return {"typed_again": schema, "typed_again_required": bool(fields.get("required"))}


def _required_label(kind: str) -> str:
    """What the field editor's "required" tick means for this record type."""
    if kind == "customer":
        return _("Required for every customer")
    if kind == "contact":
        return _("Required for every contact")
    return _("Required for every activity of this type")


def _form_url(kind: str) -> str | None:
    """Where the record type's form is, to try the new field on."""
    return url_for("customers.new") if kind == "customer" else None

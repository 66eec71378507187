"""The funnel designer: edit a draft of a funnel in the browser, then plan and apply it.

For users allowed ``change_funnel`` (admins, by default). A draft starts blank, from an industry
template, from an uploaded funnel file or from a funnel's applied version, and lives in the store
(:mod:`goldsieve.funnels.drafts`). Every edit is a small form posted to one endpoint (``op`` says
which edit; each part of the funnel has its module: ui/designer_funnel.py, designer_stages.py,
designer_fields.py, designer_automations.py, designer_rules.py): with htmx the editor is swapped
in place, lint and the deal-form preview included; without JavaScript the page is posted and
redirected back. The fields of the record types (customers, contacts, activity types) are edited
with the same field editor on a page of their own (ui/designer_records.py). A draft with errors is
kept all the same; saving shows the plan of
``goldsieve funnel plan`` (ui/designer_review.py) and applies through
:func:`goldsieve.funnels.migration.apply`, the path the command line takes.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Any, Iterator

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from goldsieve import locales
from goldsieve.checking import lint_findings
from goldsieve.clock import stamp
from goldsieve.errors import DefinitionError, Forbidden, NotFound
from goldsieve.funnels import drafts as funnel_drafts
from goldsieve.funnels import edit as funnel_edit
from goldsieve.funnels import edit_fields, edit_rules, migration
from goldsieve.funnels.check import Finding, check_definition
from goldsieve.funnels.edit import EditError
from goldsieve.funnels.model import Funnel
from goldsieve.people.users import ROLES
from goldsieve.plugin_manager import templates
from goldsieve.web.app import current_runtime

from . import (designer_automations, designer_fields, designer_findings, designer_funnel, designer_review,
               designer_rules, designer_stages, forms)
from .deals import respond, wants_fragment
from .designer_forms import Edits, language_names, say
from .i18n import text

bp = Blueprint("designer", __name__, url_prefix="/designer")
#: The largest funnel file the designer takes (the templates are about 20 kB).
IMPORT_LIMIT = 1_000_000


def now() -> str:
    """The time a draft is saved at, by the engine's clock."""
    return stamp(current_runtime().engine.clock())


@bp.before_request
def only_funnel_changers() -> None:
    """The designer's one rule of access, for its funnels and its record types (ui/designer_records.py)."""
    if not current_runtime().engine.may(g.user, "change_funnel"):
        raise Forbidden("only those who may change funnels use the designer")


# --- starting a draft -------------------------------------------------------------------------


def _render_index(status: int = 200, **context: Any) -> Response:
    context = {"errors": {}, "posted": {}, "findings": [], **context}
    return respond(render_template(
        "designer/index.html", funnels=list(current_runtime().funnels),
        templates=sorted(templates(current_runtime().pm).items()),
        drafts=funnel_drafts.mine(current_runtime().store, g.user["username"]),
        languages=language_names(), **context), status)


@bp.get("/")
def index():
    """The funnels to edit, the ways to start a new one, and the user's open drafts."""
    return _render_index()


@bp.post("/drafts")
def start():
    """Start a draft: of an applied funnel (``source`` ``funnel:<id>``), or of a new funnel, blank
    or from a template (``blank``, ``template:<id>``) under the id and titles the form gives."""
    kind, _sep, name = request.form.get("source", "").partition(":")
    if kind == "funnel":
        base: Funnel | None = current_runtime().funnels.get(name)
        definition = base.definition
    else:
        try:
            definition = designer_funnel.new_definition(request.form)
        except designer_funnel.StartRefused as refused:
            return _render_index(422, errors=refused.errors, posted=request.form)
        base = None
    return _open(definition, base, f"{kind}:{name}" if name else kind)


@bp.post("/imports")
def upload():
    """Start a draft from an uploaded funnel file, checked first: a file with errors gets the
    findings and nothing is kept. A file of an applied funnel's id drafts its next version."""
    file = request.files.get("file")
    data = file.read(IMPORT_LIMIT + 1) if file else b""
    if len(data) > IMPORT_LIMIT:
        message = _("The file is larger than %(size)s kB.", size=IMPORT_LIMIT // 1000)
        return _render_index(422, errors={"file": message})
    definition, found = funnel_drafts.read_upload(data)
    if definition is None:
        return _render_index(422, errors={"file": _("The file has errors: nothing was kept.")},
                             findings=found)
    return _open(definition, _applied(definition["id"]), "file")


def _open(definition: dict, base: Funnel | None, source: str) -> Response:
    draft = funnel_drafts.start(current_runtime().store, g.user["username"], definition, base, source, now())
    return redirect(url_for("designer.edit", draft_id=draft["id"]), 303)


def _applied(funnel_id: str) -> Funnel | None:
    try:
        return current_runtime().funnels.get(funnel_id)
    except NotFound:
        return None


# --- editing ----------------------------------------------------------------------------------


@bp.get("/drafts/<int:draft_id>")
def edit(draft_id: int):
    draft = funnel_drafts.load(current_runtime().store, draft_id, g.user["username"])
    return respond(render_editor(draft))


@bp.get("/drafts/<int:draft_id>/export")
def export(draft_id: int):
    """The draft as the funnel file ``goldsieve funnel apply`` would take, to download."""
    draft = funnel_drafts.load(current_runtime().store, draft_id, g.user["username"])
    return respond(_file_text(draft), 200, **{"Content-Type": "application/json; charset=utf-8",
                                 "Content-Disposition": f'attachment; filename="{draft["funnel"]}.json"'})


@bp.get("/drafts/<int:draft_id>/json")
def json_view(draft_id: int):
    """The JSON tab: the draft as the funnel file it makes, to read or edit by hand."""
    draft = funnel_drafts.load(current_runtime().store, draft_id, g.user["username"])
    return _render_json(draft, _file_text(draft))


@bp.post("/drafts/<int:draft_id>/json")
def json_save(draft_id: int):
    """Keep a definition written in the JSON tab in the draft. Text that is not JSON, or not of a
    funnel's shape, gets its findings (422) and changes nothing; a definition with errors across
    its parts is kept, as the forms keep one, and the forms show it."""
    draft = funnel_drafts.load(current_runtime().store, draft_id, g.user["username"])
    written = request.form.get("definition", "")
    data = written.encode("utf-8", "surrogatepass")  # a lone surrogate is then "not UTF-8"
    if len(data) > IMPORT_LIMIT:
        return _render_json(draft, written, 422, error=_("The file is larger than %(size)s kB.",
                                                          size=IMPORT_LIMIT // 1000))
    with page_language():
        definition, found = funnel_drafts.read_definition(data)
    if definition is None:
        return _render_json(draft, written, 422, problems=found,
                            error=_("This is not a funnel definition yet: nothing was kept."))
    try:
        if draft["base_version"] is None and definition["id"] != draft["funnel"]:
            funnel_edit.funnel_id(definition["id"], designer_funnel.taken())
        funnel_drafts.replace(draft, definition)
    except EditError as refused:
        draft = funnel_drafts.load(current_runtime().store, draft_id, g.user["username"])
        return _render_json(draft, written, 422, error=say(refused))
    funnel_drafts.save(current_runtime().store, draft, now())
    flash(_("Kept in the draft: the forms show it too."))
    return redirect(url_for("designer.json_view", draft_id=draft_id), 303)


def _file_text(draft: dict) -> str:
    return json.dumps(funnel_drafts.candidate(draft), ensure_ascii=False, indent=2) + "\n"


def _render_json(draft: dict, written: str, status: int = 200, problems: list[Finding] | None = None,
                 error: str | None = None) -> Response:
    found = problems if problems is not None else findings(funnel_drafts.candidate(draft))
    return respond(render_template(
        "designer/json.html", draft=draft, definition=draft["definition"], written=written, error=error,
        refused=problems is not None, findings=found, placed=designer_findings.placed(draft["definition"], found),
        part_label=designer_findings.label), status)


@bp.post("/drafts/<int:draft_id>")
def change(draft_id: int):
    """Apply one edit (``op``); an edit the draft refuses changes nothing and says why (422)."""
    draft = funnel_drafts.load(current_runtime().store, draft_id, g.user["username"])
    op = request.form.get("op", "")
    if op == "discard":
        funnel_drafts.discard(current_runtime().store, draft_id)
        return redirect(url_for("designer.index"), 303)
    if op not in EDITS:
        return respond(render_editor(draft, error=_("Unknown change.")), 422)
    try:
        note = EDITS[op](draft, request.form)
    except EditError as error:
        draft = funnel_drafts.load(current_runtime().store, draft_id, g.user["username"])
        return respond(render_editor(draft, error=say(error)), 422)
    funnel_drafts.save(current_runtime().store, draft, now())
    if wants_fragment():
        return respond(render_editor(draft, note=note))
    if note:
        flash(note)
    return redirect(url_for("designer.edit", draft_id=draft_id), 303)


EDITS: Edits = {**designer_funnel.EDITS, **designer_stages.EDITS, **designer_fields.EDITS,
                **designer_automations.EDITS, **designer_rules.EDITS}


def findings(definition: dict) -> list[Finding]:
    """``goldsieve check`` on the draft: validation errors, then (if none) the plugins' lint, in
    the page's language where they have one."""
    with page_language():
        found = check_definition(definition)
        if not any(f.severity == "error" for f in found):
            found += lint_findings(current_runtime().pm, definition, set(current_runtime().channels))
    return found


@contextmanager
def page_language() -> Iterator[None]:
    """The kernel's texts (the check's findings, lint) in the page's language meanwhile."""
    said = locales.reader.set(str(get_locale()))
    try:
        yield
    finally:
        locales.reader.reset(said)


def render_editor(draft: dict, error: str | None = None, note: str | None = None) -> str:
    candidate = funnel_drafts.candidate(draft)
    found = findings(candidate)
    funnel = None if any(f.severity == "error" for f in found) else Funnel(candidate)
    preview = forms.render(funnel, forms.field_names(funnel), values={},
                           required=forms.schema_required(funnel), prefix="preview") if funnel else None
    context: dict[str, Any] = {
        "draft": draft, "definition": draft["definition"], "findings": found, "error": error, "note": note,
        "placed": designer_findings.placed(draft["definition"], found),
        "preview": preview, "gate_previews": gate_previews(funnel) if funnel else [],
        "field_types": edit_fields.FIELD_TYPES, "formats": edit_fields.FORMATS,
        "widgets": edit_fields.WIDGETS + designer_fields.plugin_widgets(),
        "choices_of": edit_fields.choices_of, "spare_choices": designer_fields.SPARE_CHOICES,
        "operators": funnel_edit.OPERATORS, "kinds": funnel_edit.KINDS, "texts_of": funnel_edit.texts_of,
        "languages": language_names(), "triggers": designer_automations.triggers(),
        "action_forms": designer_automations.forms(), "recipients": designer_automations.recipients(),
        "simple_rule": funnel_edit.simple_rule, "simple_condition": funnel_edit.simple_condition,
        "styles": edit_rules.STYLES, "assignment_rules": edit_rules.RULES, "teams": designer_rules.teams(),
        "roles": ROLES, "assignment_targets": designer_rules.targets(), "assignment_rows": edit_rules.assignment_rows,
        "spare_rows": designer_rules.SPARE_ROWS, "activity_types": designer_stages.activity_types(),
        "contact_roles": designer_stages.contact_roles(), "spare_activities": designer_stages.SPARE_ACTIVITIES,
        "activity_titles": _activity_titles,
        "field_kind": field_kind, "part_label": designer_findings.label,
        "field_titles": lambda names: designer_findings.field_titles(draft["definition"], names),
    }
    template = "designer/_editor.html" if wants_fragment() else "designer/edit.html"
    return render_template(template, **context)


def gate_previews(funnel: Funnel) -> list[tuple[str, Any]]:
    """Each gated stage's title and the form a move into it asks for (its own gate's fields)."""
    previews = []
    for stage in funnel.stages:
        names = forms.sort_names(funnel, (stage.gate or {}).get("required", []))
        if names:
            previews.append((stage.label(), forms.render(funnel, names, values={}, required=names,
                                                         prefix=f"gate-{stage.id}")))
    return previews


def _activity_titles(needs: list[dict]) -> str:
    """A stage's required activities as the summary names them: their types' titles."""
    titles = dict(designer_stages.activity_types())
    return ", ".join(text(titles.get(need.get("type"), need.get("type"))) for need in needs)


def field_kind(schema: dict) -> str:
    """The type the field editor shows a field as (a date is a text of format ``date``)."""
    return "date" if schema.get("format") == "date" else schema.get("type", "string")


# --- plan and apply ---------------------------------------------------------------------------


@bp.get("/drafts/<int:draft_id>/plan")
def plan(draft_id: int):
    """What saving would do, with the button that does it."""
    draft = funnel_drafts.load(current_runtime().store, draft_id, g.user["username"])
    return _render_plan(draft)


def _render_plan(draft: dict, status: int = 200, error: str | None = None) -> Response:
    candidate = funnel_drafts.candidate(draft)
    unchanged = draft["base_version"] is not None and \
        draft["definition"] == current_runtime().funnels.get(draft["funnel"], draft["base_version"]).definition
    try:
        with page_language():
            result = migration.plan(current_runtime(), candidate, f"draft {draft['id']}")
    except DefinitionError as problem:
        placed = designer_findings.placed(draft["definition"], problem.findings)
        return respond(render_template("designer/plan.html", draft=draft, plan=None, placed=placed,
                                       part_label=designer_findings.label, unchanged=unchanged,
                                       error=error), 422)
    lists = designer_review.review(result, _applied(draft["funnel"]), Funnel(candidate), request.args, g.user)
    return respond(render_template("designer/plan.html", draft=draft, plan=result, placed={},
                                   unchanged=unchanged, error=error, **lists), status)


@bp.post("/drafts/<int:draft_id>/apply")
def apply(draft_id: int):
    """Apply the draft as the funnel's next version, migrate its deals, open its board."""
    draft = funnel_drafts.load(current_runtime().store, draft_id, g.user["username"])
    try:
        result = migration.apply(current_runtime(), funnel_drafts.candidate(draft), g.user["username"],
                                 source=f"draft {draft_id}")
    except (migration.PlanRefused, DefinitionError):
        return _render_plan(draft, 422, error=_("Nothing was saved: fix what the plan lists first."))
    funnel_drafts.discard(current_runtime().store, draft_id)
    return redirect(url_for("board.show", funnel_id=result.funnel), 303)

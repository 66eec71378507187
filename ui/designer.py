"""The funnel designer: edit a draft of a funnel in the browser, then plan and apply it.

For users allowed ``change_funnel`` (admins, by default). A draft starts from an industry
template or from a funnel's applied version and lives in the store (:mod:`goldsieve.funnels.drafts`).
Every edit is a small form posted to one endpoint (``op`` says which edit): with htmx the editor
is swapped in place, lint and the deal-form preview included; without JavaScript the page is
posted and redirected back. Saving shows the plan of ``goldsieve funnel plan`` and applies
through :func:`goldsieve.funnels.migration.apply`, the path the command line takes.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from goldsieve.checking import lint_findings
from goldsieve.clock import stamp
from goldsieve.errors import DefinitionError, Forbidden, NotFound
from goldsieve.funnels import drafts as funnel_drafts
from goldsieve.funnels import edit as funnel_edit
from goldsieve.funnels import migration
from goldsieve.funnels.check import check_definition
from goldsieve.funnels.model import Funnel
from goldsieve.plugin_manager import actions, templates
from goldsieve.schemas import meta_schema
from goldsieve.web.app import current_runtime

from . import forms
from .deals import respond, wants_fragment

bp = Blueprint("designer", __name__, url_prefix="/designer")



def now() -> str:
    return stamp(current_runtime().engine.clock())


@bp.before_request
def _admins_only():
    if not current_runtime().engine.may(g.user, "change_funnel"):
        raise Forbidden("only those who may change funnels use the designer")


# --- starting a draft -------------------------------------------------------------------------


@bp.get("/")
def index():
    """The funnels to edit, the templates to start from, and the user's open drafts."""
    return render_template("designer/index.html", funnels=list(current_runtime().funnels),
                           templates=sorted(templates(current_runtime().pm).items()),
                           drafts=funnel_drafts.mine(current_runtime().store, g.user["username"]))


@bp.post("/drafts")
def start():
    """Start a draft from ``source`` = ``funnel:<id>`` or ``template:<id>`` (as funnel ``id``)."""
    kind, _sep, name = request.form.get("source", "").partition(":")
    if kind == "funnel":
        base = current_runtime().funnels.get(name)
        definition = base.definition
    elif kind == "template" and name in (available := templates(current_runtime().pm)):
        definition = {**available[name], "id": request.form.get("id", "").strip() or name}
        if not funnel_edit.SLUG.match(definition["id"]):
            return respond(render_template("designer/index.html", funnels=list(current_runtime().funnels),
                                           templates=sorted(available.items()), drafts=[],
                                           error=_("A funnel id uses lowercase letters, digits, _ and -.")),
                           422)
        base = _applied(definition["id"])
    else:
        raise NotFound(f"nothing to start a draft from: {kind}:{name}")
    draft = funnel_drafts.start(current_runtime().store, g.user["username"], definition, base,
                                f"{kind}:{name}", now())
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


@bp.post("/drafts/<int:draft_id>")
def change(draft_id: int):
    """Apply one edit (``op``); an edit the draft refuses changes nothing and says why (422)."""
    draft = funnel_drafts.load(current_runtime().store, draft_id, g.user["username"])
    if request.form.get("op") == "discard":
        funnel_drafts.discard(current_runtime().store, draft_id)
        return redirect(url_for("designer.index"), 303)
    try:
        EDITS[request.form.get("op", "")](draft, request.form)
    except KeyError:
        return respond(render_editor(draft, error=_("Unknown change.")), 422)
    except funnel_edit.EditError as error:
        draft = funnel_drafts.load(current_runtime().store, draft_id, g.user["username"])
        return respond(render_editor(draft, error=str(error)), 422)
    funnel_drafts.save(current_runtime().store, draft, now())
    if wants_fragment():
        return respond(render_editor(draft))
    return redirect(url_for("designer.edit", draft_id=draft_id), 303)


def _condition(form, prefix: str) -> tuple[str, str, str] | None:
    name = form.get(f"{prefix}_field", "")
    return (name, form.get(f"{prefix}_op", "equals"), form.get(f"{prefix}_value", "")) if name else None


def _update_stage(draft: dict, form) -> None:
    stage_id = form.get("stage", "")
    funnel_edit.update_stage(
        draft, stage_id, title=form.get("title", ""), probability=form.get("probability", ""),
        rot_days=form.get("rot_days", ""), required=form.getlist("required"),
        condition=_condition(form, "gate"), applies_when=_condition(form, "when"),
        clear_applies_when=form.get("clear_when") == "1")
    new_id = form.get("new_id", "").strip()
    if new_id and new_id != stage_id:
        funnel_edit.rename_stage(draft, stage_id, new_id)


def _set_field(new: bool):
    def edit(draft: dict, form) -> None:
        funnel_edit.set_field(draft, form.get("name", ""), kind=form.get("type", "string"),
                              title=form.get("title", ""), options=form.get("options", ""),
                              required=form.get("required") == "1", new=new)
    return edit


EDITS = {
    "add_stage": lambda d, f: funnel_edit.add_stage(d, f.get("id", ""), f.get("title", ""),
                                                    f.get("kind", "open")),
    "update_stage": _update_stage,
    "move_up": lambda d, f: funnel_edit.move_stage(d, f.get("stage", ""), -1),
    "move_down": lambda d, f: funnel_edit.move_stage(d, f.get("stage", ""), 1),
    "remove_stage": lambda d, f: funnel_edit.remove_stage(d, f.get("stage", ""), f.get("map_to") or None),
    "split_stage": lambda d, f: funnel_edit.split_stage(d, f.get("stage", ""),
                                                        f.get("into", "").split(",")),
    "add_field": _set_field(new=True),
    "update_field": _set_field(new=False),
    "remove_field": lambda d, f: funnel_edit.remove_field(d, f.get("name", "")),
    "add_automation": lambda d, f: funnel_edit.add_automation(
        d, f.get("id", ""), f.get("on", ""), f.get("stage", ""), f.get("action", ""),
        f.get("parameter", ""), triggers(), offered_actions()),
    "remove_automation": lambda d, f: funnel_edit.remove_automation(d, f.get("id", "")),
}


def offered_actions() -> dict[str, str | None]:
    """The registered actions the designer offers, with the parameter each asks for."""
    return funnel_edit.designer_actions(actions(current_runtime().pm))


def triggers() -> list[str]:
    """The automation triggers the funnel meta-schema allows."""
    return list(meta_schema()["$defs"]["automation"]["properties"]["on"]["enum"])


def findings(definition: dict) -> list:
    """``goldsieve check`` on the draft: validation errors, then (if none) the plugins' lint."""
    found = check_definition(definition)
    if not any(f.severity == "error" for f in found):
        found += lint_findings(current_runtime().pm, definition, set(current_runtime().channels))
    return found


def render_editor(draft: dict, error: str | None = None) -> str:
    candidate = funnel_drafts.candidate(draft)
    found = findings(candidate)
    funnel = None if any(f.severity == "error" for f in found) else Funnel(candidate)
    preview = forms.render(funnel, forms.field_names(funnel), values={},
                           required=forms.schema_required(funnel), prefix="preview") if funnel else None
    context: dict[str, Any] = {
        "draft": draft, "definition": draft["definition"], "findings": found, "error": error,
        "preview": preview, "gate_previews": gate_previews(funnel) if funnel else [],
        "field_types": funnel_edit.FIELD_TYPES, "operators": funnel_edit.OPERATORS,
        "kinds": funnel_edit.KINDS, "triggers": triggers(), "actions": offered_actions(),
        "simple_rule": funnel_edit.simple_rule, "simple_condition": funnel_edit.simple_condition,
        "field_kind": _field_kind,
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


def _field_kind(schema: dict) -> str:
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
        result = migration.plan(current_runtime(), candidate, f"draft {draft['id']}")
    except DefinitionError as problem:
        return respond(render_template("designer/plan.html", draft=draft, plan=None,
                                       problems=problem.findings, unchanged=unchanged,
                                       error=error), 422)
    return respond(render_template("designer/plan.html", draft=draft, plan=result, problems=[],
                                   unchanged=unchanged, error=error), status)


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

"""Deal pages: new deal, the deal page (inline save, history, notes, reopen), and the gate form.

Every write goes through the engine, which validates again with the funnel's compiled
validator and the gates; these views only turn form posts into engine calls and violations
back into messages beside the fields.

htmx contract (the board relies on it, see ``app.js``): ``GET /deals/<id>/move?to=<stage>`` and
a refused ``POST /deals/<id>/move`` answer an htmx request with a fragment for ``#dialog`` (and
``HX-Retarget: #dialog``, so a board may post a move directly and still get the form there); a
successful htmx move answers 204 with ``HX-Trigger: {"deal-moved": {"id", "from", "to"}}``.
"""
from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from goldsieve.deals.activity_gates import CODE as ACTIVITY_GAP
from goldsieve.deals.bypass import MAX_REASON, set_aside
from goldsieve.deals.checks import held_gate_violations
from goldsieve.deals.engine import merge_data
from goldsieve.deals.next_step import move_with_next_step
from goldsieve.deals.tasks import deal_tasks
from goldsieve.errors import Deny, NotFound, ValidationFailed, Violation
from goldsieve.funnels.model import Funnel, Stage
from goldsieve.funnels.transitions import following_stage
from goldsieve.funnels.validation import violations
from goldsieve.limits import MAX_TITLE
from goldsieve.store import Conflict
from goldsieve.web.app import current_runtime

from . import form_controls, forms
from .auth import same_site_path
from .errors import not_found
from .i18n import bcp47, day, text
from .params import whole_number_param

bp = Blueprint("deals", __name__, url_prefix="/deals")


def engine():
    return current_runtime().engine


def wants_fragment() -> bool:
    """An htmx request that swaps a part of the page (not a boosted page or a history restore)."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def respond(body: str, status: int = 200, **headers: str) -> Response:
    response = make_response(body, status)
    response.headers.update(headers)
    response.vary.add("HX-Request")
    return response


@bp.errorhandler(NotFound)
def _not_found(error: NotFound):
    return not_found(_("There is no such deal, or you may not see it."))


# --- helpers for templates --------------------------------------------------------------------


def stage_label(funnel: Funnel, stage_id: str | None) -> str:
    stage = funnel.stage(stage_id) if stage_id else None
    return (text(stage.title) or stage.id) if stage else (stage_id or "")


def event_stage(event: dict, stage_id: str | None, before: bool = False) -> str:
    """A stage's title in the version the event happened on, so history keeps its old words.

    A ``migrated`` event spans two versions: ``before`` asks for the one it came from.
    """
    version = event["funnel_version"]
    if before and event["type"] == "migrated":
        version = event["changes"]["funnel_version"][0]
    return stage_label(engine().funnels.get(event["funnel"], version), stage_id)


def field_label(funnel: Funnel, name: str) -> str:
    if name == "title":
        return _("Title")
    if name == "funnel_version":
        return _("Funnel version")
    schema = forms.properties(funnel).get(name, {})
    return text(schema.get("title")) or name


def field_schema(declared: forms.Declared, name: str) -> dict | None:
    """A declared field's schema (a funnel's or a record type's): what :func:`show_value` reads a
    choice's label from; ``None`` for a field no longer declared."""
    schema = forms.properties(declared).get(name)
    return schema if isinstance(schema, dict) else None


def reason_label(funnel: Funnel, reason: str | None) -> str:
    return text(funnel.lost_reasons.get(reason)) if reason in funnel.lost_reasons else (reason or "")


def show_value(value: Any, schema: dict | None = None) -> str:
    """A field value in the history: readable, never HTML (the template escapes it); a choice by
    its label when ``schema``, its field's, gives it one."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        items = (schema or {}).get("items")
        return ", ".join(show_value(v, items if isinstance(items, dict) else None) for v in value)
    label = forms.choice_label(schema, value) if schema else None
    if label:
        return label
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return day(value) if isinstance(value, str) and (schema or {}).get("format") == "date" else str(value)


def undeclared(funnel: Funnel, data: dict) -> list[tuple[str, Any]]:
    """The keys of a deal's data its funnel does not declare (kept by ``extra_fields``, or stored
    before the rule existed), sorted: the edit form has no field for them, the summary shows them."""
    declared = forms.properties(funnel)
    return sorted(((k, v) for k, v in data.items() if k not in declared), key=lambda item: item[0])


def bypassed_items(funnel: Funnel, event: dict) -> list[str]:
    """What a ``gate_bypassed`` event set aside, in the page's language: "field: problem" for
    a field a gate asked for, the gate's own words otherwise."""
    items = []
    for found in event.get("violations") or []:
        violation = Violation(found.get("path", ""), found.get("code", ""), found.get("message", ""))
        name = forms.field_of(violation.path)
        if name is None:
            items.append(violation.message)
            continue
        message = forms.field_message(forms.properties(funnel).get(name, {}), violation)
        items.append(f"{field_label(funnel, name)}: {message}")
    return items


def status_label(status: str) -> str:
    return {"open": _("Open"), "won": _("Won"), "lost": _("Lost")}.get(status, status)


def page_context(deal: dict, funnel: Funnel, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "deal": deal, "funnel": funnel, "stage_label": stage_label, "field_label": field_label,
        "event_stage": event_stage, "bypassed_items": bypassed_items, "undeclared": undeclared,
        "reason_label": reason_label, "show_value": show_value, "field_schema": field_schema,
        "status_label": status_label,
        "amount": deal["data"].get("amount"),
        "may": lambda action: engine().may(g.user, action, deal),
    }
    context.update(extra)
    return context


def deal_form_context(deal: dict, funnel: Funnel, *, errors: list[Violation] = (),
                      posted=None, saved: bool = False, conflict: bool = False,
                      held: list[Violation] = ()) -> dict[str, Any]:
    """The edit form; ``held``: what of ``errors`` the gates of the deal's stage object to, said
    as such beside each field, with "Save anyway" for a user allowed ``bypass_gate``."""
    stage = stage_label(funnel, deal["stage"])
    errors = [Violation(v.path, "held", _("Deals in “%(stage)s” need this field.", stage=stage))
              if v in held and v.code == "required" else v for v in errors]
    by_field, others = forms.split_violations(funnel, errors)
    title_errors = [_("A deal needs a title.") if v.code == "required" else forms.text_message(v)
                    for v in others if v.path == "/title"]
    # a form the user may not submit is shown locked, with the plugin's reason when it gave one
    editable = engine().may(g.user, "edit", deal)
    return {
        "editable": bool(editable),
        "edit_refusal": editable.text(bcp47()) if isinstance(editable, Deny) else None,
        "form_fields": form_controls.render(funnel, forms.field_names(funnel), values=deal["data"],
                                 errors=by_field, required=forms.schema_required(funnel),
                                 posted=posted, prefix="deal"),
        "title_value": posted.get("title", deal["title"]) if posted is not None else deal["title"],
        "title_errors": title_errors,
        "form_errors": [forms.text_message(v) for v in others if v.path not in ("/title", "/bypass_gate")],
        "saved": saved, "conflict": conflict, "max_title": MAX_TITLE,
        "may_bypass": bool(held) and engine().may(g.user, "bypass_gate", deal),
        "bypass_gate": posted.get("bypass_gate", "") if posted is not None else "",
        "bypass_errors": [bypass_message(v) for v in others if v.path == "/bypass_gate"],
        "max_bypass_reason": MAX_REASON,
        # after a conflict the form keeps the version it was made from: posting it again is
        # refused again, until a reload shows what the other person changed
        "form_version": posted.get("version", "") if conflict and posted is not None else deal["version"],
    }


def visible_customer(customer_id: int | None) -> dict | None:
    """The customer of that id when the user may see it, else ``None``: a page shows a customer
    they may not see as if none were named."""
    if customer_id is None:
        return None
    try:
        return current_runtime().customers.get(g.user, customer_id)
    except NotFound:
        return None


def linked_customer(deal: dict) -> tuple[dict | None, list[dict]]:
    """The deal's customer and its contacts (primary first), when the user may see the customer."""
    customer = visible_customer(deal.get("customer_id"))
    if customer is None:
        return None, []
    return customer, current_runtime().contacts.list(g.user, customer["id"])


def render_deal_page(deal: dict, funnel: Funnel, status: int = 200, **extra: Any) -> Response:
    form = extra.pop("form", None) or deal_form_context(deal, funnel)
    customer, contacts = linked_customer(deal)
    context = page_context(deal, funnel, events=engine().history(g.user, deal["id"]),
                           tasks=deal_tasks(engine(), g.user, deal["id"]), customer=customer,
                           contacts=contacts, **form)
    context.setdefault("note_error", None)
    context.setdefault("action_errors", [])
    context.update(extra)
    return respond(render_template("deals/page.html", **context), status)


# --- new deal ---------------------------------------------------------------------------------


def new_deal_fields(funnel: Funnel) -> tuple[set[str], list[str], list[str]]:
    """What a new deal's form asks: the required names, the fields needed to enter the first
    stage (declared or not), and the optional ones."""
    first = funnel.path({})[0]
    required = forms.schema_required(funnel) | forms.gate_required(funnel, first, {})
    names = forms.field_names(funnel)
    # extra names a gate requires without declaring them as properties still get a field
    needed = forms.sort_names(funnel, [n for n in names if n in required] + sorted(required - set(names)))
    return required, needed, [n for n in names if n not in needed]



@bp.route("/new", methods=["GET", "POST"])
def new():
    runtime = current_runtime()
    funnel_id = request.args.get("funnel") or request.form.get("funnel")
    if not funnel_id:
        available = list(runtime.funnels)
        if len(available) != 1:
            raise NotFound("no funnel chosen")
        funnel_id = available[0].id
    funnel = runtime.funnels.get(funnel_id)
    first = funnel.path({})[0]
    required, needed, optional = new_deal_fields(funnel)
    errors: list[Violation] = []
    posted = None
    title = ""
    status = 200
    customer_id = None
    if request.method == "POST":
        posted = request.form
        title = request.form.get("title", "").strip()
        customer_id = whole_number_param("customer_id", request.form)
        parsed = forms.parse(funnel, request.form, names=[n for n in needed + optional
                                                          if forms.input_name(n) in request.form])
        data = {k: v for k, v in parsed.changes.items() if v is not None}
        try:
            if parsed.errors:
                raise ValidationFailed([])
            deal = engine().create(g.user, funnel.id, title, data, customer_id=customer_id)
        except ValidationFailed as failed:
            errors = failed.violations
            if parsed.errors:  # still ask the engine, so every problem shows at once
                try:
                    engine().prepare(g.user, funnel.id, title, data, customer_id=customer_id)
                except ValidationFailed as more:
                    errors = more.violations
            status = 422
        else:
            flash(_("Deal created"))
            return redirect(url_for("deals.page", deal_id=deal["id"]), 303)
    by_field, others = forms.split_violations(funnel, errors)
    if posted is not None:
        by_field.update(parsed.errors)
    common = {"values": {}, "errors": by_field, "required": required, "posted": posted, "prefix": "new"}
    body = render_template(
        "deals/new.html", funnel=funnel, first=first, title=title, max_title=MAX_TITLE,
        title_errors=[forms.text_message(v) for v in others if v.path == "/title"],
        form_errors=[forms.text_message(v) for v in others if v.path not in ("/title", "/customer_id")],
        customer_errors=[_("This funnel needs a customer: choose one.") if v.code == "required"
                         else _("Choose a customer you can see.") for v in others if v.path == "/customer_id"],
        picked=visible_customer(customer_id), choices=[], q="",
        needed_fields=form_controls.render(funnel, needed, **common),
        optional_fields=form_controls.render(funnel, optional, **common),
    )
    return respond(body, status)


# --- the deal page, inline save ---------------------------------------------------------------


@bp.get("/<int:deal_id>")
def page(deal_id: int):
    deal = engine().get(g.user, deal_id)
    funnel = engine().funnel_of(deal)
    form = deal_form_context(deal, funnel, saved=request.args.get("saved") == "1")
    return render_deal_page(deal, funnel, form=form)


@bp.post("/<int:deal_id>")
def save(deal_id: int):
    deal = engine().get(g.user, deal_id)
    funnel = engine().funnel_of(deal)
    version = form_version()
    parsed = forms.parse(funnel, request.form, current=deal["data"])
    title = request.form["title"].strip() if "title" in request.form else None
    try:
        engine().expect_version(deal, version)
        if parsed.errors:
            problems = violations(funnel.fields_validator, merge_data(deal["data"], parsed.changes))
            problems = [p for p in problems if forms.field_of(p.path) not in parsed.errors]
            problems += [Violation(f"/data/{name}", "parse", messages[0])
                         for name, messages in parsed.errors.items()]
            raise ValidationFailed(problems)
        saved = engine().update(g.user, deal_id, parsed.changes, version=version, title=title,
                                bypass_gate=bypass_reason(request.form))
    except ValidationFailed as failed:
        held = held_gate_violations(current_runtime().pm, g.user, deal, funnel,
                                    merge_data(deal["data"], parsed.changes)) if not parsed.errors else []
        # the gates refused, or a "Save anyway" did for want of a reason: offer it (again)
        gated = any(v in failed.violations for v in held) or \
            any(v.path == "/bypass_gate" for v in failed.violations)
        form = deal_form_context(deal, funnel, errors=failed.violations, posted=request.form,
                                 held=held if gated else [])
        return deal_form_response(deal, funnel, form, 422)
    except Conflict:
        form = deal_form_context(deal, funnel, posted=request.form, conflict=True)
        return deal_form_response(deal, funnel, form, 409)
    if not wants_fragment():
        return redirect(url_for("deals.page", deal_id=deal_id, saved=1), 303)
    form = deal_form_context(saved, funnel, saved=True)
    return deal_form_response(saved, funnel, form, 200, refresh=True)


def deal_form_response(deal: dict, funnel: Funnel, form: dict, status: int,
                       refresh: bool = False) -> Response:
    if not wants_fragment():
        return render_deal_page(deal, funnel, status, form=form)
    context = page_context(deal, funnel, **form)
    if refresh:  # the summary and the history changed too: swap them out of band
        context.update(events=engine().history(g.user, deal["id"]), oob=True)
    return respond(render_template("deals/_form_response.html", refresh=refresh, **context), status)


def form_version() -> int | None:
    return whole_number_param("version", request.form)


# --- notes and reopening ----------------------------------------------------------------------


@bp.post("/<int:deal_id>/notes")
def add_note(deal_id: int):
    deal = engine().get(g.user, deal_id)
    funnel = engine().funnel_of(deal)
    try:
        event = engine().add_note(g.user, deal_id, request.form.get("text", ""))
    except ValidationFailed as failed:
        message = _("A note needs some text.") if failed.violations[0].code == "required" \
            else forms.text_message(failed.violations[0])
        if not wants_fragment():
            return render_deal_page(deal, funnel, 422, note_error=message)
        body = render_template("deals/_note_form.html", deal=deal, note_error=message)
        return respond(body, 422, **{"HX-Retarget": "#note-form", "HX-Reswap": "outerHTML"})
    if not wants_fragment():
        return redirect(url_for("deals.page", deal_id=deal_id) + "#history", 303)
    deal = engine().get(g.user, deal_id)
    body = render_template("deals/_note_added.html",
                           **page_context(deal, funnel, event=event, note_error=None))
    return respond(body, 200)


@bp.post("/<int:deal_id>/reopen")
def reopen(deal_id: int):
    deal = engine().get(g.user, deal_id)
    funnel = engine().funnel_of(deal)
    try:
        engine().reopen(g.user, deal_id, version=form_version())
    except ValidationFailed as failed:
        return render_deal_page(deal, funnel, 422, action_errors=[forms.text_message(v) for v in failed.violations])
    except Conflict:
        return render_deal_page(deal, funnel, 409, action_errors=[conflict_message()])
    return redirect(url_for("deals.page", deal_id=deal_id), 303)


def conflict_message() -> str:
    return _("Someone else changed this deal in the meantime. Reload it to see their changes.")


# --- moving through a gate --------------------------------------------------------------------


def preview_move(deal: dict, funnel: Funnel, target: Stage, changes: dict | None = None,
                 lost_reason: str | None = None) -> tuple[list[Violation], list[Violation]]:
    """What :meth:`Engine.move` would object to, without writing anything: what always
    refuses, and what the gates object (which a "Move anyway" sets aside)."""
    return engine().check_move(g.user, deal, funnel, target, merge_data(deal["data"], changes),
                               lost_reason)


def bypass_reason(form) -> str | None:
    """The reason of a "Move anyway", or ``None`` for an ordinary move: asked for by that
    button, or by a reason typed and posted with the ordinary one."""
    reason = form.get("bypass_gate", "")
    return reason if form.get("bypass") or reason.strip() else None


def bypass_message(violation: Violation) -> str:
    """A refused bypass reason in the page's language."""
    if violation.code == "maxLength":
        return _("A reason has at most %(limit)s characters.", limit=MAX_REASON)
    return _("Give a reason for moving past the gate.")


def first_needed(deal: dict, funnel: Funnel, blocked: list[Violation]) -> Stage | None:
    """The stage a refused skip must pass through first: what the dialog offers instead."""
    if not any(v.code == "skip" for v in blocked):
        return None
    return following_stage(funnel, deal, funnel.path(deal["data"]))


def render_move(deal: dict, funnel: Funnel, target: Stage | None, *, names: list[str],
                problems: list[Violation], status: int = 200, posted=None,
                parse_errors: dict[str, list[str]] | None = None,
                hide_required: bool = False, conflict: bool = False,
                bypassable: bool = False) -> Response:
    """The gate form; ``bypassable``: the gates object, so a user allowed ``bypass_gate`` is
    offered to move anyway."""
    shown = [p for p in problems if not (hide_required and p.code == "required")]
    by_field, others = forms.split_violations(funnel, shown)
    by_field.update(parse_errors or {})
    required = forms.schema_required(funnel)
    if target is not None:
        required |= forms.gate_required(funnel, target, deal["data"])
    fragment = wants_fragment()
    form = request.form if request.method == "POST" else request.args
    blocked = [v for v in others if v.path == "/to"]
    context = page_context(
        deal, funnel, target=target, fragment=fragment, conflict=conflict,
        title_id="dialog-title" if fragment else "move-title",
        fields=form_controls.render(funnel, names, values=deal["data"], errors=by_field,
                            required=required & set(names), posted=posted,
                            prefix="move"),
        has_fields=bool(names) and not blocked, blocked=bool(blocked),
        first=first_needed(deal, funnel, blocked),
        # a field the form does not show (hidden, or asked for by a gate) keeps its gate's words
        top_errors=[v.message if forms.field_of(v.path) else forms.text_message(v)
                    for v in others if v.path not in ("/lost_reason", "/bypass_gate") and v.code != ACTIVITY_GAP
                    and not v.path.startswith("/next_step/")],
        step_problems=[v for v in others if v.path.startswith("/next_step/")],
        lost_reason_errors=[_("Choose one of the reasons.") for v in others if v.path == "/lost_reason"],
        lost_reason=form.get("lost_reason", ""), note=form.get("note", ""),
        may_bypass=bypassable and engine().may(g.user, "bypass_gate", deal),
        bypass_gate=form.get("bypass_gate", ""), max_bypass_reason=MAX_REASON,
        bypass_errors=[bypass_message(v) for v in others if v.path == "/bypass_gate"],
        next=same_site_path(form.get("next")),
        to=target.id if target else form.get("to", ""),
    )
    template = "deals/_move_form.html" if fragment else "deals/move.html"
    headers = {"HX-Retarget": "#dialog", "HX-Reswap": "innerHTML"} if fragment else {}
    return respond(render_template(template, **context), status, **headers)


@bp.get("/<int:deal_id>/move")
def move_form(deal_id: int):
    deal = engine().get(g.user, deal_id)
    funnel = engine().funnel_of(deal)
    engine().require(g.user, "move", deal)
    target = funnel.stage(request.args.get("to", ""))
    if target is None:
        raise NotFound("no such stage")
    refusing, gates = preview_move(deal, funnel, target)
    problems = refusing + gates
    names = forms.sort_names(funnel, [forms.field_of(p.path) for p in problems if forms.field_of(p.path)])
    # before anything was submitted a missing field is asked for, not reproached
    return render_move(deal, funnel, target, names=names, problems=problems, hide_required=True,
                       bypassable=bool(gates))


@bp.post("/<int:deal_id>/move")
def move(deal_id: int):
    from .next_step import posted_step  # late: it reads ui.activities
    deal = engine().get(g.user, deal_id)
    funnel = engine().funnel_of(deal)
    form = request.form
    to = form.get("to", "")
    target = funnel.stage(to)
    version = form_version()
    lost_reason = form.get("lost_reason") or None
    note = form.get("note", "").strip() or None
    bypass_gate = bypass_reason(form)
    if bypass_gate is not None:  # who may, before anything about what was typed
        engine().require(g.user, "bypass_gate", deal)
    parsed = forms.parse(funnel, form, current=deal["data"])
    try:
        engine().expect_version(deal, version)
        if parsed.errors:
            problems = [Violation("/to", "unknown_stage", "There is no such stage.")]
            if target is not None:
                refusing, gates = preview_move(deal, funnel, target, parsed.changes, lost_reason)
                problems = set_aside(bypass_gate, refusing, gates)[0]
            raise ValidationFailed([p for p in problems if forms.field_of(p.path) not in parsed.errors])
        move = {"changes": parsed.changes, "version": version, "lost_reason": lost_reason, "note": note,
                "bypass_gate": bypass_gate}
        step = posted_step(form, bypass_gate is not None)
        moved = move_with_next_step(engine(), current_runtime().activities, g.user, deal_id, to, step, **move) \
            if step is not None else engine().move(g.user, deal_id, to, **move)
    except ValidationFailed as failed:
        asked = parsed.names + list(parsed.errors)
        asked += [forms.field_of(p.path) for p in failed.violations if forms.field_of(p.path)]
        gates = preview_move(deal, funnel, target, parsed.changes, lost_reason)[1] if target else []
        return render_move(deal, funnel, target, names=forms.sort_names(funnel, asked),
                           problems=failed.violations, status=422, posted=form,
                           parse_errors=parsed.errors, bypassable=bool(gates))
    except Conflict:
        return render_move(deal, funnel, target, names=[], problems=[], status=409, conflict=True)
    if wants_fragment():
        trigger = {"deal-moved": {"id": deal_id, "from": deal["stage"], "to": moved["stage"]}}
        return respond("", 204, **{"HX-Trigger": json.dumps(trigger)})
    next_url = same_site_path(form.get("next")) or url_for("deals.page", deal_id=deal_id)
    return redirect(next_url, 303)

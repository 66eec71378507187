"""The deal list (``/deals``, docs/deal-list.md): every deal the user may see, open, won and
lost, with filters, search, sortable columns, cursor paging, a CSV of what the filter shows,
and bulk changes of the deals ticked or of all that match.

Routes on the deals blueprint, kept apart from ``deals.py``. The query string is read by the
kernel's one reading (:func:`goldsieve.deals.listing.read_criteria`), so the page, its CSV and
the API accept and refuse the same filters, all pushed into the store's query with the user's
scope. A bulk change goes deal by deal through the engine (:mod:`goldsieve.deals.bulk`); each
refused deal is listed with its reasons in the page's language. htmx: the filter form swaps
``#deal-list-results`` as the person types; "More" swaps itself for the next rows; the bulk form
swaps ``#bulk-result``. Without JavaScript every form still posts or gets a whole page.
"""
from __future__ import annotations

import io
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from goldsieve.deals import bulk, listing, views
from goldsieve.errors import NotFound, ValidationFailed, Violation
from goldsieve.funnels.choices import field_choices
from goldsieve.funnels.model import Funnel
from goldsieve.limits import read_number
from goldsieve.people.users import is_active
from goldsieve.spreadsheets import write_csv
from goldsieve.store.ordering import Order
from werkzeug.datastructures import MultiDict

from . import forms
from .deal_owner import owner_message
from .deals import (
    bp,
    conflict_message,
    engine,
    field_label,
    respond,
    show_value,
    stage_label,
    status_label,
    wants_fragment,
)
from .i18n import moment, money, number, text
from .task_forms import form_due, task_message

PAGE = 50
#: The deal's own columns, always shown, in order; declared fields are added with ``col``.
BASE_COLUMNS = ("title", "stage", "status", "owner", "updated_at")
#: Query parameters that are not filters (kept out of the "all that match" query).
NOT_FILTERS = ("cursor", "col")


def funnels() -> list[Funnel]:
    return list(engine().funnels)


def read_query(args: MultiDict) -> tuple[listing.Criteria, Order | None, Any]:
    """The list's criteria, or a 400 naming the first wrong parameter."""
    try:
        return listing.read_criteria(args, funnels())
    except ValidationFailed as failed:
        abort(400, description=_("The filter “%(name)s” is not valid.",
                                 name=failed.violations[0].path.lstrip("/")))


def declared_fields(chosen: list[Funnel]) -> list[tuple[str, str, str]]:
    """(name, label, kind) of every field the chosen funnels declare, each once."""
    seen: dict[str, tuple[str, str, str]] = {}
    for funnel in chosen:
        for name in forms.properties(funnel):
            if name not in seen:
                seen[name] = (name, field_label(funnel, name), listing.field_kind([funnel], name) or "text")
    return list(seen.values())


def shown_columns(fields: list[tuple[str, str, str]]) -> list[str]:
    """The declared fields to show: those asked for with ``col``, else the amount if declared."""
    names = [name for name, *_rest in fields]
    asked = [c for c in request.args.getlist("col") if c in names]
    return asked or [n for n in ("amount",) if n in names]


def cell(deal: dict, name: str, funnel: Funnel | None) -> str:
    """What a column shows for a deal, formatted for the page's language."""
    data = deal.get("data") if isinstance(deal.get("data"), dict) else {}
    value = data.get(name)
    if name == "amount" and funnel is not None:
        return money(value, funnel.currency) if value is not None else "—"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number(value)
    return show_value(value, funnel.fields_schema.get("properties", {}).get(name) if funnel else None)


def filter_options(funnel: Funnel, name: str) -> list[tuple[Any, str]]:
    """A choice field's filter options: each value with its label in the reader's language."""
    schema = funnel.fields_schema.get("properties", {}).get(name, {})
    return [(value, text(title) or str(value)) for value, title in field_choices(schema)]


def sort_link(column: str, order: Order | None) -> tuple[str, str | None]:
    """The URL that sorts by ``column`` (again: the other way) and its current direction."""
    args = MultiDict(request.args)
    args.pop("cursor", None)
    current = None
    if order is not None and order.field == column:
        current = "descending" if order.descending else "ascending"
    args["sort"] = f"-{column}" if current == "ascending" else column
    return url_for("deals.index", **args.to_dict(flat=False)), current


def list_context() -> dict[str, Any]:
    criteria, order, after = read_query(request.args)
    everything = funnels()
    chosen = [f for f in everything if f.id == criteria.funnel] if criteria.funnel else everything
    rows, cursor = listing.find(engine(), g.user, criteria, order, after, PAGE)
    fields = declared_fields(chosen)
    columns = shown_columns(fields)
    more = None
    if cursor is not None:
        args = MultiDict(request.args)
        args["cursor"] = cursor
        more = url_for("deals.index", **args.to_dict(flat=False))
    query = MultiDict((k, v) for k, v in request.args.items(multi=True) if k not in NOT_FILTERS)
    by_id = {f.id: f for f in everything}
    stages = {}
    for funnel in chosen:
        for stage in funnel.stages:
            stages.setdefault(stage.id, stage_label(funnel, stage.id))
    return {
        "rows": rows, "more": more, "criteria": criteria, "order": order, "funnels": everything,
        "chosen": chosen, "fields": fields, "columns": columns, "stages": stages,
        "funnel_of": lambda deal: engine().funnels.get(deal["funnel"], deal["funnel_version"])
        if deal["funnel"] in by_id else None,
        "cell": cell, "filter_options": filter_options, "sort_link": sort_link, "column_label": column_label, "status_label": status_label, "stage_label": stage_label,
        "moment": moment, "text": text, "query": query, "query_string": query_string(query),
        "owners": owner_names(), "statuses": listing.STATUSES, "max_query": listing.MAX_QUERY,
        "base_columns": list(BASE_COLUMNS), "max_bulk": bulk.MAX_BULK,
        "sorts": sort_choices(fields), "sort": request.args.get("sort", ""),
        "views": views.views_for(engine().store, g.user), "has_team": bool(g.user.get("team")),
        "view_errors": [],
    }


def column_label(column: str, fields: list[tuple[str, str, str]]) -> str:
    """A column's heading: the deal's own, or the declared field's title."""
    own = {"title": _("Title"), "stage": _("Stage"), "status": _("Status"), "owner": _("Owner"),
           "updated_at": _("Last change")}
    if column in own:
        return own[column]
    return next((label for name, label, _kind in fields if name == column), column)


def sort_choices(fields: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """The "Sort by" choices (a phone has no column headings to click): newest first, then
    every column both ways."""
    choices = [("", _("Newest first"))]
    columns = [*BASE_COLUMNS, *(f"data.{name}" for name, _label, kind in fields if kind in ("number", "date"))]
    for column in columns:
        label = column_label(column.removeprefix("data."), fields)
        choices += [(column, _("%(column)s, ascending", column=label)),
                    (f"-{column}", _("%(column)s, descending", column=label))]
    return choices


def query_string(query: MultiDict) -> str:
    return urlencode(list(query.items(multi=True)))


def owner_names() -> list[dict]:
    """The active users, by user name: the owner filter's and the bulk "give to" choices (the
    kernel decides for each deal whether the user may give it to them)."""
    return sorted((u for u in engine().store.find("users") if is_active(u)), key=lambda u: u["username"])


@bp.get("")
def index():
    context = list_context()
    if wants_fragment():
        target = request.htmx.target
        template = "deals/_list_rows.html" if target == "deal-list-more" else "deals/_list_results.html"
        return respond(render_template(template, **context))
    return respond(render_template("deals/list.html", **context))


@bp.get("/export.csv")
def export_list():
    """The deals the filter shows, newest first, with the columns the page shows; every cell
    through the exports' one rule against spreadsheet formulas (:func:`write_csv`)."""
    criteria, _order, _cursor = read_query(request.args)
    chosen = [f for f in funnels() if f.id == criteria.funnel] if criteria.funnel else funnels()
    columns = shown_columns(declared_fields(chosen))
    header = ["id", *BASE_COLUMNS, "funnel", "customer_id", *columns]
    rows = ([deal.get(c) for c in ("id", *BASE_COLUMNS, "funnel", "customer_id")]
            + [(deal.get("data") or {}).get(c) for c in columns]
            for deal in listing.every(engine(), g.user, criteria))
    out = io.StringIO()
    write_csv(out, header, rows)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="deals.csv"'})


# --- bulk changes -------------------------------------------------------------------------------


def picked() -> tuple[list[int], dict[int, int]]:
    """The ticked deals (``deal`` = ``id:version``) and the versions the page showed."""
    ids, versions = [], {}
    for written in request.form.getlist("deal"):
        id_text, _sep, version_text = written.partition(":")
        if not id_text.isascii() or not id_text.isdigit() or not version_text.isascii() or not version_text.isdigit():
            abort(400, description=_("“%(name)s” must be a whole number written with the digits 0 to 9.", name="deal"))
        ids.append(int(id_text))
        versions[int(id_text)] = int(version_text)
    return ids, versions


def matching() -> list[int]:
    """The deals the list's filter (posted as ``query``) shows (:func:`goldsieve.deals.bulk.matching`)."""
    args = MultiDict(parse_qsl(request.form.get("query", ""), keep_blank_values=False))
    criteria, _order, _cursor = read_query(args)
    return bulk.matching(engine(), g.user, criteria)


def posted_change() -> bulk.Change:
    form = request.form
    action = form.get("action", "")
    field = form.get("field", "").strip() or None
    value: Any = form.get("value", "").strip()
    if action == "set" and field:
        value = typed_value(field, value)
    return bulk.Change(action, owner=form.get("owner", "").strip() or None, to=form.get("to", "").strip() or None,
                       lost_reason=form.get("lost_reason", "").strip() or None, field=field, value=value,
                       title=form.get("task_title", "").strip() or None, due=form_due(form.get("task_due")))


def typed_value(field: str, written: str) -> Any:
    """A value typed for a field, as its type reads it (the engine validates it per deal)."""
    if written == "":
        return None
    kind = listing.field_kind(funnels(), field)
    if kind == "number":
        found = read_number(written)
        return written if found is None else found
    if kind == "boolean":
        return {"true": True, "false": False, "yes": True, "no": False}.get(written.lower(), written)
    return written


def change_message(violation: Violation) -> str:
    """What is wrong with the change itself, in the page's language."""
    if violation.path == "/deals" and violation.code == "maxItems":
        return _("At most %(count)s deals can be changed at once.", count=bulk.MAX_BULK)
    if violation.path == "/deals":
        return _("Tick at least one deal, or choose all that match.")
    if violation.path == "/owner":
        return _("Choose the new owner.")
    if violation.path == "/to":
        return _("Choose the stage.")
    if violation.path == "/field":
        return _("Choose the field.")
    if violation.path == "/title":
        return _("A task needs a title.")
    return _("Choose what to change.")


def refusal(deal_id: int, violation: Violation) -> str:
    """Why one deal was not changed, in the page's language (the engine's words are English)."""
    if violation.code == "not_found":
        return _("You cannot see this deal, or it does not exist.")
    if violation.code == "forbidden":
        return _("You may not make this change to this deal.")
    if violation.code == "conflict":
        return conflict_message()
    deal = engine().store.get("deals", deal_id)  # visible: the engine got past its scope
    funnel = engine().funnel_of(deal)
    name = forms.field_of(violation.path)
    if name is not None:
        return f"{field_label(funnel, name)}: {forms.field_message(forms.properties(funnel).get(name, {}), violation)}"
    if violation.path == "/to":
        return forms.text_message(violation)
    if violation.path == "/owner":
        return owner_message(violation)
    if violation.path == "/lost_reason":
        return _("Choose why the deal was lost.")
    if change_action() == "task":
        return task_message(violation)
    return forms.text_message(violation)


def change_action() -> str:
    return request.form.get("action", "")


@bp.post("/bulk")
def bulk_change():
    """Apply the posted change; the result lists what changed and each refused deal's reasons
    (200, or 422 when the change itself is wrong or "all or nothing" refused everything)."""
    if request.form.get("everything"):
        ids, versions = matching(), {}
    else:
        ids, versions = picked()
    mode = "all" if request.form.get("mode") == "all" else "each"
    try:
        outcomes = bulk.apply(engine(), g.user, ids, posted_change(), mode=mode, versions=versions)
    except ValidationFailed as failed:
        context = {"problems": [change_message(v) for v in failed.violations], "outcomes": [], "refused": []}
        return bulk_response(context, 422)
    refused = [(o.deal_id, titled(o.deal_id), [refusal(o.deal_id, v) for v in o.problems])
               for o in outcomes if o.problems]
    context = {"problems": [], "outcomes": outcomes, "refused": refused, "mode": mode,
               "changed": sum(1 for o in outcomes if o.changed)}
    return bulk_response(context, 422 if refused and mode == "all" else 200)


def titled(deal_id: int) -> str | None:
    """A refused deal's title when the user may see it (else only its number is shown)."""
    try:
        return engine().get(g.user, deal_id)["title"]
    except NotFound:
        return None


def bulk_response(context: dict[str, Any], status: int) -> Response:
    if wants_fragment():
        return respond(render_template("deals/_bulk_result.html", **context), status)
    return respond(render_template("deals/bulk_result.html", **context), status)


# --- saved views --------------------------------------------------------------------------------


def view_message(violation: Violation) -> str:
    """Why a view was not saved, in the page's language."""
    if violation.path == "/name" and violation.code == "required":
        return _("Name the view.")
    if violation.path == "/name" and violation.code == "maxItems":
        return _("You have %(count)s saved views already; delete one first.", count=views.MAX_VIEWS)
    if violation.path == "/name":
        return _("A view's name has at most %(count)s characters.", count=views.MAX_NAME)
    if violation.path == "/shared":
        return _("You are in no team to share it with.")
    return _("This filter cannot be saved.")


@bp.post("/views")
def save_view():
    """Save the list's current query (posted as ``query``) under a name; back to that view."""
    form = request.form
    query = form.get("query", "")
    try:
        views.save(engine().store, engine().clock, funnels(), g.user, form.get("name", ""), query,
                   shared=bool(form.get("shared")), pinned=bool(form.get("pinned")))
    except ValidationFailed as failed:
        for violation in failed.violations:
            flash(view_message(violation))
        return redirect(url_for("deals.index") + (f"?{query}" if query else ""), 303)
    flash(_("The view was saved."))
    return redirect(url_for("deals.index") + (f"?{query}" if query else ""), 303)


@bp.post("/views/<int:view_id>/delete")
def delete_view(view_id: int):
    views.delete(engine().store, engine().clock, g.user, view_id)
    flash(_("The view was deleted."))
    return redirect(url_for("deals.index"), 303)

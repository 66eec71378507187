"""Activities on the deal page and the customer page (docs/activities.md): the list, planned
ones first, the next step of an open deal (or the flag that it has none), "Log activity", and
"Mark done" on a planned one.

Plain forms with their CSRF token that post and redirect back; choosing a type swaps its
declared fields into the form through htmx (``GET /activities/fields``), and without
JavaScript the form shows the first type's fields. A refusal is the page again with every
reason beside its field, answered 422 (409 for a stale version), and nothing written. Times are
typed in UTC, as every time on the pages, and shown by Babel in the reader's language.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from goldsieve.clock import stamp
from goldsieve.deals.activities import DONE, PLANNED, Activities
from goldsieve.deals.activity_gates import missing, needs_next_step, required_to_enter
from goldsieve.errors import ValidationFailed, Violation
from goldsieve.funnels.model import Funnel, Stage
from goldsieve.limits import read_number, whole_number
from goldsieve.records.model import ActivityType
from goldsieve.store import Conflict
from goldsieve.web.app import current_runtime

from . import form_controls, forms
from .auth import same_site_path
from .customers import render_page
from .deals import engine, form_version, render_deal_page, show_value, stage_label
from .i18n import text
from .people_forms import message
from .task_forms import form_due

bp = Blueprint("activities", __name__)
#: the id prefix of the declared fields' controls in the form
PREFIX = "activity"


def service() -> Activities:
    return current_runtime().activities


def kind_of(type_id: object) -> ActivityType:
    """The posted type, or the first declared one (what the form shows before a choice)."""
    types = service().types
    return types.get(type_id) or types.all[0]


@bp.app_template_global("activity_types")
def activity_types() -> tuple[ActivityType, ...]:
    return service().types.all


@bp.app_template_global("activity_label")
def activity_label(type_id: str) -> str:
    """A type's title in the reader's language (a type no longer declared: its id)."""
    kind = service().types.get(type_id)
    return text(kind.definition.get("title")) or type_id if kind else type_id


@bp.app_template_global("activities_of")
def activities_of(deal: dict | None = None, customer: dict | None = None) -> list[dict]:
    """What the panel lists: the deal's activities, or the customer's."""
    if deal is not None:
        return service().list(g.user, deal_id=deal["id"])
    return service().list(g.user, customer_id=customer["id"]) if customer is not None else []


@bp.app_template_global("next_activity")
def next_activity(deal: dict) -> dict | None:
    return service().next_planned(g.user, deal)


@bp.app_template_global("activity_data")
def activity_data(activity: dict) -> list[tuple[str, str]]:
    """The declared fields of an activity as ``(title, shown value)``, in the type's order."""
    kind = service().types.get(activity["type"])
    if kind is None:
        return [(name, show_value(value)) for name, value in sorted(activity["data"].items())]
    props = forms.properties(kind)
    return [(text(props.get(name, {}).get("title")) or name, show_value(activity["data"][name], props.get(name)))
            for name in forms.sort_names(kind, activity["data"])]


@bp.app_template_global("activity_contacts")
def activity_contacts(activity: dict) -> list[str]:
    """The names of the activity's contacts (all of its customer's, so as visible as it)."""
    store = current_runtime().store
    return [c["name"] for c in (store.get("contacts", i) for i in activity.get("contact_ids") or []) if c]


@bp.app_template_global("activity_fields")
def activity_fields(type_id: object = None, errors: dict | None = None, posted: Any = None) -> Markup:
    """The controls of a type's declared fields (and of its location, when it records one);
    ``errors`` by field name, ``location`` for the position's."""
    kind = kind_of(type_id)
    errors = errors or {}
    controls = form_controls.render(kind, forms.field_names(kind), values={}, errors=errors,
                            required=forms.schema_required(kind), posted=posted, prefix=PREFIX)
    return Markup(render_template("activities/_fields.html", kind=kind, controls=controls, posted=posted,
                                  errors=errors.get("location", [])))


@bp.app_template_global("missing_activities")
def missing_activities(deal: dict, funnel: Funnel, target: Stage) -> list[dict[str, str]]:
    """What the gate dialog lists: each activity ``target`` requires that the deal lacks, and the
    next step it asks for when the deal has none planned, said in the reader's language."""
    roles = {r["id"]: r["title"] for r in current_runtime().customers.types.contact.roles}
    found = []
    for stage, need in missing(current_runtime().store, deal, required_to_enter(funnel, target, deal["data"])):
        kind, stage_name = activity_label(need["type"]), stage_label(funnel, stage.id)
        if "contact_role" in need:
            said = _("A done “%(type)s” with a contact who is “%(role)s”, to enter “%(stage)s”.", type=kind,
                     role=text(roles.get(need["contact_role"])) or need["contact_role"], stage=stage_name)
        else:
            said = _("A done “%(type)s”, to enter “%(stage)s”.", type=kind, stage=stage_name)
        found.append({"type": need["type"], "text": said})
    if needs_next_step(deal, target):
        found.append({"type": activity_types()[0].id, "plan": True,
                      "text": _("A planned next step, to enter “%(stage)s”.", stage=stage_label(funnel, target.id))})
    return found


@bp.get("/activities/fields")
def fields():
    """The declared fields of the type chosen in the form (htmx swaps them in)."""
    return activity_fields(request.args.get("type"))


def activity_message(violation: Violation) -> str:
    """Why an activity was refused, in the page's language."""
    limit = violation.limit
    said = {
        "unknown_type": lambda: _("Choose one of the activity types."),
        "required": lambda: _("Choose when it is due, or log it as done."),
        "format": lambda: _("Choose a date and a time."),
        "future": lambda: _("A done activity cannot lie in the future; plan it instead."),
        "range": lambda: _("Give the duration in whole minutes, at most %(limit)s.", limit=limit),
        "unknown_contact": lambda: _("Choose contacts of this customer."),
        "done": lambda: _("This activity is done already."),
    }
    found = said.get(violation.code)
    return found() if found else message(violation)


def posted_minutes(text: str) -> object:
    """The typed duration: empty is none; what is no whole number goes on as typed (refused)."""
    text = (text or "").strip()
    if not text:
        return None
    number = read_number(text, integer=True)
    return number if number is not None else text


def _read(kind: ActivityType) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The form's values for the service, and what could not even be read, by field."""
    form = request.form
    parsed = forms.parse(kind, form)
    when = form_due(form.get("when"))
    done = form.get("status") == DONE
    values = {
        "due_at": None if done else when,
        "done_at": (when or _now()) if done else None,
        "duration_minutes": posted_minutes(form.get("duration", "")),
        "outcome": form.get("outcome", "").strip() or None,
        "title": form.get("title", "").strip() or None,
        # what is no id (other digits, more than int() reads) goes on as posted: the kernel refuses it
        "contact_ids": [c if whole_number(c) is None else whole_number(c) for c in form.getlist("contact")],
        "data": {k: v for k, v in parsed.changes.items() if v is not None},
        "location": _posted_location() if kind.location else None,
    }
    return values, dict(parsed.errors)


def _posted_location() -> object:
    """The position the browser filled in: none unless both are there; a number that is not
    one goes on as typed, so the kernel says what is wrong with it."""
    lat, lon = (request.form.get(k, "").strip() for k in ("lat", "lon"))
    if not (request.form.get("locate") and lat and lon):
        return None
    return {k: read_number(v) if read_number(v) is not None else v for k, v in (("lat", lat), ("lon", lon))}


def _now() -> str:
    return stamp(engine().clock())


def _errors(kind: ActivityType, found: list[Violation], field_errors: dict[str, list[str]]) -> dict[str, Any]:
    by_field, others = forms.split_violations(kind, found)
    errors: dict[str, Any] = {"fields": {**by_field, **field_errors}}
    for violation in others:
        key = {"/due_at": "when", "/done_at": "when", "/duration_minutes": "duration"}.get(
            violation.path, violation.path.split("/")[1] if violation.path.count("/") else "form")
        key = "form" if key == "contact_ids" else key  # the checkboxes have no error of their own
        said = _("The position is out of range.") if key == "location" else activity_message(violation)
        errors.setdefault(key, []).append(said)
    return errors


def _log(anchor: dict[str, int], refused) -> Any:
    type_id = request.form.get("type")
    kind = kind_of(type_id)
    values, field_errors = _read(kind)
    try:
        if field_errors:
            raise ValidationFailed([])
        service().create(g.user, type_id, **anchor, **values)
    except ValidationFailed as failed:
        return refused(422, _errors(kind, failed.violations, field_errors))
    except Conflict:
        return refused(409, {"form": [_("Someone else changed this deal in the meantime. Try again.")]})
    return None


@bp.post("/deals/<int:deal_id>/activities")
def log_on_deal(deal_id: int):
    deal = engine().get(g.user, deal_id)

    def refused(status: int, errors: dict) -> Any:
        return render_deal_page(engine().get(g.user, deal_id), engine().funnel_of(deal), status,
                                activity_errors=errors, activity_form=request.form)
    return _log({"deal_id": deal_id}, refused) or redirect(
        url_for("deals.page", deal_id=deal_id) + "#activities", 303)


@bp.post("/customers/<int:customer_id>/activities")
def log_on_customer(customer_id: int):
    customer = current_runtime().customers.get(g.user, customer_id)

    def refused(status: int, errors: dict) -> Any:
        return render_page(customer, status, activity_errors=errors, activity_form=request.form)
    return _log({"customer_id": customer_id}, refused) or redirect(
        url_for("customers.page", customer_id=customer_id) + "#activities", 303)


@bp.post("/activities/<int:activity_id>/done")
def mark_done(activity_id: int):
    """Mark a planned activity done now, then back to the page it was marked on."""
    activity = service().get(g.user, activity_id)
    back = same_site_path(request.form.get("next")) or (
        url_for("deals.page", deal_id=activity["deal_id"]) if activity["deal_id"] is not None
        else url_for("customers.page", customer_id=activity["customer_id"]))
    try:
        service().complete(g.user, activity_id, form_version(),
                           outcome=request.form.get("outcome", "").strip() or None)
    except (ValidationFailed, Conflict):
        pass  # done already, or changed meanwhile: the page shows it as it now is
    return redirect(back.split("#")[0] + "#activities", 303)


@bp.app_template_global("activity_statuses")
def activity_statuses() -> list[tuple[str, str]]:
    return [(PLANNED, _("Planned")), (DONE, _("Done"))]


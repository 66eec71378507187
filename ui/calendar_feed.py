"""The calendar feed: ``/calendar/<key>.ics``, a person's tasks and planned activities for their
calendar app, and the button on "My tasks" that makes (or replaces) its private address.

The feed is public in the sense that no session is asked for — calendar apps have none — and the
key in the address is the credential (:mod:`goldsieve.people.calendar_keys`). An unknown,
replaced or revoked key answers the plain 404 any unknown page answers. The feed is worded in
its owner's language, whoever fetches it.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, g, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from goldsieve.automation.channels import page_url
from goldsieve.deals.agenda import Appointment, Entry, agenda, ics_document
from goldsieve.people.calendar_keys import has_calendar_key, issue_calendar_key, user_for_calendar_key
from goldsieve.web.app import current_runtime

from . import inbox
from .access import public
from .activities import activity_label
from .i18n import select_locale

bp = Blueprint("calendar", __name__)


@bp.get("/calendar/<key>.ics")
@public
def feed(key: str):
    runtime = current_runtime()
    user = user_for_calendar_key(runtime.store, key)
    if user is None:
        abort(404)
    g.user = user  # the feed is its owner's: their language, their visibility
    with force_locale(select_locale()):
        appointments = [_appointment(entry) for entry in agenda(runtime.engine, user)]
        name = _("goldsieve: %(name)s", name=user.get("display_name") or user["username"])
    body = ics_document(appointments, name, runtime.engine.clock())
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'inline; filename="goldsieve.ics"',
        "Cache-Control": "private, max-age=300", "X-Robots-Tag": "noindex"})


@bp.post("/tasks/calendar")
def new_address():
    """Make the user a new calendar address and show it, this once, on "My tasks"."""
    runtime = current_runtime()
    key = issue_calendar_key(runtime.store, g.user["username"], clock=runtime.engine.clock)
    path = url_for("calendar.feed", key=key)
    g.calendar_url = _address(path)
    page, status = inbox.tasks()
    return page, status, {"Cache-Control": "no-store"}


@bp.app_template_global("has_calendar_address")
def has_calendar_address() -> bool:
    return has_calendar_key(current_runtime().store, g.user["username"])


def _appointment(entry: Entry) -> Appointment:
    """An agenda entry in the reader's words, with the address of the page it belongs to."""
    deal, customer = entry.deal, entry.customer
    subject = deal["title"] if deal else customer["name"] if customer else ""
    if entry.kind == "task" or entry.row.get("title"):  # a task's title, or an activity's own
        summary = entry.row["title"]
    else:
        label = activity_label(entry.row["type"])
        summary = _("%(type)s: %(subject)s", type=label, subject=subject) if subject else label
    lines = []
    if deal:
        lines.append(_("Deal: %(title)s", title=deal["title"]))
    if customer:
        lines.append(_("Customer: %(name)s", name=customer["name"]))
    if entry.kind == "activity" and entry.row.get("outcome"):
        lines.append(entry.row["outcome"])
    path = (url_for("deals.page", deal_id=deal["id"]) if deal else
            url_for("customers.page", customer_id=customer["id"]) if customer else None)
    return Appointment(entry, summary, "\n".join(lines), _address(path) if path else None)


def _address(path: str) -> str:
    """The full address of a page: under ``base_url`` when the workspace says where people reach
    it (a proxy may hide that from the request), else where this request came."""
    return page_url(current_runtime().workspace.config, path) or request.host_url.rstrip("/") + path

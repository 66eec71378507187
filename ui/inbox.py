"""The inbox and "My tasks": what automation puts in front of people, phone-friendly.

The inbox lists the user's own notifications (the unread count in the header polls
``/inbox/count`` with htmx); "My tasks" groups the user's open tasks on deals they can see into
overdue, today and upcoming, and lists their planned activities (by their own title, else their
type), the nearest due first. Marking read and marking done are POSTs (CSRF) that answer an htmx
request with the updated fragment and a plain form post with a redirect back.
"""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for

from goldsieve.deals.activities import PLANNED
from goldsieve.deals.tasks import (
    bucket,
    complete_task,
    inbox,
    mark_read,
    my_tasks,
    unread_count,
    visible_deals,
)
from goldsieve.errors import ValidationFailed
from goldsieve.web.app import current_runtime

from .auth import same_site_path
from .deals import respond, wants_fragment
from .params import whole_number_param

bp = Blueprint("inbox", __name__)
PAGE_SIZE = 50
SECTIONS = ("overdue", "today", "upcoming")



@bp.get("/inbox")
def show():
    rows = inbox(current_runtime().store, g.user, after=whole_number_param("cursor"), limit=PAGE_SIZE)
    older = rows[-1]["id"] if len(rows) == PAGE_SIZE else None
    return render_template("inbox/page.html", rows=rows, older=older,
                           unread=unread_count(current_runtime().store, g.user),
                           workplace_configured=bool(current_runtime().workplace))


@bp.get("/inbox/count")
def count():
    """The unread badge, polled by the header."""
    return render_template("inbox/_count.html", unread=unread_count(current_runtime().store, g.user))


@bp.post("/inbox/<int:notification_id>/read")
def read(notification_id: int):
    mark_read(current_runtime().store, g.user, notification_id, current_runtime().engine.clock())
    return _back(url_for("inbox.show"))


@bp.post("/inbox/read")
def read_all():
    mark_read(current_runtime().store, g.user, None, current_runtime().engine.clock())
    return _back(url_for("inbox.show"))


@bp.get("/tasks")
def tasks(errors: dict | None = None, status: int = 200):
    """My tasks; ``errors``: the add-a-task form was refused (``ui/task_forms.py``)."""
    now = current_runtime().engine.clock()
    grouped: dict[str, list] = {name: [] for name in SECTIONS}
    for task in my_tasks(current_runtime().engine, g.user):
        grouped[bucket(task, now)].append(task)
    planned = current_runtime().activities.list(g.user, status=PLANNED)[:PAGE_SIZE]  # the nearest due
    wanted = {t["deal_id"] for s in grouped.values() for t in s} | {a["deal_id"] for a in planned if a["deal_id"]}
    deals = visible_deals(current_runtime().engine, g.user, wanted)
    return render_template("inbox/tasks.html", grouped=grouped, planned=planned, deals=deals,
                           task_errors=errors or {}, task_form=request.form if errors else {}), status


@bp.post("/tasks/<int:task_id>/done")
def done(task_id: int):
    try:
        complete_task(current_runtime().engine, g.user, task_id)
    except ValidationFailed:
        pass  # already done (a double tap): the page shows it so
    return _back(url_for("inbox.tasks"))


def _back(default: str):
    """htmx: an empty answer the row swaps itself out with, and an ``inbox-changed`` event (the
    header badge and the deal page listen); a plain post: back to ``next``, else ``default``."""
    if wants_fragment():
        return respond("", 200, **{"HX-Trigger": "inbox-changed"})
    return redirect(same_site_path(request.form.get("next")) or default, code=303)

"""Tasks by hand on the deal page: add one (title, due time, assignee), change or reassign one,
reopen a done one (docs/tasks.md); completing one is the inbox's ``Done`` button.

Routes on the deals blueprint under the deal (``/deals/<id>/tasks…``), so a deal the user
cannot see answers 404 here as everywhere, and a task of another deal is not found either; and
``/tasks/new`` on the inbox's, for a task of one's own on one of one's open deals, from My
tasks or from a customer's page (on one of its deals).
Plain forms with their CSRF token that post and redirect back to the deal's tasks; a refusal is
the deal page again with the reasons beside the form, answered 422 (409 for a stale version),
and nothing written. Due times are UTC, as the pages show them.
"""
from __future__ import annotations

from flask import g, redirect, request, url_for
from flask_babel import gettext as _

from goldsieve.clock import typed_minute
from goldsieve.deals.task_changes import (
    UNCHANGED,
    assignee_choices,
    change_task,
    create_task,
    reopen_task,
)
from goldsieve.deals.tasks import bucket
from goldsieve.errors import NotFound, ValidationFailed, Violation
from goldsieve.store import Conflict
from goldsieve.store.filters import Eq, all_of

from . import inbox
from .auth import same_site_path
from .deals import bp, engine, form_version, render_deal_page
from .params import whole_number_param
from .people_forms import message

def form_due(value: str | None) -> str | None:
    """The form's due time as the kernel reads it: empty is none; a ``datetime-local`` value is a
    UTC time, as every time on the pages; anything else goes on as typed, so the kernel says what
    is wrong with it."""
    value = (value or "").strip()
    return typed_minute(value) if value else None


def task_message(violation: Violation) -> str:
    """Why a task was refused, in the page's language."""
    said = {
        ("/title", "required"): lambda: _("A task needs a title."),
        ("/due", "format"): lambda: _("Choose a date and a time."),
        ("/assignee", "cannot_see"): lambda: _("This user cannot see the deal."),
        ("/task", "open"): lambda: _("This task is not done."),
        ("/deal_id", "required"): lambda: _("Choose one of your deals."),
    }
    found = said.get((violation.path, violation.code))
    return found() if found else message(violation)


def _errors(violations: list[Violation]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for violation in violations:
        fields.setdefault(violation.path.lstrip("/") or "form", []).append(task_message(violation))
    return fields


@bp.app_template_global("task_assignees")
def task_assignees(deal: dict) -> list[dict]:
    """Whom the deal page offers a task to: the active users who can see the deal."""
    return assignee_choices(engine(), deal)


@bp.app_template_global("task_overdue")
def task_overdue(task: dict) -> bool:
    """An open task past its due time, flagged on the pages before the scanner marks it."""
    return bucket(task, engine().clock()) == "overdue"


def _refused(deal_id: int, status: int, errors: dict[str, list[str]], task_id: int | None = None):
    deal = engine().get(g.user, deal_id)
    return render_deal_page(deal, engine().funnel_of(deal), status, task_errors=errors,
                            task_form=request.form, task_form_id=task_id)


def _back(deal_id: int):
    return redirect(url_for("deals.page", deal_id=deal_id) + "#deal-tasks", 303)


def _task_of(deal_id: int, task_id: int) -> dict:
    task = engine().store.get("tasks", task_id)
    if task is None or task["deal_id"] != deal_id:
        raise NotFound(f"task {task_id} not found")
    return task


@bp.post("/<int:deal_id>/tasks")
def add_task(deal_id: int):
    engine().get(g.user, deal_id)
    form = request.form
    try:
        create_task(engine(), g.user, deal_id, form.get("title", ""), form.get("assignee") or None,
                    form_due(form.get("due")))
    except ValidationFailed as failed:
        return _refused(deal_id, 422, _errors(failed.violations))
    return _back(deal_id)


@bp.post("/<int:deal_id>/tasks/<int:task_id>")
def change_task_form(deal_id: int, task_id: int):
    engine().get(g.user, deal_id)
    _task_of(deal_id, task_id)
    form = request.form
    fields = {"title": form["title"] if "title" in form else UNCHANGED,
              "due": form_due(form["due"]) if "due" in form else UNCHANGED,
              "assignee": form.get("assignee") or UNCHANGED}
    try:
        change_task(engine(), g.user, task_id, form_version(), **fields)
    except ValidationFailed as failed:
        return _refused(deal_id, 422, _errors(failed.violations), task_id)
    except Conflict:
        return _refused(deal_id, 409, {"form": [_("Someone else changed this task in the meantime. "
                                                  "Reload the page to see their changes.")]}, task_id)
    return _back(deal_id)


@bp.post("/<int:deal_id>/tasks/<int:task_id>/reopen")
def reopen_task_form(deal_id: int, task_id: int):
    engine().get(g.user, deal_id)
    _task_of(deal_id, task_id)
    try:
        reopen_task(engine(), g.user, task_id)
    except ValidationFailed as failed:
        return _refused(deal_id, 422, _errors(failed.violations), task_id)
    return _back(deal_id)


@bp.app_template_global("task_deals")
def task_deals(customer: dict | None = None) -> list[dict]:
    """The open deals a new task of one's own may be on: those the user sees and may change
    (of ``customer``, on its page; else the newest of all, on My tasks)."""
    if customer is None:
        found = engine().list(g.user, status="open", limit=200)
    else:
        found = engine().store.find("deals", all_of(engine().scope(g.user), Eq("status", "open"),
                                                    Eq("customer_id", customer["id"])))
    return [d for d in found if engine().may(g.user, "edit", d)]


@inbox.bp.post("/tasks/new")
def add_my_task():
    """A task for oneself from My tasks (or a customer's page: ``next``), on one of one's open
    deals; refused, My tasks says why, with the form as it was sent."""
    form = request.form
    deal_id = whole_number_param("deal_id", form)
    try:
        if deal_id is None:
            raise NotFound("no deal chosen")
        create_task(engine(), g.user, deal_id, form.get("title", ""), None, form_due(form.get("due")))
    except NotFound:  # none chosen, or one the user cannot see: the same answer
        return inbox.tasks(_errors([Violation("/deal_id", "required", "Choose a deal.")]), 422)
    except ValidationFailed as failed:
        return inbox.tasks(_errors(failed.violations), 422)
    return redirect(same_site_path(form.get("next")) or url_for("inbox.tasks"), 303)

"""Admin pages for users: list, add, change role/team/display name, reset a password,
deactivate and reactivate, hand over everything of a user who leaves (docs/reassignment.md).

Plain forms that post and redirect (they work without JavaScript); a refused form is the same
page again with a message beside each field, answered 422, and nothing written. The kernel
(``goldsieve.people.users``) validates, applies the password policy, keeps the last active admin and
writes the audit row with the admin as actor; these views only translate forms.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from goldsieve.deals.handover import hand_over
from goldsieve.errors import ValidationFailed, Violation
from goldsieve.people.teams import tree
from goldsieve.people.users import (
    ROLES,
    add_user,
    find_user,
    is_active,
    password_problems,
    set_active,
    set_password,
    update_user,
)
from goldsieve.web.app import current_runtime

from .admin import admins_only
from .people_forms import message, optional, submit

bp = Blueprint("admin_users", __name__, url_prefix="/admin/users")
bp.before_request(admins_only)


def _choices() -> dict[str, Any]:
    """What the forms offer: the roles and the teams (as a tree, so sub-teams read as such)."""
    return {"roles": ROLES, "teams": tree(current_runtime().store)}


def _user_or_404(username: str) -> dict[str, Any]:
    user = find_user(current_runtime().store, username)
    if user is None:
        abort(404)
    return user


def _check_repeat(username: str) -> None:
    """Refuse two different passwords before the kernel sees either (with what the policy says
    of the first, so the admin learns everything about the password at once)."""
    password = request.form.get("password", "")
    if password != request.form.get("repeat_password", ""):
        raise ValidationFailed(password_problems(password, username) + [
            Violation("/repeat_password", "mismatch", "The two passwords differ.")])


@bp.get("")
def index(errors: dict | None = None, status: int = 200):
    """Every user with role, team, last login and state, and the form that adds one."""
    users = sorted(current_runtime().store.find("users"), key=lambda u: u["username"])
    page = render_template("admin/users.html", users=users, errors=errors or {},
                           form=request.form if errors else {}, **_choices())
    return page, status


@bp.post("")
def add():
    form = request.form
    username = form.get("username", "").strip()

    def write() -> None:
        _check_repeat(username)
        add_user(current_runtime().store, username, form.get("role", ""), form.get("password", ""),
                 team=form.get("team") or None, display_name=form.get("display_name") or None,
                 actor=g.user["username"])

    return submit(write, lambda errors: index(errors, 422),
                  _("Added the user %(name)s.", name=username), url_for(".index"))


@bp.get("/<username>")
def edit(username: str, errors: dict | None = None, status: int = 200):
    """One user: the profile form, the password reset and (de)activation."""
    user = _user_or_404(username)
    heirs = sorted((u for u in current_runtime().store.find("users")
                    if is_active(u) and u["username"] != username), key=lambda u: u["username"])
    return render_template("admin/user.html", person=user, errors=errors or {}, heirs=heirs,
                           form=request.form if errors else {}, **_choices()), status


@bp.post("/<username>")
def save(username: str):
    _user_or_404(username)

    def write() -> None:
        update_user(current_runtime().store, username, role=request.form.get("role") or None,
                    team=optional("team"), display_name=optional("display_name"),
                    actor=g.user["username"])

    return _submit_edit(username, write, _("Saved the user %(name)s.", name=username))


@bp.post("/<username>/password")
def reset_password(username: str):
    """Set a new password for the user; their sessions end, so they log in with it."""
    _user_or_404(username)

    def write() -> None:
        _check_repeat(username)
        set_password(current_runtime().store, username, request.form.get("password", ""),
                     actor=g.user["username"])

    return _submit_edit(username, write, _("Set a new password for %(name)s.", name=username))


def _submit_edit(username: str, write: Callable[[], None], done: str):
    return submit(write, lambda errors: edit(username, errors, 422), done,
                  url_for(".edit", username=username))


@bp.post("/<username>/active")
def set_state(username: str):
    """``active=1`` reactivates, ``active=0`` deactivates (no login, sessions and tokens end)."""
    _user_or_404(username)
    active = request.form.get("active")
    if active not in ("0", "1"):
        return edit(username, {"active": [_("Choose one of the options.")]}, 422)
    if active == "1":
        done = _("Reactivated %(name)s.", name=username)
    else:
        done = _("Deactivated %(name)s.", name=username)
    # an admin who deactivates themself has just ended their own session
    target = (url_for("auth.login") if active == "0" and username == g.user["username"]
              else url_for(".edit", username=username))
    return submit(lambda: set_active(current_runtime().store, username, active == "1",
                                     actor=g.user["username"]),
                  lambda errors: edit(username, errors, 422), done, target)


@bp.post("/<username>/hand-over")
def hand_over_all(username: str):
    """Everything of ``username`` (open deals, customers, open tasks) to the user in ``to``."""
    _user_or_404(username)
    heir = request.form.get("to", "")
    try:
        result = hand_over(current_runtime().engine, g.user, username, heir)
    except ValidationFailed as error:
        said = [_("Hand over to another user.") if v.code == "same_user" else message(v)
                for v in error.violations]
        return edit(username, {"to": said}, 422)
    flash(_("Handed over to %(to)s: %(deals)s open deals, %(customers)s customers and %(tasks)s "
            "open tasks.", to=heir, deals=len(result.deals), customers=len(result.customers),
            tasks=len(result.tasks)))
    if result.tasks_left:
        flash(_("%(count)s open tasks stay with %(name)s: %(to)s cannot see their deals.",
                count=len(result.tasks_left), name=username, to=heir))
    if result.skipped:
        flash(_("Some records changed meanwhile and stayed; hand over again to move them."))
    return redirect(url_for(".edit", username=username), 303)

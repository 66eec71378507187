"""Admin pages for users: list, add, change role/team/display name, reset a password,
deactivate and reactivate.

Plain forms that post and redirect (they work without JavaScript); a refused form is the same
page again with a message beside each field, answered 422, and nothing written. The kernel
(``goldsieve.users``) validates, applies the password policy, keeps the last active admin and
writes the audit row with the admin as actor; these views only translate forms.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from goldsieve.errors import ValidationFailed, Violation
from goldsieve.teams import UNCHANGED, tree
from goldsieve.users import (ROLES, add_user, find_user, password_problems, set_active,
                             set_password, update_user)

from .admin import admins_only
from .auth import runtime
from .people_errors import by_field

bp = Blueprint("admin_users", __name__, url_prefix="/admin/users")
bp.before_request(admins_only)


def _choices() -> dict[str, Any]:
    """What the forms offer: the roles and the teams (as a tree, so sub-teams read as such)."""
    return {"roles": ROLES, "teams": tree(runtime().store)}


def _user_or_404(username: str) -> dict[str, Any]:
    user = find_user(runtime().store, username)
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
    users = sorted(runtime().store.find("users"), key=lambda u: u["username"])
    page = render_template("admin/users.html", users=users, errors=errors or {},
                           form=request.form if errors else {}, **_choices())
    return page, status


@bp.post("")
def add():
    form = request.form
    try:
        _check_repeat(form.get("username", "").strip())
        user = add_user(runtime().store, form.get("username", "").strip(), form.get("role", ""),
                        form.get("password", ""), team=form.get("team") or None,
                        display_name=form.get("display_name") or None,
                        actor=g.user["username"])
    except ValidationFailed as refused:
        return index(by_field(refused.violations), 422)
    flash(_("Added the user %(name)s.", name=user["username"]))
    return redirect(url_for(".index"), 303)


@bp.get("/<username>")
def edit(username: str, errors: dict | None = None, status: int = 200):
    """One user: the profile form, the password reset and (de)activation."""
    user = _user_or_404(username)
    return render_template("admin/user.html", person=user, errors=errors or {},
                           form=request.form if errors else {}, **_choices()), status


@bp.post("/<username>")
def save(username: str):
    _user_or_404(username)
    form = request.form
    try:
        update_user(runtime().store, username, role=form.get("role") or None,
                    team=form.get("team") or None if "team" in form else UNCHANGED,
                    display_name=form.get("display_name", "") if "display_name" in form else UNCHANGED,
                    actor=g.user["username"])
    except ValidationFailed as refused:
        return edit(username, by_field(refused.violations), 422)
    flash(_("Saved the user %(name)s.", name=username))
    return redirect(url_for(".edit", username=username), 303)


@bp.post("/<username>/password")
def reset_password(username: str):
    """Set a new password for the user; their sessions end, so they log in with it."""
    _user_or_404(username)
    try:
        _check_repeat(username)
        set_password(runtime().store, username, request.form.get("password", ""),
                     actor=g.user["username"])
    except ValidationFailed as refused:
        return edit(username, by_field(refused.violations), 422)
    flash(_("Set a new password for %(name)s.", name=username))
    return redirect(url_for(".edit", username=username), 303)


@bp.post("/<username>/active")
def set_state(username: str):
    """``active=1`` reactivates, ``active=0`` deactivates (no login, sessions and tokens end)."""
    _user_or_404(username)
    active = request.form.get("active")
    if active not in ("0", "1"):
        return edit(username, {"active": [_("Choose one of the options.")]}, 422)
    try:
        set_active(runtime().store, username, active == "1", actor=g.user["username"])
    except ValidationFailed as refused:
        return edit(username, by_field(refused.violations), 422)
    flash(_("Reactivated %(name)s.", name=username) if active == "1"
          else _("Deactivated %(name)s.", name=username))
    if g.user["username"] == username and active == "0":
        return redirect(url_for("auth.login"), 303)  # their own session has just ended
    return redirect(url_for(".edit", username=username), 303)

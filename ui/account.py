"""The user's own account: changing their password.

The current password is checked (and its failures throttled like logins, so a borrowed session
cannot be used to guess it), the new one passes the same policy as everywhere else, and on
success every session of the user ends and this browser gets a new session id.
"""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from goldsieve.errors import ValidationFailed
from goldsieve.people.users import change_password
from goldsieve.web.app import current_runtime

from .auth import begin_session, throttle
from .people_forms import by_field

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/password", methods=["GET", "POST"])
def password():
    if request.method == "GET":
        return render_template("account/password.html", errors={})
    username = g.user["username"]
    client = request.remote_addr or "unknown"
    wait = throttle().retry_after(username, client)
    if wait:
        errors = {"current_password": [_("Too many failed attempts. Try again in %(seconds)s "
                                         "seconds.", seconds=wait)]}
        return (render_template("account/password.html", errors=errors), 429,
                {"Retry-After": str(wait)})
    form = request.form
    try:
        change_password(current_runtime().store, username, form.get("current_password", ""),
                        form.get("new_password", ""), form.get("repeat_password", ""))
    except ValidationFailed as refused:
        errors = by_field(refused.violations)
        if "current_password" in errors:
            throttle().failed(username, client)
        return render_template("account/password.html", errors=errors), 422
    throttle().succeeded(username)
    # every session ended with the change; this browser continues under a new id
    begin_session(username, client, action="session_rotated")
    flash(_("Your password has been changed; your other sessions have ended and your API tokens are revoked."))
    return redirect(url_for("ui.start"), 303)

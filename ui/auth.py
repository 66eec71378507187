"""Logging in and out, and requiring a login for every page but ``/login`` and static files."""
from __future__ import annotations

import unicodedata

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for

from goldsieve.audit import append, audit_entry
from goldsieve.clock import stamp
from goldsieve.people.sessions import end_session, session_user, start_session
from goldsieve.people.throttle import LoginThrottle
from goldsieve.people.users import authenticate
from goldsieve.people.users import set_locale as remember_locale
from goldsieve.web.app import current_runtime

from .i18n import normalize

bp = Blueprint("auth", __name__)

#: Endpoints a visitor may reach without logging in (the API checks its own tokens).
PUBLIC = {"auth.login", "auth.set_locale", "ui.static"}


def load_user() -> None:
    runtime = current_runtime()
    g.user = session_user(runtime.store, session.get("sid"), clock=runtime.engine.clock,
                          policy=runtime.sessions)


def require_login():
    endpoint = request.endpoint or ""
    if g.user is not None or endpoint in PUBLIC or endpoint.startswith("api."):
        return None
    if request.endpoint is None:  # unknown URL: let it be a 404
        return None
    target = url_for("auth.login", next=request.full_path.rstrip("?"))
    if request.headers.get("HX-Request"):
        response = current_app.response_class(status=401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def throttle() -> LoginThrottle:
    """The app's login throttle (its record is in the store), created on first use."""
    extensions = current_app.extensions
    if "goldsieve.login_throttle" not in extensions:
        extensions["goldsieve.login_throttle"] = LoginThrottle(current_runtime().store, current_runtime().engine.clock)
    return extensions["goldsieve.login_throttle"]


def same_site_path(value: object) -> str | None:
    r"""``value`` when it is a path on this site, else ``None``: the one test of every ``next``.

    A browser drops tabs and newlines from a URL and reads a backslash as a slash, so
    ``/<tab>/evil.example`` and ``/\evil.example`` lead to the other site ``//evil.example``, and
    a newline in a ``Location`` header is refused (the login answered 500 after it succeeded).
    So: one leading ``/`` (then no scheme and no host can follow), no backslash, and no control,
    format, space or separator character anywhere.
    """
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or any(unicodedata.category(c)[0] in "CZ" for c in value):
        return None
    return value


def safe_next(value: str | None) -> str:
    """Where to go next: ``value`` when it is a path on this site, else the start page."""
    return same_site_path(value) or url_for("ui.start")


def begin_session(username: str, client: str, action: str = "login") -> None:
    """Give this browser a new session id (at a login, or after a password change): nothing
    from before survives it but the chosen language."""
    locale = session.get("locale")
    session.clear()
    session["sid"] = start_session(current_runtime().store, username, clock=current_runtime().engine.clock,
                                   client=client, action=action)
    if locale:
        session["locale"] = locale


@bp.route("/login", methods=["GET", "POST"])
def login():
    from .workplace import auto_platform, configured, in_app_bridge

    error = None
    waits = request.method != "GET" or session.get("signed_out") or g.user is not None
    inside = None if waits else auto_platform()
    bridge = in_app_bridge(inside)
    if inside and bridge is None:  # the platform's own browser: its sign-in needs no click
        return redirect(url_for("workplace.start", platform=inside, next=same_site_path(request.args.get("next"))))
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        client = request.remote_addr or "unknown"
        wait = throttle().retry_after(username, client)
        if wait:
            response = current_app.make_response((render_template(
                "login.html", error="throttled", wait=wait, next=same_site_path(request.args.get("next")),
                platforms=configured()), 429))
            response.headers["Retry-After"] = str(wait)
            return response
        user = authenticate(current_runtime().store, username, request.form.get("password", ""))
        clock = current_runtime().engine.clock
        if user is None:
            throttle().failed(username, client)
            # by = the name tried (it may not exist); the password is never recorded
            append(current_runtime().store, audit_entry(username[:64], "login_failed", "user",
                                                username[:64], {}, stamp(clock()), client=client))
        else:
            throttle().succeeded(username)
            end_session(current_runtime().store, session.get("sid"), clock=clock, action="session_replaced")
            begin_session(user["username"], client)
            return redirect(safe_next(request.args.get("next")))
        error = "invalid"
    status = 401 if error else 200
    return render_template("login.html", error=error, next=same_site_path(request.args.get("next")),
                           platforms=configured(), bridge=bridge and {**bridge, "platform": inside}), status


@bp.post("/logout")
def logout():
    end_session(current_runtime().store, session.get("sid"), clock=current_runtime().engine.clock)
    session.clear()
    session["signed_out"] = True  # inside a platform's browser, the login page then waits for a click
    return redirect(url_for("auth.login"))


@bp.post("/locale")
def set_locale():
    """Switch the page language; remembered for the session and, when logged in, for the user."""
    locale = normalize(request.form.get("locale"))
    if locale:
        session["locale"] = locale
        if g.user is not None:
            g.user = remember_locale(current_runtime().store, g.user, locale)
    return redirect(safe_next(request.form.get("next")))

"""Signing in with DingTalk, WeCom or Feishu: the redirect to the platform and its callback.

``/login/<platform>`` sends the browser to the platform with a ``state`` that is signed (the
app's secret key), short-lived and bound to this browser's session by a nonce, so a callback
that this browser did not start — a forged link, a replayed one — is refused (CSRF of the
sign-in). The callback is throttled like the password form, per client address; what it opens
is an ordinary session (:func:`goldsieve.ui.auth.begin_session`). Inside a platform's own
browser the login page goes there by itself (``auto_platform``), where the platform signs in
without a click — or, where the platform's JS API gives the page a sign-in code itself
(DingTalk's 免登, :meth:`~goldsieve.workplace.client.PlatformClient.bridge`), the login page
asks it and posts the code to ``/login/<platform>/in-app``: a form post like the password's,
with its CSRF token (no ``state`` is needed: the code never leaves the page), the same throttle
and the same session.

``/admin/workplace`` is the admin's sync report: what a sync of a platform's org chart would
change (the dry run, in the reader's language), and the button that makes the changes.

``/account/notices`` is where a person chooses which of their inbox items also reach them
through a platform their user is linked to (:mod:`goldsieve.workplace.notices`).
"""
from __future__ import annotations

import secrets

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer

from goldsieve import locales
from goldsieve.automation.channels import page_url
from goldsieve.errors import GoldsieveError, ValidationFailed
from goldsieve.people.sessions import end_session
from goldsieve.web.app import current_runtime
from goldsieve.workplace.client import PlatformError
from goldsieve.workplace.notices import KINDS, PREFS, choices, set_preferences
from goldsieve.workplace.signin import sign_in
from goldsieve.workplace.sync import apply, plan

from .access import public
from .admin import admins_only
from .auth import begin_session, safe_next, same_site_path, throttle
from .people_forms import by_field

bp = Blueprint("workplace", __name__)
admin_bp = Blueprint("admin_workplace", __name__, url_prefix="/admin/workplace")
admin_bp.before_request(admins_only)

#: how long a sign-in may take between leaving for the platform and coming back
STATE_SECONDS = 600
NONCE = "workplace_nonce"
#: what each platform's own browser says in its User-Agent
IN_APP = {"dingtalk": ("DingTalk",), "wecom": ("wxwork",), "feishu": ("Lark", "Feishu")}


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="goldsieve.workplace")


def _client(platform: str):
    client = current_runtime().workplace.get(platform)
    if client is None:
        abort(404)
    return client


def configured() -> list[str]:
    """The platforms the login page offers, in a fixed order."""
    return [name for name in IN_APP if name in current_runtime().workplace]


def auto_platform() -> str | None:
    """The configured platform whose own browser this is, if any."""
    agent = request.headers.get("User-Agent", "")
    return next((name for name in configured() if any(mark in agent for mark in IN_APP[name])), None)


def in_app_bridge(platform: str | None) -> dict[str, str] | None:
    """What the login page's script hands ``platform``'s JS API, when it is this browser's and
    signs in through it; ``None``: the login page redirects instead."""
    return current_runtime().workplace[platform].bridge() if platform else None


def _callback_url(platform: str) -> str:
    path = url_for("workplace.callback", platform=platform)
    return page_url(current_runtime().workspace.config, path) or url_for(
        "workplace.callback", platform=platform, _external=True)


@bp.get("/login/<platform>")
@public
def start(platform: str):
    client = _client(platform)
    nonce = secrets.token_urlsafe(16)
    session[NONCE] = nonce
    state = _serializer().dumps({"p": platform, "n": nonce, "next": same_site_path(request.args.get("next"))})
    return redirect(client.authorize_url(_callback_url(platform), state, in_app=auto_platform() == platform))


def _throttled(platform: str, who: str, address: str):
    """The 429 page while ``who`` (the platform and the client address: a sign-in names no
    account before the platform is asked) has failed too often, else ``None``."""
    wait = throttle().retry_after(who, address)
    if not wait:
        return None
    response = current_app.make_response((render_template(
        "workplace/refused.html", reason="throttled", wait=wait, platform=platform), 429))
    response.headers["Retry-After"] = str(wait)
    return response


def _finish(platform: str, client, code: object, who: str, address: str, next_path: str | None,
            in_app: bool = False):
    """Ask the platform who ``code`` is; open their session, or show why not (and count it)."""
    runtime = current_runtime()
    outcome = sign_in(runtime.store, client, code, address, in_app=in_app)
    if outcome.user is None:
        throttle().failed(who, address)
        return render_template("workplace/refused.html", reason=outcome.refused, platform=platform), 403
    throttle().succeeded(who)
    end_session(runtime.store, session.get("sid"), clock=runtime.engine.clock, action="session_replaced")
    begin_session(outcome.user["username"], address)
    return redirect(safe_next(next_path))


@bp.post("/login/<platform>/in-app")
@public
def in_app(platform: str):
    """The code the platform's JS API gave the login page (CSRF-checked like every form post)."""
    client = _client(platform)
    if client.bridge() is None:
        abort(404)
    address = request.remote_addr or "unknown"
    who = f"{platform}:{address}"
    return _throttled(platform, who, address) or _finish(
        platform, client, request.form.get("code"), who, address, request.args.get("next"), in_app=True)


@bp.get("/login/<platform>/callback")
@public
def callback(platform: str):
    client = _client(platform)
    address = request.remote_addr or "unknown"
    who = f"{platform}:{address}"  # the callback names no account before the platform is asked
    refused = _throttled(platform, who, address)
    if refused:
        return refused
    nonce = session.pop(NONCE, None)
    try:
        state = _serializer().loads(request.args.get("state", ""), max_age=STATE_SECONDS)
    except BadData:
        state = None
    if not (isinstance(state, dict) and state.get("p") == platform and nonce
            and secrets.compare_digest(str(state.get("n")), nonce)):
        throttle().failed(who, address)
        return render_template("workplace/refused.html", reason="state", platform=platform), 400
    # DingTalk's new sign-in names the code ``authCode``; the others, and its older one, ``code``
    return _finish(platform, client, request.args.get("code") or request.args.get("authCode"), who, address,
                   state.get("next"))


@bp.route("/account/notices", methods=["GET", "POST"])
def notices():
    runtime = current_runtime()
    user, errors = g.user, {}
    if request.method == "POST":
        wanted = {kind: request.form.get(kind, "") for kind in KINDS}
        wanted.update({key: value for key, value in request.form.items() if key not in KINDS and key != "csrf_token"})
        try:
            g.user = set_preferences(runtime.store, user, wanted, runtime.workplace)
        except ValidationFailed as refused:
            errors = by_field(refused.violations)
        else:
            flash(_("Your notice settings are saved."))
            return redirect(url_for("workplace.notices"))
    chosen = request.form if errors else (g.user.get(PREFS) or {})
    return render_template("workplace/notices.html", kinds=[(kind, label) for kind, (_p, label) in KINDS.items()],
                           platforms=choices(g.user, runtime.workplace), chosen=chosen, errors=errors), \
        400 if errors else 200


def _planned(platform: str):
    """The plan for ``platform`` and its diff in the page's language, or the platform's refusal."""
    client = current_runtime().workplace[platform]
    token = locales.reader.set(str(get_locale()))
    try:
        planned = plan(current_runtime().store, client)
        return planned, planned.lines(), None
    except PlatformError as error:
        return None, [], str(error)
    finally:
        locales.reader.reset(token)


@admin_bp.get("")
def report():
    platforms = configured()
    chosen = request.args.get("platform") if request.args.get("platform") in platforms else None
    chosen = chosen or (platforms[0] if platforms else None)
    lines, failure = _planned(chosen)[1:] if chosen else ([], None)
    return render_template("workplace/sync.html", platforms=platforms, chosen=chosen, lines=lines,
                           failure=failure), 502 if failure else 200


@admin_bp.post("/sync")
def sync_now():
    platform = request.form.get("platform")
    if platform not in configured():
        abort(400, description=_("Choose one of the configured platforms."))
    planned, lines, failure = _planned(platform)
    if planned is None:
        flash(failure)
        return redirect(url_for(".report", platform=platform))
    try:
        problems = apply(current_runtime().store, current_runtime().workplace[platform], planned)
    except GoldsieveError as error:  # the store changed meanwhile (a team added by hand): say it, keep what was done
        problems = [str(error)]
    flash(_("%(count)s change(s) made.", count=len(lines) - len(problems)))
    for problem in problems:
        flash(_("Not done: %(problem)s", problem=problem))
    return redirect(url_for(".report", platform=platform))

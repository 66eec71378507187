"""The web interface: Flask blueprints, Jinja templates and static assets.

``init_app`` wires everything the pages need — sessions and login, CSRF, security headers,
languages, htmx — so the app factory stays a list of steps.
"""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, g, render_template
from htmx_flask import Htmx

from . import access, admin, analytics, auth, board, deals
from .i18n import init_i18n, template_context
from .security import init_security

bp = Blueprint("ui", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")


@bp.get("/")
def start():
    runtime = current_app.extensions["goldsieve"]
    return render_template("start.html", funnels=list(runtime.funnels))


def init_app(app: Flask, token_blueprints: tuple[Blueprint, ...] = ()) -> None:
    Htmx(app)
    init_security(app, token_blueprints)
    init_i18n(app)
    app.before_request(auth.load_user)
    app.before_request(access.require_login)
    app.context_processor(lambda: {"user": g.get("user"), **template_context()})
    app.register_blueprint(bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(board.bp)
    app.register_blueprint(deals.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(analytics.bp)

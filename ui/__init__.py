"""The web interface: Flask blueprints, Jinja templates and static assets.

``init_app`` wires everything the pages need — sessions and login, CSRF, security headers,
languages, htmx — so the app factory stays a list of steps.
"""
from __future__ import annotations

from flask import Blueprint, Flask, g, render_template
from htmx_flask import Htmx

from goldsieve.deals.tasks import unread_count
from goldsieve.web.app import current_runtime

from . import (
    access,
    account,
    activities,
    admin,
    admin_teams,
    admin_users,
    analytics,
    analytics_activities,  # noqa: F401  (adds the Activities tab's route to the analytics blueprint)
    api_docs,
    auth,
    board,
    calendar_feed,
    customer_merge,  # noqa: F401  (adds the merge route to the customers blueprint)
    customer_owner,  # noqa: F401  (adds the owner selector's route to the customers blueprint)
    customers,
    deal_list,  # noqa: F401  (adds the list's routes to the deals blueprint)
    deal_owner,  # noqa: F401  (adds the owner selector's route to the deals blueprint)
    deal_path,  # noqa: F401  (adds the stage path's template globals)
    deals,
    designer,
    designer_records,
    digest,
    errors,
    inbox,
    lead_form,
    next_step,  # noqa: F401  (adds the move dialog's next-step form)
    task_forms,  # noqa: F401  (adds the task forms' routes to the deals blueprint)
    workplace,
)
from .i18n import init_i18n, template_context
from .security import init_security

bp = Blueprint("ui", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")


@bp.get("/")
def start():
    runtime = current_runtime()
    return render_template("start.html", funnels=list(runtime.funnels),
                           may_design=runtime.engine.may(g.user, "change_funnel"))


def init_app(app: Flask, token_blueprints: tuple[Blueprint, ...] = ()) -> None:
    Htmx(app)
    init_security(app, token_blueprints)
    init_i18n(app)
    errors.init_errors(app)
    app.before_request(auth.load_user)
    app.before_request(access.require_login)
    app.context_processor(lambda: {"user": g.get("user"), "may_admin": _may_admin(),
                                   "unread": _unread(), **template_context()})
    for blueprint in (bp, auth.bp, board.bp, deals.bp, customers.bp, admin.bp, admin_users.bp,
                      admin_teams.bp, account.bp, inbox.bp, lead_form.bp, designer.bp, designer_records.bp,
                      analytics.bp,
                      digest.bp, api_docs.bp, activities.bp, calendar_feed.bp, workplace.bp,
                      workplace.admin_bp):
        app.register_blueprint(blueprint)


def _may_admin() -> bool:
    """Whether the top bar links to the admin pages (they check again themselves)."""
    user = g.get("user")
    return user is not None and current_runtime().engine.may(user, "manage_users")


def _unread() -> int:
    """The header's unread count (one indexed count per page)."""
    user = g.get("user")
    return unread_count(current_runtime().store, user) if user else 0

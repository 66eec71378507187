"""The public lead form: ``/f/<token>``, one per ``[forms.NAME]`` of goldsieve.toml.

::

    [forms.fair]
    funnel = "software"        # the funnel the leads enter (its first stage)
    token = "spring-fair-7f3a9c2e"   # the secret part of the URL, at least 16 characters
    as = "mark"                # the marketing user recorded as the leads' creator
    fields = ["amount"]        # optional fields to ask besides those the first stage needs
    title = "Fair: {company}"  # the deal title, a template over the lead's fields

Nobody logs in: the form asks what entering the funnel's first stage requires, validates it
like any new deal, and hands the lead to intake, which gives it an owner by the funnel's
``assignment`` rule. Bots are kept out by a honeypot field (a filled one is thanked and
dropped) and a per-address rate limit; CSRF applies as on every form (the form carries its
token), so the page is meant to be opened directly — linked or behind a QR code.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _

from goldsieve.automation.actions import render as render_text
from goldsieve.deals.intake import take_leads
from goldsieve.errors import Forbidden, NotFound, ValidationFailed, Violation
from goldsieve.people.throttle import RateLimit
from goldsieve.people.users import find_user
from goldsieve.web.app import current_runtime

from . import form_controls, forms
from .access import public
from .deals import new_deal_fields, respond

log = logging.getLogger(__name__)
bp = Blueprint("leads", __name__)
#: The field bots fill in and people never see.
HONEYPOT = "contact-url"  # a dash: never the name of a funnel field
LEADS_PER_CLIENT = 5
WINDOW = timedelta(minutes=10)



def limiter() -> RateLimit:
    """The app's lead-form rate limit, created on first use with the engine's clock."""
    extensions = current_app.extensions
    if "goldsieve.lead_limit" not in extensions:
        extensions["goldsieve.lead_limit"] = RateLimit(LEADS_PER_CLIENT, WINDOW, current_runtime().engine.clock)
    return extensions["goldsieve.lead_limit"]


def form_config(token: str) -> dict[str, Any]:
    """The ``[forms.*]`` table with this token; 404 for any other (and for a broken one)."""
    for name, config in (current_runtime().workspace.config.get("forms") or {}).items():
        if isinstance(config, dict) and config.get("token") == token and len(token) >= 16:
            return config
    abort(404)


@bp.route("/f/<token>", methods=["GET", "POST"])
@public
def form(token: str):
    config = form_config(token)
    rt = current_runtime()
    try:
        funnel = rt.funnels.get(config.get("funnel", ""))
    except NotFound:
        log.error("lead form %s names no funnel of this workspace", token[:4])
        abort(404)
    creator = find_user(rt.store, config.get("as", ""))
    if creator is None:
        log.error("lead form %s names no user as its creator", token[:4])
        abort(404)
    required, needed, optional = new_deal_fields(funnel)
    extra = [n for n in optional if n in (config.get("fields") or [])]
    errors: dict[str, list[str]] = {}
    others: list[str] = []
    posted = None
    status = 200
    if request.method == "POST":
        if request.form.get(HONEYPOT):
            return respond(render_template("leads/thanks.html", funnel=funnel))
        if not limiter().allow(request.remote_addr or "unknown"):
            return respond(render_template("leads/form.html", funnel=funnel, limited=True), 429)
        posted = request.form
        parsed = forms.parse(funnel, request.form, names=needed + extra)
        data = {k: v for k, v in parsed.changes.items() if v is not None}
        title = render_text(str(config.get("title", "{company}")),
                            {"title": "", "owner": "", "data": data}, funnel).strip()[:200] or _("Web lead")
        try:
            if parsed.errors:
                raise ValidationFailed([])
            take_leads(rt.engine, creator, funnel.id, [(title, data)])
        except Forbidden:
            log.error("lead form %s: %s may not take leads", token[:4], creator["username"])
            abort(404)
        except ValidationFailed as failed:
            problems: list[Violation] = failed.violations
            by_field, rest = forms.split_violations(funnel, problems)
            errors = {**by_field, **parsed.errors}
            others = [forms.text_message(v) for v in rest]
            status = 422
        else:
            return respond(render_template("leads/thanks.html", funnel=funnel))
    common = {"values": {}, "errors": errors, "required": required, "posted": posted, "prefix": "lead"}
    body = render_template("leads/form.html", funnel=funnel, token=token, form_errors=others,
                           fields=form_controls.render(funnel, needed + extra, **common), honeypot=HONEYPOT)
    return respond(body, status)

"""The deal page's owner selector: giving the deal to another user (docs/reassignment.md).

A route on the deals blueprint, kept apart from ``deals.py``: the form posts (with its CSRF
token and the deal's version) to ``/deals/<id>/owner``; htmx swaps the page in place, and
without JavaScript the post redirects back to the page. The kernel (:mod:`goldsieve.deals.reassign`)
decides who may and to whom; a refusal is the page again with the reason beside the form,
answered 422 (409 for a stale version), and nothing written.
"""
from __future__ import annotations

from flask import g, redirect, request, url_for
from flask_babel import gettext as _

from goldsieve.deals.reassign import assign_deal, owner_choices
from goldsieve.errors import ValidationFailed, Violation
from goldsieve.store import Conflict

from .deals import bp, conflict_message, engine, form_version, render_deal_page
from .people_forms import message


def owner_message(violation: Violation) -> str:
    """Why a new owner was refused, in the page's language."""
    if violation.code == "out_of_scope":
        return _("You may give deals only to users whose deals you see.")
    if violation.code == "required":
        return _("Choose the new owner.")
    return message(violation)


@bp.app_template_global("owner_choices")
def choices(deal: dict) -> list[dict]:
    """The users the page offers as new owners (none unless the user may reassign the deal)."""
    if not engine().may(g.user, "reassign", deal):
        return []
    return owner_choices(engine(), g.user, deal)


@bp.post("/<int:deal_id>/owner")
def assign(deal_id: int):
    deal = engine().get(g.user, deal_id)
    funnel = engine().funnel_of(deal)
    try:
        assign_deal(engine(), g.user, deal_id, request.form.get("owner", "").strip(),
                    version=form_version())
    except ValidationFailed as failed:
        return render_deal_page(deal, funnel, 422,
                                owner_errors=[owner_message(v) for v in failed.violations])
    except Conflict:
        return render_deal_page(deal, funnel, 409, owner_errors=[conflict_message()])
    return redirect(url_for("deals.page", deal_id=deal_id), 303)

"""The customer page's owner selector: giving the customer, with or without its open deals, to
another user (docs/reassignment.md).

A route on the customers blueprint, apart from ``customers.py``, like the deal page's
(``deal_owner.py``): the form posts with its CSRF token and the customer's version; the kernel
(:func:`goldsieve.deals.reassign.assign_customer`) decides who may and to whom, and a refusal is
the page again with the reason, answered 422 (409 for a stale version), nothing written.
"""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _

from goldsieve.deals.reassign import assign_customer, owner_choices
from goldsieve.errors import ValidationFailed
from goldsieve.store import Conflict
from goldsieve.web.app import current_runtime

from .customers import bp, render_page, service
from .deal_owner import owner_message
from .params import whole_number_param


@bp.app_template_global("customer_owner_choices")
def customer_owner_choices(customer: dict) -> list[dict]:
    """Whom the page offers the customer to (none unless the user may reassign it)."""
    if not (service().may(g.user, "reassign") and service().editable(g.user, customer)):
        return []
    return owner_choices(current_runtime().engine, g.user, customer)


@bp.post("/<int:customer_id>/owner")
def assign(customer_id: int):
    customer = service().get(g.user, customer_id)
    owner = request.form.get("owner", "").strip()
    try:
        assign_customer(current_runtime().engine, service(), g.user, customer_id, owner,
                        with_open_deals=request.form.get("with_open_deals") == "1",
                        version=whole_number_param("version", request.form))
    except ValidationFailed as failed:
        return render_page(customer, 422, action_errors=[owner_message(v) for v in failed.violations])
    except Conflict:
        return render_page(customer, 409, action_errors=[
            _("Someone else changed this customer in the meantime. Reload it to see their changes.")])
    flash(_("Gave the customer to %(name)s.", name=service().display_name(owner)))
    return redirect(url_for("customers.page", customer_id=customer_id), 303)

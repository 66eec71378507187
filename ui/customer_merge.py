"""Merging a duplicate customer from its page (docs/records.md, "Merging").

A route on the customers blueprint, apart from ``customers.py`` like the owner selector: the
form picks the customer to keep with the same search-as-you-type choices as the deal form
(``customers.pick``, without "create"), posts with its CSRF token, and the kernel
(:func:`goldsieve.records.merging.merge`) decides who may and what moves; a refusal is the page
again with the reason, nothing written. A merged customer's page sends the reader on to the
customer it was merged into.
"""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _

from goldsieve.errors import NotFound, ValidationFailed, Violation
from goldsieve.records.merging import merge
from goldsieve.store import Conflict

from .customers import bp, render_page, service
from .params import whole_number_param


@bp.app_template_global("may_merge_customer")
def may_merge_customer(customer: dict) -> bool:
    """Whether the page offers merging this customer into another one."""
    return not customer.get("merged_into") and service().may(g.user, "merge_customer")


def merge_message(violation: Violation) -> str:
    """A refused merge in the page's language (the kernel speaks English)."""
    return {
        "same_customer": _("A customer cannot be merged into itself."),
        "merged": _("That customer was merged already; choose the one it was merged into."),
        "required": _("Choose the customer to keep."),
    }.get(violation.code, violation.message)


@bp.post("/<int:customer_id>/merge")
def merge_into(customer_id: int):
    customer = service().get(g.user, customer_id)
    try:
        into = whole_number_param("customer_id", request.form)
        if into is None:
            raise ValidationFailed([Violation("/into", "required", "Choose the customer to keep.")])
        survivor = merge(service(), g.user, customer_id, into)
    except ValidationFailed as failed:
        return render_page(customer, 422, action_errors=[merge_message(v) for v in failed.violations])
    except NotFound:  # the one to keep is gone, or not the user's to see: said alike
        return render_page(customer, 422, action_errors=[_("There is no such customer.")])
    except Conflict:
        return render_page(customer, 409, action_errors=[
            _("Someone else changed this customer in the meantime. Reload it to see their changes.")])
    flash(_("Merged “%(merged)s” into this customer.", merged=customer["name"]))
    return redirect(url_for("customers.page", customer_id=survivor["id"]), 303)

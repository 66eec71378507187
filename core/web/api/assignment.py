"""REST endpoints that give deals and customers to another user, and hand over a leaver's
(docs/reassignment.md)."""
from __future__ import annotations

from dataclasses import asdict

from flask import g, jsonify

from ...deals import handover, reassign
from ..app import current_runtime
from .routes import body, bp, dump_deal
from .schemas import (
    CustomerAssignedSchema,
    CustomerAssignSchema,
    DealAssignSchema,
    HandoverRequestSchema,
    HandoverSchema,
)


@bp.post("/deals/<int:deal_id>/assign")
def assign_deal(deal_id: int):
    payload = body(DealAssignSchema())
    deal = reassign.assign_deal(current_runtime().engine, g.user, deal_id, payload["owner"],
                                version=payload.get("version"))
    return jsonify(dump_deal(deal))


@bp.post("/customers/<int:customer_id>/assign")
def assign_customer(customer_id: int):
    payload = body(CustomerAssignSchema())
    runtime = current_runtime()
    customer, deals = reassign.assign_customer(runtime.engine, runtime.customers, g.user, customer_id,
                                               payload["owner"],
                                               with_open_deals=payload["with_open_deals"],
                                               version=payload.get("version"))
    return jsonify(CustomerAssignedSchema().dump({"customer": customer, "deals": deals}))


@bp.post("/users/<username>/hand-over")
def hand_over(username: str):
    """Everything of ``username`` to ``to`` (admin only); ``dry_run`` says what would move."""
    payload = body(HandoverRequestSchema())
    result = handover.hand_over(current_runtime().engine, g.user, username, payload["to"],
                                dry_run=payload["dry_run"])
    return jsonify(HandoverSchema().dump(asdict(result)))

"""REST endpoints of customers, the pool and contacts (docs/records.md)."""
from __future__ import annotations

from flask import g, jsonify, request, url_for

from ...errors import Duplicate, ValidationFailed, Violation
from ...limits import whole_number
from ...records.merging import merge
from ...records.pool import claim, release
from ..app import current_runtime
from .errors import error_response
from .routes import body, bp, paging, storable_args
from .schemas import (
    ContactCreateSchema,
    ContactPatchSchema,
    ContactSchema,
    CustomerCreateSchema,
    CustomerMergeSchema,
    CustomerPatchSchema,
    CustomerSchema,
)

customer_schema = CustomerSchema()
contact_schema = ContactSchema()


@bp.errorhandler(Duplicate)
def _duplicate(error: Duplicate):
    return error_response(
        409, [Violation(error.path, "duplicate",
                        f"Customer {error.existing_id} already has this {error.key}.")],
        duplicate={"id": error.existing_id, "owner": error.owner})


@bp.get("/customers")
def list_customers():
    """A page of the customers you may see, newest first: ``q`` (in the name), ``owner``,
    ``pool=true`` (only the pool's)."""
    args = request.args
    cursor, limit = paging()
    storable_args("q", "owner")
    pool = args.get("pool")
    if pool not in (None, "true", "false"):
        raise ValidationFailed([Violation("/pool", "invalid", "pool is true or false.")])
    rows = current_runtime().customers.list(g.user, text=args.get("q"), owner=args.get("owner"),
                                            pool=pool == "true", after=cursor, limit=limit)
    return jsonify(items=customer_schema.dump(rows, many=True),
                   next_cursor=str(rows[-1]["id"]) if len(rows) == limit else None)


@bp.post("/customers")
def create_customer():
    payload = body(CustomerCreateSchema())
    customer = current_runtime().customers.create(g.user, payload["name"], payload["data"])
    response = jsonify(customer_schema.dump(customer))
    response.headers["Location"] = url_for("api.get_customer", customer_id=customer["id"])
    return response, 201


@bp.get("/customers/<int:customer_id>")
def get_customer(customer_id: int):
    return jsonify(customer_schema.dump(current_runtime().customers.get(g.user, customer_id)))


@bp.patch("/customers/<int:customer_id>")
def patch_customer(customer_id: int):
    payload = body(CustomerPatchSchema())
    customer = current_runtime().customers.update(g.user, customer_id, payload["data"],
                                                  version=payload["version"], name=payload.get("name"))
    return jsonify(customer_schema.dump(customer))


@bp.post("/customers/<int:customer_id>/claim")
def claim_customer(customer_id: int):
    return jsonify(customer_schema.dump(claim(current_runtime().customers, g.user, customer_id)))


@bp.post("/customers/<int:customer_id>/release")
def release_customer(customer_id: int):
    return jsonify(customer_schema.dump(release(current_runtime().customers, g.user, customer_id)))


@bp.post("/customers/<int:customer_id>/merge")
def merge_customer(customer_id: int):
    """Merge this customer into ``into``; answers the survivor. A hidden customer is a 404
    before the body is read, as on every customer route."""
    customers = current_runtime().customers
    customers.get(g.user, customer_id)
    payload = body(CustomerMergeSchema())
    return jsonify(customer_schema.dump(merge(customers, g.user, customer_id, payload["into"])))


@bp.get("/contacts")
def list_contacts():
    """The contacts of one customer you may see (``customer=<id>``), the primary one first."""
    customer = whole_number(request.args.get("customer"))
    if customer is None:
        raise ValidationFailed([Violation("/customer", "required", "Name the customer: ?customer=<id>.")])
    rows = current_runtime().contacts.list(g.user, customer)
    return jsonify(items=contact_schema.dump(rows, many=True))


@bp.post("/contacts")
def create_contact():
    payload = body(ContactCreateSchema())
    contact = current_runtime().contacts.create(g.user, payload["customer_id"], payload["name"],
                                                payload["role"], payload["data"], payload["primary"])
    return jsonify(contact_schema.dump(contact)), 201


@bp.get("/contacts/<int:contact_id>")
def get_contact(contact_id: int):
    return jsonify(contact_schema.dump(current_runtime().contacts.get(g.user, contact_id)))


@bp.patch("/contacts/<int:contact_id>")
def patch_contact(contact_id: int):
    """Change a contact: what the body leaves out stays as it is (``role: null`` clears the role),
    ``data`` is a merge patch, ``version`` is checked. A hidden contact is a 404 before the body
    is read."""
    contacts = current_runtime().contacts
    contact = contacts.get(g.user, contact_id)
    payload = body(ContactPatchSchema())
    changed = contacts.update(g.user, contact_id, payload.get("name", contact["name"]),
                              payload.get("role", contact["role"]), payload["data"],
                              payload.get("primary", contact["primary"]), payload["version"])
    return jsonify(contact_schema.dump(changed))

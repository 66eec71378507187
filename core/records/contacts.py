"""Contacts: the people at a customer, declared like customers (records/contact.json).

A contact is ``{id, customer_id, name, role, data, primary, version, created_at, updated_at,
created_by}``, with ``role`` one of the declared roles (or ``None``). A contact is visible exactly
when its customer is: every read goes through :meth:`Customers.get` first, so a contact of a
customer the user may not see is as absent as the customer. At most one contact of a customer
is its primary one.

What a user reads of a contact goes through :meth:`Contacts.shown`: of a pool customer, a role
that ``[pool] see_pool_contacts`` does not name reads the name and role with ``data`` empty and
``details_hidden`` true (the page, the API and the export alike), and cannot change the contact
until the customer is claimed.
"""
from __future__ import annotations

from typing import Any

from ..audit import audit_entry, diff, record
from ..clock import stamp
from ..errors import Forbidden, NotFound, ValidationFailed, Violation
from ..funnels.validation import merge_data, violations
from ..people.permissions import is_system
from ..store import Conflict
from ..store.filters import Eq, In, all_of
from ..store.search import SEARCH, search_text
from .customers import Customers, name_problems

Contact = dict[str, Any]


class Contacts:
    """Reading and adding contacts, through the customers service's visibility and permissions."""

    def __init__(self, customers: Customers):
        self.customers = customers
        self.store = customers.store

    def get(self, user: dict[str, Any], contact_id: int) -> Contact:
        """A contact of a customer the user may see, as :meth:`shown` to them; :class:`NotFound`
        otherwise, as if absent."""
        contact, customer = self._visible(user, contact_id)
        return self.shown(user, customer, contact)

    def list(self, user: dict[str, Any], customer_id: int) -> list[Contact]:
        """The contacts of a customer the user may see (:class:`NotFound` otherwise), primary
        first, as :meth:`shown` to them."""
        customer = self.customers.get(user, customer_id)
        rows = self.store.find("contacts", Eq("customer_id", customer_id))
        return [self.shown(user, customer, c) for c in sorted(rows, key=lambda c: (not c["primary"], c["id"]))]

    def hides_details(self, user: dict[str, Any], customer: dict[str, Any]) -> bool:
        """Whether ``user`` reads this customer's contacts without their details: the customer
        is in the pool and ``[pool] see_pool_contacts`` does not name the user's role."""
        return (customer["owner"] is None and not is_system(user)
                and not self.customers.pool.sees_pool_contacts(user))

    def shown(self, user: dict[str, Any], customer: dict[str, Any], contact: Contact) -> Contact:
        """The contact as ``user`` may read it: whole, or its name and role only (``data``
        empty, ``details_hidden`` true) when :meth:`hides_details`."""
        if self.hides_details(user, customer):
            return {**contact, "data": {}, "details_hidden": True}
        return contact

    def _visible(self, user: dict[str, Any], contact_id: int) -> tuple[Contact, dict[str, Any]]:
        """The stored contact and its customer, when the user may see the customer."""
        contact = self.store.get("contacts", contact_id) if isinstance(contact_id, int) else None
        if contact is None:
            raise NotFound(f"contact {contact_id} not found")
        try:
            return contact, self.customers.get(user, contact["customer_id"])
        except NotFound:
            raise NotFound(f"contact {contact_id} not found") from None

    def create(self, user: dict[str, Any], customer_id: object, name: str, role: str | None = None,
               data: dict | None = None, primary: bool = False) -> Contact:
        """A new contact of a customer the user may change; ``primary`` makes it the only
        primary contact. Adding one counts as activity on the customer."""
        contact = self.prepare(user, customer_id, name, role, data, primary)
        self.insert_new(user, [contact])
        return contact

    def prepare(self, user: dict[str, Any], customer_id: object, name: str, role: str | None = None,
                data: dict | None = None, primary: bool = False) -> Contact:
        """A new contact checked as :meth:`create` checks it (a customer the user may change,
        the name, role and data) and not written yet: an import checks every row first.
        ``customer_id`` may be the customer as :meth:`Customers.get` gave it to ``user`` (an
        import reads each customer its file names once)."""
        try:
            customer = (customer_id if isinstance(customer_id, dict)
                        else self.customers.get(user, customer_id))  # type: ignore[arg-type]
        except NotFound:
            raise ValidationFailed([Violation("/customer_id", "unknown_customer",
                                              f"There is no customer {customer_id} you can see.")]) from None
        self.customers.require_edit(user, customer)
        data = merge_data({}, data)
        self._check(name, role, data)
        now = stamp(self.customers.clock())
        return {"customer_id": customer["id"], "name": name.strip(), SEARCH: search_text([name]), "role": role,
                "data": data, "primary": bool(primary), "version": 1,
                "created_at": now, "updated_at": now, "created_by": user["username"]}

    def insert_new(self, user: dict[str, Any], contacts: list[Contact]) -> None:
        """Write contacts :meth:`prepare` checked, all in one transaction or none, each with its
        audit row. A primary one makes its customer's other contacts not primary (of several
        primary ones for a customer, the last stays primary); each customer counts it as
        activity once."""
        if not contacts:
            return
        last_primary = {c["customer_id"]: c for c in contacts if c["primary"]}
        for contact in contacts:
            if contact["primary"] and last_primary[contact["customer_id"]] is not contact:
                contact["primary"] = False
        previous = (self.store.find("contacts", all_of(In("customer_id", tuple(last_primary)), Eq("primary", True)))
                    if last_primary else [])
        touched = {id: self.store.get("customers", id) for id in {c["customer_id"] for c in contacts}}
        now = max(c["created_at"] for c in contacts)
        with self.store.transaction() as txn:
            for other in previous:
                txn.replace("contacts", {**other, "primary": False, "version": other["version"] + 1,
                                         "updated_at": now}, expect_version=other["version"])
            for contact in contacts:
                txn.insert("contacts", contact)
                record(txn, audit_entry(user["username"], "contact_created", "contact", contact["id"],
                                        {"customer_id": [None, contact["customer_id"]],
                                         "name": [None, contact["name"]]}, contact["created_at"]))
            for customer in touched.values():
                self.customers.touch(txn, customer, now)

    def update(self, user: dict[str, Any], contact_id: int, name: str, role: str | None,
               changes: dict | None, primary: bool, version: int | None) -> Contact:
        """Change a contact (its data by merge patch) of a customer the user may change, its
        version checked (:class:`Conflict` when stale); made primary, the customer's other
        contacts stop being primary, in the same transaction."""
        contact, customer = self._visible(user, contact_id)
        self.customers.require_edit(user, customer)
        if self.hides_details(user, customer):
            raise Forbidden(f"{user.get('username')} may not change the contacts of customer "
                            f"{customer['id']} before claiming it")
        if version is not None and version != contact["version"]:
            raise Conflict("contacts", contact_id, version, contact["version"])
        data = merge_data(contact["data"], changes)
        self._check(name, role, data)
        new = {**contact, "name": name.strip(), SEARCH: search_text([name]), "role": role, "data": data,
               "primary": bool(primary)}
        changed = diff(contact, new, ("name", "role", "primary"))
        changed.update({f"data.{k}": v for k, v in diff(contact["data"], data).items()})
        if not changed:
            return contact
        now = stamp(self.customers.clock())
        new.update(version=contact["version"] + 1, updated_at=now)
        others = (self.store.find("contacts", all_of(Eq("customer_id", customer["id"]), Eq("primary", True)))
                  if new["primary"] and not contact["primary"] else [])
        with self.store.transaction() as txn:
            for other in others:
                txn.replace("contacts", {**other, "primary": False, "version": other["version"] + 1,
                                         "updated_at": now}, expect_version=other["version"])
            txn.replace("contacts", new, expect_version=contact["version"])
            record(txn, audit_entry(user["username"], "contact_updated", "contact", contact_id, changed, now))
        return self.shown(user, customer, new)

    def _check(self, name: object, role: object, data: dict) -> None:
        """:class:`ValidationFailed` naming every problem of a contact's name, role and data."""
        kind = self.customers.types.contact
        problems = name_problems(name) + violations(kind.validator, data)
        if role is not None and role not in kind.role_ids:
            choices = ", ".join(kind.role_ids) or "none declared"
            problems.append(Violation("/role", "enum", f"Choose one of the declared roles: {choices}."))
        if problems:
            raise ValidationFailed(problems)

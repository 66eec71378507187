"""Merging two customers that are the same one (a duplicate found late): docs/records.md.

``merge(customers, user, merged_id, into)`` moves everything of the merged customer to the
survivor in one transaction: its deals (``customer_id``), its contacts (a moved contact is not
primary when the survivor has a primary one) and its match keys (kept as the survivor's, marked
``merged_from``, so that a new customer or a lead with the merged name still finds the
survivor). The merged customer itself stays, as a redirect: ``merged_into`` names the survivor,
nothing can change it any more, and lists, the pool and the reclaim leave it out. Its events stay
where they are and the survivor's history reads them too (the survivor's ``merged_from``), so no
event is rewritten. Both get a ``merged`` event; one audit row (``customer_merged``) records it.

The deals move as plain data in that transaction (:func:`~.customers.link_deals`): each with its
version raised, and no event in the deals' log; the survivor's ``merged`` event lists them.

Who may: a user with the ``merge_customer`` permission (manager and admin by default) who sees
both customers; a customer merged into itself, or one already merged, is refused (422) and
nothing is written.
"""
from __future__ import annotations

from typing import Any

from ..audit import audit_entry, record
from ..clock import stamp
from ..errors import ValidationFailed, Violation
from ..locales import N_, Words
from ..people.permissions import denied
from ..store.filters import Eq
from .customers import Customer, Customers, link_deals
from .duplicates import KEYS, refuse_merged


def merge(customers: Customers, user: dict[str, Any], merged_id: int, into: int) -> Customer:
    """Merge customer ``merged_id`` into the survivor ``into``; returns the survivor as written."""
    merged = customers.get(user, merged_id)
    verdict = customers.may(user, "merge_customer")
    if not verdict:
        raise denied(Words(N_("%(user)s may not merge customers"), user=user.get("username")), verdict)
    if into == merged_id:
        raise ValidationFailed([Violation("/into", "same_customer",
                                          "A customer cannot be merged into itself.")])
    survivor = customers.get(user, into)
    refuse_merged(merged)
    refuse_merged(survivor, "/into")
    store = customers.store
    now = stamp(customers.clock())
    deals = store.find("deals", Eq("customer_id", merged["id"]))
    contacts = store.find("contacts", Eq("customer_id", merged["id"]))
    has_primary = any(c["primary"] for c in store.find("contacts", Eq("customer_id", survivor["id"])))
    keys = store.find(KEYS, Eq("customer_id", merged["id"]))
    moved = {"deals": [d["id"] for d in deals], "contacts": [c["id"] for c in contacts]}
    new_survivor = {**survivor, "version": survivor["version"] + 1, "updated_at": now,
                    "last_activity_at": max(survivor["last_activity_at"], merged["last_activity_at"]),
                    "merged_from": [*survivor.get("merged_from", []), merged["id"],
                                    *merged.get("merged_from", [])]}
    new_merged = {**merged, "version": merged["version"] + 1, "updated_at": now,
                  "merged_into": survivor["id"]}
    with store.transaction() as txn:
        txn.replace("customers", new_survivor, expect_version=survivor["version"])
        txn.replace("customers", new_merged, expect_version=merged["version"])
        link_deals(txn, deals, survivor["id"], now)
        for contact in contacts:
            txn.replace("contacts", {**contact, "customer_id": survivor["id"],
                                     "primary": contact["primary"] and not has_primary,
                                     "version": contact["version"] + 1, "updated_at": now},
                        expect_version=contact["version"])
        for key in keys:
            txn.replace(KEYS, {**key, "customer_id": survivor["id"], "merged_from": merged["id"]})
        for customer, other in ((new_survivor, merged), (new_merged, survivor)):
            txn.insert("customer_events", {
                "customer_id": customer["id"], "type": "merged", "at": now, "by": user["username"],
                "changes": {"merged_into": [None, survivor["id"]]} if customer is new_merged
                else {"merged_from": [None, other["id"]], **{k: [[], v] for k, v in moved.items()}}})
        record(txn, audit_entry(user["username"], "customer_merged", "customer", survivor["id"],
                                {"merged_from": [None, merged["id"]], "merged_name": [None, merged["name"]],
                                 **{k: [[], v] for k, v in moved.items()}}, now))
    return new_survivor

"""Customers made from the deals' company text (``goldsieve customers from-deals``), for a
workspace whose deals predate customers (docs/records.md).

The deals that name no customer are grouped by a text field of theirs (``company``), normalised
as a customer's name is for duplicates (:func:`~.duplicates.normalise_name`): "ACME Co., Ltd."
and "acme" are one group. Each group is linked to the existing customer holding its name key,
or to a new customer named as the group's most recently changed deal writes it. A new customer
is owned by the deals' owner when they all have the same one, else it goes to the pool: no rep's
deals end up under another rep's customer. Each customer (made or found) and its deals are
written in one transaction, with a ``deals_linked`` event and audit row listing the deals.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..audit import audit_entry, record
from ..clock import stamp
from ..people.permissions import SYSTEM
from ..store import Transaction
from .customers import Customers, link_deals, name_problems
from .duplicates import find_match, match_keys, normalise_name


@dataclass
class Group:
    """The deals of one company, and the customer they go to."""

    name: str
    owner: str | None
    deals: list[dict[str, Any]] = field(default_factory=list)
    #: the existing customer's id; ``None``: a new customer is made
    existing: int | None = None
    #: the customer's id once written
    customer_id: int | None = None


def plan(customers: Customers, field_name: str) -> list[Group]:
    """The groups of the unlinked deals by ``field_name``, oldest company first; a text that
    cannot name a customer (empty once normalised, too long) is left out."""
    groups: dict[str, Group] = {}
    for deal in customers.store.iterate("deals"):
        text = (deal.get("data") or {}).get(field_name)
        if deal.get("customer_id") is not None or not isinstance(text, str) or name_problems(text):
            continue
        key = normalise_name(text)
        if key:
            groups.setdefault(key, Group(text.strip(), deal.get("owner"))).deals.append(deal)
    for group in groups.values():
        latest = max(group.deals, key=lambda d: (d.get("updated_at") or "", d["id"]))
        group.name = latest["data"][field_name].strip()
        owners = {d.get("owner") for d in group.deals}
        group.owner = owners.pop() if len(owners) == 1 else None
        found = find_match(customers.store, match_keys(customers.types.customer, group.name, {}))
        group.existing = found[1] if found else None
    return list(groups.values())


def customers_from_deals(customers: Customers, field_name: str, dry_run: bool = False) -> list[Group]:
    """Carry out :func:`plan` (unless ``dry_run``): one transaction per customer and its deals."""
    groups = plan(customers, field_name)
    if dry_run:
        return groups
    for group in groups:
        now = stamp(customers.clock())

        def link(txn: Transaction, customer_id: int, group: Group = group, now: str = now) -> None:
            link_deals(txn, group.deals, customer_id, now)
            ids = [d["id"] for d in group.deals]
            txn.insert("customer_events", {"customer_id": customer_id, "type": "deals_linked", "at": now,
                                           "by": SYSTEM["username"], "changes": {"deals": [[], ids]}})
            record(txn, audit_entry(SYSTEM["username"], "customer_deals_linked", "customer", customer_id,
                                    {"deals": [[], ids]}, now))
            group.customer_id = customer_id

        if group.existing is None:
            customers.create(SYSTEM, group.name, owner=group.owner,
                             also=lambda txn, made, link=link: link(txn, made["id"]))
        else:
            with customers.store.transaction() as txn:
                link(txn, group.existing)
    return groups

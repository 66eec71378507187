"""Lead intake: marketing's leads enter their funnel's first stage with an owner chosen by rule.

The funnel's ``assignment`` (e.g. ``{"rule": "round_robin", "team": "east"}``) is asked through
``goldsieve_assign_owner``; the lead is created by the marketing user (``created_by``, so they
keep seeing it under the ``created`` scope) and owned by whoever the rule chose. A funnel without
a rule, or a rule that finds nobody, leaves the lead with its creator rather than losing it.
Taking leads needs the ``intake`` permission (marketing and admin by default).

A lead (and a deal imported from CSV) whose ``company`` matches an existing customer's match
keys (the name normalised as for duplicates; any other declared key from the lead's field of the
same name) is linked to that customer instead of waiting for a duplicate to be made; failing
that, a lead whose ``email`` or ``phone`` is a contact's links to the contact's customer. It is
linked whether or not the lead's poster may see the customer, who learns only its id in the
deal's ``customer_id``. A lead that matches no customer stays without one (``goldsieve customers
from-deals`` makes customers of such deals).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from ..plugin_manager import assign_owner
from ..records.duplicates import KEYS, find_match, match_keys
from ..store.filters import In

if TYPE_CHECKING:
    from .engine import Engine

Lead = tuple[str, dict[str, Any]]  # title, data

#: The deal field whose text names a lead's company, matched against the customers.
COMPANY_FIELD = "company"
#: The deal fields matched, as typed (an e-mail also in lower case), against the contacts'
#: fields of the same name when the company matches no customer.
CONTACT_FIELDS = ("email", "phone")


def link_customer(engine: "Engine", deal: dict[str, Any], holding: frozenset[str] | None = None) -> None:
    """Link a prepared deal that names no customer to the existing customer its company text
    matches, else to the customer of a contact with the lead's e-mail or phone (see the
    module's docstring); a deal that matches none is left as it is.

    ``holding``: which of the customer keys and the contacts hold anything (:func:`tables_holding`),
    asked once for a whole import: a table that holds nothing is not asked about every row."""
    if engine.customers is None or deal.get("customer_id") is not None:
        return
    holding = tables_holding(engine) if holding is None else holding
    data = deal["data"]
    company = data.get(COMPANY_FIELD)
    if isinstance(company, str) and KEYS in holding:
        found = find_match(engine.store, match_keys(engine.customers.types.customer, company, data))
        if found is not None:
            deal["customer_id"] = found[1]
            return
    for name in CONTACT_FIELDS if "contacts" in holding else ():
        value = data.get(name)
        if isinstance(value, str) and value.strip():
            text = value.strip()
            typed = tuple(dict.fromkeys((text, text.casefold())))
            same = engine.store.find("contacts", In(f"data.{name}", typed), limit=1)
            if same:
                deal["customer_id"] = same[0]["customer_id"]
                return


def tables_holding(engine: "Engine") -> frozenset[str]:
    """Which of the tables :func:`link_customer` looks in hold any row."""
    return frozenset(table for table in (KEYS, "contacts") if engine.store.count(table))


def assigned_owner(engine: "Engine", funnel_id: str, title: str, data: dict[str, Any]) -> str | None:
    """Who the funnel's assignment rule gives a lead to, or ``None``."""
    funnel = engine.funnels.get(funnel_id)
    if not funnel.assignment:
        return None
    draft = {"funnel": funnel.id, "funnel_version": funnel.version, "title": title, "data": data,
             "stage": funnel.first_stage.id, "status": "open"}
    return assign_owner(engine.plugins, deal=draft, funnel=funnel, rule=funnel.assignment, store=engine.store)


def take_leads(engine: "Engine", user: dict[str, Any], funnel_id: str,
               leads: Iterable[Lead]) -> list[dict[str, Any]]:
    """Check every lead (nothing is written if any is refused), then create each, assigned."""
    engine.require(user, "intake")
    # by_rule: the rule gives the owner, and a lead needs no customer yet
    deals = [engine.prepare(user, funnel_id, title, data, by_rule=True) for title, data in leads]
    insert_assigned(engine, user, deals)
    return deals


def insert_assigned(engine: "Engine", user: dict[str, Any], deals: list[dict[str, Any]]) -> None:
    """Give prepared deals their owners by the funnel's rule and write them.

    Each deal is written before the next one is assigned, so that a round robin counts the
    deals of the same batch: one transaction per deal, after all of them passed the checks. Each
    is linked to the customer its company matches first (:func:`link_customer`).
    """
    engine.require(user, "intake")
    holding = tables_holding(engine)
    for deal in deals:
        link_customer(engine, deal, holding)
        deal["owner"] = assigned_owner(engine, deal["funnel"], deal["title"], deal["data"]) \
            or user["username"]
        engine.insert_new(user, [deal])

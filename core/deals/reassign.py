"""Giving a deal or a customer to another user by hand (docs/reassignment.md).

One rule for both: the giver needs the ``reassign`` permission (managers and admins by default)
on a record they may change, and the new owner must be an active user whose deals the giver
sees. The second half is the giver's own visibility filter asked of the record as it would be
after the change, so a manager (scope ``team``) gives only to members of their team, an admin
(scope ``all``) to anyone, and a custom permissions plugin narrows it the same way it narrows
what its users see. A refused new owner is a 422 on ``/owner``; nothing is written.

A deal changes through :meth:`~goldsieve.deals.engine.Engine.assign` (event ``owner_changed``,
audit ``deal_reassigned``); a customer through
:meth:`~goldsieve.records.customers.Customers.change_owner` (event ``assigned``, audit
``customer_assigned``), with its open deals if asked. The new owner is told in their inbox, in
their language, by a notification written in the same transaction as the change.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ..clock import stamp
from ..errors import ValidationFailed, Violation
from ..locales import N_, Words, normalize, translations
from ..people.permissions import refusal
from ..people.users import find_user, is_active, unknown_user
from ..store import Transaction
from ..store.filters import Eq, Filter, all_of, matches

if TYPE_CHECKING:
    from ..records.customers import Customers
    from .engine import Engine

User = dict[str, Any]


def owner_problems(engine: "Engine", scope: Filter, record: dict[str, Any], owner: object,
                   path: str = "/owner") -> list[Violation]:
    """What is wrong with giving ``record`` to ``owner`` for a giver whose filter is ``scope``."""
    if not isinstance(owner, str) or not owner:
        return [Violation.of(path, "required", N_("Name the new owner."))]
    target = find_user(engine.store, owner)
    if target is None:
        return [unknown_user(path, owner)]
    if not is_active(target):
        return [Violation.of(path, "inactive", N_("The user “%(name)s” is deactivated."), name=owner)]
    if not matches(scope, {**record, "owner": owner}):
        return [Violation.of(path, "out_of_scope", N_("You may give records only to users whose deals you "
                                                         "see; “%(name)s” is not one of them."), name=owner)]
    return []


def notice(engine: "Engine", owner: str, at: str, key: str,
           words: Callable[[Callable[[str], str]], str], **about: Any) -> dict[str, Any]:
    """A notification for ``owner`` in their language (else the workspace's): ``words`` gets the
    catalog's ``gettext`` and returns the text."""
    reader = find_user(engine.store, owner) or {}
    fallback = engine.customers.locale if engine.customers is not None else None
    locale = normalize(reader.get("locale")) or normalize(fallback) or "en"
    row = {"user": owner, "deal_id": None, "funnel": None, "text": words(translations(locale).gettext),
           "at": at, "read_at": None, "key": key}
    row.update(about)
    return row


def giver_name(user: User) -> str:
    return user.get("display_name") or user["username"]


def _inserting(row: dict[str, Any] | None) -> Callable[[Transaction], None] | None:
    return None if row is None else (lambda txn: txn.insert("notifications", row))


def assign_deal(engine: "Engine", user: User, deal_id: int, owner: object,
                version: int | None = None, *, tell: bool | dict[str, Any] = True,
                check_only: bool = False) -> dict[str, Any]:
    """Give a deal to ``owner``: 404 unseen, 403 without ``reassign``, 409 stale ``version``,
    422 on ``/owner``; giving a deal to its owner changes nothing. The new owner is told (unless
    they gave it to themselves): ``tell`` true, that they got the deal; a notification row, that
    one instead (a customer's, said once for it and its deals); false, nothing. ``check_only``:
    raise what would refuse it, write nothing."""
    deal = engine.get(user, deal_id)
    engine.require(user, "reassign", deal)
    engine.expect_version(deal, version)
    problems = owner_problems(engine, engine.scope(user), deal, owner)
    if problems:
        raise ValidationFailed(problems)
    if owner == deal["owner"] or check_only:
        return deal
    row = tell if isinstance(tell, dict) else None
    if tell is True and owner != user["username"]:
        at = stamp(engine.clock())
        row = notice(engine, owner, at, f"assigned:{deal_id}:{deal['version'] + 1}",
                     lambda _: _("%(user)s gave you the deal %(deal)s.") % {
                         "user": giver_name(user), "deal": deal["title"]},
                     deal_id=deal_id, funnel=deal["funnel"])
    # the version read here is the one checked above: a change in between is a clean 409
    return engine.assign(user, deal_id, owner, version=deal["version"], also=_inserting(row))


def assign_customer(engine: "Engine", customers: "Customers", user: User, customer_id: int,
                    owner: object, *, with_open_deals: bool = False,
                    version: int | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Give a customer (and, ``with_open_deals``, its open deals the giver sees) to ``owner``;
    everything is checked before anything is written. Returns the customer and the deals moved."""
    customer = customers.get(user, customer_id)
    verdict = customers.may(user, "reassign") and customers.editable(user, customer)
    if not verdict:
        raise refusal(user, "reassign", Words(N_("customer %(id)s"), id=customer_id), verdict)
    customers.expect_version(customer, version)
    problems = owner_problems(engine, customers.owned_scope(user), customer, owner)
    deals = []
    if with_open_deals:
        deals = engine.store.find("deals", all_of(engine.scope(user), Eq("customer_id", customer_id),
                                                  Eq("status", "open")))
        deals = [d for d in deals if d["owner"] != owner]
    for deal in deals:
        engine.require(user, "reassign", deal)
        problems += [p for p in owner_problems(engine, engine.scope(user), deal, owner)
                     if p not in problems]
    if problems:
        raise ValidationFailed(problems)
    row = None
    if (owner != customer["owner"] or deals) and owner != user["username"]:
        at = stamp(engine.clock())
        row = notice(
            engine, str(owner), at, f"assigned-customer:{customer_id}:{customer['version'] + 1}",
            lambda _: (_("%(user)s gave you the customer %(customer)s and %(count)s of its open "
                         "deals.") if deals else _("%(user)s gave you the customer %(customer)s."))
            % {"user": giver_name(user), "customer": customer["name"], "count": len(deals)},
            customer_id=customer_id)
    if owner != customer["owner"]:
        customer = customers.change_owner(user, customer, str(owner), "assigned", also=_inserting(row))
        row = None
    # the notification goes with the first write: the customer's, else the first deal's
    moved = []
    for deal in deals:
        moved.append(assign_deal(engine, user, deal["id"], owner, tell=row or False))
        row = None
    return customer, moved


def owner_choices(engine: "Engine", user: User, deal: dict[str, Any]) -> list[dict[str, Any]]:
    """The active users ``user`` may give ``deal`` to (its owner among them), by user name: what
    an owner selector offers, by the same rule :func:`assign_deal` applies."""
    scope = engine.scope(user)
    found = [u for u in engine.store.find("users")
             if is_active(u) and matches(scope, {**deal, "owner": u["username"]})]
    return sorted(found, key=lambda u: u["username"])

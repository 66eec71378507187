"""The customer pool (公海): customers nobody owns, claimed within limits, reclaimed when idle.

Declared in ``goldsieve.toml``::

    [pool]
    reclaim_days = 30                 # an owned customer idle this long goes back to the pool
    reclaim_business_days = true      # count reclaim_days in business days ([calendar], goldsieve.workdays)
    cooldown_days = 7                 # who released (or lost) a customer waits this long to claim it again
    claim = ["rep", "manager"]        # the roles that may claim (default: rep, manager, admin)
    visible_to = ["rep", "manager", "admin"]   # the roles that see the pool (the same default)
    see_pool_contacts = ["manager", "admin"]   # who sees a pool customer's contact details (default: all)
    [pool.max_owned]
    rep = 200                         # a claim beyond it is refused

A customer is in the pool when its ``owner`` is ``None``. Claiming, releasing and reclaiming
change the owner through :meth:`Customers.change_owner`, so each appends its event and audit row
in the change's transaction. A pool customer's contacts show their names and roles to everyone
who sees the pool, and their declared details (phone, e-mail, WeChat …) only to the roles
``see_pool_contacts`` names: the pool is for finding a customer to work on, not a list of numbers
to copy before claiming (:meth:`goldsieve.records.contacts.Contacts.shown`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..clock import stamp
from ..errors import ValidationFailed, Violation
from ..locales import N_, Words, normalize, translations
from ..people.permissions import SYSTEM, denied
from ..people.users import ROLES, find_user
from ..store import Conflict
from ..store.filters import Eq, Not, Range, all_of
from ..workdays import MAX_DAYS, WEEKDAYS, Workdays
from ..workspace import WorkspaceError
from .duplicates import NOT_MERGED, refuse_merged

if TYPE_CHECKING:
    from .customers import Customers

DEFAULT_ROLES = frozenset({"rep", "manager", "admin"})
#: The settings of ``[pool]`` that list roles, and the roles each lists when it is not set.
ROLE_LISTS = {"claim": DEFAULT_ROLES, "visible_to": DEFAULT_ROLES, "see_pool_contacts": frozenset(ROLES)}


@dataclass(frozen=True)
class PoolSettings:
    """``[pool]`` of goldsieve.toml, checked at start-up."""

    reclaim_days: float | None = None
    cooldown_days: float = 0
    max_owned: dict[str, int] = field(default_factory=dict)
    claim: frozenset[str] = DEFAULT_ROLES
    visible_to: frozenset[str] = DEFAULT_ROLES
    see_pool_contacts: frozenset[str] = frozenset(ROLES)
    #: the business days ``reclaim_days`` counts, with ``reclaim_business_days`` (else calendar days)
    workdays: Workdays | None = None

    @classmethod
    def from_config(cls, config: dict[str, Any], workdays: Workdays = WEEKDAYS) -> "PoolSettings":
        """The settings of ``[pool]``; :class:`WorkspaceError` names the first wrong one."""
        table = config.get("pool", {})
        if not isinstance(table, dict):
            raise WorkspaceError("goldsieve.toml: pool must be a table: [pool] reclaim_days = 30")
        known = ("reclaim_days", "reclaim_business_days", "cooldown_days", "max_owned", *ROLE_LISTS)
        unknown = set(table) - set(known)
        if unknown:
            raise WorkspaceError(f"goldsieve.toml: [pool] {sorted(unknown)[0]}: unknown setting; the "
                                 f"settings are {', '.join(known)}")
        for name in ("reclaim_days", "cooldown_days"):
            value = table.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not 0 < value <= MAX_DAYS):
                raise WorkspaceError(f"goldsieve.toml: [pool] {name} = {value!r}: a number of days above 0, "
                                     f"at most {MAX_DAYS}")
        business = table.get("reclaim_business_days", False)
        if not isinstance(business, bool):
            raise WorkspaceError(f"goldsieve.toml: [pool] reclaim_business_days = {business!r}: true or false")
        limits = table.get("max_owned", {})
        if not isinstance(limits, dict):
            raise WorkspaceError("goldsieve.toml: [pool] max_owned must be a table: [pool.max_owned] rep = 200")
        for role, limit in limits.items():
            _known_role(role, "max_owned")
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
                raise WorkspaceError(f"goldsieve.toml: [pool.max_owned] {role} = {limit!r}: a whole number, 0 or more")
        roles = {}
        for name, default in ROLE_LISTS.items():
            value = table.get(name, sorted(default))
            if not isinstance(value, list):
                raise WorkspaceError(f"goldsieve.toml: [pool] {name} is a list of roles: {name} = [\"rep\"]")
            for role in value:
                _known_role(role, name)
            roles[name] = frozenset(value)
        return cls(table.get("reclaim_days"), table.get("cooldown_days") or 0, dict(limits), **roles,
                   workdays=workdays if business else None)

    def idle_since(self, now: datetime) -> datetime | None:
        """The moment before which an owner's last activity sends the customer back at ``now``
        (``None``: the workspace does not reclaim)."""
        if self.reclaim_days is None:
            return None
        if self.workdays is not None:
            return self.workdays.before(now, self.reclaim_days)
        return now - timedelta(days=self.reclaim_days)

    def sees_pool(self, user: dict[str, Any]) -> bool:
        return user.get("role") in self.visible_to

    def sees_pool_contacts(self, user: dict[str, Any]) -> bool:
        """Whether ``user`` sees the declared details of a pool customer's contacts."""
        return user.get("role") in self.see_pool_contacts


def _known_role(role: object, setting: str) -> None:
    if role not in ROLES:
        raise WorkspaceError(f"goldsieve.toml: [pool] {setting}: {role!r} is no role; "
                             f"the roles are {', '.join(ROLES)}")


def claim(customers: "Customers", user: dict[str, Any], customer_id: int) -> dict[str, Any]:
    """Take a pool customer: only one in the pool, within the role's ``max_owned``, and not
    within the cool-down after the user released it (or had it reclaimed)."""
    settings = customers.pool
    customer = customers.get(user, customer_id)
    verdict = customers.may(user, "edit_customer")
    if user.get("role") not in settings.claim or not verdict:
        raise denied(Words(N_("%(user)s may not claim customers from the pool"), user=user.get("username")), verdict)
    refuse_merged(customer)
    if customer["owner"] is not None:
        raise ValidationFailed([Violation("/owner", "not_in_pool", "This customer is not in the pool.")])
    now = customers.clock()
    limit = settings.max_owned.get(user.get("role", ""))
    if limit is not None and customers.store.count(
            "customers", all_of(Eq("owner", user["username"]), NOT_MERGED)) >= limit:
        raise ValidationFailed([Violation("/owner", "max_owned",
                                          f"You already own {limit} customers, the most your role may "
                                          "own; release one before claiming another.", limit=limit)])
    if (settings.cooldown_days and customer.get("released_by") == user["username"]
            and customer.get("released_at")
            and customer["released_at"] > stamp(now - timedelta(days=settings.cooldown_days))):
        raise ValidationFailed([Violation("/owner", "cooldown",
                                          f"You gave this customer up less than {settings.cooldown_days:g} "
                                          "days ago; you may claim it again after that.",
                                          limit=settings.cooldown_days)])
    return customers.change_owner(user, customer, user["username"], "claimed", activity=True)


def release(customers: "Customers", user: dict[str, Any], customer_id: int) -> dict[str, Any]:
    """Put an owned customer back in the pool: its owner, or a manager or admin who sees it."""
    customer = customers.get(user, customer_id)
    refuse_merged(customer)
    if customer["owner"] is None:
        raise ValidationFailed([Violation("/owner", "in_pool", "This customer is already in the pool.")])
    mine, other = customers.may(user, "edit_customer"), customers.may(user, "reassign")
    own = customer["owner"] == user["username"] and mine
    if not own and not (other and customers.editable(user, customer)):
        raise denied(Words(N_("%(user)s may not release customer %(id)s"), user=user.get("username"), id=customer_id),
                     mine, other)
    return customers.change_owner(user, customer, None, "released")


def due_for_reclaim(customers: "Customers", now: datetime) -> list[dict[str, Any]]:
    """The owned customers idle for ``reclaim_days`` at ``now``: one range query on the ordered
    ``last_activity_at`` (the store's index), so the scan reads only what it reclaims."""
    since = customers.pool.idle_since(now)
    if since is None:
        return []
    where = all_of(Range("last_activity_at", None, stamp(since)),
                   Not(Eq("owner", None)), NOT_MERGED)
    return customers.store.find("customers", where)


def reclaim(customers: "Customers", now: datetime, dry_run: bool = False) -> list[dict[str, Any]]:
    """Send every idle owned customer back to the pool (event ``reclaimed``) and tell its former
    owner in their inbox; returns the customers as they were. A customer changed meanwhile is
    left for the next run. ``dry_run``: only say which ones."""
    due = due_for_reclaim(customers, now)
    if dry_run:
        return due
    done = []
    for customer in due:
        note = _notification(customers, customer, now)
        try:
            customers.change_owner(SYSTEM, customer, None, "reclaimed",
                                   also=lambda txn, note=note: txn.insert("notifications", note))
        except Conflict:
            continue
        done.append(customer)
    return done


def _notification(customers: "Customers", customer: dict[str, Any], now: datetime) -> dict[str, Any]:
    owner = find_user(customers.store, customer["owner"]) or {}
    locale = normalize(owner.get("locale")) or normalize(customers.locale) or "en"
    _ = translations(locale).gettext
    text = _("%(customer)s went back to the customer pool: nothing happened with it for %(days)s days.") % {
        "customer": customer["name"], "days": format(customers.pool.reclaim_days, "g")}
    return {"user": customer["owner"], "deal_id": None, "funnel": None, "customer_id": customer["id"],
            "text": text, "at": stamp(now), "read_at": None,
            "key": f"reclaimed:{customer['id']}:{customer['version']}"}

"""Customers: every change to one goes through :class:`Customers` (docs/records.md).

A customer is ``{id, name, owner, team, data, version, created_at, updated_at,
last_activity_at, created_by}``; ``owner`` ``None`` means it is in the pool. Like the deal engine,
a change is checked first (who may, then what is wrong, then whether it duplicates another
customer) and written only when nothing objects: the customer with its version checked, its match
keys, one event in ``customer_events`` (kept apart from the deals' events, which the analytics
read) and one audit row, in one transaction.

What a user sees is the deals' visibility filter applied to customers (the same scopes on
``owner``, ``created_by`` and ``handed_to``) OR'd with the pool for the roles ``[pool]
visible_to`` names; a customer outside it answers :class:`NotFound`, like one that does not exist.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator

from ..audit import audit_entry, diff, record
from ..clock import Clock, stamp, utc_now
from ..errors import Deny, Duplicate, NotFound, ValidationFailed, Violation
from ..funnels.validation import merge_data, violations
from ..limits import searchable, storable_text
from ..locales import N_, Words
from ..locales import say as _  # the catalogs' keyword: `make messages` extracts what it says
from ..people.permissions import denied, is_system
from ..people.users import find_user
from ..store import Conflict, Store, Transaction, UniqueViolation
from ..store.filters import Contains, Eq, Everything, Filter, In, Not, Nothing, all_of, any_of, matches
from ..store.search import SEARCH, fold, search_text
from .duplicates import NOT_MERGED, find_match, match_keys, refuse_merged, write_keys
from .model import RecordTypes
from .pool import PoolSettings

User = dict[str, Any]
Customer = dict[str, Any]

MAX_NAME = 200
#: ``owner`` of :meth:`Customers.create` when the creator owns the new customer.
CREATOR: Any = object()
#: The customer keys whose before → after the audit log keeps (besides every data field).
AUDITED = ("name", "owner", "team")


def name_problems(name: object, path: str = "/name") -> list[Violation]:
    """What is wrong with a record's name: missing, too long, or text no store keeps (NUL, a lone
    surrogate)."""
    if not isinstance(name, str) or not name.strip():
        return [Violation(path, "required", "A name is required.")]
    if len(name.strip()) > MAX_NAME:
        return [Violation(path, "maxLength", f"A name has at most {MAX_NAME} characters.", limit=MAX_NAME)]
    if not storable_text(name):
        return [Violation(path, "invalid", "A name cannot hold NUL characters or broken Unicode.")]
    return []


class Customers:
    """Create, read and change customers for a user, against one store and the record types.

    ``scope`` is the deals' visibility filter of a user (the engine's), ``permit`` the
    permission hooks' answer; :func:`goldsieve.runtime.open_runtime` wires both.
    """

    def __init__(self, store: Store, types: RecordTypes, pool: PoolSettings, *,
                 scope: Callable[[User], Filter] | None = None,
                 permit: Callable[[User, str, dict | None], bool] | None = None,
                 clock: Clock = utc_now, locale: str = "en"):
        self.store, self.types, self.pool, self.clock, self.locale = store, types, pool, clock, locale
        self._scope = scope or (lambda user: Everything())
        self._permit = permit or (lambda user, action, record: True)

    # --- who sees and who may -----------------------------------------------------------

    def owned_scope(self, user: User) -> Filter:
        """The customers the user sees without the pool: those their deals' scope lets through."""
        return Everything() if is_system(user) else self._scope(user)

    def scope(self, user: User) -> Filter:
        """The filter of the customers this user may see; every query of customers has it."""
        pool = Eq("owner", None) if self.pool.sees_pool(user) else Nothing()
        return any_of(self.owned_scope(user), pool)

    def may(self, user: User, action: str) -> bool | Deny:
        """Whether ``user`` may do ``action``; a no may be a plugin's :class:`Deny`, which says why."""
        return is_system(user) or self._permit(user, action, None)

    def editable(self, user: User, customer: Customer) -> bool | Deny:
        """Whether ``user`` may change this customer: seeing a pool customer is not enough to
        change it (claim it first), and an observer (the executive) changes nothing."""
        return self.may(user, "edit_customer") and matches(self.owned_scope(user), customer)

    def require_edit(self, user: User, customer: Customer) -> None:
        """:class:`Forbidden` (with a plugin's reason) unless ``user`` may change ``customer``."""
        refuse_merged(customer)
        verdict = self.editable(user, customer)
        if not verdict:
            words = N_("%(user)s may not change customer %(id)s; claim it from the pool first") \
                if customer["owner"] is None else N_("%(user)s may not change customer %(id)s")
            raise denied(Words(words, user=user.get("username"), id=customer["id"]), verdict)

    def require_create(self, user: User) -> None:
        """:class:`Forbidden` (with a plugin's reason) unless ``user`` may create customers."""
        verdict = self.may(user, "edit_customer")
        if not verdict:
            raise denied(Words(N_("%(user)s may not create customers"), user=user.get("username")), verdict)

    # --- reading ------------------------------------------------------------------------

    def get(self, user: User, customer_id: int) -> Customer:
        """A customer the user may see; :class:`NotFound` both when absent and when hidden."""
        customer = self.store.get("customers", customer_id) if isinstance(customer_id, int) else None
        if customer is None or not matches(self.scope(user), customer):
            raise NotFound(_("customer %(id)s not found", id=customer_id))
        return customer

    def list(self, user: User, *, text: str | None = None, owner: str | None = None,
             pool: bool = False, team: str | None = None, after: int | None = None,
             limit: int = 50) -> list[Customer]:
        """A page of the customers the user may see, newest first, filtered in the store
        (``team``: the customers owned in that team, as the page's "team" filter asks; a
        released customer keeps its last team but is the pool's). Text no store keeps matches
        none (it is never sent to the store, which might refuse it rather than answer)."""
        if not searchable(text, owner, team):
            return []
        where = all_of(self.scope(user), NOT_MERGED,
                       Contains(SEARCH, fold(text)) if text else None,
                       Eq("owner", owner) if owner else None,
                       all_of(Eq("team", team), Not(Eq("owner", None))) if team else None,
                       Eq("owner", None) if pool else None)
        return self.store.find("customers", where, after=after, limit=limit, descending=True)

    def history(self, user: User, customer_id: int) -> list[dict]:
        """The customer's events, oldest first, with those of the customers merged into it."""
        customer = self.get(user, customer_id)
        ids = (customer_id, *customer.get("merged_from", ()))
        return self.store.find("customer_events", In("customer_id", ids))

    def display_name(self, username: str | None) -> str | None:
        if username is None:
            return None
        found = find_user(self.store, username) or {}
        return found.get("display_name") or username

    # --- writing ------------------------------------------------------------------------

    def create(self, user: User, name: str, data: dict | None = None, *, owner: str | None = CREATOR,
               also: Callable[[Transaction, Customer], None] | None = None) -> Customer:
        """A new customer, after its name, data and match keys agree: owned by its creator, or
        by ``owner`` (``None``: the pool; the CLI's ``customers from-deals``). ``also`` writes
        more in the customer's transaction (the deals it links)."""
        prepared = self.prepare(user, name, data, owner=owner, check_keys=False)
        self.insert_new(user, [prepared], also=also)
        return prepared[0]

    def prepare(self, user: User, name: str, data: dict | None = None, *,
                owner: str | None = CREATOR, check_keys: bool = True,
                users: dict[str, User | None] | None = None) -> tuple[Customer, dict[str, str]]:
        """A new customer and its match keys, checked as :meth:`create` checks them (who may,
        the name and data, a duplicate of a stored customer) and not written yet: an import
        checks every row first, then writes them all with :meth:`insert_new`. ``check_keys``
        ``False`` leaves the duplicate check to :meth:`insert_new` alone (which always makes it,
        inside its transaction): a create asks the store once, not twice. ``users`` keeps the
        owners looked up (by name) across calls, so that an import reads each owner once."""
        self.require_create(user)
        data = merge_data({}, data)
        self._check(name, data)
        name = name.strip()
        keys = match_keys(self.types.customer, name, data)
        if check_keys:
            self._refuse_duplicate(user, keys, None)
        now = stamp(self.clock())
        owner = user["username"] if owner is CREATOR else owner
        users = {} if users is None else users
        if owner and owner not in users:
            users[owner] = find_user(self.store, owner)
        team = (users[owner] or {}).get("team") if owner else None
        customer: Customer = {
            "name": name, SEARCH: search_text([name]), "owner": owner, "team": team,
            "data": data, "version": 1, "created_at": now, "updated_at": now,
            "last_activity_at": now, "created_by": user["username"],
        }
        return customer, keys

    def insert_new(self, user: User, prepared: list[tuple[Customer, dict[str, str]]], *,
                   also: Callable[[Transaction, Customer], None] | None = None) -> None:
        """Write customers :meth:`prepare` checked, all in one transaction or none, each with its
        keys (checked again inside it, see :meth:`_unique`), event and audit row; ``also``
        writes more for each."""
        with self._unique(user, [keys for _, keys in prepared], None) as txn:
            for customer, keys in prepared:
                txn.insert("customers", customer)
                write_keys(txn, self.store, customer["id"], keys, new=True)
                self._log(txn, user, customer, "created", customer["created_at"],
                          diff({}, {"name": customer["name"], **customer["data"]}), "customer_created", {})
                if also is not None:
                    also(txn, customer)

    def update(self, user: User, customer_id: int, changes: dict | None, version: int | None,
               name: str | None = None) -> Customer:
        """Change a customer's data (merge patch) and name; checked like a new one."""
        customer = self.get(user, customer_id)
        self.require_edit(user, customer)
        self.expect_version(customer, version)
        data = merge_data(customer["data"], changes)
        new_name = customer["name"] if name is None else name
        self._check(new_name, data)
        new_name = new_name.strip()
        changed = diff(customer["data"], data)
        if new_name != customer["name"]:
            changed["name"] = [customer["name"], new_name]
        if not changed:
            return customer
        keys = match_keys(self.types.customer, new_name, data)
        now = stamp(self.clock())
        new = {**customer, "name": new_name, SEARCH: search_text([new_name]), "data": data,
               "version": customer["version"] + 1,
               "updated_at": now, "last_activity_at": now}
        with self._unique(user, [keys], customer["id"]) as txn:
            txn.replace("customers", new, expect_version=customer["version"])
            write_keys(txn, self.store, new["id"], keys)
            self._log(txn, user, new, "updated", now, changed, "customer_updated", customer)
        return new

    def change_owner(self, user: User, customer: Customer, owner: str | None, type_: str, *,
                     activity: bool = False, also: Callable[[Transaction], None] | None = None
                     ) -> Customer:
        """Give a customer to ``owner`` (``None``: the pool) with event ``type_`` (claimed,
        released, reclaimed); who gives one up is remembered for the pool's cool-down. Raises
        :class:`Conflict` when the customer changed since it was read."""
        refuse_merged(customer)
        now = stamp(self.clock())
        new = {**customer, "owner": owner, "version": customer["version"] + 1, "updated_at": now}
        if owner is not None:
            new["team"] = (find_user(self.store, owner) or {}).get("team")
        else:
            new["released_by"], new["released_at"] = customer["owner"], now
        if activity:
            new["last_activity_at"] = now
        with self.store.transaction() as txn:
            txn.replace("customers", new, expect_version=customer["version"])
            self._log(txn, user, new, type_, now, {"owner": [customer["owner"], owner]},
                      f"customer_{type_}", customer)
            if also is not None:
                also(txn)
        return new

    def touch(self, txn: Transaction, customer: Customer, at: str) -> Customer:
        """Count something done with the customer (a contact added) as activity, in ``txn``."""
        new = {**customer, "version": customer["version"] + 1, "last_activity_at": at}
        txn.replace("customers", new, expect_version=customer["version"])
        return new

    @staticmethod
    def expect_version(customer: Customer, version: int | None) -> None:
        """:class:`Conflict` unless ``version`` (``None``: any) is the customer's."""
        if version is not None and version != customer["version"]:
            raise Conflict("customers", customer["id"], version, customer["version"])

    # --- helpers ------------------------------------------------------------------------

    def _check(self, name: object, data: dict) -> None:
        problems = name_problems(name) + violations(self.types.customer.validator, data)
        if problems:
            raise ValidationFailed(problems)

    def _refuse_duplicate(self, user: User, keys: dict[str, str], exclude: int | None) -> None:
        """:class:`Duplicate` naming the customer that already holds one of ``keys``: its id and
        its owner's display name, which is all that a user who may not see it learns."""
        found = find_match(self.store, keys, exclude)
        if found is None:
            return
        key, existing = found
        other = self.store.get("customers", existing) or {}
        path = "/name" if key == "name" else f"/data/{key}"
        raise Duplicate(path, existing, self.display_name(other.get("owner")), key)

    @contextmanager
    def _unique(self, user: User, keys: list[dict[str, str]], exclude: int | None) -> Iterator[Transaction]:
        """The transaction writing customers' keys, checked inside it (the one check of a create
        or an update): the embedded store's writer lock then keeps any other write out between
        the check and the commit. On PostgreSQL another process may still commit the same key
        meanwhile; the unique index refuses the second, and this answers it with the same
        :class:`Duplicate`."""
        try:
            with self.store.transaction() as txn:
                for each in keys:
                    self._refuse_duplicate(user, each, exclude)
                yield txn
        except UniqueViolation:
            for each in keys:
                self._refuse_duplicate(user, each, exclude)
            raise

    def _log(self, txn: Transaction, user: User, customer: Customer, type_: str, at: str,
             changes: dict[str, list], action: str, before: Customer) -> None:
        """The event and the audit row of a write, in its transaction."""
        txn.insert("customer_events", {"customer_id": customer["id"], "type": type_, "at": at,
                                       "by": user["username"], "changes": changes})
        audited = {f"data.{k}": v for k, v in diff(before.get("data") or {}, customer["data"]).items()}
        audited.update(diff(before, customer, AUDITED))
        record(txn, audit_entry(user["username"], action, "customer", customer["id"], audited, at))


def link_deals(txn: Transaction, deals: list[dict], customer_id: int, at: str) -> None:
    """Point ``deals`` at a customer in ``txn`` (a merge, ``customers from-deals``): plain data,
    each deal's version raised so that a form still open on one answers 409 rather than writing
    the old link back; the deals' event log, which the analytics read, is left alone, and the
    customer's own event lists the deals."""
    for deal in deals:
        txn.replace("deals", {**deal, "customer_id": customer_id, "version": deal["version"] + 1,
                              "updated_at": at}, expect_version=deal["version"])


def link_problems(customers: Customers | None, user: User, customer_id: object,
                  path: str = "/customer_id", required: bool = False) -> list[Violation]:
    """What is wrong with a record naming a customer (a deal's ``customer_id``): it must be one
    the user may see, and one they may not is as unknown as one that does not exist. Without
    customers (an engine built alone) no customer can be named. ``required`` (a funnel's
    ``"customer": "required"``): naming none is wrong too."""
    if customer_id is None and required:
        return [Violation(path, "required", "This funnel requires a customer: name one you can see.")]
    try:
        if customer_id is None:
            return []
        if customers is not None:
            customer = customers.get(user, customer_id)  # type: ignore[arg-type]
            refuse_merged(customer, path)
            return []
    except NotFound:
        pass
    except ValidationFailed as merged:
        return merged.violations
    return [Violation(path, "unknown_customer", f"There is no customer {customer_id} you can see.")]

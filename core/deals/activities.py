"""Activities: the calls, visits and demos a rep logs on a deal and/or a customer (docs/activities.md).

An activity is ``{id, type, title, deal_id, customer_id, contact_ids, owner, status (planned|done),
due_at, done_at, duration_minutes, outcome, data, location, version, created_at, updated_at,
created_by, done_by}``, and once done on a deal the ``stage`` the deal was in then. It hangs on a deal, a customer or both, and is visible exactly when what
it hangs on is: every read passes the rows through one batched check against the deals' and the
customers' scopes (:meth:`Activities.visible`), so an activity of a deal one may not see is as
absent as the deal.

Logging a done activity is work on the deal: the deal's ``updated_at`` moves (the stale clock,
:mod:`.stale`) through :meth:`Engine.record_event`, with an ``activity_logged`` event whose
observers move the customer's ``last_activity_at`` (the pool's clock); an activity on a customer
alone touches the customer in its own transaction. An open deal carries ``next_activity_at``, the
due time of its earliest planned activity (``None``: no next step), kept in the same transaction
as every activity write, so that the board, the list and its filter read it from the deal.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..audit import audit_entry, diff, record
from ..clock import stamp
from ..errors import Forbidden, NotFound, ValidationFailed, Violation
from ..funnels.validation import merge_data
from ..people.users import find_user, is_active
from ..records.customers import link_problems
from ..store import Conflict, Transaction
from ..store.filters import Eq, In, all_of
from .activity_checks import (
    data_problems,
    done_problems,
    duration_problems,
    location_problems,
    outcome_problems,
    parse_time,
    title_problems,
    type_problems,
)

if TYPE_CHECKING:
    from .engine import Engine

User = dict[str, Any]
Activity = dict[str, Any]
PLANNED, DONE = "planned", "done"
STATUSES = (PLANNED, DONE)
#: How many contacts one activity may name.
MAX_CONTACTS = 20
#: The activity keys the audit log keeps, before → after (besides every data field).
AUDITED = ("type", "title", "deal_id", "customer_id", "contact_ids", "owner", "status", "due_at", "done_at",
           "duration_minutes", "outcome", "location")
#: What :meth:`Activities.change` may change (the type, deal and customer stay).
CHANGEABLE = ("title", "due_at", "duration_minutes", "outcome", "contact_ids", "location", "owner")


class Activities:
    """Logging, planning, changing and reading activities through the engine's visibility."""

    def __init__(self, engine: "Engine"):
        self.engine = engine
        self.store = engine.store

    @property
    def types(self):
        """The workspace's declared activity types (records/activity.json)."""
        return self.engine.customers.types.activity

    # --- reading ------------------------------------------------------------------------

    def visible(self, user: User, rows: list[Activity]) -> list[Activity]:
        """The rows whose deal and customer the user may see: two queries, each with the scope."""
        deal_ids = tuple({r["deal_id"] for r in rows if r.get("deal_id") is not None})
        customer_ids = tuple({r["customer_id"] for r in rows if r.get("customer_id") is not None})
        deals = {d["id"] for d in self.store.find(
            "deals", all_of(self.engine.scope(user), In("id", deal_ids)))} if deal_ids else set()
        customers = self.engine.customers
        seen = {c["id"] for c in self.store.find(
            "customers", all_of(customers.scope(user), In("id", customer_ids)))} if customer_ids else set()
        return [r for r in rows if (r.get("deal_id") is None or r["deal_id"] in deals)
                and (r.get("customer_id") is None or r["customer_id"] in seen)]

    def get(self, user: User, activity_id: int) -> Activity:
        found = self.store.get("activities", activity_id) if isinstance(activity_id, int) else None
        if found is None or not self.visible(user, [found]):
            raise NotFound(f"activity {activity_id} not found")
        return found

    def list(self, user: User, *, deal_id: int | None = None, customer_id: int | None = None,
             type_id: str | None = None, status: str | None = None) -> list[Activity]:
        """The activities of a deal or a customer one may see (404 when one may not see it), or
        without either the user's own; planned ones by due time first, then done ones newest first."""
        if deal_id is not None:
            self.engine.get(user, deal_id)
        if customer_id is not None:
            self.engine.customers.get(user, customer_id)
        where = all_of(Eq("deal_id", deal_id) if deal_id is not None else None,
                       Eq("customer_id", customer_id) if customer_id is not None else None,
                       Eq("owner", user["username"]) if deal_id is None and customer_id is None else None,
                       Eq("type", type_id) if type_id else None, Eq("status", status) if status else None)
        rows = self.visible(user, self.store.find("activities", where))
        planned = sorted((r for r in rows if r["status"] == PLANNED), key=lambda r: r["due_at"])
        done = sorted((r for r in rows if r["status"] == DONE), key=lambda r: r["done_at"], reverse=True)
        return planned + done

    def next_planned(self, user: User, deal: dict[str, Any]) -> Activity | None:
        """The deal's next planned activity (the earliest due), or ``None``."""
        rows = self.list(user, deal_id=deal["id"], status=PLANNED)
        return rows[0] if rows else None

    # --- writing ------------------------------------------------------------------------

    def create(self, user: User, type_id: object, *, deal_id: object = None, customer_id: object = None,
               contact_ids: object = (), owner: object = None, due_at: object = None,
               done_at: object = None, duration_minutes: object = None, outcome: object = None,
               data: dict | None = None, location: object = None, title: object = None) -> Activity:
        """A new activity, planned (``due_at``) or done (``done_at``), with its own ``title`` if
        given (blank: none); every problem is refused together and nothing is written."""
        deal, customer, problems = self._anchors(user, deal_id, customer_id)
        kind, found = type_problems(self.types, type_id)
        problems += found
        data = merge_data({}, data)
        if kind is not None:
            problems += data_problems(kind, data)
        due, found = parse_time(due_at, "/due_at")
        done, more = parse_time(done_at, "/done_at")
        now = self.engine.clock()
        problems += found + more + done_problems(done, now)
        if due_at is None and done_at is None:
            problems.append(Violation("/due_at", "required",
                                      "Give due_at for a planned activity, or done_at for a done one."))
        owner = user["username"] if owner is None else owner
        if owner != user["username"]:  # the writer sees what it hangs on already
            problems += self._owner_problems(owner, deal, customer)
        problems += (duration_problems(duration_minutes)
                     + outcome_problems(outcome) + location_problems(location) + title_problems(title)
                     + self._contact_problems(contact_ids, customer))
        if problems:
            raise ValidationFailed(problems)
        at = stamp(now)
        activity: Activity = {
            "type": kind.id, "title": _trimmed(title), "deal_id": deal["id"] if deal else None,
            "customer_id": customer["id"] if customer else None, "contact_ids": list(contact_ids or []),
            "owner": owner, "status": DONE if done else PLANNED, "due_at": stamp(due) if due else None,
            "done_at": stamp(done) if done else None, "duration_minutes": duration_minutes,
            "outcome": _trimmed(outcome), "data": data, "location": location, "version": 1,
            "created_at": at, "updated_at": at,
            "created_by": user["username"], "done_by": user["username"] if done else None,
        }
        self._write(user, None, activity, "activity_created", deal, customer)
        return activity

    def change(self, user: User, activity_id: int, version: int | None, changes: dict[str, Any],
               data: dict | None = None) -> Activity:
        """Change an activity's ``CHANGEABLE`` keys and its data (merge patch), its version checked."""
        activity, deal, customer = self._changeable(user, activity_id, version)
        new = {**activity, **{k: v for k, v in changes.items() if k in CHANGEABLE}}
        if "title" in changes:
            new["title"] = _trimmed(changes["title"])
        new["data"] = merge_data(activity["data"], data)
        problems = data_problems(self.types.get(activity["type"]), new["data"]) if self.types.get(
            activity["type"]) else []
        if "due_at" in changes:
            due, found = parse_time(changes["due_at"], "/due_at")
            problems += found
            new["due_at"] = stamp(due) if due else None
            if changes["due_at"] is None and activity["status"] == PLANNED:
                problems.append(Violation("/due_at", "required", "A planned activity has a due time."))
        if "owner" in changes and changes["owner"] != activity["owner"]:
            problems += self._owner_problems(changes["owner"], deal, customer)
        problems += (duration_problems(new["duration_minutes"]) + outcome_problems(new["outcome"])
                     + title_problems(new.get("title")) + location_problems(new["location"])
                     + self._contact_problems(new["contact_ids"], customer))
        if problems:
            raise ValidationFailed(problems)
        if not diff(activity, new, (*AUDITED, "data")):
            return activity
        return self._write(user, activity, new, "activity_changed", deal, customer)

    def complete(self, user: User, activity_id: int, version: int | None = None, *, done_at: object = None,
                 outcome: object = None, duration_minutes: object = None, data: dict | None = None) -> Activity:
        """Mark a planned activity done (now, or at ``done_at``), with what came of it."""
        activity, deal, customer = self._changeable(user, activity_id, version)
        if activity["status"] == DONE:
            raise ValidationFailed([Violation("/status", "done", "This activity is done already.")])
        now = self.engine.clock()
        done, problems = parse_time(done_at, "/done_at")
        done = done or now
        new = {**activity, "status": DONE, "done_at": stamp(done), "done_by": user["username"],
               "data": merge_data(activity["data"], data)}
        if outcome is not None:
            new["outcome"] = outcome.strip() if isinstance(outcome, str) else outcome
        if duration_minutes is not None:
            new["duration_minutes"] = duration_minutes
        kind = self.types.get(activity["type"])
        problems += (done_problems(done, now) + outcome_problems(new["outcome"])
                     + duration_problems(new["duration_minutes"]) + (data_problems(kind, new["data"]) if kind else []))
        if problems:
            raise ValidationFailed(problems)
        return self._write(user, activity, new, "activity_done", deal, customer)

    # --- helpers ------------------------------------------------------------------------

    def _anchors(self, user: User, deal_id: object, customer_id: object
                 ) -> tuple[dict | None, dict | None, list[Violation]]:
        """The deal and the customer an activity hangs on: at least one, each one the user may
        see (else unknown, as if absent) and change (else :class:`Forbidden`); a deal's
        activity is on the deal's customer."""
        if deal_id is None and customer_id is None:
            return None, None, [Violation("/deal_id", "required", "Log an activity on a deal, a customer or both.")]
        deal = None
        if deal_id is not None:
            try:
                deal = self.engine.get(user, deal_id)  # type: ignore[arg-type]
            except NotFound:
                return None, None, [Violation("/deal_id", "unknown_deal", f"There is no deal {deal_id} you can see.")]
            self.engine.require(user, "edit", deal)
            if customer_id is None:
                customer_id = deal.get("customer_id")
            elif customer_id != deal.get("customer_id"):
                return deal, None, [Violation("/customer_id", "not_the_deal_s",
                                              "The customer must be the deal's own customer.")]
        problems = link_problems(self.engine.customers, user, customer_id)
        if problems or customer_id is None:
            return deal, None, problems
        customer = self.engine.customers.get(user, customer_id)  # type: ignore[arg-type]
        if deal is None:
            self.engine.customers.require_edit(user, customer)
        return deal, customer, []

    def _owner_problems(self, owner: object, deal: dict | None, customer: dict | None) -> list[Violation]:
        """The owner is an active user who can see what the activity hangs on."""
        person = find_user(self.store, owner) if isinstance(owner, str) and owner else None
        if person is None or not is_active(person):
            return [Violation("/owner", "unknown_user", f"There is no active user “{owner}”.")]
        anchors = [{"deal_id": deal["id"] if deal else None, "customer_id": customer["id"] if customer else None}]
        if not self.visible(person, anchors):
            return [Violation("/owner", "cannot_see", f"“{owner}” cannot see what this activity is about.")]
        return []

    def _contact_problems(self, contact_ids: object, customer: dict | None) -> list[Violation]:
        """Each contact is one of the activity's customer's."""
        if contact_ids in (None, ()):
            return []
        if not isinstance(contact_ids, list) or len(contact_ids) > MAX_CONTACTS:
            return [Violation("/contact_ids", "type", f"Name at most {MAX_CONTACTS} contacts by id.")]
        found = []
        for i, contact_id in enumerate(contact_ids):
            contact = self.store.get("contacts", contact_id) if type(contact_id) is int else None
            if contact is None or customer is None or contact["customer_id"] != customer["id"]:
                found.append(Violation(f"/contact_ids/{i}", "unknown_contact",
                                       f"Contact {contact_id} is not a contact of this activity's customer."))
        return found

    def _changeable(self, user: User, activity_id: int, version: int | None) -> tuple[Activity, Any, Any]:
        activity = self.get(user, activity_id)
        deal = self.engine.get(user, activity["deal_id"]) if activity["deal_id"] is not None else None
        customer = (self.engine.customers.get(user, activity["customer_id"])
                    if activity["customer_id"] is not None else None)
        if activity["owner"] != user["username"]:
            if deal is not None:
                self.engine.require(user, "edit", deal)
            elif not self.engine.customers.editable(user, customer):
                raise Forbidden(f"{user.get('username')} may not change activity {activity_id}")
        if version is not None and version != activity["version"]:
            raise Conflict("activities", activity_id, version, activity["version"])
        return activity, deal, customer

    def _write(self, user: User, before: Activity | None, activity: Activity, action: str,
               deal: dict | None, customer: dict | None) -> Activity:
        """Write the activity, its audit row and the deal's next step in one transaction; a
        newly done one is the deal's (or else the customer's) activity."""
        now = stamp(self.engine.clock())
        if before is not None:
            activity = {**activity, "version": before["version"] + 1, "updated_at": now}
        done_now = activity["status"] == DONE and (before is None or before["status"] != DONE)
        if done_now and deal is not None:  # the analytics count it in the stage it was done in
            activity["stage"] = deal["stage"]
        changes = diff(before or {}, activity, AUDITED)
        changes.update({f"data.{k}": v for k, v in diff((before or {}).get("data") or {}, activity["data"]).items()})

        def writes(txn: Transaction) -> None:
            if before is None:
                txn.insert("activities", activity)
            else:
                txn.replace("activities", activity, expect_version=before["version"])
            record(txn, audit_entry(user["username"], action, "activity", activity["id"], changes, now))
            if deal is None and customer is not None and done_now:
                self.engine.customers.touch(txn, customer, now)

        if deal is None:
            with self.store.transaction() as txn:
                writes(txn)
            return activity
        follows = {**deal, "next_activity_at": self._next_due(deal["id"], activity)}
        if done_now:
            event = {"type": "activity_logged", "at": now, "note": activity["outcome"],
                     "activity_type": activity["type"]}
            self.engine.record_event(follows, event, also=writes, activity=True, user=user)
        else:
            def also(txn: Transaction) -> None:
                writes(txn)
                if follows["next_activity_at"] != deal.get("next_activity_at"):
                    txn.replace("deals", {**follows, "version": deal["version"] + 1},
                                expect_version=deal["version"])
            with self.store.transaction() as txn:
                also(txn)
        return activity

    def _next_due(self, deal_id: int, changed: Activity) -> str | None:
        """The earliest due time of the deal's planned activities once ``changed`` is written."""
        rows = [r for r in self.store.find("activities", all_of(Eq("deal_id", deal_id), Eq("status", PLANNED)))
                if r.get("id") != changed.get("id")]
        if changed["status"] == PLANNED and changed["due_at"]:
            rows.append(changed)
        return min((r["due_at"] for r in rows if r["due_at"]), default=None)


def _trimmed(text: object) -> object:
    """Typed text without its surrounding blanks, ``None`` when nothing is left; anything else
    as given (the checks refuse it)."""
    if not isinstance(text, str):
        return text
    return text.strip() or None

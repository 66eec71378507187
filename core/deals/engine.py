"""The engine: every change to a deal goes through here (docs/architecture.md, "How a request crosses the parts").

Flask-free and I/O-free apart from the store it is given. A change is computed and checked
first, outside any lock; only when nothing objects is it written, in one transaction that also
checks the deal's version, so a concurrent writer turns into a clean :class:`Conflict`.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

import pluggy

from ..audit import audit_entry
from ..clock import Clock, stamp, utc_now
from ..errors import Deny, NotFound, ValidationFailed, Violation
from ..funnels.model import LOST, OPEN, WON, Funnel, Stage
from ..funnels.registry import FunnelRegistry
from ..funnels.transitions import not_applicable, reopen_violations, unknown_stage
from ..funnels.validation import merge_data, violations
from ..locales import N_, Words
from ..locales import say as _  # the catalogs' keyword: `make messages` extracts what it says
from ..people.permissions import SYSTEM, is_system, refusal
from ..people.teams import UNCHANGED
from ..people.users import unknown_user
from ..plugin_manager import call_each_plugin
from ..records.customers import Customers, link_problems
from ..store import Conflict, Store, Transaction
from ..store.filters import Eq, Everything, Filter, Nothing, all_of, matches
from ..workdays import WEEKDAYS, Workdays
from .activity_gates import activity_violations
from .bypass import bypass_records, set_aside
from .checks import (
    check_move,
    gate_violations,
    held_gate_violations,
    text_violations,
    title_violations,
    undeclared_violations,
)
from .listing import Criteria, criteria_filter, readable
from .outbox import MAX_DEPTH, rows_for

log = logging.getLogger(__name__)

User = dict[str, Any]
Deal = dict[str, Any]



def diff_data(before: dict, after: dict) -> dict[str, list]:
    """Field → ``[before, after]`` for every field that differs (``None`` for absent)."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


class Engine:
    """Create, read, update and move deals for a user, against one store and its funnels.

    ``scope(user)`` is the filter of the deals a user may see, AND-ed into every query;
    ``permit(user, action, deal)`` says whether they may do ``action`` (``create``, ``edit``,
    ``move``, ``reassign``, ``reopen``, …). :func:`goldsieve.runtime.open_runtime` wires both to
    the permissions hooks; an engine built without them lets everyone see and do everything.
    """

    def __init__(
        self,
        store: Store,
        funnels: FunnelRegistry,
        plugins: pluggy.PluginManager,
        clock: Clock = utc_now,
        scope: Callable[[User], Filter] | None = None,
        permit: Callable[[User, str, Deal | None], bool] | None = None,
    ):
        self.store, self.funnels, self.plugins, self.hook, self.clock = store, funnels, plugins, plugins.hook, clock
        self._scope = scope or (lambda user: Everything())
        self._permit = permit or (lambda user, action, deal: True)
        #: called after a commit that wrote outbox rows, to wake the delivery thread
        self.on_outbox: Callable[[], None] = lambda: None
        #: set by the runtime: the customers a deal's ``customer_id`` may name (those its user may
        #: see; without it a deal names no customer), the business days the stale rule counts
        self.customers: Customers | None = None
        self.workdays: Workdays = WEEKDAYS  # the workspace's [calendar]

    # --- reading ------------------------------------------------------------------------

    def scope(self, user: User) -> Filter:
        """The filter of the deals this user may see; every query of deals is AND-ed with it.

        Automation acts as :data:`goldsieve.automation.actions.SYSTEM`, which sees and may do everything:
        it only carries out what the funnel's rules declare.
        """
        return Everything() if is_system(user) else self._scope(user)

    def may(self, user: User, action: str, deal: Deal | None = None) -> bool | Deny:
        """Whether the user may do ``action`` (to ``deal``, which they can see); a no may be a
        plugin's :class:`~goldsieve.errors.Deny`, which says why."""
        return is_system(user) or self._permit(user, action, deal)

    def can_see(self, user: User, deal: Deal) -> bool:
        """Whether ``user`` may see this (stored) deal."""
        return matches(self.scope(user), deal)

    def require(self, user: User, action: str, deal: Deal | None = None) -> None:
        """:class:`Forbidden` unless the user may do ``action``."""
        verdict = self.may(user, action, deal)
        if not verdict:
            known = deal is not None and deal.get("id") is not None
            what = Words(N_("deal %(id)s"), id=deal["id"]) if known else Words(N_("deals"))
            raise refusal(user, action, what, verdict)

    def get(self, user: User, deal_id: int) -> Deal:
        """A deal the user may see; :class:`NotFound` both when absent and when hidden."""
        deal = self.store.get("deals", deal_id) if isinstance(deal_id, int) else None
        # one row by primary key: evaluating the scope on it equals filtering in the query
        if deal is None or not self.can_see(user, deal):
            raise NotFound(_("deal %(id)s not found", id=deal_id))
        return readable(deal)

    def list(
        self,
        user: User,
        *,
        funnel: str | None = None,
        stage: str | None = None,
        owner: str | None = None,
        status: str | None = None,
        text: str | None = None,
        after: int | None = None,
        limit: int = 50,
    ) -> list[Deal]:
        """A page of the deals the user may see, newest first, filtered in the store
        (:func:`.listing.criteria_filter`; ``text``: in the title). Text no store keeps matches
        no deal: it is never sent to the store, which might refuse it rather than answer."""
        where = all_of(self.scope(user), criteria_filter(Criteria(
            funnel=funnel, stages=(stage,) if stage else (), owner=owner, status=status, title=text)))
        if isinstance(where, Nothing):
            return []
        return [readable(d) for d in self.store.find("deals", where, after=after, limit=limit, descending=True)]

    def history(self, user: User, deal_id: int) -> list[dict]:
        """The deal's events, oldest first."""
        self.get(user, deal_id)
        return self.store.find("events", Eq("deal_id", deal_id))

    def funnel_of(self, deal: Deal) -> Funnel:
        return self.funnels.get(deal["funnel"], deal["funnel_version"])

    # --- writing ------------------------------------------------------------------------

    def create(
        self,
        user: User,
        funnel_id: str,
        title: str,
        data: dict | None = None,
        owner: str | None = None,
        customer_id: int | None = None,
    ) -> Deal:
        """A new deal in the first stage on its path, after that stage's gate agrees."""
        deal = self.prepare(user, funnel_id, title, data, owner, customer_id=customer_id)
        self.insert_new(user, [deal])
        return deal

    def prepare(
        self,
        user: User,
        funnel_id: str,
        title: str,
        data: dict | None = None,
        owner: str | None = None,
        by_rule: bool = False,
        customer_id: int | None = None,
    ) -> Deal:
        """Check a new deal and return it unsaved; :class:`ValidationFailed` lists every problem.

        Split from :meth:`insert_new` so an import can check every row before writing any.
        ``by_rule``: lead intake, whose owner the funnel's assignment rule chooses (the creator
        needs no ``reassign`` permission to give it to them) and which needs no customer yet.
        """
        funnel = self.funnels.get(funnel_id)
        data = merge_data({}, data)
        owner = owner or user["username"]
        first = funnel.path(data)[0]
        now = stamp(self.clock())
        deal: Deal = {
            "funnel": funnel.id, "funnel_version": funnel.version, "title": title,
            "stage": first.id, "status": OPEN, "owner": owner, "data": data, "version": 1,
            "created_at": now, "updated_at": now, "stage_entered_at": now,
            "lost_reason": None, "created_by": user["username"], "stale_since": None,
            "customer_id": customer_id,
        }
        # who may is settled before what is wrong: a refusal says nothing about the data
        self.require(user, "create", deal)
        if owner != user["username"] and not by_rule:
            self.require(user, "reassign", deal)
        problems = title_violations(title) + link_problems(
            self.customers, user, customer_id, required=funnel.customer_required and not by_rule)
        problems += violations(funnel.fields_validator, data) + undeclared_violations(funnel, {}, data)
        if owner != user["username"] and not self._user_exists(owner):
            problems.append(unknown_user("/owner", owner))
        if not problems:
            problems += gate_violations(self.plugins, funnel, {**deal, "stage": None}, first, user)
        if problems:
            raise ValidationFailed(problems)
        return deal

    def insert_new(self, user: User, deals: list[Deal]) -> None:
        """Write prepared deals and their ``created`` events in one transaction, each table's
        rows together (an import: a few statements per thousand deals on a server, not four a deal)."""
        with self.store.transaction() as txn:
            txn.insert_all([("deals", self.funnel_of(deal).with_search(deal)) for deal in deals])
            events = [self.new_event(deal, user, "created", deal["created_at"], to_stage=deal["stage"],
                                     changes=diff_data({}, deal["data"])) for deal in deals]
            txn.insert_all([("events", event) for event in events]
                           + [("audit", self._audit(user, "deal_created", {}, deal)) for deal in deals])
            owed = [row for deal, event in zip(deals, events) for row in rows_for(self.funnel_of(deal), deal, [event])]
            txn.insert_all([("outbox", row) for row in owed])
        if owed:
            self.on_outbox()
        for deal, event in zip(deals, events):
            self.observe([event], deal, self.funnel_of(deal))

    def update(self, user: User, deal_id: int, changes: dict, version: int | None = None,
               title: str | None = None, cause: dict | None = None,
               customer_id: int | None = UNCHANGED, bypass_gate: str | None = None,
               check_only: bool = False) -> Deal:
        """Change a deal's fields (and title, and customer: ``None`` unlinks it); the result
        must satisfy the funnel's ``fields``, and still the gates of the deal's stage
        (:func:`.checks.held_gate_violations`) unless ``bypass_gate`` gives a reason, as for a move.
        ``check_only``: raise what would refuse the change, write nothing (a bulk change that
        is all or nothing checks every deal first)."""
        deal = self._current(user, deal_id, version, "edit")
        if bypass_gate is not None:
            self.require(user, "bypass_gate", deal)  # who may, before what is wrong
        funnel = self.funnel_of(deal)
        data = merge_data(deal["data"], changes)
        problems = violations(funnel.fields_validator, data) + undeclared_violations(funnel, deal["data"], data)
        if title is not None:
            problems += title_violations(title)
        customer = deal.get("customer_id") if customer_id is UNCHANGED else customer_id
        if customer != deal.get("customer_id"):
            problems += link_problems(self.customers, user, customer, required=funnel.customer_required)
        held = [] if problems else held_gate_violations(self.plugins, user, deal, funnel, data)
        problems, bypassed = set_aside(bypass_gate, problems, held)
        if problems:
            raise ValidationFailed(problems)
        if check_only:
            return deal
        changed = diff_data(deal["data"], data)
        if title is not None and title != deal["title"]:
            changed["title"] = [deal["title"], title]
        if customer != deal.get("customer_id"):
            changed["customer_id"] = [deal.get("customer_id"), customer]
        if not changed:
            return deal
        now = stamp(self.clock())
        new = {**deal, "data": data, "title": title or deal["title"], "customer_id": customer,
               "version": deal["version"] + 1, "updated_at": now, "stale_since": None}
        events = [self.new_event(new, user, "updated", now, changes=changed)]
        bypass, audited = bypass_records(deal["stage"], deal["stage"], bypass_gate, bypassed)
        if bypass is not None:
            events.append(self.new_event(new, user, "edit_bypassed", now, **bypass))
        self._write(new, deal["version"], events,
                    self._audit(user, "deal_updated", deal, new, **audited), cause)
        self.observe(events, new, funnel)
        return new

    def move(
        self,
        user: User,
        deal_id: int,
        to: str,
        changes: dict | None = None,
        version: int | None = None,
        lost_reason: str | None = None,
        note: str | None = None,
        bypass_gate: str | None = None,
        check_only: bool = False,
    ) -> Deal:
        """Move a deal to a stage, applying ``changes`` first; all-or-nothing.

        Every objection — unknown stage, the funnel's transition rules, invalid data, each gate,
        a missing lost reason — is collected and raised together, and nothing is written. A reason
        in ``bypass_gate`` (its permission needed) records the gates' objections instead (:mod:`.bypass`).
        ``check_only``: raise the objections, write nothing (as for :meth:`update`).
        """
        deal = self._current(user, deal_id, version, "move")
        if bypass_gate is not None:
            self.require(user, "bypass_gate", deal)  # who may, before what is wrong
        funnel = self.funnel_of(deal)
        target = funnel.stage(to) if isinstance(to, str) else None
        data = merge_data(deal["data"], changes)
        if target is None:
            raise ValidationFailed([unknown_stage(to), *violations(funnel.fields_validator, data)])
        refusing, gates = self.check_move(user, deal, funnel, target, data, lost_reason)
        refusing += undeclared_violations(funnel, deal["data"], data) + text_violations(note, "/note")
        problems, bypassed = set_aside(bypass_gate, refusing, gates)
        if problems:
            raise ValidationFailed(problems)
        if check_only:
            return deal

        now = stamp(self.clock())
        new = {
            **deal, "data": data, "stage": target.id, "status": target.kind,
            "version": deal["version"] + 1, "updated_at": now, "stage_entered_at": now,
            "lost_reason": lost_reason if target.kind == LOST else None, "stale_since": None,
        }
        if target.kind in (WON, LOST):
            new["closed_from"] = deal["stage"]
        events = []
        changed = diff_data(deal["data"], data)
        if changed:
            events.append(self.new_event(new, user, "updated", now, changes=changed))
        bypass, audited = bypass_records(deal["stage"], target.id, bypass_gate, bypassed)
        if bypass is not None:
            events.append(self.new_event(new, user, "gate_bypassed", now, **bypass))
        events.append(self.new_event(
            new, user, "stage_changed", now, from_stage=deal["stage"], to_stage=target.id,
            lost_reason=new["lost_reason"], note=note or None,
        ))
        self._write(new, deal["version"], events, self._audit(user, "deal_moved", deal, new, **audited))
        self.observe(events, new, funnel)
        return new

    def check_move(self, user: User, deal: Deal, funnel: Funnel, target: Stage, data: dict,
                   lost_reason: str | None = None) -> tuple[list[Violation], list[Violation]]:
        """What would stop ``deal`` from entering ``target`` (:func:`.checks.check_move`); the move
        form asks it for exactly the fields still missing, so form and move never disagree.
        The activities a stage requires (:mod:`.activity_gates`) are gates too."""
        refusing, gates = check_move(self.plugins, user, deal, funnel, target, data, lost_reason)
        more = [] if any(p.path == "/to" for p in refusing) else activity_violations(
            self.store, funnel, deal, target, data)
        return refusing, gates + more

    def win(self, user: User, deal_id: int, **kwargs: Any) -> Deal:
        deal = self.get(user, deal_id)
        return self.move(user, deal_id, self.funnel_of(deal).won_stage.id, **kwargs)

    def lose(self, user: User, deal_id: int, lost_reason: str | None, **kwargs: Any) -> Deal:
        deal = self.get(user, deal_id)
        return self.move(user, deal_id, self.funnel_of(deal).lost_stage.id,
                         lost_reason=lost_reason, **kwargs)

    def reopen(self, user: User, deal_id: int, to: str | None = None,
               version: int | None = None) -> Deal:
        """Bring a won or lost deal back into an open stage (by default the one it closed from)."""
        deal = self._current(user, deal_id, version, "reopen")
        funnel = self.funnel_of(deal)
        to = to or deal.get("closed_from") or funnel.first_stage.id
        target = funnel.stage(to)
        if target is None:
            raise ValidationFailed([unknown_stage(to)])
        problems = reopen_violations(funnel, deal, target)
        if not problems:
            # a reopened deal enters its stage like any other: on its path, through its gates
            if target not in funnel.path(deal["data"]):
                problems.append(not_applicable(target))
            else:
                problems += gate_violations(self.plugins, funnel, deal, target, user)
        if problems:
            raise ValidationFailed(problems)
        now = stamp(self.clock())
        new = {**deal, "stage": target.id, "status": OPEN, "lost_reason": None, "stale_since": None,
               "version": deal["version"] + 1, "updated_at": now, "stage_entered_at": now}
        new.pop("closed_from", None)
        event = self.new_event(new, user, "reopened", now, from_stage=deal["stage"], to_stage=target.id)
        self._write(new, deal["version"], [event], self._audit(user, "deal_reopened", deal, new))
        self.observe([event], new, funnel)
        return new

    def add_note(self, user: User, deal_id: int, text: str) -> dict:
        """Append a note to the deal's history; notes count as activity (and need ``edit``)."""
        deal = self.get(user, deal_id)
        self.require(user, "edit", deal)
        if not isinstance(text, str) or not text.strip():
            raise ValidationFailed([Violation.of("/text", "required", N_("A note needs some text."))])
        unstorable = text_violations(text, "/text")
        if unstorable:
            raise ValidationFailed(unstorable)
        now = stamp(self.clock())
        new = {**deal, "version": deal["version"] + 1, "updated_at": now, "stale_since": None}
        event = self.new_event(new, user, "note_added", now, note=text.strip())
        self._write(new, deal["version"], [event],
                    self._audit(user, "deal_note_added", deal, new, note=[None, text.strip()]))
        self.observe([event], new, self.funnel_of(deal))
        return event

    def assign(self, user: User, deal_id: int, owner: str, cause: dict | None = None,
               version: int | None = None, also: Callable[[Transaction], None] | None = None) -> Deal:
        """Give a deal to another owner (``reassign``); the owner must be a user (:mod:`.reassign`
        checks a person's request first; ``also``: writes of its own, the new owner's notice)."""
        deal = self._current(user, deal_id, version, "reassign")
        if not self._user_exists(owner):
            raise ValidationFailed([unknown_user("/owner", owner)])
        if owner == deal["owner"]:
            return deal
        now = stamp(self.clock())
        new = {**deal, "owner": owner, "version": deal["version"] + 1, "updated_at": now,
               "stale_since": None}
        event = self.new_event(new, user, "owner_changed", now, changes={"owner": [deal["owner"], owner]})
        self._write(new, deal["version"], [event], self._audit(user, "deal_reassigned", deal, new), cause, also)
        self.observe([event], new, self.funnel_of(deal))
        return new

    def hand_off(self, user: User, deal_id: int, to: str, cause: dict | None = None) -> Deal:
        """Hand a deal over to an after-sales user: ``handed_to`` makes it visible to them.

        The sales owner keeps the deal; the default permissions plugin lets after-sales users
        see the deals handed to them.
        """
        deal = self._current(user, deal_id, None, "reassign")
        if not self._user_exists(to):
            raise ValidationFailed([unknown_user("/to", to)])
        if deal.get("handed_to") == to:
            return deal
        now = stamp(self.clock())
        new = {**deal, "handed_to": to, "version": deal["version"] + 1, "updated_at": now}
        event = self.new_event(new, user, "handed_off", now, changes={"handed_to": [deal.get("handed_to"), to]})
        self._write(new, deal["version"], [event], self._audit(user, "deal_handed_off", deal, new), cause)
        self.observe([event], new, self.funnel_of(deal))
        return new

    def mark_stale(self, deal: Deal, since: str) -> Deal:
        """Mark an open deal stale (once per idle episode) and fire its stage's ``stale`` rules.

        Not an activity: ``updated_at`` stays, so the idle time keeps counting; the next
        activity clears the mark. Raises :class:`Conflict` when the deal changed meanwhile.
        """
        new = {**deal, "stale_since": since, "version": deal["version"] + 1}
        event = self.new_event(new, SYSTEM, "stale", since, to_stage=deal["stage"])
        self._write(new, deal["version"], [event], None)
        self.observe([event], new, self.funnel_of(deal))
        return new

    def record_event(self, deal: Deal, event: dict, also: Callable[[Transaction], None] | None = None,
                     activity: bool = False, user: User = SYSTEM) -> Deal:
        """Append an event about a deal (a task's), with the caller's writes and the rules it fires.

        With ``activity`` the deal counts as worked on: ``updated_at`` moves, the stale mark
        goes. Raises :class:`Conflict` when the deal changed meanwhile.
        """
        full = self.new_event(deal, user, event.pop("type"), event.pop("at"), **event)
        new = deal
        if activity:
            new = {**deal, "version": deal["version"] + 1, "updated_at": full["at"], "stale_since": None}
        self._write(new, deal["version"] if activity else None, [full], None, also=also)
        self.observe([full], new, self.funnel_of(deal))
        return new

    # --- helpers ------------------------------------------------------------------------

    def _current(self, user: User, deal_id: int, version: int | None, action: str) -> Deal:
        """The deal to change: visible (else 404), permitted (else 403), at ``version`` (409)."""
        deal = self.get(user, deal_id)
        self.require(user, action, deal)
        self.expect_version(deal, version)
        return deal

    @staticmethod
    def expect_version(deal: Deal, version: int | None) -> None:
        """Raise :class:`Conflict` unless ``version`` (``None``: any) is the deal's: a change
        made from what someone read before another change is refused, never applied over it.
        Pages ask it first, so that a stale form says so before it lists its other problems."""
        if version is not None and version != deal["version"]:
            raise Conflict("deals", deal["id"], version, deal["version"])

    def _write(self, deal: Deal, expected_version: int | None, events: list[dict], audit: dict | None,
               cause: dict | None = None, also: Callable[[Transaction], None] | None = None) -> None:
        """Write the deal, its events, its audit row and the deliveries its rules owe: all in one
        transaction, or none.

        ``cause`` is the outbox row whose action makes this change: its events say so, and the
        rules it fires are one level deeper (see :data:`goldsieve.deals.outbox.MAX_DEPTH`). ``also``
        adds writes of the caller's (a task) to the same transaction. With ``expected_version``
        ``None`` the deal itself is not written (an event about it is).
        """
        depth = cause["depth"] + 1 if cause else 0
        if depth > MAX_DEPTH:
            log.warning("automation cascade on deal %s stopped at depth %s (rule %s)",
                        deal["id"], depth, cause and cause.get("rule"))
        with self.store.transaction() as txn:
            if expected_version is not None:
                txn.replace("deals", self.funnel_of(deal).with_search(deal), expect_version=expected_version)
            for event in events:
                event.update({"cause": cause["key"]} if cause else {})
            # one statement on a server: the events and the audit row, then the deliveries owed
            txn.insert_all([("events", e) for e in events] + [("audit", dict(a)) for a in [audit] if a])
            if also is not None:
                also(txn)
            owed = rows_for(self.funnel_of(deal), deal, events, depth)
            txn.insert_all([("outbox", row) for row in owed])
        if owed:
            self.on_outbox()

    #: The deal keys whose before → after the audit log keeps (besides every data field).
    AUDITED = ("title", "stage", "status", "owner", "lost_reason", "customer_id")

    @classmethod
    def _audit(cls, user: User, action: str, before: Deal, after: Deal,
               **extra_changes: list) -> dict:
        """The audit row of a deal write: every changed data field (``data.<name>``) and the
        deal's own audited keys, before → after, stamped with the write's ``updated_at``."""
        changes = {f"data.{k}": v for k, v in
                   diff_data(before.get("data") or {}, after.get("data") or {}).items()}
        for key in cls.AUDITED:
            if before.get(key) != after.get(key):
                changes[key] = [before.get(key), after.get(key)]
        changes.update(extra_changes)
        return audit_entry(user["username"], action, "deal", after.get("id"), changes,
                           after["updated_at"])

    def new_event(self, deal: Deal, user: User, type_: str, at: str, **fields: Any) -> dict:
        """An event of ``deal`` in the shape every event has (docs/architecture.md, "An event")."""
        event = {
            "deal_id": deal.get("id"), "funnel": deal["funnel"],
            "funnel_version": deal["funnel_version"], "type": type_, "at": at,
            "by": user["username"], "from_stage": None, "to_stage": None,
            "lost_reason": None, "changes": {}, "note": None,
        }
        event.update(fields)
        return event

    def observe(self, events: list[dict], deal: Deal, funnel: Funnel) -> None:
        """Tell the ``goldsieve_deal_event`` observers about committed events.

        Each plugin's observer is called through pluggy on its own (:func:`call_each_plugin`),
        so one that raises is logged with its plugin's name, never undoes the write, and stops
        no other observer.
        """
        for event in events:
            failures = call_each_plugin(self.plugins, "goldsieve_deal_event",
                                        event=event, deal=deal, funnel=funnel)
            for plugin, error in failures:
                log.error("plugin %s failed observing %s", plugin, event["type"], exc_info=error)

    def _user_exists(self, username: str) -> bool:
        return self.store.count("users", Eq("username", username)) > 0

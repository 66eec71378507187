"""Who sees which deals and who may do what: the default permissions plugin.

**Visibility** (``goldsieve_visibility``) is decided per role, and each role's scope can be set
in the workspace's ``goldsieve.toml``::

    [visibility]
    rep = "team"        # reps see their whole team's deals

The scopes:

- ``own``: the deals the user owns;
- ``created``: the deals the user owns or created (``created_by``);
- ``handed``: the deals the user owns or that were handed over to them (``handed_to``, set by
  the ``handoff`` automation action);
- ``team``: the user's own deals and every deal owned by a member of their team, of a team they
  manage, or of any team below those (sub-teams at any depth);
- ``all``: every deal.

Defaults: admin and executive ``all``; manager ``team``; rep ``own``; marketing ``created`` —
the leads they entered, whichever stage they have reached since and whoever owns them now, plus
any deal they own (a lead they entered without naming an owner is theirs, and whoever owns a
deal must be able to see it). after_sales ``handed``: the deals handed over to them after the
sale, and any they own.

Every scope is a store filter (``Eq``/``In``/``Or`` on ``owner`` and ``created_by``), computed
from the ``users`` and ``teams`` tables when asked and run inside the store's query. A role this
plugin does not know gets no filter from it (no opinion), so such a user sees nothing unless
another plugin grants something. Filters of several plugins are AND-ed: another plugin can only
narrow these scopes; to widen them, block this plugin and register your own.

**Actions** (``goldsieve_permission``), on deals the user can see:

- ``create``, ``edit`` (fields, title, notes), ``move`` (closing as won or lost included):
  every role but executive. The executive is an observer: sees everything, changes nothing.
- ``edit_customer`` (creating customers, changing those one sees outside the pool, their
  contacts, claiming from the pool): every role but executive.
- ``reassign`` (giving a deal an owner other than oneself, handing it over to after-sales),
  ``reopen`` (a won or lost deal), ``merge_customer`` (merging a duplicate customer into
  another, both seen): manager and admin.
- ``intake`` (leads that get their owner from the funnel's assignment rule): marketing and admin.
- ``bypass_gate``, ``change_funnel``, ``manage_users``: admin.

This plugin only ever allows (``True``) or has no opinion (``None``); it never denies, so
another plugin may grant an action to more roles, and any plugin may veto one with ``False``.
"""
from __future__ import annotations

from typing import Any

from goldsieve import hookimpl
from goldsieve.people.teams import team_scope
from goldsieve.store import Store
from goldsieve.store.filters import Eq, Everything, Filter, In, any_of

DEFAULT_VISIBILITY = {
    "admin": "all", "executive": "all", "manager": "team", "rep": "own",
    "marketing": "created", "after_sales": "handed",
}

WRITERS = frozenset({"admin", "manager", "rep", "marketing", "after_sales"})
INTAKE = frozenset({"admin", "marketing"})
MANAGERS = frozenset({"admin", "manager"})
ADMINS = frozenset({"admin"})
#: action -> the roles allowed to do it
GRANTS = {
    "create": WRITERS, "edit": WRITERS, "move": WRITERS, "edit_customer": WRITERS,
    "reassign": MANAGERS, "reopen": MANAGERS, "merge_customer": MANAGERS,
    "intake": INTAKE, "bypass_gate": ADMINS, "change_funnel": ADMINS, "manage_users": ADMINS,
}


def scope_name(role: str | None, config: dict[str, Any]) -> str | None:
    """The role's scope: ``[visibility]`` in goldsieve.toml, else the default, else ``None``."""
    configured = config.get("visibility") or {}
    return configured.get(role) or DEFAULT_VISIBILITY.get(role)


@hookimpl
def goldsieve_visibility(user: dict[str, Any], config: dict[str, Any], store: Store) -> Filter | None:
    scope = scope_name(user.get("role"), config)
    me = user.get("username")
    if scope is None or not me:
        return None
    if scope == "all":
        return Everything()
    if scope == "own":
        return Eq("owner", me)
    if scope == "created":
        return any_of(Eq("owner", me), Eq("created_by", me))
    if scope == "handed":
        return any_of(Eq("owner", me), Eq("handed_to", me))
    if scope == "team":
        return In("owner", tuple(sorted(team_scope(store, user))))
    raise ValueError(f"unknown visibility scope {scope!r} for the role {user.get('role')!r}")


@hookimpl
def goldsieve_permission(user: dict[str, Any], action: str) -> bool | None:
    return True if user.get("role") in GRANTS.get(action, ()) else None

"""The built-in assignment rules (``goldsieve_assign_owner``), read from a funnel's ``assignment``::

    "assignment": {"rule": "round_robin", "team": "east"}
    "assignment": {"rule": "least_loaded", "team": "east"}
    "assignment": {"rule": "by_field", "field": "region",
                   "map": {"north": "team:north", "south": "user:li"}, "default": "team:east"}

The candidates are the members of ``team`` (with ``role``, when given; everyone with that role
when there is no team). ``round_robin`` takes them in turn: the n-th deal they hold goes to the
(n mod size)-th candidate, counted in the store, so it needs no state of its own and survives
restarts. ``least_loaded`` picks the candidate with the fewest open deals. ``by_field`` maps the
value of a data field to a user or a team (then round robin within it).

``key`` (internal: ``owner`` by default) is the deal key holding the person: the handoff action
uses ``handed_to``. A rule this plugin does not know gets no answer, so another plugin's
``goldsieve_assign_owner`` can add rules.
"""
from __future__ import annotations

from typing import Any

from goldsieve import hookimpl
from goldsieve.store import Store
from goldsieve.store.filters import Eq, In, all_of


def candidates(store: Store, team: str | None, role: str | None) -> list[str]:
    """The usernames a rule chooses from, sorted so every process agrees on the order."""
    where = all_of(Eq("team", team) if team else None, Eq("role", role) if role else None)
    if team is None and role is None:
        return []
    return sorted(u["username"] for u in store.find("users", where))


def round_robin(store: Store, names: list[str], key: str) -> str | None:
    if not names:
        return None
    held = store.count("deals", In(key, tuple(names)))
    return names[held % len(names)]


def least_loaded(store: Store, names: list[str], key: str) -> str | None:
    loads = {n: store.count("deals", all_of(Eq(key, n), Eq("status", "open"))) for n in names}
    return min(names, key=lambda n: (loads[n], n)) if names else None


def by_field(store: Store, deal: dict[str, Any], rule: dict[str, Any], key: str) -> str | None:
    value = (deal.get("data") or {}).get(rule.get("field", ""))
    target = (rule.get("map") or {}).get(str(value), rule.get("default"))
    if not isinstance(target, str):
        return None
    prefix, _, name = target.partition(":")
    if prefix == "user":
        return name if store.count("users", Eq("username", name)) else None
    if prefix == "team":
        return round_robin(store, candidates(store, name, rule.get("role")), key)
    return None


@hookimpl
def goldsieve_assign_owner(deal: dict[str, Any], funnel: Any, rule: dict[str, Any], store: Store) -> str | None:
    kind = rule.get("rule")
    key = rule.get("key", "owner")
    if kind == "by_field":
        return by_field(store, deal, rule, key)
    names = candidates(store, rule.get("team"), rule.get("role"))
    if kind == "round_robin":
        return round_robin(store, names, key)
    if kind == "least_loaded":
        return least_loaded(store, names, key)
    return None

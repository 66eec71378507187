"""Saved views of the deal list (docs/deal-list.md): a name for a list's query string, kept for
its owner alone or shared with the owner's team, and optionally pinned (the list shows pinned
views as tabs beside the funnels).

A view holds the query as written (``q=白云&status=open&sort=-data.amount``), checked by the
list's own reading (:func:`.listing.read_criteria`) when it is saved, so a saved view never
holds a filter the list would refuse; it is read again, and scoped again, every time it is
opened — a view shared with a team shows each member only the deals they may see. Only its
owner deletes a view. Saving and deleting are audited.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from ..audit import audit_entry, record
from ..clock import Clock, stamp
from ..errors import NotFound, ValidationFailed, Violation
from ..funnels.model import Funnel
from ..limits import storable_text
from ..store import Store
from ..store.filters import Eq, Filter, all_of, any_of
from . import listing

MAX_NAME = 100
MAX_QUERY = 2000
MAX_VIEWS = 50  # per owner


class QueryArgs:
    """A query string as :func:`.listing.read_criteria` reads one (``get``, ``getlist``, ``keys``)."""

    def __init__(self, query: str):
        self.pairs = parse_qsl(query, keep_blank_values=False)

    def get(self, key: str, default: Any = None) -> Any:
        return next((v for k, v in self.pairs if k == key), default)

    def getlist(self, key: str) -> list[str]:
        return [v for k, v in self.pairs if k == key]

    def keys(self) -> list[str]:
        return list(dict.fromkeys(k for k, _ in self.pairs))


def visible(user: dict) -> Filter:
    """The views ``user`` sees: their own, and those shared with their team."""
    team = user.get("team")
    mine = Eq("owner", user["username"])
    return any_of(mine, all_of(Eq("shared", True), Eq("team", team))) if team else mine


def views_for(store: Store, user: dict) -> list[dict]:
    """The views ``user`` sees, by name."""
    return sorted(store.find("saved_views", visible(user)), key=lambda v: (v["name"].casefold(), v["id"]))


def save(store: Store, clock: Clock, funnels: list[Funnel], user: dict, name: object, query: object,
         *, shared: bool = False, pinned: bool = False) -> dict:
    """Save the list's ``query`` as ``name``; :class:`ValidationFailed` names each problem."""
    problems = []
    if not isinstance(name, str) or not name.strip():
        problems.append(Violation("/name", "required", "Name the view."))
    elif len(name.strip()) > MAX_NAME or not storable_text(name):
        problems.append(Violation("/name", "maxLength", f"A view's name has at most {MAX_NAME} characters.",
                                  limit=MAX_NAME))
    if not isinstance(query, str) or len(query) > MAX_QUERY or not storable_text(query):
        problems.append(Violation("/query", "invalid", "Not a list's query."))
    else:
        try:
            listing.read_criteria(QueryArgs(query), funnels, cursor=False)
        except ValidationFailed as failed:
            problems += [Violation("/query" + v.path, v.code, v.message) for v in failed.violations]
    if shared and not user.get("team"):
        problems.append(Violation("/shared", "no_team", "You are in no team to share it with."))
    if store.count("saved_views", Eq("owner", user["username"])) >= MAX_VIEWS:
        problems.append(Violation("/name", "maxItems", f"At most {MAX_VIEWS} views each.", limit=MAX_VIEWS))
    if problems:
        raise ValidationFailed(problems)
    now = stamp(clock())
    view = {"name": str(name).strip(), "query": query, "owner": user["username"],
            "team": user.get("team") if shared else None, "shared": bool(shared), "pinned": bool(pinned),
            "created_at": now, "version": 1}
    with store.transaction() as txn:
        txn.insert("saved_views", view)
        record(txn, audit_entry(user["username"], "view_saved", "saved_view", view["id"],
                                {"name": [None, view["name"]], "query": [None, query]}, now))
    return view


def delete(store: Store, clock: Clock, user: dict, view_id: int) -> None:
    """Delete one of ``user``'s own views; :class:`NotFound` for any other."""
    view = store.get("saved_views", view_id) if isinstance(view_id, int) else None
    if view is None or view.get("owner") != user["username"]:
        raise NotFound(f"view {view_id} not found")
    now = stamp(clock())
    with store.transaction() as txn:
        txn.delete("saved_views", view_id)
        record(txn, audit_entry(user["username"], "view_deleted", "saved_view", view_id,
                                {"name": [view["name"], None]}, now))

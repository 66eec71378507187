"""Designer drafts, kept server-side in the store's ``funnel_drafts`` table.

A draft belongs to the person who started it, survives a restart and never runs: saving it goes
through :func:`goldsieve.funnels.migration.apply` like ``goldsieve funnel apply``, which then deletes it.
The draft is a scratch copy, so its edits are not audited; the apply that ships it is.
"""
from __future__ import annotations

import copy
from typing import Any

from ..errors import NotFound
from ..store import Eq, Store
from .model import Funnel

TABLE = "funnel_drafts"


def start(store: Store, username: str, definition: dict[str, Any], base: Funnel | None,
          source: str, at: str) -> dict[str, Any]:
    """A new draft of ``definition``; ``base`` is the applied version it will replace, if any."""
    draft = {
        "user": username, "funnel": definition["id"], "source": source, "updated_at": at,
        "definition": copy.deepcopy(definition), "map": {},
        "base_version": base.version if base else None,
        "base_stages": [s.id for s in base.stages] if base else [],
    }
    with store.transaction() as txn:
        txn.insert(TABLE, draft)
    return draft


def load(store: Store, draft_id: int, username: str) -> dict[str, Any]:
    """The user's draft; :class:`NotFound` for a missing one and for someone else's."""
    draft = store.get(TABLE, draft_id)
    if draft is None or draft["user"] != username:
        raise NotFound(f"draft {draft_id} not found")
    return draft


def mine(store: Store, username: str) -> list[dict[str, Any]]:
    """The user's open drafts."""
    return store.find(TABLE, Eq("user", username))


def save(store: Store, draft: dict[str, Any], at: str) -> None:
    with store.transaction() as txn:
        txn.replace(TABLE, {**draft, "updated_at": at})


def discard(store: Store, draft_id: int) -> None:
    with store.transaction() as txn:
        txn.delete(TABLE, draft_id)


def candidate(draft: dict[str, Any]) -> dict[str, Any]:
    """The definition the draft would apply: the next version, migrating along the draft's map."""
    definition = copy.deepcopy(draft["definition"])
    definition.pop("migration", None)
    if draft["base_version"] is None:
        return definition
    definition["version"] = draft["base_version"] + 1
    mapping = {old: new for old, new in draft["map"].items() if old != new}
    definition["migration"] = {"from_version": draft["base_version"],
                               **({"map": mapping} if mapping else {})}
    return definition

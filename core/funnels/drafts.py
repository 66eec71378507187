"""Designer drafts, kept server-side in the store's ``funnel_drafts`` table.

A draft belongs to the person who started it, survives a restart and never runs: saving it goes
through :func:`goldsieve.funnels.migration.apply` like ``goldsieve funnel apply``, which then deletes it.
The draft is a scratch copy, so its edits are not audited; the apply that ships it is.
"""
from __future__ import annotations

import copy
import json
from typing import Any

from ..errors import NotFound
from ..store import Eq, Store
from .check import Finding, check_definition, shape_findings
from .json_files import parse_json, unkeepable
from .edit import EditError
from .validation import N_
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


# --- what a draft starts from ---------------------------------------------------------------


def blank(funnel_id: str, title: str | dict[str, str], closing: dict[str, Any]) -> dict[str, Any]:
    """A funnel with nothing in it yet but its won and lost stages (``closing``: kind → title):
    the check then asks for an open stage, which is the consultant's first step anyway."""
    return {"id": funnel_id, "title": title, "version": 1,
            "fields": {"type": "object", "properties": {}},
            "stages": [{"id": kind, "title": closing[kind], "kind": kind} for kind in ("won", "lost")]}


def from_template(template: dict[str, Any], funnel_id: str, *, fields: bool = True,
                  lost_reasons: bool = True, automations: bool = True) -> dict[str, Any]:
    """A template under the funnel id ``funnel_id``, without the parts the consultant left out.

    Leaving out the fields also drops what only means something with them (gates, ``applies_when``,
    highlighting, form hints, automation conditions and ``set_field`` actions), so the draft does
    not start with errors about fields it never asked for.
    """
    definition = copy.deepcopy(template)
    definition["id"] = funnel_id
    definition.pop("migration", None)
    if not lost_reasons:
        definition.pop("lost_reasons", None)
    if not fields:
        definition["fields"] = {"type": "object", "properties": {}}
        for key in ("ui", "highlight"):
            definition.pop(key, None)
        for stage in definition["stages"]:
            stage.pop("gate", None)
            stage.pop("applies_when", None)
    kept = []
    offered = definition.pop("automations", [])
    for automation in offered if automations else []:
        if not fields:
            if automation["on"] == "field_changed":
                continue
            automation.pop("if", None)
            automation["do"] = [step for step in automation["do"] if step.get("action") != "set_field"]
        if automation["do"]:
            kept.append(automation)
    if kept:
        definition["automations"] = kept
    return definition


def read_definition(data: bytes) -> tuple[dict[str, Any] | None, list[Finding]]:
    """The bytes of a funnel file (uploaded, or written in the JSON tab) as a definition a draft
    can hold, with what is wrong with the file; ``None`` when it is not JSON, holds what neither
    store can keep (NUL, a lone surrogate, nesting past the limit) or has the wrong shape."""
    definition, found = parse_json(data)
    if definition is None or any(f.severity == "error" for f in found):
        return None, found
    unusable = unkeepable(definition)
    if unusable:
        return None, unusable
    shape = shape_findings(definition)
    if any(f.severity == "error" for f in shape):
        return None, found + shape
    return json.loads(json.dumps(definition)), found  # plain dicts, no parser bookkeeping


def read_upload(data: bytes) -> tuple[dict[str, Any] | None, list[Finding]]:
    """An uploaded funnel file as a definition to start a draft from, with the findings of
    ``goldsieve check`` on it; ``None`` when it has errors (then nothing may be kept)."""
    definition, found = read_definition(data)
    if definition is None:
        return None, found
    found += check_definition(definition)
    if any(f.severity == "error" for f in found):
        return None, found
    return definition, found


def replace(draft: dict[str, Any], definition: dict[str, Any]) -> None:
    """Put a definition written by hand (the JSON tab, from :func:`read_definition`) in the draft.

    For a draft of an applied funnel the id stays (deals refer to it), ``version`` and
    ``migration.from_version`` stay the draft's to fill in (:func:`candidate`), and
    ``migration.map`` becomes the draft's map. A new funnel's id follows the definition.
    """
    definition = copy.deepcopy(definition)
    if draft["base_version"] is not None:
        if definition["id"] != draft["funnel"]:
            raise EditError(N_("a funnel in use keeps its id “%(id)s”: deals refer to it"), at="id", id=draft["funnel"])
        migration = definition.pop("migration", None) or {}
        definition["version"] = draft["definition"]["version"]
        draft["map"] = dict(migration.get("map", {}))
    draft["definition"] = definition
    draft["funnel"] = definition["id"]


"""Every version of every funnel a workspace has run, kept in the store's ``funnel_versions``.

How files and stored versions relate (docs/funnels.md, "Versions"): a file in ``funnels/`` is the
*draft* of its funnel; the store holds the versions that deals run on. The first start of a
workspace records each file's version. After that a funnel changes only through
``goldsieve funnel apply`` (or the designer, which uses the same path): it records the new
version, moves the in-flight deals and rewrites the file. A file edited by hand without
``apply`` does not run; start-up logs that it differs from the applied version.

A stored version is never changed or deleted, so a deal's history stays readable with the stage
titles of the version it happened on.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Iterable

from ..store import Eq, Store
from ..store.base import Transaction
from .registry import FunnelRegistry

log = logging.getLogger(__name__)

TABLE = "funnel_versions"


def version_row(definition: dict[str, Any], by: str, at: str) -> dict[str, Any]:
    """The row that records one version: ``{funnel, version, definition, saved_at, saved_by}``."""
    return {"funnel": definition["id"], "version": definition.get("version", 1),
            "definition": definition, "saved_at": at, "saved_by": by}


def record(txn: Transaction, definition: dict[str, Any], by: str, at: str) -> int:
    """Record a version in the caller's transaction (it commits with the deals it moves)."""
    return txn.insert(TABLE, version_row(definition, by, at))


def load_stored(store: Store, registry: FunnelRegistry, after: int | None = None) -> int | None:
    """Add the stored versions with an id above ``after`` to ``registry``; the last id seen.

    Stored definitions were checked when they were applied, so they are not checked again.
    """
    last = after
    for row in store.find(TABLE, after=after):
        registry.add(row["definition"])
        last = row["id"]
    return last


def record_first_versions(store: Store, registry: FunnelRegistry,
                          drafts: Iterable[tuple[Path, dict[str, Any]]], at: str) -> None:
    """Record each draft whose funnel has no stored version yet (a workspace's first start);
    :meth:`Runtime.refresh_funnels` then loads them like any other stored version.

    A draft of a funnel that already has versions is left alone: it runs only once applied.
    When it differs from the newest applied version, a log line says how to apply it.
    """
    first: set[str] = set()
    with store.transaction() as txn:
        for path, definition in drafts:
            funnel_id = definition["id"]
            if funnel_id in first or not store.count(TABLE, Eq("funnel", funnel_id)):
                first.add(funnel_id)
                record(txn, definition, "workspace", at)
                continue
            applied = registry.get(funnel_id)
            if _canonical(applied.definition) != _canonical(definition):
                log.warning("%s differs from the applied version %s of funnel %s; it runs once "
                            "applied: goldsieve funnel plan %s, then goldsieve funnel apply %s",
                            path, applied.version, funnel_id, path, path)


def _canonical(definition: dict[str, Any]) -> str:
    return json.dumps(definition, sort_keys=True, ensure_ascii=False)

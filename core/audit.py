"""The audit log: who changed what, when, and each changed field's before and after.

Rows live in the store's ``audit`` table and are only ever inserted, inside the transaction of
the write they describe, so a write is never acknowledged without its audit row (and a refused
write, which never opens a transaction, leaves none). Nothing in goldsieve updates or deletes
an audit row. Secrets never reach it: fields such as password hashes, token digests and session
ids are redacted to ``"***"``.
"""
from __future__ import annotations

from typing import Any

from .clock import stamp, utc_now
from .store import Store
from .store.base import Transaction
from .store.filters import Eq, all_of

REDACTED = "***"
#: Field names whose values are never stored, before or after.
SECRET_FIELDS = frozenset({"password", "password_hash", "token", "digest", "session_id", "sid",
                           "secret"})


def _redact(field: str, pair: list) -> list:
    if field in SECRET_FIELDS or field.endswith(("_hash", "_digest", "_secret", "_token")):
        return [None if v is None else REDACTED for v in pair]
    return list(pair)


def audit_entry(actor: str | None, action: str, target_type: str, target_id: Any,
                changes: dict[str, list] | None = None, at: str | None = None,
                **extra: Any) -> dict[str, Any]:
    """An audit row: ``{at, by, action, target: {type, id}, changes: {field: [before, after]}}``.

    ``extra`` adds context such as ``client`` (the address of a failed login).
    """
    entry = {
        "at": at or stamp(utc_now()),
        "by": actor,
        "action": action,
        "target": {"type": target_type, "id": target_id},
        "changes": {field: _redact(field, pair) for field, pair in (changes or {}).items()},
    }
    entry.update(extra)
    return entry


def record(txn: Transaction, entry: dict[str, Any]) -> int:
    """Insert ``entry`` in the caller's transaction: it commits (or not) with the write."""
    return txn.insert("audit", dict(entry))


def append(store: Store, entry: dict[str, Any]) -> int:
    """Record an entry that has no other write to share a transaction with (a failed login)."""
    with store.transaction() as txn:
        return record(txn, entry)


def diff(before: dict[str, Any], after: dict[str, Any], fields: tuple[str, ...] | None = None
         ) -> dict[str, list]:
    """Field → ``[before, after]`` for the (given) fields that differ."""
    keys = fields or tuple(sorted(set(before) | set(after)))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def find_audit(store: Store, after: int | None = None, limit: int = 50, *,
               by: str | None = None, action: str | None = None,
               target_type: str | None = None) -> list[dict[str, Any]]:
    """A page of audit rows, newest first; ``after`` is the id of the last row already seen."""
    where = all_of(
        Eq("by", by) if by else None,
        Eq("action", action) if action else None,
        Eq("target.type", target_type) if target_type else None,
    )
    return store.find("audit", where, after=after, limit=limit, descending=True)

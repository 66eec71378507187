"""A private calendar address per user: ``/calendar/<key>.ics`` lists their tasks and planned
activities for a calendar app to subscribe to.

Calendar apps cannot log in or send a header, so the address itself is the credential. It opens
nothing else: the key is a ``tokens`` row of its own purpose, which the API refuses
(:func:`~goldsieve.people.users.user_for_token`), and the feed only reads. Like an API token it
is shown once and only its digest is stored; a new key replaces the old one (the old address
stops working), and whatever ends a user's tokens — a password change, a reset, deactivation —
ends it too.
"""
from __future__ import annotations

import secrets
from typing import Any

from ..audit import audit_entry, record
from ..clock import Clock, stamp, utc_now
from ..errors import ValidationFailed, Violation
from ..locales import N_
from ..store import Store
from ..store.filters import Eq, all_of
from .users import find_user, is_active, token_digest

#: What a calendar key starts with (an API token starts ``gs_``).
KEY_PREFIX = "gsc_"
PURPOSE = "calendar"
#: Longer than any key this module makes: a longer one is not looked up at all.
MAX_KEY = 64


def issue_calendar_key(store: Store, username: str, *, clock: Clock = utc_now) -> str:
    """A new calendar key for the user, replacing their previous one; shown once."""
    user = find_user(store, username)
    if user is None or not is_active(user):
        raise ValidationFailed([Violation.of("/username", "inactive", N_("The user “%(name)s” cannot sign in."),
                                             name=username)])
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    now = stamp(clock())
    old = store.find("tokens", all_of(Eq("username", username), Eq("purpose", PURPOSE)))
    with store.transaction() as txn:
        for row in old:
            txn.delete("tokens", row["id"])
        row_id = txn.insert("tokens", {"username": username, "digest": token_digest(key), "purpose": PURPOSE,
                                       "created_at": now, "expires_at": None})
        # the audit row names the keys by their row ids, never the key or its digest
        record(txn, audit_entry(username, "calendar_key_issued", "user", username,
                                {"calendar_key": [old[0]["id"] if old else None, row_id]}, now))
    return key


def user_for_calendar_key(store: Store, key: object) -> dict[str, Any] | None:
    """The active user whose current calendar key this is, else ``None``."""
    if not isinstance(key, str) or not key.startswith(KEY_PREFIX) or len(key) > MAX_KEY:
        return None
    rows = store.find("tokens", Eq("digest", token_digest(key)), limit=1)
    if not rows or rows[0].get("purpose") != PURPOSE:
        return None
    user = find_user(store, rows[0]["username"])
    return user if user and is_active(user) else None


def has_calendar_key(store: Store, username: str) -> bool:
    """Whether the user has a calendar address (so the page offers to replace it, not create it)."""
    return bool(store.find("tokens", all_of(Eq("username", username), Eq("purpose", PURPOSE)), limit=1))

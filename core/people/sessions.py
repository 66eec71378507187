"""Browser sessions, kept in the store so that logging out (or an admin) can end them.

The cookie carries only a random session id; the store keeps its SHA-256. A new id is made at
every login, so an id planted before login (session fixation) is worth nothing after it, and
again when the user changes their password (their other sessions end then). A session of a
deactivated user is worth nothing either.
"""
from __future__ import annotations

import hashlib
import secrets
from typing import Any

from ..audit import audit_entry, record
from ..clock import Clock, parse_stamp, stamp, utc_now
from ..store import Conflict, Store
from ..store.filters import Eq
from .users import find_user, is_active, replace_user

#: A session unused for this long must log in again.
MAX_AGE_DAYS = 14


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def start_session(store: Store, username: str, clock: Clock = utc_now,
                  client: str | None = None, action: str = "login") -> str:
    """A new session for the user, audited as ``action`` (``login``, or ``session_rotated``
    after a password change); returns the id to put in the cookie (shown only here).

    A login also stamps the user's ``last_login_at``, which the admin's user list shows, in a
    transaction of its own: when another write of the user wins the race, the stamp is dropped,
    never the login.
    """
    session_id = secrets.token_urlsafe(32)
    now = stamp(clock())
    user = find_user(store, username)
    with store.transaction() as txn:
        txn.insert("sessions", {"digest": _digest(session_id), "username": username,
                                "created_at": now})
        record(txn, audit_entry(username, action, "user", username, {}, now, client=client))
    if user is not None and action == "login":
        try:
            with store.transaction() as txn:
                replace_user(txn, user, {"last_login_at": now})
        except Conflict:
            pass  # a concurrent write of the user committed first; the next login stamps
    return session_id


def session_user(store: Store, session_id: str | None, clock: Clock = utc_now) -> dict[str, Any] | None:
    """The user of a live session, or ``None`` (unknown, ended or expired)."""
    if not isinstance(session_id, str) or not session_id:
        return None
    rows = store.find("sessions", Eq("digest", _digest(session_id)), limit=1)
    if not rows:
        return None
    age = clock() - parse_stamp(rows[0]["created_at"])
    if age.days >= MAX_AGE_DAYS:
        return None
    user = find_user(store, rows[0]["username"])
    return user if user and is_active(user) else None


def end_session(store: Store, session_id: str | None, clock: Clock = utc_now,
                action: str = "logout") -> None:
    """End a session; audited as ``action`` (``logout``, or ``session_replaced`` at a login)."""
    if not isinstance(session_id, str):
        return
    rows = store.find("sessions", Eq("digest", _digest(session_id)), limit=1)
    if rows:
        username = rows[0]["username"]
        with store.transaction() as txn:
            txn.delete("sessions", rows[0]["id"])
            record(txn, audit_entry(username, action, "user", username, {}, stamp(clock())))

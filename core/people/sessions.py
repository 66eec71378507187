"""Browser sessions, kept in the store so that logging out (or an admin) can end them.

The cookie carries only a random session id; the store keeps its SHA-256. A new id is made at
every login, so an id planted before login (session fixation) is worth nothing after it, and
again when the user changes their password (their other sessions end then). A session of a
deactivated user is worth nothing either.

A session ends after ``[sessions] max_days`` (14 by default) whatever happens, and after
``idle_hours`` (168, a week) without a request. Its ``seen_at`` is written again only when it has grown
older than a tenth of the idle time, so a busy page costs no write per request.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ..audit import audit_entry, record
from ..clock import Clock, parse_stamp, stamp, utc_now
from ..errors import GoldsieveError
from ..store import Conflict, Store
from ..store.filters import Eq
from .users import find_user, is_active, replace_user


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session lasts: at most ``max_age`` from the login, and ``idle`` between two
    requests."""

    max_age: timedelta = timedelta(days=14)
    idle: timedelta = timedelta(days=7)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "SessionPolicy":
        """``[sessions] max_days`` (1–365) and ``idle_hours`` (1–8760, at most the maximum age)."""
        section = config.get("sessions", {})
        if not isinstance(section, dict):
            raise GoldsieveError("goldsieve.toml: [sessions] must be a table (max_days, idle_hours)")
        policy = cls(**{
            name: _bounded(section, key, low, high, unit, default)
            for name, key, low, high, unit, default in (
                ("max_age", "max_days", 1, 365, "days", cls.max_age),
                ("idle", "idle_hours", 1, 8760, "hours", cls.idle))})
        if policy.idle > policy.max_age:
            raise GoldsieveError("goldsieve.toml: [sessions] idle_hours is longer than max_days")
        return policy


def _bounded(section: dict[str, Any], key: str, low: int, high: int, unit: str,
             default: timedelta) -> timedelta:
    value = section.get(key)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise GoldsieveError(f"goldsieve.toml: [sessions] {key} = {value!r}: a whole number of "
                             f"{unit}, {low} to {high}")
    return timedelta(**{unit: value})


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
                                "created_at": now, "seen_at": now, "version": 1})
        record(txn, audit_entry(username, action, "user", username, {}, now, client=client))
    if user is not None and action == "login":
        try:
            with store.transaction() as txn:
                replace_user(txn, user, {"last_login_at": now})
        except Conflict:
            pass  # a concurrent write of the user committed first; the next login stamps
    return session_id


def session_user(store: Store, session_id: str | None, clock: Clock = utc_now,
                 policy: SessionPolicy = SessionPolicy()) -> dict[str, Any] | None:
    """The user of a live session, or ``None`` (unknown, ended, too old or idle too long)."""
    if not isinstance(session_id, str) or not session_id:
        return None
    rows = store.find("sessions", Eq("digest", _digest(session_id)), limit=1)
    if not rows:
        return None
    row, now = rows[0], clock()
    seen = parse_stamp(row.get("seen_at") or row["created_at"])
    if now - parse_stamp(row["created_at"]) >= policy.max_age or now - seen >= policy.idle:
        return None
    user = find_user(store, row["username"])
    if not (user and is_active(user)):
        return None
    if now - seen >= policy.idle / 10:
        try:
            with store.transaction() as txn:
                version = row.get("version")  # None: a session from before versions
                txn.replace("sessions", {**row, "seen_at": stamp(now), "version": (version or 0) + 1},
                            expect_version=version)
        except Conflict:
            pass  # another request of the same session stamped it first
    return user


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

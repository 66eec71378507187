"""Users, their passwords and their API tokens.

Passwords are hashed with scrypt (werkzeug's implementation); API tokens are random and stored
only as their SHA-256, which is enough for 256-bit random secrets and keeps lookups cheap.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from .audit import audit_entry, diff, record
from .clock import stamp, utc_now
from .errors import ValidationFailed, Violation
from .store import Store
from .store.filters import Eq
from .teams import UNCHANGED, find_team

#: The ``by`` of audit rows for changes made on the command line.
CLI = "cli"
ROLES = ("admin", "executive", "manager", "rep", "marketing", "after_sales")
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MIN_PASSWORD = 8
TOKEN_PREFIX = "gs_"

# verifying against a throwaway hash keeps "no such user" as slow as "wrong password"
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def find_user(store: Store, username: str) -> dict[str, Any] | None:
    rows = store.find("users", Eq("username", username), limit=1)
    return rows[0] if rows else None


def add_user(
    store: Store, username: str, role: str, password: str, team: str | None = None,
    locale: str | None = None, *, actor: str | None = None,
) -> dict[str, Any]:
    """Create a user; every problem with the input is reported at once, and nothing is written.

    ``actor`` is who does it, for the audit log (``None``: the command line).
    """
    problems = []
    if not isinstance(username, str) or not USERNAME.match(username):
        problems.append(Violation("/username", "pattern",
                                  "Use 1–64 letters, digits, dots, dashes or underscores."))
    elif find_user(store, username):
        problems.append(Violation("/username", "unique", f"The user “{username}” already exists."))
    if role not in ROLES:
        problems.append(Violation("/role", "enum", f"Choose one of: {', '.join(ROLES)}."))
    problems += _team_problems(store, team)
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        problems.append(Violation("/password", "minLength",
                                  f"A password has at least {MIN_PASSWORD} characters."))
    if problems:
        raise ValidationFailed(problems)
    user = {
        "username": username, "role": role, "team": team, "locale": locale,
        "password_hash": generate_password_hash(password, method="scrypt"),
        "created_at": stamp(utc_now()),
    }
    with store.transaction() as txn:
        txn.insert("users", user)
        record(txn, audit_entry(
            actor or CLI, "user_added", "user", username,
            {k: [None, user[k]] for k in ("role", "team", "locale", "password_hash") if user[k]},
            user["created_at"]))
    return user


def update_user(store: Store, username: str, *, role: str | None = None,
                team: str | None = UNCHANGED, actor: str | None = None) -> dict[str, Any]:
    """Change a user's role and/or team (``team=None``: no team; leave out to keep it).

    Unknown users, roles and teams are refused, and then nothing is written.
    """
    user = find_user(store, username) if isinstance(username, str) else None
    if user is None:
        raise ValidationFailed([Violation("/username", "unknown_user", f"There is no user “{username}”.")])
    problems = []
    if role is not None and role not in ROLES:
        problems.append(Violation("/role", "enum", f"Choose one of: {', '.join(ROLES)}."))
    if team is not UNCHANGED:
        problems += _team_problems(store, team)
    if problems:
        raise ValidationFailed(problems)
    changed = {**user, "role": role or user["role"]}
    if team is not UNCHANGED:
        changed["team"] = team
    if changed != user:
        with store.transaction() as txn:
            txn.replace("users", changed)
            record(txn, audit_entry(actor or CLI, "user_changed", "user", username,
                                    diff(user, changed, ("role", "team"))))
    return changed


def set_locale(store: Store, user: dict[str, Any], locale: str) -> dict[str, Any]:
    """Remember the user's page language (an audited change made by the user themself)."""
    changed = {**user, "locale": locale}
    if changed != user:
        with store.transaction() as txn:
            txn.replace("users", changed)
            record(txn, audit_entry(user["username"], "locale_changed", "user", user["username"],
                                    diff(user, changed, ("locale",))))
    return changed


def _team_problems(store: Store, team: object) -> list[Violation]:
    if team is not None and find_team(store, team) is None:
        return [Violation("/team", "unknown_team",
                          f"There is no team “{team}”; add it first with `goldsieve teams add`.")]
    return []


def authenticate(store: Store, username: str, password: str) -> dict[str, Any] | None:
    """The user if the password is right, else ``None`` (same cost either way)."""
    user = find_user(store, username) if isinstance(username, str) else None
    stored = user["password_hash"] if user else _DUMMY_HASH
    ok = check_password_hash(stored, password or "")
    return user if user and ok else None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(store: Store, username: str, *, actor: str | None = None) -> str:
    """A new API token for the user; only its hash is stored, so it is shown once."""
    if find_user(store, username) is None:
        raise ValidationFailed([Violation("/username", "unknown_user", f"There is no user “{username}”.")])
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = stamp(utc_now())
    with store.transaction() as txn:
        token_id = txn.insert("tokens", {"username": username, "digest": _digest(token),
                                         "created_at": now})
        # the audit row names the token by its row id; neither the token nor its digest
        record(txn, audit_entry(actor or CLI, "token_issued", "user", username,
                                {"token": [None, token_id]}, now))
    return token


def user_for_token(store: Store, token: str) -> dict[str, Any] | None:
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
        return None
    rows = store.find("tokens", Eq("digest", _digest(token)), limit=1)
    return find_user(store, rows[0]["username"]) if rows else None

"""Users, their passwords and their API tokens.

Passwords are hashed with scrypt (werkzeug's implementation); API tokens are random and stored
only as their SHA-256, which is enough for 256-bit random secrets and keeps lookups cheap.

Every password that is set — on the command line, by an admin, by the user themself — passes
:func:`password_problems`, a policy in the spirit of NIST SP 800-63B: long enough, not built
from the user name, and not a commonly used or easily guessed password (the zxcvbn estimator,
with its lists of common passwords, words and keyboard patterns). No composition rules.

A deactivated user (``active`` false) can neither log in nor use a session or API token: the
lookups below refuse them, and deactivating also deletes their sessions and tokens. A new
password — changed by the user or reset by an admin — ends the user's sessions and revokes their
API tokens, so whoever knew the old one, or a token made with it, is shut out. A token may carry
an expiry (``[tokens] days`` in goldsieve.toml, or per token). The workspace always keeps at
least one active admin.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from functools import cache
from typing import Any

from ..audit import audit_entry, diff, record
from ..clock import Clock, stamp, utc_now
from ..errors import GoldsieveError, ValidationFailed, Violation
from ..locales import N_
from ..store import Store
from ..store.base import Transaction
from ..store.filters import Contains, Eq
from .teams import UNCHANGED, find_team

#: The ``by`` of audit rows for changes made on the command line.
CLI = "cli"
ROLES = ("admin", "executive", "manager", "rep", "marketing", "after_sales")
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MIN_PASSWORD = 10
#: long enough for any passphrase, short enough to bound the hashing and the estimator's work
MAX_PASSWORD = 256
#: zxcvbn's score (0–4) a password needs: 3 means about 10⁸ guesses, beyond online guessing
MIN_STRENGTH = 3
#: the estimator judges this many leading characters: its cost grows steeply with the length
#: (bench/bench_passwords.py), and a password whose first 40 characters are hard to guess is
#: hard to guess
ESTIMATED_CHARS = 40
MAX_DISPLAY_NAME = 100
TOKEN_PREFIX = "gs_"
#: A ``tokens`` row's ``purpose`` for an API token (absent on rows written before there were others;
#: the calendar's keys, :mod:`.calendar_keys`, share the table and its revocation)
API = "api"
#: the longest a token may last: ten years
MAX_TOKEN_DAYS = 3650
#: how new passwords are hashed, in werkzeug's notation: scrypt at its default cost (N=2^15,
#: r=8, p=1; ~0.1 s and 32 MiB a hash, which is the point). A stored hash carries its own
#: parameters, so checking follows whatever it was made with. The project's test suite lowers
#: the cost for its own processes (tests/conftest.py): it hashes about a thousand passwords.
PASSWORD_METHOD = "scrypt"


def _hash(password: str) -> str:
    from werkzeug.security import generate_password_hash  # imported by the commands that set one

    return generate_password_hash(password, method=PASSWORD_METHOD)


@cache
def _dummy_hash() -> str:
    """A throwaway hash to verify against, so "no such user" is as slow as "wrong password";
    made on the first login attempt, not at import (scrypt costs every command ~0.3 s)."""
    return _hash("not-a-real-password")


def find_user(store: Store, username: str) -> dict[str, Any] | None:
    rows = store.find("users", Eq("username", username), limit=1)
    return rows[0] if rows else None


def _user_named_alike(store: Store, username: str) -> dict[str, Any] | None:
    """The user whose name is ``username`` but for case: ``Alice`` and ``alice`` would be one
    person to anyone reading a list or an audit row (and the login throttle counts them as one),
    so only one of them may exist. ``Contains`` folds case in both stores."""
    folded = username.casefold()
    return next((user for user in store.find("users", Contains("username", username))
                 if user["username"].casefold() == folded), None)


def add_user(
    store: Store, username: str, role: str, password: str | None, team: str | None = None,
    locale: str | None = None, *, display_name: str | None = None, actor: str | None = None,
) -> dict[str, Any]:
    """Create a user; every problem with the input is reported at once, and nothing is written.

    ``actor`` is who does it, for the audit log (``None``: the command line). ``password=None``
    makes a user with no password, who signs in only through a workplace platform (the org
    sync's people) until an admin sets one.
    """
    problems = []
    if not isinstance(username, str) or not USERNAME.match(username):
        problems.append(Violation.of("/username", "pattern",
                                     N_("Use 1–64 letters, digits, dots, dashes or underscores.")))
    elif (taken := _user_named_alike(store, username)) is not None:
        same = taken["username"] == username
        problems.append(Violation.of("/username", "unique", N_("The user “%(name)s” already exists.") if same
                                     else N_("The user “%(name)s” already exists; user names ignore case."),
                                     name=taken["username"]))
    if role not in ROLES:
        problems.append(Violation.of("/role", "enum", N_("Choose one of: %(choices)s."), choices=", ".join(ROLES)))
    problems += _team_problems(store, team)
    problems += _display_name_problems(display_name)
    if password is not None:
        problems += password_problems(password, username if isinstance(username, str) else "")
    if problems:
        raise ValidationFailed(problems)
    user = {
        "username": username, "role": role, "team": team, "locale": locale,
        "display_name": _clean(display_name), "active": True,
        "password_hash": None if password is None else _hash(password),
        "created_at": stamp(utc_now()), "version": 1,
    }
    with store.transaction() as txn:
        txn.insert("users", user)
        record(txn, audit_entry(
            actor or CLI, "user_added", "user", username,
            {k: [None, user[k]] for k in ("role", "team", "locale", "display_name", "active",
                                          "password_hash") if user[k]},
            user["created_at"]))
    return user


def update_user(store: Store, username: str, *, role: str | None = None,
                team: str | None = UNCHANGED, display_name: str | None = UNCHANGED,
                actor: str | None = None) -> dict[str, Any]:
    """Change a user's role, team and/or display name (``team=None``: no team; leave an
    argument out to keep the value).

    Unknown users, roles and teams are refused, as is demoting the last active admin; then
    nothing is written.
    """
    user = _existing_user(store, username)
    problems = []
    if role is not None and role not in ROLES:
        problems.append(Violation.of("/role", "enum", N_("Choose one of: %(choices)s."), choices=", ".join(ROLES)))
    elif role is not None and role != "admin":
        problems += _last_admin_problems(store, user, "/role")
    if team is not UNCHANGED:
        problems += _team_problems(store, team)
    if display_name is not UNCHANGED:
        problems += _display_name_problems(display_name)
    if problems:
        raise ValidationFailed(problems)
    changes = {"role": role or user["role"]}
    if team is not UNCHANGED:
        changes["team"] = team
    if display_name is not UNCHANGED:
        changes["display_name"] = _clean(display_name)
    if all(user.get(k) == v for k, v in changes.items()):
        return user
    with store.transaction() as txn:
        before, changed = replace_user(txn, user, changes)
        record(txn, audit_entry(actor or CLI, "user_changed", "user", username,
                                diff(before, changed, ("role", "team", "display_name"))))
    return changed


def set_active(store: Store, username: str, active: bool, *,
               actor: str | None = None) -> dict[str, Any]:
    """Deactivate a user (they can no longer log in; their sessions and API tokens are
    deleted in the same transaction) or reactivate them (with a fresh login and new tokens).

    The last active admin cannot be deactivated.
    """
    user = _existing_user(store, username)
    if is_active(user) == active:
        return user
    if not active:
        problems = _last_admin_problems(store, user, "/active")
        if problems:
            raise ValidationFailed(problems)
    with store.transaction() as txn:
        _, changed = replace_user(txn, user, {"active": active})
        # read inside the transaction: a login committed just before is ended too
        sessions = [] if active else store.find("sessions", Eq("username", username))
        tokens = [] if active else store.find("tokens", Eq("username", username))
        for row in sessions:
            txn.delete("sessions", row["id"])
        for row in tokens:
            txn.delete("tokens", row["id"])
        record(txn, audit_entry(actor or CLI, "user_activated" if active else "user_deactivated",
                                "user", username, {"active": [is_active(user), active]},
                                ended_sessions=len(sessions), revoked_tokens=len(tokens)))
    return changed


def is_active(user: dict[str, Any]) -> bool:
    """Users from before deactivation existed have no ``active`` field: they are active."""
    return user.get("active", True) is not False


def password_problems(password: object, username: str, path: str = "/password") -> list[Violation]:
    """Why ``password`` may not be ``username``'s password (empty: it may).

    Length and the user name are checked first; the estimator only judges a password that
    passed both, so each refusal names one clear reason.
    """
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        return [Violation.of(path, "minLength", N_("A password has at least %(limit)s characters."),
                             limit=MIN_PASSWORD)]
    if len(password) > MAX_PASSWORD:
        return [Violation.of(path, "maxLength", N_("A password has at most %(limit)s characters."),
                             limit=MAX_PASSWORD)]
    name = username.casefold()
    if name and (name in password.casefold() or password.casefold() in name):
        return [Violation.of(path, "username", N_("A password may not contain the user name."))]
    from zxcvbn import zxcvbn  # its dictionaries cost every command ~0.1 s: loaded when a password is set

    estimate = zxcvbn(password[:ESTIMATED_CHARS], user_inputs=[username] if username else [])
    if estimate["score"] >= MIN_STRENGTH:
        return []
    if any(m.get("dictionary_name") == "passwords" for m in estimate["sequence"]):
        return [Violation.of(path, "common", N_("This is a commonly used password, or too close to one."))]
    return [Violation.of(path, "guessable", N_("This password is easy to guess: avoid repeats, "
                                            "sequences, keyboard patterns, names and dates."))]


def set_password(store: Store, username: str, password: str, *,
                 actor: str | None = None) -> dict[str, Any]:
    """An admin's (or the CLI's) password reset: the policy applies, every session of the user
    ends and every API token of theirs is revoked, so whoever knew the old password is out."""
    user = _existing_user(store, username)
    problems = password_problems(password, username)
    if problems:
        raise ValidationFailed(problems)
    return _write_password(store, user, password, actor or CLI, "password_reset")


def change_password(store: Store, username: str, current: str, new: str,
                    repeat: str) -> dict[str, Any]:
    """The user's own change: the current password, then the new one twice. Every problem is
    reported at once and nothing is written; on success all the user's sessions end (the
    caller starts a new one for the browser that asked) and their API tokens are revoked."""
    user = authenticate(store, username, current)
    problems = [] if user else [
        Violation.of("/current_password", "wrong_password", N_("The current password is wrong."))]
    problems += password_problems(new, username, "/new_password")
    if new != repeat:
        problems.append(Violation.of("/repeat_password", "mismatch", N_("The two new passwords differ.")))
    if problems or user is None:
        raise ValidationFailed(problems)
    return _write_password(store, user, new, username, "password_changed")


def _write_password(store: Store, user: dict[str, Any], password: str, actor: str,
                    action: str) -> dict[str, Any]:
    password_hash = _hash(password)
    with store.transaction() as txn:
        before, changed = replace_user(txn, user, {"password_hash": password_hash})
        sessions = store.find("sessions", Eq("username", user["username"]))
        tokens = store.find("tokens", Eq("username", user["username"]))
        for table, rows in (("sessions", sessions), ("tokens", tokens)):
            for row in rows:
                txn.delete(table, row["id"])
        record(txn, audit_entry(actor, action, "user", user["username"],
                                diff(before, changed, ("password_hash",)),
                                ended_sessions=len(sessions), revoked_tokens=len(tokens)))
    return changed


def replace_user(txn: Transaction, user: dict[str, Any], changes: dict[str, Any]
                 ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply ``changes`` to the user as stored now, read inside the transaction: a write that
    committed since ``user`` was read (a deactivation, say) keeps its other fields. The write
    checks the version it read, so a write that commits between this read and this write (on
    PostgreSQL, another process's) raises :class:`~goldsieve.store.Conflict` instead of being
    undone; and the version goes up, so every other checking writer sees this one.
    Returns the user before and after."""
    before = txn.get("users", user["id"]) or user
    after = {**before, **changes, "version": before.get("version", 0) + 1}
    txn.replace("users", after, expect_version=before.get("version"))  # None: a row from before versions
    return before, after


def unknown_user(path: str, name: object) -> Violation:
    """The refusal of a user name no user has, in the reader's language (the command line's;
    English for the API), the name kept as the refused value."""
    return Violation.of(path, "unknown_user", N_("There is no user “%(name)s”."), name=name, value=name)


def _existing_user(store: Store, username: object) -> dict[str, Any]:
    user = find_user(store, username) if isinstance(username, str) else None
    if user is None:
        raise ValidationFailed([unknown_user("/username", username)])
    return user


def _last_admin_problems(store: Store, user: dict[str, Any], path: str) -> list[Violation]:
    """Refuse to take away the admin role or the login of the last active admin."""
    if user["role"] != "admin" or not is_active(user):
        return []
    others = [u for u in store.find("users", Eq("role", "admin"))
              if u["username"] != user["username"] and is_active(u)]
    if others:
        return []
    return [Violation.of(path, "last_admin",
                         N_("This is the last active admin; make another user admin first."))]


def _clean(display_name: str | None) -> str | None:
    return display_name.strip() or None if isinstance(display_name, str) else None


def _display_name_problems(display_name: object) -> list[Violation]:
    if display_name is None:
        return []
    if not isinstance(display_name, str) or len(display_name.strip()) > MAX_DISPLAY_NAME:
        return [Violation.of("/display_name", "maxLength", N_("A display name has at most %(limit)s characters."),
                             limit=MAX_DISPLAY_NAME)]
    return []


def set_locale(store: Store, user: dict[str, Any], locale: str) -> dict[str, Any]:
    """Remember the user's page language (an audited change made by the user themself)."""
    if user.get("locale") == locale:
        return user
    with store.transaction() as txn:
        before, changed = replace_user(txn, user, {"locale": locale})
        record(txn, audit_entry(user["username"], "locale_changed", "user", user["username"],
                                diff(before, changed, ("locale",))))
    return changed


def _team_problems(store: Store, team: object) -> list[Violation]:
    if team is not None and find_team(store, team) is None:
        return [Violation.of("/team", "unknown_team",
                             N_("There is no team “%(name)s”; add it first with `goldsieve teams add`."), name=team)]
    return []


def authenticate(store: Store, username: str, password: str) -> dict[str, Any] | None:
    """The user if the password is right and the user active, else ``None`` (same cost
    either way)."""
    from werkzeug.security import check_password_hash

    user = find_user(store, username) if isinstance(username, str) else None
    stored = user.get("password_hash") if user else None  # None: no such user, or no password
    ok = check_password_hash(stored or _dummy_hash(), password if isinstance(password, str) else "")
    return user if user and stored and ok and is_active(user) else None


def token_digest(token: str) -> str:
    """What the store keeps of a secret a person holds (an API token, a calendar key): its
    SHA-256, so that a copy of the store gives no one a way in."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_days(config: dict[str, Any]) -> int | None:
    """``[tokens] days`` in goldsieve.toml: how long a new API token lasts (``None``: until it
    is revoked, the default)."""
    section = config.get("tokens", {})
    days = section.get("days") if isinstance(section, dict) else section
    if days is None:
        return None
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_TOKEN_DAYS:
        raise GoldsieveError(f"goldsieve.toml: [tokens] days = {days!r}: how many days a new API "
                             f"token lasts, 1 to {MAX_TOKEN_DAYS} (leave it out: until revoked)")
    return days


def issue_token(store: Store, username: str, *, actor: str | None = None, days: int | None = None,
                clock: Clock = utc_now) -> str:
    """A new API token for the user, valid for ``days`` (``None``: until revoked); only its
    hash is stored, so it is shown once."""
    if not is_active(_existing_user(store, username)):
        raise ValidationFailed([Violation.of("/username", "inactive", N_("The user “%(name)s” is deactivated."),
                                             name=username)])
    if days is not None and not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValidationFailed([Violation.of("/days", "range", N_("A token lasts 1 to %(limit)s days."),
                                             limit=MAX_TOKEN_DAYS)])
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    moment = clock()
    now = stamp(moment)
    expires = stamp(moment + timedelta(days=days)) if days else None
    with store.transaction() as txn:
        token_id = txn.insert("tokens", {"username": username, "digest": token_digest(token), "purpose": API,
                                         "created_at": now, "expires_at": expires})
        # the audit row names the token by its row id; neither the token nor its digest
        record(txn, audit_entry(actor or CLI, "token_issued", "user", username,
                                {"token": [None, token_id]}, now, expires_at=expires))
    return token


def user_for_token(store: Store, token: str, clock: Clock = utc_now) -> dict[str, Any] | None:
    """The active user a token belongs to, unless it is unknown, revoked or expired."""
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
        return None
    rows = store.find("tokens", Eq("digest", token_digest(token)), limit=1)
    if not rows or rows[0].get("purpose", API) != API or (
            rows[0].get("expires_at") and rows[0]["expires_at"] <= stamp(clock())):
        return None
    user = find_user(store, rows[0]["username"])
    return user if user and is_active(user) else None

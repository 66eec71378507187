"""Signing in with a DingTalk, WeCom or Feishu account, and which goldsieve user an account is.

A goldsieve user is linked to a platform account by the platform's user id, stored in the
user's ``workplace_ids`` (``{"dingtalk": "userid", …}``) by the org sync or by
``goldsieve workplace link``; never by a display name, which anyone may share or change. The
platform's callback code is turned into that id by the platform (:meth:`PlatformClient.identify`);
an account linked to no user, or to a deactivated one, is refused and the refusal audited.
The browser side — the signed ``state``, the throttle, the session — is the web layer's
(``goldsieve.ui.workplace``); the session it opens is an ordinary one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..audit import append, audit_entry, record
from ..clock import stamp
from ..errors import ValidationFailed, Violation
from ..people.users import CLI, find_user, is_active, replace_user
from ..store import Store
from ..store.filters import Eq
from .client import PlatformClient, PlatformError, ident

FIELD = "workplace_ids"
#: why a sign-in was refused (the page says it in the reader's language)
UNKNOWN, INACTIVE, NOT_CONFIRMED = "unknown", "inactive", "not_confirmed"
MAX_CODE = 512


@dataclass(frozen=True)
class SignIn:
    """The outcome: the user to open a session for, or why not (``refused``)."""

    user: dict[str, Any] | None
    refused: str | None = None


def linked_user(store: Store, platform: str, external_id: str) -> dict[str, Any] | None:
    """The user linked to the platform's account ``external_id``, active or not."""
    rows = store.find("users", Eq(f"{FIELD}.{platform}", external_id), limit=1)
    return rows[0] if rows else None


def sign_in(store: Store, client: PlatformClient, code: object, address: str, *,
            in_app: bool = False) -> SignIn:
    """The user whose platform account the callback's ``code`` (``in_app``: the code the
    platform's JS API gave the page) belongs to; a refusal is audited (``workplace_login_refused``,
    by the platform account when the platform named one)."""
    platform = client.platform
    if not isinstance(code, str) or not code or len(code) > MAX_CODE or not code.isprintable():
        return _refused(store, client, None, NOT_CONFIRMED, address, "no usable code")
    try:
        identity = client.identify_in_app(code) if in_app else client.identify(code)
    except PlatformError as error:
        return _refused(store, client, None, NOT_CONFIRMED, address, str(error))
    if ident(identity.external_id) is None:  # nothing goldsieve could have stored
        return _refused(store, client, None, NOT_CONFIRMED, address, "an unusable account id")
    user = linked_user(store, platform, identity.external_id)
    if user is None:
        return _refused(store, client, identity.external_id, UNKNOWN, address)
    if not is_active(user):
        return _refused(store, client, identity.external_id, INACTIVE, address, username=user["username"])
    return SignIn(user)


def _refused(store: Store, client: PlatformClient, external_id: str | None, reason: str, address: str,
             detail: str | None = None, username: str | None = None) -> SignIn:
    who = f"{client.platform}:{external_id}" if external_id else client.platform
    append(store, audit_entry(who[:140], "workplace_login_refused", "user", username or who[:140], {},
                              stamp(client.clock()), client=address, reason=reason,
                              **({"detail": detail[:200]} if detail else {})))
    return SignIn(None, reason)


def link_account(store: Store, username: str, platform: str, external_id: str | int | None, *,
                 actor: str | None = None) -> dict[str, Any]:
    """Link ``username`` to the platform account ``external_id`` (``None``: unlink), an id as
    :func:`~goldsieve.workplace.client.ident` reads it (a number is stored as its text, as the
    sign-in looks it up); an account already linked to another user is refused, and nothing is
    written."""
    user = find_user(store, username) if isinstance(username, str) else None
    problems = [] if user else [Violation("/username", "unknown_user", f"There is no user “{username}”.")]
    account = None if external_id is None else ident(external_id)  # the rule the sign-in and sync read by
    if external_id is not None:
        if account is None:
            problems.append(Violation("/external_id", "pattern", "An account id has 1–128 printable characters."))
        elif (other := linked_user(store, platform, account)) and other["username"] != username:
            problems.append(Violation("/external_id", "unique",
                                      f"The {platform} account {account} is linked to “{other['username']}”."))
    if problems or user is None:
        raise ValidationFailed(problems)
    ids = {k: v for k, v in {**user.get(FIELD, {}), platform: account}.items() if v is not None}
    if ids == user.get(FIELD, {}):
        return user
    with store.transaction() as txn:
        before, changed = replace_user(txn, user, {FIELD: ids})
        record(txn, audit_entry(actor or CLI, "workplace_linked" if account else "workplace_unlinked",
                                "user", username, {f"{FIELD}.{platform}": [
                                    before.get(FIELD, {}).get(platform), account]}))
    return changed



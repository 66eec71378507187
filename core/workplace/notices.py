"""Personal notices: a person's inbox items sent to them through DingTalk, WeCom or Feishu.

Each user chooses, per kind of inbox item (:data:`KINDS`, told apart by the notification's
``key``), whether it also goes to them through one of the platforms their user is linked to
(``notices`` in the user: kind → platform). The worker reads the notifications written since it
last looked (a cursor in the ``workplace_state`` table, which starts after the newest one the
first time, so an inbox's past is never sent) and, for each one its user wants
elsewhere, writes an outbox row in the same transaction that moves the cursor, so each
notification is queued exactly once however many workers share the store. The outbox delivers
it like any prepared message (retries with backoff; a quota error waits its turn) through the
platform's channel (:class:`PersonalChannel`, ``workplace.PLATFORM`` among the channels), which
asks the platform's client to send it; the client renews a refused token once on its own.

The text is the notification's, already in the user's language; the headline is the kind's
name in that language, and the link opens the deal (or the inbox) in the platform's own browser.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from ..audit import audit_entry, diff, record
from ..automation.channels import Channel, DeliveryError, Message, message_row, page_url
from ..clock import stamp
from ..errors import ValidationFailed, Violation
from ..locales import N_, normalize, say
from ..people.users import find_user, is_active, replace_user
from ..store import Conflict, Store
from .client import PlatformClient, PlatformError
from .signin import FIELD
from .state import read_state, write_state

#: kind → (the notification keys' prefixes, its name: a msgid, the page's and the headline's)
KINDS: dict[str, tuple[tuple[str, ...], str]] = {
    "tasks": (("task:",), N_("New tasks")),
    "reminders": (("reminder:",), N_("Task reminders")),
    "assignments": (("assigned:", "assigned-customer:", "handover:"), N_("Deals and customers given to you")),
    "pool": (("reclaimed:",), N_("Customers back in the pool")),
    "digest": (("digest:",), N_("The weekly digest")),
}
PREFS = "notices"
CURSOR = "notices-cursor"
BATCH = 200


def kind_of(notification: dict[str, Any]) -> str | None:
    key = str(notification.get("key") or "")
    return next((kind for kind, (prefixes, _) in KINDS.items() if key.startswith(prefixes)), None)


def channel_name(platform: str) -> str:
    """The channel a platform's notices go through: a dot, which no ``[channels.NAME]`` has."""
    return f"workplace.{platform}"


def choices(user: dict[str, Any], clients: dict[str, PlatformClient]) -> list[str]:
    """The platforms a user may have notices sent through: configured, and linked to them."""
    linked = user.get(FIELD) or {}
    return [name for name in clients if linked.get(name)]


def set_preferences(store: Store, user: dict[str, Any], wanted: dict[str, Any],
                    clients: dict[str, PlatformClient]) -> dict[str, Any]:
    """The user's own choice, kind → platform (``""``: the inbox only); every unknown kind or
    platform they may not use is refused at once and nothing is written."""
    allowed = set(choices(user, clients))
    problems = [Violation(f"/{kind}", "enum", f"Choose the inbox only or one of: {', '.join(sorted(allowed))}.")
                for kind, platform in wanted.items()
                if kind not in KINDS or not isinstance(platform, str) or (platform and platform not in allowed)]
    if problems:
        raise ValidationFailed(problems)
    chosen = {kind: platform for kind, platform in wanted.items() if platform}
    if chosen == (user.get(PREFS) or {}):
        return user
    with store.transaction() as txn:
        before, changed = replace_user(txn, user, {PREFS: chosen})
        record(txn, audit_entry(user["username"], "notices_changed", "user", user["username"],
                                diff(before, changed, (PREFS,))))
    return changed


def _message(notification: dict[str, Any], user: dict[str, Any], kind: str, platform: str,
             config: dict[str, Any]) -> dict[str, Any]:
    locale = normalize(user.get("locale")) or normalize(str(config.get("locale", "en"))) or "en"
    subject = say(KINDS[kind][1], locale)
    path = f"/deals/{notification['deal_id']}" if notification.get("deal_id") else "/inbox"
    message = Message(event=f"notice.{kind}", text=str(notification.get("text") or ""), deal=None, funnel=None,
                      at=notification["at"], key=f"notice:{platform}:{notification['id']}",
                      url=page_url(config, path), mentions=(user["username"],), subject=subject)
    return message_row(message, channel_name(platform))


def queue_notices(store: Store, clients: dict[str, PlatformClient], config: dict[str, Any],
                  now: datetime) -> int:
    """Write the outbox rows the notifications since the cursor owe; returns how many."""
    if not clients:
        return 0
    cursor = read_state(store, CURSOR)
    if cursor is None:  # the first look: what the inbox held before is not news, start after it
        newest = store.find("notifications", descending=True, limit=1)
        try:
            with store.transaction() as txn:
                write_state(txn, CURSOR, None, {"last_id": newest[0]["id"] if newest else 0, "at": stamp(now)})
        except Conflict:
            pass
        return 0
    fresh = store.find("notifications", after=cursor["last_id"], limit=BATCH)
    if not fresh:
        return 0
    owed, users = [], {}
    for notification in fresh:
        kind = kind_of(notification)
        if kind and notification["user"] not in users:  # a batch is mostly a few people's
            users[notification["user"]] = find_user(store, notification["user"])
        user = users.get(notification["user"]) if kind else None
        platform = (user.get(PREFS) or {}).get(kind) if user and is_active(user) else None
        if platform and platform in clients and (user.get(FIELD) or {}).get(platform):
            owed.append(_message(notification, user, kind, platform, config))
    try:
        with store.transaction() as txn:
            write_state(txn, CURSOR, cursor, {"last_id": fresh[-1]["id"], "at": stamp(now)})
            for row in owed:
                txn.insert("outbox", row)
    except Conflict:
        return 0  # another worker queued these notifications first
    return len(owed)


class PersonalChannel(Channel):
    """The outbox's way to one platform: a message to the person its ``mentions`` names."""

    type = "workplace"

    def __init__(self, client: PlatformClient, store: Store) -> None:
        # no [channels.NAME] table to check: the platform's own table was checked at start-up
        self.name, self.client, self.store = channel_name(client.platform), client, store
        self.where, self.url, self.secret, self.settings = f"[workplace.{client.platform}]", "", None, {}

    @property
    def label(self) -> str:
        return f"{self.client.label} notices"

    def send(self, message: Message, *, timeout: float = 10.0) -> None:
        user = find_user(self.store, message.mentions[0]) if message.mentions else None
        external = (user.get(FIELD) or {}).get(self.client.platform) if user else None
        if not external:
            raise DeliveryError(f"{self.label}: the user is not linked to a {self.client.label} account",
                                retryable=False)
        try:
            self.client.send_notice(external, message.title, message.text, message.url, message.key)
        except PlatformError as error:
            raise DeliveryError(str(error), retryable=error.retryable) from None


def notice_channels(clients: dict[str, PlatformClient], store: Store) -> dict[str, Channel]:
    """The channels the outbox delivers personal notices through, one per configured platform."""
    return {channel_name(name): PersonalChannel(client, store) for name, client in clients.items()}

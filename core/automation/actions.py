"""Automation actions: what a rule's ``do`` can name, and what an action is given when it runs.

Plugins register actions through ``goldsieve_actions`` (the built-ins live in
``goldsieve.plugins.actions``). Each action declares its parameters as a JSON Schema, so
``goldsieve check`` and the funnel designer validate a rule's actions without running them.

An action runs from the outbox, after the change that triggered it was committed, with an
:class:`ActionContext`. Whatever it writes to the store it writes inside
``context.transaction()``, which also marks the delivery done: the effect and the bookkeeping
commit together, so a retry never repeats an in-app effect. An action that talks to the outside
world (a channel) cannot be atomic with the store; it passes the delivery's ``key`` along, and
the receiver drops a key it has already seen.
"""
from __future__ import annotations

import string
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Iterator

from ..clock import stamp
from ..funnels.model import localized
from ..store.filters import Eq, In

if TYPE_CHECKING:
    import pluggy
    from jsonschema import Draft202012Validator

    from ..deals.engine import Engine
    from ..funnels.model import Funnel
    from ..store import Store, Transaction
    from .channels import Channel

@dataclass(frozen=True)
class Action:
    """An action rules can run: its name, its parameters' JSON Schema and the code that runs it.

    ``params`` validates the action object of a rule without its ``action`` key. ``run`` gets an
    :class:`ActionContext`; raising retries the delivery later (a
    :class:`goldsieve.automation.channels.DeliveryError` with ``retryable=False`` dead-letters it at once).
    """

    name: str
    params: dict[str, Any]
    run: Callable[["ActionContext"], None]
    description: str = ""

    @property
    def validator(self) -> Draft202012Validator:
        from jsonschema import Draft202012Validator  # when an action is checked, not at import

        return Draft202012Validator(self.params)


@dataclass
class ActionContext:
    """Everything one delivery of an action may use."""

    row: dict[str, Any]
    deal: dict[str, Any]
    funnel: "Funnel"
    store: "Store"
    engine: "Engine"
    channels: dict[str, "Channel"]
    config: dict[str, Any]
    now: datetime
    hook: "pluggy.HookRelay"
    finished: bool = field(default=False, init=False)

    @property
    def params(self) -> dict[str, Any]:
        return self.row["params"]

    @property
    def key(self) -> str:
        """The delivery's idempotency key, the same on every attempt."""
        return self.row["key"]

    @contextmanager
    def transaction(self) -> Iterator["Transaction"]:
        """A store transaction that also marks this delivery done, so both commit or neither."""
        with self.store.transaction() as txn:
            yield txn
            done = {**self.row, "status": "done", "done_at": stamp(self.now),
                    "attempts": self.row["attempts"] + 1, "version": self.row["version"] + 1}
            txn.replace("outbox", done, expect_version=self.row["version"])
        self.finished = True

    def render(self, template: str | dict[str, str] | None, default: str) -> str:
        """The text of a message: ``template`` (text or translations) with the deal's fields."""
        locale = str(self.config.get("locale", "en"))
        return render(localized(template, locale) if template else default, self.deal, self.funnel, locale)


class _SafeFormatter(string.Formatter):
    """``str.format`` restricted to plain names: ``{amount}``, never ``{x.__class__}`` or ``{x[0]}``."""

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, str]:
        if not field_name.isidentifier():
            return "{" + field_name + "}", field_name
        return kwargs.get(field_name, "—"), field_name

    def format_field(self, value: Any, format_spec: str) -> str:
        return str(value)  # no format specs: a template can not make the formatter do work


_FORMATTER = _SafeFormatter()


def template_values(deal: dict[str, Any], funnel: "Funnel", locale: str = "en") -> dict[str, Any]:
    """What a message template may name: the deal's data fields, then its own keys."""
    stage = funnel.stage(deal.get("stage", ""))
    values = {k: v for k, v in (deal.get("data") or {}).items() if v is not None}
    values.update(title=deal.get("title", ""), owner=deal.get("owner", ""), id=deal.get("id", ""),
                  stage=stage.label(locale) if stage else deal.get("stage", ""),
                  funnel=funnel.label(locale), status=deal.get("status", ""))
    return values


def render(template: str, deal: dict[str, Any], funnel: "Funnel", locale: str = "en") -> str:
    """Fill ``{name}`` placeholders from the deal; bad syntax is shown as written, never raised.

    The result is plain text: pages escape it when they show it.
    """
    try:
        return _FORMATTER.vformat(template, (), template_values(deal, funnel, locale))
    except (ValueError, IndexError):
        return template


def recipients(store: "Store", engine: "Engine", to: str | list[str], deal: dict[str, Any]) -> list[str]:
    """The usernames ``to`` names, keeping only those who may see the deal (no hint of hidden deals)."""
    names: list[str] = []
    for target in [to] if isinstance(to, str) else to:
        for name in _resolve(store, target, deal):
            if name not in names:
                names.append(name)
    users = {u["username"]: u for u in store.find("users", In("username", tuple(names)))} if names else {}
    return [n for n in names if n in users and engine.can_see(users[n], deal)]


def _resolve(store: "Store", target: str, deal: dict[str, Any]) -> list[str]:
    if target == "owner":
        return [deal["owner"]] if deal.get("owner") else []
    if target == "manager":
        return _managers_of(store, deal.get("owner"))
    prefix, _, name = target.partition(":")
    if prefix == "role":
        return [u["username"] for u in store.find("users", Eq("role", name))]
    if prefix == "team":
        return [u["username"] for u in store.find("users", Eq("team", name))]
    if prefix == "user":
        return [name]
    return []


def _managers_of(store: "Store", username: str | None) -> list[str]:
    """The manager of the owner's team, else of the nearest team above it that has one."""
    rows = store.find("users", Eq("username", username), limit=1) if username else []
    team = rows[0].get("team") if rows else None
    parents = {t["name"]: t for t in store.find("teams")}
    seen: set[str] = set()
    while team and team not in seen:
        seen.add(team)
        row = parents.get(team)
        if row is None:
            return []
        if row.get("manager") and row["manager"] != username:
            return [row["manager"]]
        team = row.get("parent")
    return []

"""The outbox: the deliveries a committed change owes, written in the change's own transaction.

One row per action of every rule a change fired. Rows are written by the engine inside the
transaction of the change (so a change is never committed without them, nor they without it)
and delivered afterwards by :class:`goldsieve.automation.dispatch.Dispatcher`, in the serving process's
background thread or in ``goldsieve worker``.

A row::

    {key, status: pending|done|dead, action, params, rule, trigger, funnel, funnel_version,
     deal_id, event_id, at, depth, attempts, due, lease_until, lease_owner, last_error,
     created_at, done_at, version}

``key`` is the delivery's idempotency key, fixed when the row is written and the same on every
attempt. ``depth`` counts how many automated changes led to this one, which bounds cascades
(an action's change firing rules whose actions change the deal, and so on).

A row about no deal (``deal_id``, ``funnel``, ``funnel_version`` and ``rule`` are ``None``) is a
:data:`MESSAGE`: a message prepared when the row was written — the weekly digest — sent as it is
to the channel its ``params`` name, so every retry sends the same words
(:func:`goldsieve.automation.channels.message_row` writes one).
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable

from ..clock import stamp
from ..funnels.rules import fired, triggers_of

if TYPE_CHECKING:
    from ..funnels.model import Funnel

PENDING, DONE, DEAD = "pending", "done", "dead"
#: The action shown for a row that sends a prepared message to a channel (see
#: :func:`goldsieve.automation.channels.message_row`);
#: the dispatcher tells such a row by its missing deal, so a plugin's action of this name still runs.
MESSAGE = "message"
#: How many automated changes may follow one another before rules stop firing.
MAX_DEPTH = 5


def new_row(*, key: str, action: str, params: dict[str, Any], deal: dict[str, Any] | None, at: str,
            trigger: str, rule: str | None = None, event_id: int | None = None,
            depth: int = 0) -> dict[str, Any]:
    """A pending delivery, due at once; about ``deal``, or about none."""
    about = deal or {}
    return {
        "key": key, "status": PENDING, "action": action, "params": params, "rule": rule,
        "trigger": trigger, "funnel": about.get("funnel"), "funnel_version": about.get("funnel_version"),
        "deal_id": about.get("id"), "event_id": event_id, "at": at, "depth": depth, "attempts": 0,
        "due": at, "lease_until": "", "lease_owner": None, "last_error": None,
        "created_at": at, "done_at": None, "version": 1,
    }


def rows_for(funnel: "Funnel", deal: dict[str, Any], events: list[dict[str, Any]],
             depth: int = 0) -> list[dict[str, Any]]:
    """The deliveries owed by ``events`` (already inserted, so with ids) written for ``deal``."""
    if depth > MAX_DEPTH:
        return []
    rows = []
    for rule, trigger in fired(funnel.rules, triggers_of(events, funnel), deal["data"]):
        event = events[trigger.event]
        for i, spec in enumerate(rule.actions):
            params = {k: v for k, v in spec.items() if k != "action"}
            rows.append(new_row(
                key=f"{deal['id']}.{event['id']}.{rule.id}.{trigger.on}.{i}", action=spec["action"],
                params=params, deal=deal, at=event["at"], trigger=trigger.on, rule=rule.id,
                event_id=event["id"], depth=depth,
            ))
    return rows


def backoff(attempts: int, *, base: float, cap: float, jitter: Callable[[], float] = random.random) -> timedelta:
    """The wait after the ``attempts``-th failure: ``base·2^(attempts-1)``, capped, with jitter.

    The jitter keeps half the delay and randomises the other half ("equal jitter"), so
    deliveries that failed together (a receiver that was down) do not all retry together.
    """
    delay = min(cap, base * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=delay / 2 + jitter() * delay / 2)


def failed(row: dict[str, Any], error: str, now: datetime, *, retryable: bool, max_attempts: int,
           base: float, cap: float, jitter: Callable[[], float] = random.random) -> dict[str, Any]:
    """The row after a failed attempt: due again after the backoff, or dead."""
    attempts = row["attempts"] + 1
    dead = not retryable or attempts >= max_attempts
    due = row["due"] if dead else stamp(now + backoff(attempts, base=base, cap=cap, jitter=jitter))
    return {**row, "attempts": attempts, "status": DEAD if dead else PENDING, "due": due,
            "lease_until": "", "lease_owner": None, "last_error": error[:500],
            "version": row["version"] + 1}

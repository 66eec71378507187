"""The built-in automation actions, registered through ``goldsieve_actions`` like any plugin's.

- ``notify``: an inbox notification for each recipient of ``to`` (``owner``, ``manager``,
  ``role:NAME``, ``user:NAME``, ``team:NAME``, or a list of them) who may see the deal; with
  ``channel``, also a delivery of the message to that channel.
- ``webhook``: the message to a configured channel (``[channels.NAME]`` of goldsieve.toml).
- ``create_task``: a task on the deal (``title``, ``due_days`` — in business days with
  ``business_days: true`` —, ``assignee``, default the owner).
- ``assign``: a new owner chosen by an assignment rule (the action's ``rule`` and its keys, or
  the funnel's ``assignment``) through ``goldsieve_assign_owner``.
- ``set_field``: one field of the deal's data, validated like any change.
- ``handoff``: an after-sales user (round robin within ``team``, among the ``after_sales``
  users) gets the deal handed over — it becomes visible to them — and a task.

``message`` and task titles are templates: ``{title}``, ``{stage}``, ``{owner}`` and the deal's
fields by name, filled by a formatter that allows plain names only.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from goldsieve import hookimpl
from goldsieve.automation.actions import Action, ActionContext, recipients
from goldsieve.automation.channels import DeliveryError, Message, named, page_url
from goldsieve.deals.outbox import new_row
from goldsieve.deals.tasks import due_in, task_row
from goldsieve.errors import ValidationFailed
from goldsieve.people.permissions import SYSTEM
from goldsieve.plugin_manager import assign_owner
from goldsieve.store.filters import Eq, all_of
from goldsieve.workdays import MAX_DAYS

TEXT = {"anyOf": [{"type": "string", "minLength": 1},
                  {"type": "object", "minProperties": 1, "additionalProperties": {"type": "string"}}]}
#: ``x-choices`` and ``x-value-of`` tell the funnel designer which picker a parameter gets
#: (goldsieve.funnels.edit_automations); validators ignore them.
RECIPIENT = {"type": "string", "pattern": "^(owner|manager|(role|user|team):[A-Za-z0-9._-]+)$",
             "x-choices": "recipients"}
TO = {"anyOf": [RECIPIENT, {"type": "array", "items": RECIPIENT, "minItems": 1}]}
CHANNEL = {"type": "string", "minLength": 1}

DEFAULT_MESSAGES = {
    "deal_created": "New deal {title} in {stage}",
    "stage_entered": "{title} entered {stage}",
    "stage_left": "{title} left {stage}",
    "field_changed": "{title} was changed",
    "won": "{title} was won",
    "lost": "{title} was lost",
    "stale": "{title} has had no activity in {stage} for a while",
    "task_overdue": "A task on {title} is overdue",
}


def _text(context: ActionContext) -> str:
    return context.render(context.params.get("message"),
                          DEFAULT_MESSAGES.get(context.row["trigger"], "{title}"))


def _applied(context: ActionContext) -> bool:
    """Whether an earlier attempt of this delivery already changed the deal (its event names it)."""
    return context.store.count("events", all_of(Eq("deal_id", context.deal["id"]),
                                                Eq("cause", context.key))) > 0


def _refused(error: ValidationFailed) -> DeliveryError:
    return DeliveryError("; ".join(f"{v.path}: {v.message}" for v in error.violations), retryable=False)


def notify(context: ActionContext) -> None:
    text = _text(context)
    users = recipients(context.store, context.engine, context.params["to"], context.deal)
    channel = context.params.get("channel")
    if channel is not None:
        named(context.channels, channel)  # fails before anything is written
    at = context.row["at"]
    with context.transaction() as txn:
        for user in users:
            txn.insert("notifications", {"user": user, "deal_id": context.deal["id"],
                                         "funnel": context.deal["funnel"], "text": text, "at": at,
                                         "read_at": None, "key": f"{context.key}.{user}"})
        if channel is not None:
            txn.insert("outbox", new_row(
                key=f"{context.key}.channel", action="webhook", params={"channel": channel, "message": text},
                deal=context.deal, at=at, trigger=context.row["trigger"], rule=context.row["rule"],
                event_id=context.row["event_id"], depth=context.row["depth"]))
    context.engine.on_outbox()


def webhook(context: ActionContext) -> None:
    channel = named(context.channels, context.params["channel"])
    channel.send(Message(
        event=context.row["trigger"], text=_text(context), deal=context.deal,
        funnel=context.deal["funnel"], at=context.row["at"], key=context.key,
        url=page_url(context.config, f"/deals/{context.deal['id']}"),
        mentions=(context.deal["owner"],) if context.deal.get("owner") else (),
    ))


def _due(context: ActionContext, days: float | None) -> datetime | None:
    """The due time of the task an action creates: ``due_days`` from now (else ``days``), in the
    workspace's business days when the action says ``business_days``."""
    workdays = context.engine.workdays if context.params.get("business_days") else None
    return due_in(context.now, context.params.get("due_days", days), workdays)


def create_task(context: ActionContext) -> None:
    assignee = context.params.get("assignee", "owner")
    found = recipients(context.store, context.engine, assignee, context.deal)
    if not found:
        raise DeliveryError(f"nobody who can see the deal matches the assignee {assignee!r}",
                            retryable=False)
    title = context.render(context.params["title"], "{title}")
    with context.transaction() as txn:
        txn.insert("tasks", task_row(context.deal, title, found[0],
                                     _due(context, None),
                                     SYSTEM["username"], context.now, key=context.key))


def _choose(context: ActionContext, rule: dict[str, Any]) -> str:
    chosen = assign_owner(context.engine.plugins, deal=context.deal, funnel=context.funnel, rule=rule,
                          store=context.store)
    if not chosen:
        raise DeliveryError(f"the assignment rule {rule!r} found nobody", retryable=False)
    return chosen


def assign(context: ActionContext) -> None:
    if _applied(context):
        return
    rule = context.params or context.funnel.assignment
    try:
        context.engine.assign(SYSTEM, context.deal["id"], _choose(context, rule), cause=context.row)
    except ValidationFailed as error:
        raise _refused(error) from None


def set_field(context: ActionContext) -> None:
    if _applied(context):
        return
    try:
        context.engine.update(SYSTEM, context.deal["id"], {context.params["field"]: context.params["value"]},
                              cause=context.row)
    except ValidationFailed as error:
        raise _refused(error) from None


def handoff(context: ActionContext) -> None:
    rule = {"rule": "round_robin", "role": "after_sales", "key": "handed_to"}
    if "team" in context.params:
        rule["team"] = context.params["team"]
    if not _applied(context):
        try:
            deal = context.engine.hand_off(SYSTEM, context.deal["id"], _choose(context, rule),
                                           cause=context.row)
        except ValidationFailed as error:
            raise _refused(error) from None
    else:
        deal = context.store.get("deals", context.deal["id"])
    title = context.render(context.params.get("task"), "Take over {title}")
    with context.transaction() as txn:
        txn.insert("tasks", task_row(deal, title, deal["handed_to"],
                                     _due(context, 2),
                                     SYSTEM["username"], context.now, key=context.key))


def _params(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required),
            "additionalProperties": False}


DUE_DAYS = {"type": "number", "minimum": 0, "maximum": MAX_DAYS}
#: ``due_days`` counted in the workspace's business days (``[calendar]``) instead of calendar days
BUSINESS = {"type": "boolean"}
BUILTIN = [
    Action("notify", _params({"to": TO, "message": TEXT, "channel": CHANNEL}, ("to",)), notify,
           "An inbox notification to each recipient, optionally also to a channel."),
    Action("webhook", _params({"channel": CHANNEL, "message": TEXT}, ("channel",)), webhook,
           "A message to a configured channel."),
    Action("create_task", _params({"title": TEXT, "due_days": DUE_DAYS, "business_days": BUSINESS,
                                    "assignee": RECIPIENT}, ("title",)),
           create_task, "A task on the deal."),
    Action("assign", {"type": "object", "properties": {"rule": {"type": "string"}}}, assign,
           "A new owner chosen by an assignment rule (default: the funnel's `assignment`)."),
    Action("set_field", _params({"field": {"type": "string", "minLength": 1, "x-choices": "fields"},
                                 "value": {"x-value-of": "field"}},
                                ("field", "value")), set_field, "Set one field of the deal's data."),
    Action("handoff", _params({"team": {"type": "string", "minLength": 1}, "task": TEXT,
                               "due_days": DUE_DAYS, "business_days": BUSINESS}), handoff,
           "Hand the deal over to an after-sales user, with a task."),
]


@hookimpl
def goldsieve_actions() -> list[Action]:
    return BUILTIN

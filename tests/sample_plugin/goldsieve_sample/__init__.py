"""A sample third-party plugin, switched on per workspace by ``[plugin.sample]``:

```toml
[plugin.sample]
enabled = true
max_open_deals = 2      # a user may own at most this many open deals (a gate on creation)
freeze_won = true       # nobody edits a won deal (a permission, with its reason)
```

Enabled, it also offers the action ``sample_note`` (a notification to the deal's owner), counts stage
changes (an observer that takes only ``event``) and serves them with the user's open deals at
``GET /sample/api/summary`` to bearer tokens. Everything it reads comes through the hooks'
``context``.
"""
from __future__ import annotations

from collections import Counter
from functools import cache

from goldsieve import hookimpl
from goldsieve.errors import Deny, Violation
from goldsieve.store.filters import Eq, all_of

NAME = "sample"

TOO_MANY = {"en": "You already own %(count)s open deals, the most this workspace allows.",
            "zh-Hans": "你已有 %(count)s 个进行中的商机，已达本工作区的上限。",
            "zh-Hant": "你已有 %(count)s 個進行中的商機，已達本工作區的上限。"}
FROZEN = {"en": "Won deals are frozen.", "zh-Hans": "赢单已冻结。", "zh-Hant": "贏單已凍結。"}

#: stage changes seen by this process, by the stage entered
STAGE_CHANGES: Counter[str] = Counter()


def settings(context) -> dict:
    """This plugin's table, or an empty one when the workspace has not enabled it."""
    table = context.plugin_config(NAME)
    return dict(table) if table.get("enabled") is True else {}


@hookimpl
def goldsieve_startup(context) -> None:
    limit = settings(context).get("max_open_deals")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise ValueError(f"[plugin.sample] max_open_deals = {limit!r}: a whole number, at least 1")


@hookimpl
def goldsieve_gate_check(deal, user, context) -> list[Violation]:
    """A new deal may not take its creator past ``max_open_deals`` (read from the store)."""
    limit = settings(context).get("max_open_deals")
    if limit is None or deal.get("stage") is not None:  # only on creation
        return []
    owner = deal.get("owner") or user["username"]
    count = context.store.count("deals", all_of(Eq("owner", owner), Eq("status", "open")))
    if count < limit:
        return []
    return [Violation("", "open_deal_limit", context.translate(TOO_MANY, count=count))]


@hookimpl
def goldsieve_permission(action, deal, context) -> Deny | None:
    if settings(context).get("freeze_won") and action == "edit" and deal and deal.get("status") == "won":
        return Deny(FROZEN)
    return None


@hookimpl
def goldsieve_deal_event(event) -> None:
    if event["type"] == "stage_changed":
        STAGE_CHANGES[event["to_stage"]] += 1


def add_note(action_context) -> None:
    """The ``sample_note`` action: a notification to the deal's owner, with the deal's fields."""
    deal = action_context.deal
    with action_context.transaction() as txn:
        txn.insert("notifications", {"user": deal["owner"], "deal_id": deal["id"], "funnel": deal["funnel"],
                                     "read_at": None, "at": action_context.row["at"], "key": action_context.key,
                                     "text": action_context.render(action_context.params["text"], "")})


@hookimpl
def goldsieve_actions(context) -> list:
    # imported when asked, as everything heavy here: every goldsieve command loads installed
    # plugins, and one that only lists templates should not pay for the web app
    from goldsieve.automation.actions import Action

    schema = {"type": "object", "properties": {"text": {"type": "string", "minLength": 1}},
              "required": ["text"], "additionalProperties": False}
    return [Action("sample_note", schema, add_note)] if settings(context) else []


@cache
def api():
    """The plugin's API, built once: ``GET /sample/api/summary`` for bearer tokens."""
    from flask import Blueprint, g, jsonify

    from goldsieve.web.api import token_api
    from goldsieve.web.app import current_runtime

    blueprint = token_api(Blueprint("sample_api", __name__, url_prefix="/sample/api"))

    @blueprint.get("/summary")
    def summary():
        """The token's user's open deals (those they may see) and the stage changes counted."""
        deals = current_runtime().engine.list(g.user, status="open", limit=200)
        return jsonify(user=g.user["username"], open_deals=len(deals), stage_changes=dict(STAGE_CHANGES))

    return blueprint


@hookimpl
def goldsieve_blueprints(context) -> list:
    return [api()] if settings(context) else []

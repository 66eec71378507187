"""Lead intake: marketing's leads enter their funnel's first stage with an owner chosen by rule.

The funnel's ``assignment`` (e.g. ``{"rule": "round_robin", "team": "east"}``) is asked through
``goldsieve_assign_owner``; the lead is created by the marketing user (``created_by``, so they
keep seeing it under the ``created`` scope) and owned by whoever the rule chose. A funnel without
a rule, or a rule that finds nobody, leaves the lead with its creator rather than losing it.
Taking leads needs the ``intake`` permission (marketing and admin by default).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

import pluggy

if TYPE_CHECKING:
    from .engine import Engine

Lead = tuple[str, dict[str, Any]]  # title, data


def assigned_owner(engine: "Engine", hook: pluggy.HookRelay, funnel_id: str, title: str,
                   data: dict[str, Any]) -> str | None:
    """Who the funnel's assignment rule gives a lead to, or ``None``."""
    funnel = engine.funnels.get(funnel_id)
    if not funnel.assignment:
        return None
    draft = {"funnel": funnel.id, "funnel_version": funnel.version, "title": title, "data": data,
             "stage": funnel.first_stage.id, "status": "open"}
    return hook.goldsieve_assign_owner(deal=draft, funnel=funnel, rule=funnel.assignment,
                                       store=engine.store)


def take_leads(engine: "Engine", hook: pluggy.HookRelay, user: dict[str, Any], funnel_id: str,
               leads: Iterable[Lead]) -> list[dict[str, Any]]:
    """Check every lead (nothing is written if any is refused), then create each, assigned."""
    engine.require(user, "intake")
    # by_rule: the rule gives the owner, and a lead needs no customer yet
    deals = [engine.prepare(user, funnel_id, title, data, by_rule=True) for title, data in leads]
    insert_assigned(engine, hook, user, deals)
    return deals


def insert_assigned(engine: "Engine", hook: pluggy.HookRelay, user: dict[str, Any],
                    deals: list[dict[str, Any]]) -> None:
    """Give prepared deals their owners by the funnel's rule and write them.

    Each deal is written before the next one is assigned, so that a round robin counts the
    deals of the same batch: one transaction per deal, after all of them passed the checks.
    """
    engine.require(user, "intake")
    for deal in deals:
        deal["owner"] = assigned_owner(engine, hook, deal["funnel"], deal["title"], deal["data"]) \
            or user["username"]
        engine.insert_new(user, [deal])

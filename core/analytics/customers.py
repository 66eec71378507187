"""The customer dimension of the analytics: two questions a manager asks about customers.

- **Which customers do we win?** Win rate and won amount of a funnel's deals closed in a window,
  grouped by a declared customer field (industry, hospital grade …): :func:`by_customer_field`.
- **Is the pool moving?** Customers going into the pool (released, reclaimed) and claimed from
  it, per week: :func:`pool_weeks`.

Both keep to what the user may see, in the store's queries: the deals through the deals' scope,
the customers through the customers' scope. A deal whose customer the user may not see counts as
one without a customer (its value is ``None``), so that no group tells a rep another rep's
customer data; pool events are counted only for customers the user may see.
"""
from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..clock import stamp
from ..funnels.model import LOST, WON
from ..funnels.registry import FunnelRegistry
from ..store import Store
from ..store.filters import Filter, In, Range, all_of
from .loading import visible_histories
from .metrics import ratio
from .windows import buckets

if TYPE_CHECKING:
    from .cache import HistoryCache

#: The customer events that put a customer into the pool, and the one that takes it out.
INFLOW = ("released", "reclaimed")
CLAIMED = "claimed"


def by_customer_field(store: Store, funnels: FunnelRegistry, funnel_id: str, deal_scope: Filter,
                      customer_scope: Filter, field: str, start: datetime, end: datetime,
                      cache: HistoryCache | None = None) -> list[dict[str, Any]]:
    """Per value of the customer field ``field``: the funnel's deals won and lost in [start, end)
    (their last close in the window), the win rate and the won amount (the amount when won);
    the groups by won amount, then won deals, largest first, the value ``None`` last. The deals'
    histories come from ``cache`` when given (:func:`.loading.visible_histories`)."""
    histories = visible_histories(store, funnels, funnel_id, deal_scope, end, cache)
    kinds = {s.id: s.kind for s in funnels.get(funnel_id).stages}
    closed: dict[int, tuple[str, float]] = {}
    for history in histories:
        deal_id = history.deal_id
        for stay in history.stays:
            kind = kinds.get(stay.stage)
            if kind in (WON, LOST) and start <= stay.entered_at < end:
                closed[deal_id] = (kind, history.amount_at(stay.entered_at, inclusive=True) if kind == WON else 0.0)
    # the closed ids come from the visible histories: the scope was applied when they were loaded
    linked = {d["id"]: d.get("customer_id") for d in store.iterate("deals", In("id", tuple(closed)))} if closed else {}
    wanted = tuple({c for c in linked.values() if c is not None})
    values = {c["id"]: _value(c["data"].get(field)) for c in store.find(
        "customers", all_of(customer_scope, In("id", wanted)))} if wanted else {}
    won: Counter = Counter()
    lost: Counter = Counter()
    amount: Counter = Counter()
    for deal_id, (kind, won_amount) in closed.items():
        value = values.get(linked.get(deal_id))  # type: ignore[arg-type]
        (won if kind == WON else lost)[value] += 1
        amount[value] += won_amount
    groups = [{"value": value, "won": won[value], "lost": lost[value],
               "win_rate": ratio(won[value], won[value] + lost[value]), "won_amount": amount[value]}
              for value in set(won) | set(lost)]
    return sorted(groups, key=lambda g: (g["value"] is None, -g["won_amount"], -g["won"], str(g["value"])))


def _value(value: Any) -> Any:
    """A field's value as a group: text, a number or yes/no as it is; a list or an object (which
    no group can hold) as none."""
    return value if isinstance(value, (str, int, float, bool)) else None


def pool_weeks(store: Store, customer_scope: Filter, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Per week (Monday to Monday) of [start, end): how many customers went into the pool
    (released by their owner or reclaimed when idle) and how many were claimed from it, counting
    the customers the user may see."""
    spans = [(max(low, start), min(high, end)) for low, high in buckets(start, end, "week")]
    events = store.find("customer_events", all_of(In("type", (*INFLOW, CLAIMED)),
                                                  Range("at", stamp(start), stamp(end))))
    ids = tuple({e["customer_id"] for e in events})
    visible = {c["id"] for c in store.find("customers", all_of(customer_scope, In("id", ids)))} if ids else set()
    starts = [stamp(low) for low, _ in spans]
    inflow: Counter = Counter()
    claims: Counter = Counter()
    for event in events:
        if event["customer_id"] in visible:
            week = bisect_right(starts, event["at"]) - 1
            (claims if event["type"] == CLAIMED else inflow)[week] += 1
    return [{"from": low.isoformat(), "to": high.isoformat(), "inflow": inflow[n], "claimed": claims[n]}
            for n, (low, high) in enumerate(spans)]

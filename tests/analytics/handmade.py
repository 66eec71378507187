"""A small funnel and a hand-written event log whose every number is worked out in the tests."""
from __future__ import annotations

from datetime import datetime, timezone

from goldsieve.analytics.stays import DealHistory, StageMapper, build_history
from goldsieve.clock import stamp
from goldsieve.funnels.registry import FunnelRegistry

FUNNEL = {
    "id": "mini", "title": "Mini", "version": 1,
    "fields": {"type": "object", "properties": {"amount": {"type": "number"}}},
    "stages": [
        {"id": "lead", "title": "Lead", "kind": "open", "probability": 0.1},
        {"id": "qualified", "title": "Qualified", "kind": "open", "probability": 0.3},
        {"id": "quote", "title": "Quote", "kind": "open", "probability": 0.6},
        {"id": "won", "title": "Won", "kind": "won", "probability": 1.0},
        {"id": "lost", "title": "Lost", "kind": "lost", "probability": 0.0},
    ],
    "lost_reasons": [{"id": "price", "title": "Price"}, {"id": "timing", "title": "Timing"}],
    "targets": {"qualified": 0.5, "quote": 0.5, "won": 0.5},
}


def day(d: int, month: int = 1, year: int = 2026, hour: int = 0) -> datetime:
    return datetime(year, month, d, hour, tzinfo=timezone.utc)


def event(deal_id: int, type_: str, at: datetime, to: str | None = None, frm: str | None = None,
          reason: str | None = None, amount: float | None = None, version: int = 1) -> dict:
    return {"deal_id": deal_id, "funnel": "mini", "funnel_version": version, "type": type_,
            "at": stamp(at), "by": "someone", "from_stage": frm, "to_stage": to,
            "lost_reason": reason, "changes": {"amount": [None, amount]} if amount is not None else {},
            "note": None}


def created(deal_id, at, amount=None, stage="lead"):
    return event(deal_id, "created", at, to=stage, amount=amount)


def moved(deal_id, at, frm, to, reason=None):
    return event(deal_id, "stage_changed", at, to=to, frm=frm, reason=reason)


#: deal id -> its events (see test_metrics for what each deal does)
LOG = {
    1: [created(1, day(1), 100), moved(1, day(3), "lead", "qualified"),
        event(1, "note_added", day(4)), moved(1, day(6), "qualified", "quote"),
        moved(1, day(10), "quote", "won")],
    2: [created(2, day(2), 200), moved(2, day(4), "lead", "lost", "price")],
    3: [created(3, day(2), 50), moved(3, day(5), "lead", "qualified"),
        moved(3, day(7), "qualified", "lead"), moved(3, day(8), "lead", "qualified")],
    4: [created(4, day(5)), moved(4, day(6), "lead", "lost", "timing"),
        event(4, "reopened", day(9), to="lead", frm="lost"),
        event(4, "automation_fired", day(11), to="quote")],
    5: [created(5, day(20), 1000)],
    6: [created(6, day(28, 12, 2025), 300), moved(6, day(2), "lead", "qualified"),
        moved(6, day(12), "qualified", "lost", "price")],
}


def registry(*definitions: dict) -> FunnelRegistry:
    return FunnelRegistry(definitions or (FUNNEL,))


def histories(log: dict[int, list[dict]] = LOG, funnels: FunnelRegistry | None = None,
              funnel_id: str = "mini") -> list[DealHistory]:
    mapper = StageMapper(funnels or registry(), funnel_id)
    return [build_history(deal_id, events, mapper) for deal_id, events in log.items()]

"""How much work went into a funnel: done activities per rep per week, and per stage and type.

A manager's question is "who is out visiting, and where in the funnel does the work go": the
done activities of the funnel's deals the reader may see, counted by the activity's owner and
the week (Monday to Monday, UTC, as the trend's weeks) it was done in, and by the stage the deal
was in when it was done (kept on the activity when it is logged; one logged before that is
counted under ``None``, "stage not recorded") and its type. The reader's scope decides which
deals count, as on every report.
"""
from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..clock import parse_stamp, stamp
from ..deals.activities import DONE
from ..store import Store
from ..store.filters import Eq, Filter, In, Range, all_of
from .windows import buckets


@dataclass(frozen=True)
class ActivityCounts:
    """The counts of one window: ``weeks`` are the buckets' starts; ``by_owner[owner][i]`` is the
    owner's count in week ``i``; ``by_stage[(stage, type)]`` a count."""

    weeks: list[datetime]
    by_owner: dict[str, list[int]]
    by_stage: dict[tuple[str | None, str], int]

    @property
    def total(self) -> int:
        return sum(self.by_stage.values())

    def as_json(self) -> dict[str, Any]:
        """The report as the API answers it."""
        return {
            "weeks": [stamp(w) for w in self.weeks],
            "reps": [{"owner": owner, "weeks": counts, "total": sum(counts)}
                     for owner, counts in sorted(self.by_owner.items(), key=lambda kv: (-sum(kv[1]), kv[0]))],
            "stages": [{"stage": stage, "type": kind, "count": n}
                       for (stage, kind), n in sorted(self.by_stage.items(), key=lambda kv: (-kv[1], str(kv[0])))],
            "total": self.total,
        }


def activity_counts(store: Store, funnel_id: str, scope: Filter, start: datetime, end: datetime) -> ActivityCounts:
    """The done activities in [start, end) on the funnel's deals within ``scope``."""
    weeks = buckets(start, end, "week")
    deals = tuple(sorted(d["id"] for d in store.find("deals", all_of(scope, Eq("funnel", funnel_id)))))
    if not deals:
        return ActivityCounts([w[0] for w in weeks], {}, {})
    # the deals' activities by the index on deal_id, then the window (no index on done_at to keep)
    window = Range("done_at", stamp(start), stamp(end))
    rows = store.find("activities", all_of(In("deal_id", deals), Eq("status", DONE), window))
    starts = [w[0] for w in weeks]
    by_owner: dict[str, list[int]] = {}
    for row in rows:
        week = _week_of(starts, parse_stamp(row["done_at"]))
        by_owner.setdefault(row["owner"], [0] * len(starts))[week] += 1
    by_stage = Counter((row.get("stage"), row["type"]) for row in rows)
    return ActivityCounts(starts, by_owner, dict(by_stage))


def _week_of(starts: list[datetime], moment: datetime) -> int:
    """The index of the week ``moment`` lies in (the buckets cover the window, so one does)."""
    return max(bisect_right(starts, moment) - 1, 0)

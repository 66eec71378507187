"""The demo's activities: calls, visits and demos the reps did on a third of their open deals over
the past four weeks, and a planned next step on most of them, so that the deal pages, the next-step flag,
the calendar feed and the analytics' Activities tab have something to show (docs/activities.md).

They are logged through :meth:`Activities.create` as their owner would log them, which keeps
each deal's ``next_activity_at`` and an activity's stage exactly as the product writes them.
"""
from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from ..clock import stamp
from ..people.users import find_user
from ..runtime import Runtime
from ..store.filters import Eq

#: How many of the open deals (the oldest first) get activities.
DEALS = 60
#: Every how many of them one has done activities.
DONE_EVERY = 3
#: Every how many of them one is left with no next step (the board flags it).
NO_NEXT_STEP_EVERY = 4
OUTCOMES = ("Confirmed the budget owner", "Sent the revised quote", "Walked the IT lead through the demo",
            "Agreed the next meeting", "Asked for references")


def write_activities(runtime: Runtime, seed: int) -> dict[str, Any]:
    """Log the demo's activities; returns what demo.json tells about them."""
    rng, now = random.Random(seed), runtime.engine.clock()
    kinds = [kind.id for kind in runtime.activities.types.all]
    deals = [d for d in runtime.store.find("deals", Eq("status", "open"), limit=DEALS) if d.get("owner")]
    done = planned = 0
    owners = {name: find_user(runtime.store, name) for name in {d["owner"] for d in deals}}
    for index, deal in enumerate(deals):
        owner = owners[deal["owner"]]
        # a done activity is work on the deal (its stale clock starts again): a third of them, so
        # that the board still shows stale deals
        for _ in range(rng.randint(1, 3) if index % DONE_EVERY == 0 else 0):
            when = now - timedelta(days=rng.uniform(0.2, 27), hours=rng.randint(0, 6))
            runtime.activities.create(owner, rng.choice(kinds), deal_id=deal["id"], done_at=stamp(when),
                                      duration_minutes=rng.choice((15, 30, 45, 60)), outcome=rng.choice(OUTCOMES))
            done += 1
        if index % NO_NEXT_STEP_EVERY != NO_NEXT_STEP_EVERY - 1:
            due = now + timedelta(days=rng.randint(1, 10), hours=rng.randint(1, 8))
            runtime.activities.create(owner, rng.choice(kinds), deal_id=deal["id"],
                                      due_at=stamp(due.replace(minute=0, second=0, microsecond=0)), duration_minutes=60)
            planned += 1
    return {"activities": {"done": done, "planned": planned}}

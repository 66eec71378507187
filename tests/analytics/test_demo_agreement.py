"""On a 5,000-deal demo, the API's entered, current and lost_by_reason equal what a plain
recount of ``goldsieve export --what events`` gives (issue 6, "Done when").

The recount below reads only the exported CSV and walks each deal's stage events in order; it
shares no code with :mod:`goldsieve.analytics`.
"""
from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest

from goldsieve.deals.exporting import export
from goldsieve.demo.builder import DEMO_FILE, ensure_demo
from goldsieve.people.users import issue_token
from goldsieve.web.app import create_app

STAGE_EVENTS = ("created", "stage_changed", "reopened")


def recount(rows: list[dict], kinds: dict[str, str], start: str, end: str) -> dict[str, dict]:
    """Per stage, for entries in [start, end) (dates): entered, lost by reason, current at end."""
    by_deal = defaultdict(list)
    for row in rows:
        if row["type"] in STAGE_EVENTS and row["at"] < end + "T":
            by_deal[row["deal_id"]].append(row)
    entered, current, lost = Counter(), Counter(), defaultdict(Counter)
    for events in by_deal.values():
        events.sort(key=lambda e: int(e["id"]))
        current_stage = events[-1]["to_stage"]
        if kinds.get(current_stage) == "open":
            current[current_stage] += 1
        last_entry = {}
        for n, event in enumerate(events):
            if start <= event["at"][:10] < end:
                last_entry[event["to_stage"]] = n
        for stage, n in last_entry.items():
            entered[stage] += 1
            following = events[n + 1] if n + 1 < len(events) else None
            if following is not None and kinds.get(following["to_stage"]) == "lost":
                lost[stage][following["lost_reason"]] += 1
    return {"entered": entered, "current": current, "lost": lost}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "ws"
    ensure_demo(folder, deals=5000)
    app = create_app(folder, config={"TESTING": True})
    runtime = app.extensions["goldsieve"]
    last = date.fromisoformat(json.loads((folder / DEMO_FILE).read_text())["history_until"])
    # a quarter-long window ending a month before the history does: outcomes after it exist
    window = ((last - timedelta(days=120)).isoformat(), (last - timedelta(days=30)).isoformat())
    yield app, runtime, window
    runtime.close()


def test_api_agrees_with_a_recount_of_the_exported_events(demo):
    app, runtime, (start, end) = demo
    out = io.StringIO()
    export(runtime, out, what="events", funnel_id="software")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    kinds = {s.id: s.kind for s in runtime.funnels.get("software").stages}
    expected = recount(rows, kinds, start, end)
    token = issue_token(runtime.store, "admin")
    body = app.test_client().get(f"/api/v1/analytics/funnel?funnel=software&from={start}&to={end}",
                                 headers={"Authorization": f"Bearer {token}"}).get_json()
    assert sum(expected["entered"].values()) > 1000  # the window is well inside the demo's history
    for row in body["stages"]:
        stage = row["stage"]
        assert row["entered"] == expected["entered"][stage], stage
        assert row["current"] == expected["current"][stage], stage
        assert row["lost_by_reason"] == dict(expected["lost"][stage]), stage


def test_the_advisor_has_a_grounded_suggestion_on_the_demo(demo):
    app, runtime, _window = demo
    token = issue_token(runtime.store, "admin")
    body = app.test_client().get("/api/v1/analytics/advice?funnel=software",
                                 headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["suggestions"], body
    for suggestion in body["suggestions"]:
        assert suggestion["numbers"] and suggestion["message"]

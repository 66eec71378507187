"""One stale rule: the board's badge and the scanner's marks say the same thing at every moment."""
from __future__ import annotations

from datetime import timedelta

import pytest

from goldsieve.automation.scanner import scan_stale
from goldsieve.people.users import find_user

from tests.conftest import load_funnel
from tests.deals.test_stale import FRIDAY_5PM
from tests.ui.test_board import card, page, to_quote


@pytest.fixture
def goldsieve_funnel():
    funnel = load_funnel("design_example")
    quote = next(s for s in funnel["stages"] if s["id"] == "quote")
    quote.update(rot_days=1, rot_days_business=True)
    return funnel


def test_the_board_and_the_scanner_agree_hour_by_hour(rep_browser, goldsieve_runtime, goldsieve_clock):
    """Friday 17:00 into a quote with one business day: the badge and the scan's mark appear
    in the same hour (before the rule was one, the board said stale on Monday morning)."""
    engine, rita = goldsieve_runtime.engine, find_user(goldsieve_runtime.store, "rita")
    goldsieve_clock.now = FRIDAY_5PM
    deal = engine.create(rita, "handmade", "Quoted", {"company": "Acme", "amount": 5000})
    deal = to_quote(engine, rita, deal)
    seen = []
    for hour in range(0, 76, 4):  # Friday evening to Monday night
        goldsieve_clock.now = FRIDAY_5PM + timedelta(hours=hour, minutes=1)
        badge = "badge-stale" in card(page(rep_browser), deal["id"])
        scan_stale(engine, goldsieve_clock())
        marked = goldsieve_runtime.store.get("deals", deal["id"]).get("stale_since") is not None
        seen.append((goldsieve_clock.now.strftime("%a %H:%M"), badge, marked))
    assert all(badge == marked for _, badge, marked in seen), " ".join(map(str, seen))
    assert [when for when, badge, _ in seen if badge][0] == "Mon 17:01"

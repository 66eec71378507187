"""The stale rule: calendar and business days, open stages with ``rot_days`` only."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from goldsieve.deals.stale import idle_since, is_stale
from goldsieve.funnels.model import Stage

FRIDAY_5PM = datetime(2026, 1, 9, 17, 0, tzinfo=timezone.utc)
ONE_BUSINESS_DAY = Stage("quote", "open", "Quote", 0.5, 0, rot_days=1, rot_days_business=True)


@pytest.mark.parametrize(("now", "stale"), [
    (datetime(2026, 1, 10, 17, 1, tzinfo=timezone.utc), False),  # Saturday: the weekend does not count
    (datetime(2026, 1, 12, 9, 0, tzinfo=timezone.utc), False),   # Monday morning: 16 hours so far
    (datetime(2026, 1, 12, 16, 59, tzinfo=timezone.utc), False),
    (datetime(2026, 1, 12, 17, 0, tzinfo=timezone.utc), True),  # Monday 17:00: exactly one
])
def test_one_business_day_from_friday_evening_ends_on_monday_evening(now, stale):
    assert is_stale(ONE_BUSINESS_DAY, FRIDAY_5PM, now) is stale


def test_only_open_stages_with_rot_days_go_stale():
    later = FRIDAY_5PM + timedelta(days=400)
    assert not is_stale(Stage("lead", "open", "Lead", 0.1, 0), FRIDAY_5PM, later)
    assert not is_stale(Stage("won", "won", "Won", 1, 5, rot_days=1), FRIDAY_5PM, later)
    assert idle_since(ONE_BUSINESS_DAY, datetime(2026, 1, 13, 8, 0, tzinfo=timezone.utc)) == \
        datetime(2026, 1, 12, 8, 0, tzinfo=timezone.utc)


def test_idle_since_never_moves_back_as_time_goes_on():
    """Across two weeks in steps of 37 minutes: stale once means stale until the next activity."""
    two_days = Stage("quote", "open", "Quote", 0.5, 0, rot_days=2, rot_days_business=True)
    moments = [FRIDAY_5PM + timedelta(minutes=37 * i) for i in range(14 * 24 * 60 // 37)]
    bounds = [idle_since(two_days, now) for now in moments]
    assert bounds == sorted(bounds)
    weekday_hours = [(b, now) for b, now in zip(bounds, moments) if now.weekday() < 5]
    assert all(now - b >= timedelta(days=2) for b, now in weekday_hours)

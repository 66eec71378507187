"""A minute as a person types it, read the same way by the pages and the command line."""
from __future__ import annotations

import pytest

from goldsieve.clock import parse_stamp, typed_minute


@pytest.mark.parametrize("typed", ["2026-03-02T09:30", "2026-03-02 09:30", " 2026-03-02T09:30 "])
def test_a_typed_minute_is_a_utc_timestamp(typed):
    assert typed_minute(typed) == "2026-03-02T09:30:00Z"
    assert parse_stamp(typed_minute(typed)).utcoffset().total_seconds() == 0


@pytest.mark.parametrize("typed", [
    "２０２６-03-02T09:30",        # full-width digits: left for the kernel to refuse
    "٢٠٢٦-03-02T09:30",            # Arabic-Indic digits
    "2026-03-02T09:30:00+08:00",   # a whole timestamp goes on as written
    "tomorrow", "2026-3-2 9:30", "",
])
def test_anything_else_goes_on_as_typed(typed):
    assert typed_minute(typed) == typed.strip()

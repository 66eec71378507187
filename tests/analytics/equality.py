"""Comparing two funnel reports computed different ways: exactly.

Means and sums are exact before their one rounding (see :mod:`goldsieve.analytics.metrics`), so
even they must not differ in the last bit: every count, share, median, percentile, mean, sum,
maximum and the deal ids behind each lost reason must be equal, and of the same type.
"""
from __future__ import annotations

from goldsieve.testing.analytics import first_difference


def assert_same(found, expected, path="report"):
    difference = first_difference(expected, found, path)
    assert difference is None, difference


def numbers(report) -> dict:
    """The report as the API shows it, plus the deal ids behind each lost reason."""
    whole = report.as_dict()
    for row, stage in zip(whole["stages"], report.stages):
        row["lost_deals"] = stage.lost_deals
    return whole

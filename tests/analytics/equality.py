"""Comparing two funnel reports computed different ways: exact, except what is summed.

Means and sums of amounts depend on the order the values are added in, which a database does
not promise; they must agree to a relative 1e-9. Every count, share, median, percentile, maximum
and the deal ids behind each lost reason must be equal, and of the same type.
"""
from __future__ import annotations

import pytest

#: numbers summed or averaged in the database's own order: equal up to float rounding
ROUNDED = {"mean", "current_amount", "weighted_amount", "cycle_days", "average_won_amount", "velocity"}


def assert_same(found, expected, path="report"):
    if isinstance(expected, dict):
        assert set(found) == set(expected), path
        for key in expected:
            assert_same(found[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert len(found) == len(expected), path
        for n, (a, b) in enumerate(zip(found, expected)):
            assert_same(a, b, f"{path}[{n}]")
    elif path.rsplit(".", 1)[-1] in ROUNDED and isinstance(expected, float):
        assert found == pytest.approx(expected, rel=1e-9, abs=1e-12), path
    else:
        assert found == expected and type(found) is type(expected), (path, found, expected)


def numbers(report) -> dict:
    """The report as the API shows it, plus the deal ids behind each lost reason."""
    whole = report.as_dict()
    for row, stage in zip(whole["stages"], report.stages):
        row["lost_deals"] = stage.lost_deals
    return whole

"""Comparing two funnel reports computed different ways: exactly.

Means and sums are exact before their one rounding (see :mod:`goldsieve.analytics.metrics`), so
even they must not differ in the last bit: every count, share, median, percentile, mean, sum,
maximum and the deal ids behind each lost reason must be equal, and of the same type.
"""
from __future__ import annotations


def assert_same(found, expected, path="report"):
    if isinstance(expected, dict):
        assert set(found) == set(expected), path
        for key in expected:
            assert_same(found[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert len(found) == len(expected), path
        for n, (a, b) in enumerate(zip(found, expected)):
            assert_same(a, b, f"{path}[{n}]")
    else:
        assert found == expected and type(found) is type(expected), (path, found, expected)


def numbers(report) -> dict:
    """The report as the API shows it, plus the deal ids behind each lost reason."""
    whole = report.as_dict()
    for row, stage in zip(whole["stages"], report.stages):
        row["lost_deals"] = stage.lost_deals
    return whole

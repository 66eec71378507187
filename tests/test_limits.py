"""The one reading of numbers: the range goldsieve holds and sums, and numbers as people type them."""
from __future__ import annotations

import math

import pytest

from goldsieve.limits import MAX_ID, NUMBER_LIMIT, in_range, read_number, whole_number


@pytest.mark.parametrize("value, expected", [
    (0, True), (NUMBER_LIMIT, True), (-NUMBER_LIMIT, True), (float(NUMBER_LIMIT), True), (2.5, True),
    (NUMBER_LIMIT + 1, False), (-NUMBER_LIMIT - 1, False), (1e308, False), (10**400, False),
    (math.nan, False), (math.inf, False), (-math.inf, False),
    (True, False), ("5", False), (None, False), ([1], False),
])
def test_in_range_is_a_finite_json_number_within_the_limit(value, expected):
    assert in_range(value) is expected


def test_the_limit_keeps_sums_and_json_readers_exact():
    """10^15 is below 2^53: every whole number in range survives a round trip through a double."""
    assert NUMBER_LIMIT < 2**53 and float(NUMBER_LIMIT - 1) == NUMBER_LIMIT - 1
    assert MAX_ID == 2**53 - 1


@pytest.mark.parametrize("text, low, high, expected", [
    ("0", 0, MAX_ID, 0), ("42", 0, MAX_ID, 42), ("007", 0, MAX_ID, 7), (str(MAX_ID), 0, MAX_ID, MAX_ID),
    (str(MAX_ID + 1), 0, MAX_ID, None), ("9" * 30, 0, MAX_ID, None), ("0" * 30 + "1", 0, MAX_ID, None),
    ("²", 0, MAX_ID, None), ("٣", 0, MAX_ID, None), ("１２", 0, MAX_ID, None), ("1_000", 0, MAX_ID, None),
    ("-1", 0, MAX_ID, None), ("+1", 0, MAX_ID, None), (" 1", 0, MAX_ID, None), ("1.0", 0, MAX_ID, None),
    ("", 0, MAX_ID, None), ("0", 1, 200, None), ("200", 1, 200, 200), ("201", 1, 200, None),
    (None, 0, MAX_ID, None), (7, 0, MAX_ID, None),
])
def test_whole_number_reads_ascii_digits_within_range_only(text, low, high, expected):
    assert whole_number(text, low, high) == expected


@pytest.mark.parametrize("text, integer, expected", [
    ("12", False, 12), ("-12", True, -12), ("+7", False, 7), (" 3.5 ", False, 3.5), (".5", False, 0.5),
    ("5.", True, 5), ("1e3", True, 1000), ("1e6", False, 1e6), ("2.5", True, None),
    ("٣", False, None), ("²", False, None), ("1_000", False, None), ("0x10", False, None),
    ("nan", False, None), ("inf", False, None), ("Infinity", False, None), ("", False, None),
    ("1e400", False, math.inf), ("-1e400", False, -math.inf), ("1e400", True, None),
    ("9" * 5000, True, math.inf), ("-" + "9" * 5000, False, -math.inf),
])
def test_read_number_takes_what_people_write_and_nothing_python_alone_reads(text, integer, expected):
    found = read_number(text, integer)
    assert found == expected and type(found) is type(expected)

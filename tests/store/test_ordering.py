"""Sorted, keyset-paged queries (``Store.find_ordered``): every backend orders exactly as
:func:`goldsieve.store.ordering.sort_key` does, odd values included, and its cursors page
through without skipping or repeating a row."""
from __future__ import annotations

import pytest

from goldsieve.store import Eq
from goldsieve.store.ordering import Order, decode_cursor, encode_cursor, sort_key

from tests.store.conftest import ids, insert

#: Every kind of value at ``data.x``: absent, null, booleans, numbers (one out of range), text
#: (Chinese and code-point order), a list and an object; several ties to be broken by id.
VALUES = [None, True, False, 3, -2.5, 0, 10**16, "b", "B", "白云", "a", "a", [1], {"k": 1}, 3, 0.5]


@pytest.fixture
def rows(store):
    docs = [{"kind": "deal", "data": {"x": value}} for value in VALUES] + [{"kind": "deal", "data": {}}]
    insert(store, "deals", *docs, {"kind": "other", "data": {"x": 1}})
    return store


def every_page(store, order, limit):
    pages, cursor = [], None
    while True:
        page, cursor = store.find_ordered("deals", Eq("kind", "deal"), order, after=cursor, limit=limit)
        pages.append(ids(page))
        if cursor is None:
            return pages


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("limit", [1, 4, 17, 50])
def test_pages_follow_the_reference_order(rows, descending, limit):
    order = Order("data.x", descending)
    expected = [d["id"] for d in sorted(rows.find("deals", Eq("kind", "deal")),
                                        key=lambda d: sort_key(d, order), reverse=descending)]
    pages = every_page(rows, order, limit)
    assert [i for page in pages for i in page] == expected
    assert all(len(page) == limit for page in pages[:-1]) and 0 < len(pages[-1]) <= limit


def test_kinds_rank_before_values(rows):
    page, _ = rows.find_ordered("deals", Eq("kind", "deal"), Order("data.x"), limit=100)
    shown = [d["data"].get("x", "absent") for d in page]
    assert shown[:2] == [None, "absent"]  # absent and null rank alike, by id
    assert shown[2:4] == [False, True]
    numbers = [v for v in shown if isinstance(v, (int, float)) and not isinstance(v, bool)]
    assert numbers == [-2.5, 0, 0.5, 3, 3, 10**16]
    texts = [v for v in shown if isinstance(v, str) and v != "absent"]
    assert texts == ["B", "a", "a", "b", "白云"]  # code point order, as collation "C"
    assert shown.index(10**16) > shown.index("白云")  # beyond the number range: with the odd ones


def test_a_sort_on_an_envelope_field_and_an_empty_result(rows):
    page, cursor = rows.find_ordered("deals", Eq("kind", "none"), Order("id", True), limit=5)
    assert (page, cursor) == ([], None)
    page, cursor = rows.find_ordered("deals", None, Order("id", True), limit=3)
    assert ids(page) == sorted(ids(rows.find("deals")), reverse=True)[:3] and cursor is not None


def test_a_cursor_reads_back_and_anything_else_is_refused():
    key = (3, 0, "广州白云医院", 42)
    assert decode_cursor(encode_cursor(key)) == key
    assert decode_cursor(encode_cursor((2, 2.5, "", 1))) == (2, 2.5, "", 1)
    for bad in ["", "x", encode_cursor((9, 0, "", 1)), "WzEsMiwzXQ", encode_cursor((3, 0, "a\x00", 1))]:
        assert decode_cursor(bad) is None

"""The list's one filter rule (``listing.criteria_filter``) in the store on both stores: every
criterion finds exactly the deals the reference (``filters.matches``) finds, within the scope,
and sorted pages walk the whole result."""
from __future__ import annotations

import pytest

from goldsieve.deals import listing
from goldsieve.store.filters import all_of, matches
from goldsieve.store.ordering import Order, decode_cursor, sort_key

BOTH = pytest.mark.parametrize("goldsieve_store_url", ["tinydb:data", "postgresql"], indirect=True)
pytestmark = BOTH


@pytest.fixture
def filled(goldsieve_engine, goldsieve_make_user):
    rita = goldsieve_make_user("rita", "rep")
    sam = goldsieve_make_user("sam", "rep")
    engine = goldsieve_engine
    for n, (who, amount, day) in enumerate([(rita, 10, "2026-01-05"), (rita, 250, "2026-02-01"),
                                            (rita, None, None), (sam, 250, "2026-02-01"), (rita, 0, "2026-01-31")]):
        data = {"company": f"Company {n}", **({"amount": amount} if amount is not None else {}),
                **({"demo_date": day} if day else {})}
        deal = engine.create(who, "handmade", f"Deal {n} 白云" if n % 2 else f"Deal {n}", data)
        if n == 4:
            engine.move(who, deal["id"], "lost", lost_reason="price")
    return engine, rita


CASES = [
    listing.Criteria(status="lost"),
    listing.Criteria(status="open", ranges=(("amount", 10, 250),)),
    listing.Criteria(ranges=(("amount", None, 10),)),
    listing.Criteria(ranges=(("demo_date", "2026-01-31", "2026-02-01"),)),
    listing.Criteria(ranges=(("demo_date", None, "2026-01-31"),)),
    listing.Criteria(stages=("lead", "lost"), owner="rita"),
    listing.Criteria(title="白云"),
    listing.Criteria(choices=(("company", ("Company 1", "Company 2")),)),
    listing.Criteria(funnel="handmade", stale=True),
    listing.Criteria(title="\x00"),
]


@pytest.mark.parametrize("criteria", CASES, ids=range(len(CASES)))
def test_the_store_finds_what_the_reference_finds(filled, criteria):
    engine, rita = filled
    everything = engine.store.find("deals")
    where = all_of(engine.scope(rita), listing.criteria_filter(criteria))
    expected = sorted((d["id"] for d in everything if matches(where, d)), reverse=True)
    rows, _ = listing.find(engine, rita, criteria, limit=100)
    assert [d["id"] for d in rows] == expected
    assert all(d["owner"] == "rita" for d in rows)  # the scope is always part of it


def test_a_search_reaches_text_fields_and_sorted_pages_walk_it_all(filled):
    engine, rita = filled
    rows, _ = listing.find(engine, rita, listing.Criteria(text="company 4"), limit=10)
    assert [d["data"]["company"] for d in rows] == ["Company 4"]  # a text field, case folded
    order = Order("data.amount", descending=True)
    seen, cursor = [], None
    while True:
        after = decode_cursor(cursor) if cursor else None
        rows, cursor = listing.find(engine, rita, listing.Criteria(), order, after, limit=1)
        seen += rows
        if cursor is None:
            break
    assert [d["id"] for d in seen] == [d["id"] for d in sorted(
        (d for d in engine.store.find("deals") if d["owner"] == "rita"),
        key=lambda d: sort_key(d, order), reverse=True)]

"""Numbers already in the store never take a page down (issue 14, part 1).

The engine refuses numbers beyond ±10^15 and NaN; a store may still hold them — written before
the limit existed, or by something that went past the engine. Each extreme is put straight into
the store (a deal's data and an ``updated`` event, as the analytics read amounts from the log)
of a deal in an open stage, one in the next and a won one, on both stores as far as each can
hold it; then every page and report that shows or sums amounts is read by a rep, her manager,
the admin and the executive: all answer 200, the API's JSON is strict JSON, and the sums count
an extreme as 0, as they count text.
"""
from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest

from goldsieve.analytics import funnel_report
from goldsieve.automation.digest import build_digest
from goldsieve.deals.exporting import export
from goldsieve.store.filters import Everything

from tests.security.conftest import FUNNEL
from tests.ui.test_board import columns, head, page

BOTH_STORES = pytest.mark.parametrize("goldsieve_store_url", ["tinydb:data", "postgresql"],
                                      indirect=True)

EXTREMES = {
    "1e308": 1e308, "-1e308": -1e308, "10**400": 10**400, "-10**400": -(10**400),
    "10**15+1": 10**15 + 1, "nan": float("nan"), "inf": float("inf"), "-inf": float("-inf"),
    "text": "a lot", "true": True, "list": [1e308], "object": {"amount": 10**400},
}
READERS = ("rita", "mia", "admin", "eve")


def aggregate_pages() -> list[str]:
    """The pages that sum or list every deal a reader may see."""
    return [
        "/", f"/board/{FUNNEL}", f"/board/{FUNNEL}/column/lead", f"/board/{FUNNEL}/column/qualified",
        f"/board/{FUNNEL}/column/lead/more?after=9999", f"/analytics/{FUNNEL}", f"/analytics/{FUNNEL}/forecast",
        f"/analytics/{FUNNEL}/advice", f"/analytics/{FUNNEL}/lost?stage=lead&reason=price",
        f"/analytics/{FUNNEL}/stages.csv", f"/analytics/{FUNNEL}/trend.csv", "/digest",
    ]


AGGREGATE_API = ["deals?limit=200", f"analytics/funnel?funnel={FUNNEL}", f"analytics/trend?funnel={FUNNEL}",
                 f"forecast?funnel={FUNNEL}", f"analytics/advice?funnel={FUNNEL}"]


def strict_json(text: str):
    """JSON as every other reader parses it: ``NaN`` and ``Infinity`` are not JSON."""
    def refuse(token: str):
        raise AssertionError(f"{token} in a JSON answer")
    return json.loads(text, parse_constant=refuse)


def plant(store, deal_id: int, value) -> tuple[bool, bool]:
    """The deal's amount set to ``value`` in its data, and by an ``updated`` event, bypassing the
    engine; whether the store could hold each (PostgreSQL has no NaN in JSONB, and its stays
    trigger refuses an amount beyond a ``float8``)."""
    held = []
    for write in (_plant_data, _plant_event):
        try:
            with store.transaction() as txn:
                write(txn, deal_id, value)
        except Exception:  # the store's own refusal, whatever its kind
            held.append(False)
        else:
            held.append(True)
    return held[0], held[1]


def _plant_data(txn, deal_id: int, value) -> None:
    deal = txn.get("deals", deal_id)
    txn.replace("deals", {**deal, "data": {**deal["data"], "amount": value}})


def _plant_event(txn, deal_id: int, value) -> None:
    deal = txn.get("deals", deal_id)
    txn.insert("events", {
        "deal_id": deal_id, "funnel": deal["funnel"], "funnel_version": deal["funnel_version"],
        "type": "updated", "at": deal["updated_at"], "by": deal["owner"], "from_stage": None,
        "to_stage": None, "lost_reason": None, "changes": {"amount": [1000, value]}, "note": None})


#: the stages rita's deals of each extreme are in, and the moves that take a deal there
PATHS = {"lead": [], "qualified": ["qualified"], "won": ["qualified", "quote", "negotiation", "won"]}


@pytest.fixture
def planted(org) -> dict[str, dict[str, tuple[int, tuple[bool, bool]]]]:
    """For each extreme, one of rita's deals in ``lead``, one in ``qualified`` and one won, its
    amount replaced by the extreme: name -> stage -> (deal id, what the store held)."""
    rita = org.user("rita")
    found: dict[str, dict[str, tuple[int, tuple[bool, bool]]]] = {}
    for name, value in EXTREMES.items():
        for stage, moves in PATHS.items():
            deal_id = org.engine.create(rita, FUNNEL, f"{name} {stage}", {"company": "R", "amount": 1000})["id"]
            for move in moves:
                org.engine.move(rita, deal_id, move, changes={"needs_survey": "ok"})
            found.setdefault(name, {})[stage] = (deal_id, plant(org.store, deal_id, value))
    return found


@BOTH_STORES
def test_every_page_and_report_survives_the_extremes_in_the_store(org, app, planted):
    for reader in READERS:
        browser = org.browser(app, reader)
        for path in aggregate_pages():
            response = browser.get(path)
            assert response.status_code in (200, 403), (reader, path, response.status_code)
        api = org.api(app, reader)
        for path in AGGREGATE_API:
            response = api.get(path)
            assert response.status_code == 200, (reader, path, response.status_code)
            strict_json(response.get_data(as_text=True))
        if reader != "rita":
            assert build_digest(org.engine, org.user(reader), org.engine.clock()).text()
    browser, api = org.browser(app, "rita"), org.api(app, "rita")
    for name, stages in planted.items():
        for stage, (deal_id, _) in stages.items():
            for path in (f"/deals/{deal_id}", f"/deals/{deal_id}/move?to=quote"):
                response = browser.get(path)
                assert response.status_code == 200, (name, stage, path, response.status_code)
            for path in (f"deals/{deal_id}", f"deals/{deal_id}/history"):
                response = api.get(path)
                assert response.status_code == 200, (name, stage, path, response.status_code)
                strict_json(response.get_data(as_text=True))
    for what in ("deals", "events"):
        for fmt in ("csv", "json"):
            assert export(org.runtime, io.StringIO(), what, fmt) == org.store.count(what)


@BOTH_STORES
def test_the_sums_count_an_extreme_as_0_as_they_count_text(org, planted):
    """The open lead deals are the organisation's six (1000 and 1001 for each rep) and rita's
    planted ones, which count 0 where the store took the planted amount, else their 1000."""
    report = funnel_report(org.store, org.runtime.funnels, FUNNEL, Everything(), *month(org))
    lead = next(row for row in report.stages if row.stage == "lead")
    held = [stages["lead"][1][1] for stages in planted.values()]
    assert lead.current == 6 + len(planted)
    assert lead.current_amount == (1000 + 1001) * 3 + 1000 * held.count(False)
    assert report.won == len(planted)


def month(org):
    now = org.engine.clock()
    return now - timedelta(days=30), now + timedelta(days=1)


@BOTH_STORES
def test_board_totals_count_only_numbers_within_the_limit(org, app):
    """The column head adds what the store holds: 10^15 counts, 1e308 does not, and the card
    still shows what is stored."""
    first, second = org.deals["rita"]
    assert plant(org.store, first, 10**15)[0] and plant(org.store, second, 1e308)[0]
    html = page(org.browser(app, "rita"), f"/board/{FUNNEL}")
    assert float(head(html, "lead")["total"]) == 10**15
    assert "1E+308" in columns(html)["lead"]

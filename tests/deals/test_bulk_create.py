"""Deals created many at a time (an import, a lead batch) are stored exactly as one created alone:
the deal, its ``created`` event, its audit row and the deliveries its rules owe, on both stores;
and an import with one bad row still writes nothing at all."""
from __future__ import annotations

import pytest

from goldsieve.deals.importing import import_csv
from goldsieve.store import TABLES
from goldsieve.store.filters import Eq

STORES = ["tinydb:data", "postgresql"]


@pytest.fixture
def goldsieve_funnel(goldsieve_funnel):
    goldsieve_funnel["automations"] = [{"id": "welcome", "on": "deal_created",
                                        "do": [{"action": "notify", "to": "owner"}]}]
    return goldsieve_funnel


def without_ids(doc: dict, *keys: str) -> dict:
    return {k: v for k, v in doc.items() if k not in ("id", *keys)}


def written(store, deal: dict) -> dict:
    """Everything stored about one deal, its own ids and the ids that point at them left out."""
    events = store.find("events", Eq("deal_id", deal["id"]))
    audit = [a for a in store.find("audit") if a.get("target", {}).get("id") == deal["id"]]
    outbox = [row for row in store.iterate("outbox") if row.get("deal_id") == deal["id"]]
    return {"deal": without_ids(store.get("deals", deal["id"])),
            "events": [without_ids(e, "deal_id") for e in events],
            "audit": [{**without_ids(a), "target": {"type": "deal"}} for a in audit],
            "outbox": [without_ids(row, "deal_id", "key", "event_id") for row in outbox]}


@pytest.mark.parametrize("goldsieve_store_url", STORES, indirect=True)
def test_a_deal_created_in_a_batch_is_stored_as_one_created_alone(goldsieve_runtime, goldsieve_user):
    engine, store = goldsieve_runtime.engine, goldsieve_runtime.store
    data = {"company": "Acme Logistics", "amount": 120000}
    alone = engine.create(goldsieve_user, "handmade", "Acme ERP", dict(data))
    batch = [engine.prepare(goldsieve_user, "handmade", title, dict(data)) for title in ("Acme ERP", "B", "C")]
    engine.insert_new(goldsieve_user, batch)
    assert written(store, batch[0]) == written(store, alone)
    assert written(store, alone)["events"][0]["type"] == "created" and written(store, alone)["outbox"]
    assert written(store, alone)["audit"][0]["action"] == "deal_created"
    # ids follow the order given, table by table: the log keeps the batch's order
    events = [store.find("events", Eq("deal_id", d["id"]))[0]["id"] for d in batch]
    assert [d["id"] for d in batch] == sorted(d["id"] for d in batch) and events == sorted(events)
    for deal in batch:
        row = next(r for r in store.iterate("outbox") if r.get("deal_id") == deal["id"])
        assert row["event_id"] == store.find("events", Eq("deal_id", deal["id"]))[0]["id"]


@pytest.mark.parametrize("goldsieve_store_url", STORES, indirect=True)
def test_an_import_with_one_bad_row_writes_nothing(goldsieve_runtime, goldsieve_user, tmp_path):
    store = goldsieve_runtime.store
    before = {table: store.count(table) for table in TABLES}
    rows = ["title,company,amount"] + [f"Deal {n},Acme {n},{n * 1000}" for n in range(300)]
    rows[150] = "Deal bad,Acme,not a number"
    path = tmp_path / "deals.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = import_csv(goldsieve_runtime, path, "handmade", as_user=goldsieve_user["username"])
    assert result.count == 0 and len(result.problems) == 1 and ":151:" in result.problems[0]
    assert {table: store.count(table) for table in TABLES} == before
    rows[150] = "Deal good,Acme,5000"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert import_csv(goldsieve_runtime, path, "handmade", as_user=goldsieve_user["username"]).count == 300
    assert store.count("deals") == before["deals"] + 300 and store.count("events") == before["events"] + 300
    assert store.count("audit") == before["audit"] + 300 and store.count("outbox") == before["outbox"] + 300

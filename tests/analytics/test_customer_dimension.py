"""The customer dimension of the analytics: win rate and won amount by a declared customer
field, and the pool's inflow and claims per week — each within what the user may see."""
from __future__ import annotations

from datetime import timedelta

from goldsieve.clock import stamp
from goldsieve.records.pool import claim, release

from tests.records.conftest import (  # noqa: F401  (fixtures)
    BOTH_STORES,
    client,
    goldsieve_workspace,
    people,
)
from tests.web.api.conftest import errors

WINDOW = "from=2026-01-01&to=2026-02-01"


def closed(runtime, user, customer_id, amount, to, clock, days=1):
    """A deal of the customer, created now and closed ``days`` later, as its events say."""
    deal = runtime.engine.create(user, "handmade", f"deal {amount}", {"company": "x", "amount": amount},
                                 customer_id=customer_id)
    with runtime.store.transaction() as txn:
        txn.insert("events", {"deal_id": deal["id"], "funnel": "handmade", "funnel_version": deal["funnel_version"],
                              "type": "stage_changed", "at": stamp(clock.now + timedelta(days=days)),
                              "by": user["username"], "from_stage": "lead", "to_stage": to,
                              "lost_reason": "price" if to == "lost" else None, "changes": {}, "note": None})
    return deal


@BOTH_STORES
def test_win_rate_and_won_amount_by_a_customer_field_within_what_the_user_sees(client, goldsieve_runtime, people,
                                                                             goldsieve_clock):
    customers = goldsieve_runtime.customers
    top = customers.create(people.rita, "Ruijin", {"grade": "3A"})
    small = customers.create(people.rita, "Clinic", {"grade": "1A"})
    sams = customers.create(people.sam, "Sam's", {"grade": "2A"})
    closed(goldsieve_runtime, people.rita, top["id"], 1000, "won", goldsieve_clock)
    closed(goldsieve_runtime, people.rita, top["id"], 500, "lost", goldsieve_clock)
    closed(goldsieve_runtime, people.rita, small["id"], 300, "won", goldsieve_clock)
    closed(goldsieve_runtime, people.rita, None, 70, "won", goldsieve_clock)
    closed(goldsieve_runtime, people.sam, sams["id"], 9000, "won", goldsieve_clock)
    closed(goldsieve_runtime, people.rita, top["id"], 5, "won", goldsieve_clock, days=40)  # after the window
    mine = client("rita").get(f"analytics/customers?funnel=handmade&field=grade&{WINDOW}")
    assert mine.status_code == 200, mine.json
    assert mine.json["groups"] == [
        {"value": "3A", "won": 1, "lost": 1, "win_rate": 0.5, "won_amount": 1000.0},
        {"value": "1A", "won": 1, "lost": 0, "win_rate": 1.0, "won_amount": 300.0},
        {"value": None, "won": 1, "lost": 0, "win_rate": 1.0, "won_amount": 70.0}]
    everyone = client("admin").get(f"analytics/customers?funnel=handmade&field=grade&{WINDOW}").json["groups"]
    assert everyone[0] == {"value": "2A", "won": 1, "lost": 0, "win_rate": 1.0, "won_amount": 9000.0}
    # a deal the rep sees whose customer they may not see counts as one without a customer
    with goldsieve_runtime.store.transaction() as txn:
        deal = goldsieve_runtime.store.find("deals")[0]
        txn.replace("deals", {**deal, "customer_id": sams["id"], "version": deal["version"] + 1})
    groups = client("rita").get(f"analytics/customers?funnel=handmade&field=grade&{WINDOW}").json["groups"]
    assert "2A" not in str(groups) and groups[-1]["value"] is None and groups[-1]["won"] == 2


def test_the_customer_report_names_a_wrong_field_or_window(client):
    rita = client("rita")
    assert errors(rita.get(f"analytics/customers?funnel=handmade&{WINDOW}")) == [("/field", "required")]
    wrong = rita.get(f"analytics/customers?funnel=handmade&field=colour&{WINDOW}")
    assert wrong.status_code == 422 and errors(wrong) == [("/field", "enum")]
    assert "grade, credit_code, beds" in wrong.json["errors"][0]["message"]
    assert errors(rita.get("analytics/customers?funnel=handmade&field=grade&from=2026-13-01")) == [("/from", "invalid")]
    assert rita.get("analytics/customers?funnel=nope&field=grade").status_code == 404
    assert errors(rita.get("analytics/pool?to=yesterday")) == [("/to", "invalid")]


@BOTH_STORES
def test_pool_inflow_and_claims_per_week(client, goldsieve_runtime, people, goldsieve_clock):
    customers = goldsieve_runtime.customers
    first = customers.create(people.rita, "First")
    second = customers.create(people.sam, "Second")
    release(customers, people.rita, first["id"])  # Monday 5 January
    goldsieve_clock.advance(days=8)
    claim(customers, people.rob, first["id"])  # the week of the 12th
    release(customers, people.sam, second["id"])
    claim(customers, people.rita, second["id"])
    goldsieve_clock.advance(days=7)
    release(customers, people.rob, first["id"])  # the week after the window
    window = "analytics/pool?from=2026-01-05&to=2026-01-19"
    response = client("rob").get(window)
    assert response.status_code == 200, response.json
    weeks = [(w["from"][:10], w["to"][:10], w["inflow"], w["claimed"]) for w in response.json["weeks"]]
    assert weeks == [("2026-01-05", "2026-01-12", 1, 0), ("2026-01-12", "2026-01-19", 0, 1)]  # rita's is hidden
    assert [(w["inflow"], w["claimed"]) for w in client("admin").get(window).json["weeks"]] == [(1, 0), (1, 2)]

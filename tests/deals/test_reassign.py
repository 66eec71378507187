"""Giving deals to another user, in the kernel (core/deals/reassign.py, core/deals/handover.py),
on both stores: whom a giver may choose, and a hand-over that meets a concurrent change."""
from __future__ import annotations

import pytest

from goldsieve import hookimpl
from goldsieve.deals.handover import hand_over
from goldsieve.deals.reassign import assign_deal, owner_choices
from goldsieve.people.users import set_active
from goldsieve.store import Conflict
from goldsieve.store.filters import Eq

from tests.records.conftest import (  # noqa: F401  (fixtures)
    BOTH_STORES,
    goldsieve_workspace,
    people,
)


def deal_for(engine, user, title="Acme ERP"):
    return engine.create(user, "handmade", title, {"company": "Acme"})


@BOTH_STORES
def test_the_choices_are_the_active_users_whose_deals_the_giver_sees(goldsieve_runtime, people):
    engine = goldsieve_runtime.engine
    deal = deal_for(engine, people.rita)
    set_active(goldsieve_runtime.store, "rob", False)
    assert [u["username"] for u in owner_choices(engine, people.mia, deal)] == ["mia", "rita"]
    assert [u["username"] for u in owner_choices(engine, people.admin, deal)] == [
        "admin", "eve", "mia", "rita", "sam"]


@BOTH_STORES
def test_a_stale_version_is_a_conflict_and_writes_nothing(goldsieve_runtime, people):
    engine, store = goldsieve_runtime.engine, goldsieve_runtime.store
    deal = deal_for(engine, people.rita)
    engine.add_note(people.rita, deal["id"], "called")
    before = (store.count("events"), store.count("notifications"))
    with pytest.raises(Conflict):
        assign_deal(engine, people.mia, deal["id"], "rob", version=1)
    assert (store.count("events"), store.count("notifications")) == before
    assert store.get("deals", deal["id"])["owner"] == "rita"


@BOTH_STORES
def test_a_hand_over_skips_what_changed_meanwhile_and_a_second_run_moves_it(
        goldsieve_runtime, goldsieve_register, people):
    engine, store = goldsieve_runtime.engine, goldsieve_runtime.store
    first, second = deal_for(engine, people.rita, "One"), deal_for(engine, people.rita, "Two")

    class Meddler:
        """Rita notes on her second deal just as her first one is handed over."""

        @hookimpl
        def goldsieve_deal_event(self, event, deal, funnel):
            if event["type"] == "owner_changed" and deal["id"] == first["id"]:
                engine.add_note(people.rita, second["id"], "still mine?")

    goldsieve_register(Meddler())
    done = hand_over(engine, people.admin, "rita", "rob")
    assert (done.deals, done.skipped) == ([first["id"]], [f"deal:{second['id']}"])
    assert store.get("deals", second["id"])["owner"] == "rita"
    again = hand_over(engine, people.admin, "rita", "rob")
    assert (again.deals, again.skipped) == ([second["id"]], [])
    assert {d["owner"] for d in store.find("deals", Eq("status", "open"))} == {"rob"}
    assert len([a for a in store.find("audit") if a["action"] == "user_handed_over"]) == 2


@BOTH_STORES
def test_a_hand_over_leaves_a_merged_customer_where_it_is(goldsieve_runtime, people):
    from goldsieve.records.merging import merge

    customers, store = goldsieve_runtime.customers, goldsieve_runtime.store
    kept = customers.create(people.rita, "Kept")
    merged = customers.create(people.rita, "Merged")
    merge(customers, people.mia, merged["id"], into=kept["id"])
    done = hand_over(goldsieve_runtime.engine, people.admin, "rita", "rob")
    assert done.customers == [kept["id"]] and done.skipped == []
    assert store.get("customers", kept["id"])["owner"] == "rob"
    assert store.get("customers", merged["id"])["merged_into"] == kept["id"]

"""A funnel with ``"customer": "required"``: a deal names a customer the user may see (issue 15),
on both stores; lead intake is exempt."""
from __future__ import annotations

import pytest

from goldsieve.deals.intake import take_leads
from goldsieve.errors import ValidationFailed
from goldsieve.funnels.check import ERROR, check_definition

from tests.records.conftest import (  # noqa: F401  (fixtures)
    BOTH_STORES,
    goldsieve_workspace,
    people,
)


@pytest.fixture
def goldsieve_funnel(goldsieve_funnel):
    return {**goldsieve_funnel, "customer": "required"}


def paths(error) -> list[tuple[str, str]]:
    return [(v.path, v.code) for v in error.value.violations]


@BOTH_STORES
def test_a_deal_without_a_customer_is_refused_and_nothing_is_written(goldsieve_runtime, people):
    engine, store = goldsieve_runtime.engine, goldsieve_runtime.store
    funnel = next(iter(goldsieve_runtime.funnels))
    assert funnel.customer_required
    mine = goldsieve_runtime.customers.create(people.rita, "Ruijin")
    foreign = goldsieve_runtime.customers.create(people.sam, "Huashan")
    for customer_id, expected in ((None, [("/customer_id", "required")]),
                                  (foreign["id"], [("/customer_id", "unknown_customer")])):
        with pytest.raises(ValidationFailed) as error:
            engine.create(people.rita, funnel.id, "ERP", {"company": "R"}, customer_id=customer_id)
        assert paths(error) == expected
    assert store.count("deals") == 0 and store.count("events") == 0
    deal = engine.create(people.rita, funnel.id, "ERP", {"company": "R"}, customer_id=mine["id"])
    with pytest.raises(ValidationFailed) as error:
        engine.update(people.rita, deal["id"], {}, version=1, customer_id=None)
    assert paths(error) == [("/customer_id", "required")]
    assert store.get("deals", deal["id"])["customer_id"] == mine["id"]
    assert engine.update(people.rita, deal["id"], {"amount": 5}, version=1)["customer_id"] == mine["id"]


def test_lead_intake_needs_no_customer(goldsieve_runtime, people):
    funnel = next(iter(goldsieve_runtime.funnels))
    [lead] = take_leads(goldsieve_runtime.engine, people.admin, funnel.id,
                        [("Web lead", {"company": "Lead Co."})])
    assert lead["customer_id"] is None


def test_the_key_is_checked_against_the_meta_schema(goldsieve_funnel):
    assert [f for f in check_definition(goldsieve_funnel) if f.severity == ERROR] == []
    found = check_definition({**goldsieve_funnel, "customer": "always"})
    assert [f.pointer for f in found if f.severity == ERROR] == ["/customer"]

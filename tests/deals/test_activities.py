"""Activities: declared types, planned and done, as visible as the deal or customer they hang on,
and a done one is the deal's and the customer's activity."""
from __future__ import annotations

import pytest

from goldsieve.deals.stale import last_activity
from goldsieve.errors import Forbidden, NotFound, ValidationFailed
from goldsieve.store import Conflict

from tests.records.conftest import BOTH_STORES, goldsieve_workspace, people  # noqa: F401 (fixtures)

DEAL = {"company": "Ruijin Hospital"}


def counts(store) -> dict[str, int]:
    return {t: store.count(t) for t in ("activities", "events", "audit", "customers", "deals")}


@pytest.fixture
def setting(goldsieve_runtime, people):
    """Rita's customer with a decision maker, and her deal on it."""
    customer = goldsieve_runtime.customers.create(people.rita, "Ruijin")
    wang = goldsieve_runtime.contacts.create(people.rita, customer["id"], "Dr Wang", "decision_maker")
    deal = goldsieve_runtime.engine.create(people.rita, "handmade", "Ruijin PACS", DEAL,
                                           customer_id=customer["id"])
    return customer, wang, deal


@BOTH_STORES
def test_a_done_visit_is_the_deals_and_the_customers_activity(goldsieve_runtime, people, setting,
                                                              goldsieve_clock):
    customer, wang, deal = setting
    activities = goldsieve_runtime.activities
    goldsieve_clock.advance(days=3)
    visit = activities.create(people.rita, "visit", deal_id=deal["id"], contact_ids=[wang["id"]],
                              done_at="2026-01-01T09:00:00+08:00", duration_minutes=45, outcome=" Agreed ",
                              location={"lat": 31.2, "lon": 121.5})
    assert (visit["status"], visit["customer_id"], visit["outcome"], visit["done_at"]) == (
        "done", customer["id"], "Agreed", "2026-01-01T01:00:00.000Z")
    now = visit["created_at"]
    stored = goldsieve_runtime.store.get("deals", deal["id"])
    assert last_activity(stored) == now and stored["version"] == deal["version"] + 1
    assert goldsieve_runtime.store.get("customers", customer["id"])["last_activity_at"] == now
    assert goldsieve_runtime.engine.history(people.rita, deal["id"])[-1]["type"] == "activity_logged"
    assert goldsieve_runtime.store.find("audit")[-1]["action"] == "activity_created"
    assert [a["id"] for a in activities.list(people.rita, deal_id=deal["id"])] == [visit["id"]]


@BOTH_STORES
def test_planning_sets_the_next_step_and_doing_it_clears_it(goldsieve_runtime, people, setting,
                                                            goldsieve_clock):
    _, _, deal = setting
    activities = goldsieve_runtime.activities
    late = activities.create(people.rita, "call", deal_id=deal["id"], due_at="2026-03-05T09:00:00Z")
    soon = activities.create(people.rita, "demo", deal_id=deal["id"], due_at="2026-03-02T09:00:00Z")
    stored = goldsieve_runtime.store.get("deals", deal["id"])
    assert stored["next_activity_at"] == soon["due_at"] and stored["updated_at"] == deal["updated_at"]
    assert activities.next_planned(people.rita, stored)["id"] == soon["id"]
    with pytest.raises(Conflict):
        activities.complete(people.rita, soon["id"], version=soon["version"] + 1)
    done = activities.complete(people.rita, soon["id"], version=soon["version"], outcome="Went well")
    assert (done["status"], done["version"], done["outcome"]) == ("done", 2, "Went well")
    assert goldsieve_runtime.store.get("deals", deal["id"])["next_activity_at"] == late["due_at"]
    with pytest.raises(ValidationFailed, match="done already"):
        activities.complete(people.rita, soon["id"])
    activities.complete(people.rita, late["id"])
    assert goldsieve_runtime.store.get("deals", deal["id"])["next_activity_at"] is None
    assert [a["status"] for a in activities.list(people.rita, deal_id=deal["id"], status="done")] == ["done"] * 2


@BOTH_STORES
def test_bad_activities_are_refused_together_writing_nothing(goldsieve_runtime, people, setting):
    customer, wang, deal = setting
    before = counts(goldsieve_runtime.store)
    with pytest.raises(ValidationFailed) as error:
        goldsieve_runtime.activities.create(
            people.rita, "telepathy", deal_id=deal["id"], contact_ids=[wang["id"] + 99],
            done_at="2999-01-01T00:00:00Z", duration_minutes=-1, location={"lat": 91, "lon": float("nan")})
    assert [(v.path, v.code) for v in error.value.violations] == [
        ("/type", "unknown_type"), ("/done_at", "future"), ("/duration_minutes", "range"),
        ("/location/lat", "range"), ("/location/lon", "range"), ("/contact_ids/0", "unknown_contact")]
    with pytest.raises(ValidationFailed) as error:
        goldsieve_runtime.activities.create(people.rita, "call")
    assert [(v.path, v.code) for v in error.value.violations] == [
        ("/deal_id", "required"), ("/due_at", "required")]
    assert counts(goldsieve_runtime.store) == before


@BOTH_STORES
def test_activities_are_as_visible_as_their_deal_and_customer(goldsieve_runtime, people, setting):
    customer, _, deal = setting
    activities = goldsieve_runtime.activities
    visit = activities.create(people.rita, "visit", deal_id=deal["id"], due_at="2026-03-02T09:00:00Z")
    call = activities.create(people.rita, "call", customer_id=customer["id"], done_at="2026-01-01T09:00:00Z")
    before = counts(goldsieve_runtime.store)
    with pytest.raises(ValidationFailed) as error:
        activities.create(people.sam, "call", deal_id=deal["id"], due_at="2026-03-02T09:00:00Z")
    assert [(v.path, v.code) for v in error.value.violations] == [("/deal_id", "unknown_deal")]
    with pytest.raises(ValidationFailed, match="no customer"):
        activities.create(people.sam, "call", customer_id=customer["id"], due_at="2026-03-02T09:00:00Z")
    with pytest.raises(Forbidden):
        activities.create(people.eve, "call", deal_id=deal["id"], due_at="2026-03-02T09:00:00Z")
    assert counts(goldsieve_runtime.store) == before
    with pytest.raises(NotFound):
        activities.get(people.sam, visit["id"])
    with pytest.raises(NotFound):
        activities.list(people.sam, deal_id=deal["id"])
    assert {a["id"] for a in activities.list(people.mia, customer_id=customer["id"])} == {visit["id"], call["id"]}
    assert {a["id"] for a in activities.list(people.rita)} == {visit["id"], call["id"]}
    assert activities.list(people.sam) == []


@BOTH_STORES
def test_a_change_checks_the_version_and_the_owner(goldsieve_runtime, people, setting):
    _, _, deal = setting
    activities = goldsieve_runtime.activities
    call = activities.create(people.rita, "call", deal_id=deal["id"], due_at="2026-03-02T09:00:00Z")
    with pytest.raises(ValidationFailed) as error:
        activities.change(people.rita, call["id"], 1, {"owner": "sam", "due_at": "soon"})
    assert [(v.path, v.code) for v in error.value.violations] == [("/due_at", "format"), ("/owner", "cannot_see")]
    moved = activities.change(people.rita, call["id"], 1, {"due_at": "2026-03-01T09:00:00Z", "owner": "mia"})
    assert (moved["version"], moved["owner"]) == (2, "mia")
    assert goldsieve_runtime.store.get("deals", deal["id"])["next_activity_at"] == "2026-03-01T09:00:00.000Z"
    with pytest.raises(Conflict):
        activities.change(people.rita, call["id"], 1, {"outcome": "late"})


@BOTH_STORES
def test_a_planned_activity_carries_its_own_title(goldsieve_runtime, people, setting):
    _, _, deal = setting
    activities = goldsieve_runtime.activities
    call = activities.create(people.rita, "call", deal_id=deal["id"], due_at="2026-03-02T09:00:00Z",
                             title="  Quote for the radiology wing  ")
    assert goldsieve_runtime.store.get("activities", call["id"])["title"] == "Quote for the radiology wing"
    blank = activities.create(people.rita, "call", deal_id=deal["id"], due_at="2026-03-03T09:00:00Z", title="  ")
    assert blank["title"] is None
    renamed = activities.change(people.rita, call["id"], 1, {"title": "Quote, second try"})
    assert (renamed["title"], renamed["version"]) == ("Quote, second try", 2)
    audit = goldsieve_runtime.store.find("audit")[-1]
    assert audit["action"] == "activity_changed" and "Quote, second try" in str(audit)
    before = counts(goldsieve_runtime.store)
    for bad, code in (("x" * 201, "maxLength"), ("a\x00b", "invalid"), (7, "type")):
        with pytest.raises(ValidationFailed) as error:
            activities.create(people.rita, "call", deal_id=deal["id"], due_at="2026-03-02T09:00:00Z", title=bad)
        assert [(v.path, v.code) for v in error.value.violations] == [("/title", code)]
        with pytest.raises(ValidationFailed) as error:
            activities.change(people.rita, call["id"], 2, {"title": bad})
        assert [(v.path, v.code) for v in error.value.violations] == [("/title", code)]
    assert counts(goldsieve_runtime.store) == before
    assert goldsieve_runtime.store.get("activities", call["id"])["title"] == "Quote, second try"

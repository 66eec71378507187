"""The deal list's query and bulk changes through the API (issue 16, parts 8 and 9), on both
stores: filters, the full-text search, sorting and its cursor, and bulk changes that go through
the engine deal by deal, refusing per deal and writing nothing for a refused one.

Team north: manager mia, reps rita and rob; team south: rep sam; an admin and eve (executive).
"""
from __future__ import annotations

from goldsieve.store.filters import Eq

from tests.records.conftest import (  # noqa: F401  (fixtures)
    client,
    goldsieve_workspace,
    people,
)
from tests.web.api.conftest import errors
from tests.web.api.test_assignment_api import deal_of, written

SURVEY = {"needs_survey": "two warehouses"}


def titles(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [d["title"] for d in response.json["items"]]


def test_filters_search_and_sort(client):
    rita = client("rita")
    hospital = rita.post("customers", {"name": "广州白云医院", "data": {}}).json
    other = rita.post("customers", {"name": "Beta GmbH", "data": {}}).json
    rita.post("contacts", {"customer_id": other["id"], "name": "王芳", "data": {}})
    a = deal_of(client, "rita", "CT scanner", customer_id=hospital["id"])
    b = deal_of(client, "rita", "Ultrasound", customer_id=other["id"])
    c = deal_of(client, "rita", "MRI room")
    rita.patch(f"deals/{a['id']}", {"data": {"amount": 900, "demo_date": "2026-03-05"}, "version": 1})
    rita.patch(f"deals/{b['id']}", {"data": {"amount": 50, "approval_note": "需要院长签字"}, "version": 1})
    rita.post(f"deals/{c['id']}/move", {"to": "lost", "lost_reason": "price"})
    deal_of(client, "sam", "白云 of the south")  # another team's: never listed for rita

    assert titles(rita.get("deals", query_string={"q": "白云"})) == ["CT scanner"]  # the customer's name
    assert titles(rita.get("deals", query_string={"q": "王芳"})) == ["Ultrasound"]  # a contact's
    assert titles(rita.get("deals", query_string={"q": "院长"})) == ["Ultrasound"]  # a text field
    assert titles(rita.get("deals", query_string={"status": "lost"})) == ["MRI room"]
    assert titles(rita.get("deals", query_string={"min.amount": "100"})) == ["CT scanner"]
    assert titles(rita.get("deals", query_string={"max.amount": "900", "min.amount": "50"})) == [
        "Ultrasound", "CT scanner"]
    assert titles(rita.get("deals", query_string={"max.demo_date": "2026-03-05"})) == ["CT scanner"]
    assert titles(rita.get("deals", query_string={"customer": str(other["id"])})) == ["Ultrasound"]
    assert titles(rita.get("deals", query_string={"sort": "title"})) == ["CT scanner", "MRI room", "Ultrasound"]
    assert titles(rita.get("deals", query_string={"sort": "-data.amount"})) == ["CT scanner", "Ultrasound", "MRI room"]
    first = rita.get("deals", query_string={"sort": "title", "limit": "2"}).json
    assert [d["title"] for d in first["items"]] == ["CT scanner", "MRI room"] and first["next_cursor"]
    rest = rita.get("deals", query_string={"sort": "title", "limit": "2", "cursor": first["next_cursor"]}).json
    assert [d["title"] for d in rest["items"]] == ["Ultrasound"] and rest["next_cursor"] is None


def test_a_wrong_query_names_each_parameter(client):
    response = client("rita").get("deals", query_string={
        "status": "closed", "sort": "secret", "min.amount": "a lot", "in.nothing": "x", "limit": "0",
        "funnel": "nope"})
    assert response.status_code == 422
    assert sorted(errors(response)) == [
        ("/funnel", "unknown_funnel"), ("/in.nothing", "unknown_field"), ("/limit", "range"),
        ("/min.amount", "unknown_field"), ("/sort", "enum"), ("/status", "enum")]
    sorted_cursor = client("rita").get("deals", query_string={"sort": "title", "cursor": "12"})
    assert errors(sorted_cursor) == [("/cursor", "invalid")]


def test_a_bulk_move_moves_who_can_and_lists_the_others(client, goldsieve_runtime):
    store = goldsieve_runtime.store
    ready = deal_of(client, "rita", "Ready")
    client("rita").patch(f"deals/{ready['id']}", {"data": SURVEY, "version": 1})
    blocked = deal_of(client, "rita", "Blocked")  # the qualified gate wants needs_survey
    hidden = deal_of(client, "sam", "Sam's")
    before = written(store)
    response = client("rita").post("deals/bulk", {
        "action": "move", "to": "qualified",
        "deals": [{"id": ready["id"], "version": 2}, {"id": blocked["id"]}, {"id": hidden["id"]}]})
    assert response.status_code == 200, response.json
    items = {i["id"]: (i["changed"], [(e["path"], e["code"]) for e in i["errors"]]) for i in response.json["items"]}
    assert items == {ready["id"]: (True, []), blocked["id"]: (False, [("/data/needs_survey", "required")]),
                     hidden["id"]: (False, [("", "not_found")])}
    assert (response.json["changed"], response.json["refused"]) == (1, 2)
    assert store.get("deals", ready["id"])["stage"] == "qualified"
    assert store.get("deals", blocked["id"])["version"] == 1 and store.get("deals", hidden["id"])["version"] == 1
    after = written(store)
    assert (after["events"] - before["events"], after["audit"] - before["audit"]) == (1, 1)  # one deal's


def test_all_or_nothing_writes_nothing_when_one_deal_is_refused(client, goldsieve_runtime):
    store = goldsieve_runtime.store
    first = deal_of(client, "rita", "First")
    second = deal_of(client, "rita", "Second")
    mia = client("mia")  # issuing her token is audited
    before = written(store)
    response = mia.post("deals/bulk", {
        "action": "assign", "owner": "rob", "mode": "all",
        "deals": [{"id": first["id"]}, {"id": second["id"], "version": 9}]})
    assert response.status_code == 422
    assert [(i["id"], i["changed"], [e["code"] for e in i["errors"]]) for i in response.json["items"]] == [
        (first["id"], False, []), (second["id"], False, ["conflict"])]
    assert written(store) == before
    done = client("mia").post("deals/bulk", {"action": "assign", "owner": "rob", "mode": "all",
                                             "deals": [{"id": first["id"]}, {"id": second["id"]}]})
    assert done.status_code == 200 and done.json["changed"] == 2
    assert [d["owner"] for d in store.find("deals")] == ["rob", "rob"]
    audit = [a for a in store.find("audit") if a["action"] == "deal_reassigned"]
    assert sorted(a["target"]["id"] for a in audit) == [first["id"], second["id"]]
    assert len(store.find("notifications", Eq("user", "rob"))) == 2


def test_a_bulk_change_of_what_a_filter_shows_and_a_set_field(client, goldsieve_runtime):
    store = goldsieve_runtime.store
    for title in ("Alpha", "Alpine", "Beta"):
        deal_of(client, "rita", title)
    response = client("rita").post("deals/bulk", {"action": "set", "field": "amount", "value": 7,
                                                  "filter": {"q": "alp", "status": ["open"]}})
    assert response.status_code == 200 and response.json["changed"] == 2, response.json
    assert {d["title"]: d["data"].get("amount") for d in store.find("deals")} == {
        "Alpha": 7, "Alpine": 7, "Beta": None}
    bad_value = client("rita").post("deals/bulk", {"action": "set", "field": "amount", "value": -1,
                                                   "filter": {"q": "alp"}})
    assert bad_value.status_code == 200 and bad_value.json["refused"] == 2
    assert {e["path"] for i in bad_value.json["items"] for e in i["errors"]} == {"/data/amount"}


def test_a_wrong_bulk_request_is_refused_whole(client, goldsieve_runtime):
    store = goldsieve_runtime.store
    deal = deal_of(client, "rita", "One")
    before = written(store)
    cases = [
        ({"action": "move", "deals": [{"id": deal["id"]}]}, [("/to", "required")]),
        ({"action": "fly", "deals": [{"id": deal["id"]}]}, [("/action", "invalid")]),
        ({"action": "move", "to": "qualified"}, [("/deals", "required")]),
        ({"action": "move", "to": "qualified", "deals": []}, [("/deals", "required")]),
        ({"action": "move", "to": "qualified", "filter": {"status": "closed"}}, [("/filter/status", "enum")]),
        ({"action": "move", "to": "qualified", "filter": {"q": 3}}, [("/filter/q", "type")]),
        ({"action": "move", "to": "qualified", "deals": [{"id": i} for i in range(1, 1003)]},
         [("/deals", "maxItems")]),
    ]
    for payload, expected in cases:
        response = client("rita").post("deals/bulk", payload)
        assert (response.status_code, errors(response)) == (422, expected), payload
    assert written(store) == before


def test_a_bulk_task_on_each_deal_and_a_refused_one(client, goldsieve_runtime):
    store = goldsieve_runtime.store
    mine = [deal_of(client, "rita", f"Deal {n}") for n in range(2)]
    sams = deal_of(client, "sam", "Sam's")
    response = client("rita").post("deals/bulk", {
        "action": "task", "title": "Call back", "due": "2026-03-01T09:00:00Z",
        "deals": [{"id": d["id"]} for d in mine] + [{"id": sams["id"]}]})
    assert response.status_code == 200 and (response.json["changed"], response.json["refused"]) == (2, 1)
    assert sorted(t["deal_id"] for t in store.find("tasks")) == [d["id"] for d in mine]
    before = written(store)
    bad = client("rita").post("deals/bulk", {"action": "task", "title": "x", "due": "soon", "mode": "all",
                                             "deals": [{"id": mine[0]["id"]}]})
    assert bad.status_code == 422 and bad.json["items"][0]["errors"][0]["path"] == "/due"
    assert written(store) == before

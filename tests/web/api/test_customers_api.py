"""The customers, pool and contacts endpoints: shapes, errors that write nothing, and what a
rep can never learn about another rep's customer (on both stores, as the whole API suite)."""
from __future__ import annotations

from goldsieve.people.users import update_user

from tests.records.conftest import (  # noqa: F401  (fixtures)
    client,
    counts,
    goldsieve_workspace,
    people,
)
from tests.web.api.conftest import errors


def test_create_get_patch_and_list(client, goldsieve_runtime):
    rita = client("rita")
    made = rita.post("customers", {"name": "Ruijin Hospital", "data": {"grade": "3A"}})
    assert made.status_code == 201, made.json
    body = made.json
    assert made.headers["Location"].endswith(f"/api/v1/customers/{body['id']}")
    assert {k: body[k] for k in ("name", "owner", "team", "data", "version")} == {
        "name": "Ruijin Hospital", "owner": "rita", "team": "north", "data": {"grade": "3A"}, "version": 1}
    assert rita.get(f"customers/{body['id']}").json == body
    patched = rita.patch(f"customers/{body['id']}", {"data": {"beds": 10}, "version": 1, "name": "Ruijin"})
    assert patched.status_code == 200 and patched.json["data"] == {"grade": "3A", "beds": 10}
    stale = rita.patch(f"customers/{body['id']}", {"data": {"beds": 11}, "version": 1})
    assert stale.status_code == 409 and stale.json["current_version"] == 2
    assert "this customer" in stale.json["errors"][0]["message"]
    for i in range(3):
        rita.post("customers", {"name": f"Clinic {i}"})
    page = rita.get("customers?limit=2").json
    assert [c["name"] for c in page["items"]] == ["Clinic 2", "Clinic 1"] and page["next_cursor"]
    rest = rita.get(f"customers?limit=2&cursor={page['next_cursor']}").json
    assert [c["name"] for c in rest["items"]] == ["Clinic 0", "Ruijin"]
    assert [c["name"] for c in rita.get("customers?q=RUIJIN").json["items"]] == ["Ruijin"]
    assert rita.get("customers?owner=rob").json["items"] == []


def test_bad_requests_name_the_field_and_write_nothing(client, goldsieve_runtime):
    rita, store = client("rita"), goldsieve_runtime.store
    before = counts(store)
    for payload, expected in (
        ({"name": "", "data": {"grade": "9Z"}}, [("/name", "required"), ("/data/grade", "enum")]),
        ({"name": "x" * 201}, [("/name", "maxLength")]),
        ({"name": "a\u0000b"}, [("/name", "invalid")]),
        ({"data": {}}, [("/name", "required")]),
        ({"name": "A", "owner": "rob"}, [("/owner", "unknown_field")]),
        ({"name": 5}, [("/name", "invalid")]),
    ):
        response = rita.post("customers", payload)
        assert response.status_code == 422 and errors(response) == expected, (payload, response.json)
    assert rita.get("customers?limit=0").status_code == 422
    assert errors(rita.get("customers?pool=maybe")) == [("/pool", "invalid")]
    assert errors(rita.get("contacts")) == [("/customer", "required")]
    assert counts(store) == before
    made = rita.post("customers", {"name": "Ruijin"}).json
    before = counts(store)
    assert errors(rita.patch(f"customers/{made['id']}", {"data": {}})) == [("/version", "required")]
    bad_contact = rita.post("contacts", {"customer_id": made["id"], "name": " ", "role": "boss",
                                          "data": {"email": "not-an-address"}})
    assert bad_contact.status_code == 422
    assert errors(bad_contact) == [("/name", "required"), ("/data/email", "format"), ("/role", "enum")]
    assert counts(store) == before


def test_numbers_and_ids_past_their_range_are_refused_and_write_nothing(client, goldsieve_runtime):
    """A customer's and a contact's data hold numbers within ±10^15, as a deal's does; ids and
    versions are ASCII digits within range (issue 14, parts 1 and 3)."""
    rita, store = client("rita"), goldsieve_runtime.store
    made = rita.post("customers", {"name": "Ruijin"}).json
    before = counts(store)
    raw = {"Content-Type": "application/json"}
    for method, path, text, expected in (
            ("POST", "customers", '{"name": "B", "data": {"beds": 1' + "0" * 20 + '}}', [("/data/beds", "maximum")]),
            ("POST", "customers", '{"name": "B", "data": {"beds": NaN}}', [("/data/beds", "type")]),
            ("PATCH", f"customers/{made['id']}", '{"version": 1, "data": {"beds": -1e300}}',
             [("/data/beds", "minimum")]),
            ("PATCH", f"customers/{made['id']}", '{"version": 1' + "0" * 30 + ', "data": {}}', [("/version", "invalid")]),
            ("POST", "contacts", f'{{"customer_id": {made["id"]}, "name": "A", "data": {{"n": 1e16}}}}',
             [("/data/n", "maximum")]),
            ("POST", "contacts", '{"customer_id": 1' + "0" * 30 + ', "name": "A"}', [("/customer_id", "invalid")]),
            ("POST", "deals", '{"funnel": "software", "title": "T", "customer_id": 0}', [("/customer_id", "invalid")])):
        response = rita.request(method, path, headers=raw, data=text)
        assert response.status_code == 422 and errors(response) == expected, (path, text, response.json)
    for customer in ("²", "١", "9" * 30, "-1"):
        assert errors(rita.get("contacts", query_string={"customer": customer})) == [("/customer", "required")]
    for customer_id in ("١", "9" * 30):
        assert rita.get(f"customers/{customer_id}").status_code == 404
    assert counts(store) == before and store.count("deals") == 0


def test_claim_and_release_through_the_api(client, goldsieve_runtime):
    rita, rob = client("rita"), client("rob")
    made = rita.post("customers", {"name": "Ruijin"}).json
    assert rob.post(f"customers/{made['id']}/release").status_code == 404
    released = rita.post(f"customers/{made['id']}/release")
    assert released.status_code == 200 and released.json["owner"] is None
    assert [c["id"] for c in rob.get("customers?pool=true").json["items"]] == [made["id"]]
    assert rob.post(f"customers/{made['id']}/claim").json["owner"] == "rob"
    again = rita.post(f"customers/{made['id']}/claim")
    assert again.status_code == 404  # rob's now
    assert client("eve").post(f"customers/{made['id']}/release").status_code == 403
    for i in range(2):
        rita.post("customers", {"name": f"Owned {i}"})
    rita.post("customers", {"name": "Third"})
    pooled = client("mia").post(f"customers/{made['id']}/release").json
    over = rita.post(f"customers/{pooled['id']}/claim")
    assert over.status_code == 422 and errors(over) == [("/owner", "max_owned")]


def test_contacts_of_a_customer(client):
    rita = client("rita")
    made = rita.post("customers", {"name": "Ruijin"}).json
    first = rita.post("contacts", {"customer_id": made["id"], "name": "Dr Wang", "role": "decision_maker",
                                   "primary": True, "data": {"email": "wang@ruijin.cn"}})
    assert first.status_code == 201 and first.json["primary"] is True
    second = rita.post("contacts", {"customer_id": made["id"], "name": "Nurse Li", "primary": True}).json
    listed = rita.get(f"contacts?customer={made['id']}").json["items"]
    assert [(c["name"], c["primary"]) for c in listed] == [("Nurse Li", True), ("Dr Wang", False)]
    assert second["role"] is None
    assert rita.get(f"customers/{made['id']}").json["version"] == 3  # each contact counts as activity


def test_a_rep_never_sees_another_reps_customer(client, goldsieve_runtime):
    update_user(goldsieve_runtime.store, "sam", display_name="Sam Wu")
    sam, rita = client("sam"), client("rita")
    secret = sam.post("customers", {"name": "上海瑞金医疗器械有限公司",
                                    "data": {"grade": "3A", "credit_code": "91310000XYZ"}}).json
    sam.post("contacts", {"customer_id": secret["id"], "name": "Dr Secret", "data": {"email": "s@x.cn"}})
    assert rita.get(f"customers/{secret['id']}").status_code == 404
    assert rita.patch(f"customers/{secret['id']}", {"data": {"grade": "1A"}, "version": 1}).status_code == 404
    assert rita.post(f"customers/{secret['id']}/claim").status_code == 404
    assert rita.get("customers").json["items"] == []
    assert rita.get("customers?q=瑞金").json["items"] == []
    assert rita.get("customers?owner=sam").json["items"] == []
    assert rita.get(f"contacts?customer={secret['id']}").status_code == 404
    hidden = rita.post("contacts", {"customer_id": secret["id"], "name": "Spy"})
    assert hidden.status_code == 422 and errors(hidden) == [("/customer_id", "unknown_customer")]
    missing = rita.post("contacts", {"customer_id": 999, "name": "Spy"})
    assert missing.json["errors"][0]["message"].replace("999", str(secret["id"])) == \
        hidden.json["errors"][0]["message"]
    for payload in ({"name": "上海瑞金医疗器械 股份有限公司"}, {"name": "Other", "data": {"credit_code": "91310000xyz"}}):
        duplicate = rita.post("customers", payload)
        assert duplicate.status_code == 409
        assert duplicate.json["duplicate"] == {"id": secret["id"], "owner": "Sam Wu"}
        text = str(duplicate.json)
        assert "瑞金" not in text and "3A" not in text and "91310000" not in text and "Secret" not in text
    assert counts(goldsieve_runtime.store)["customers"] == 1


def test_the_openapi_document_has_the_customer_routes(goldsieve_api):
    spec = goldsieve_api.as_token(None).get("openapi.json").json
    assert {"/api/v1/customers", "/api/v1/customers/{customer_id}", "/api/v1/customers/{customer_id}/claim",
            "/api/v1/customers/{customer_id}/release", "/api/v1/contacts"} <= set(spec["paths"])
    assert {"Customer", "Contact", "Duplicate"} <= set(spec["components"]["schemas"])
    post = spec["paths"]["/api/v1/customers"]["post"]["responses"]["409"]
    assert "Duplicate" in str(post)


def test_a_deal_names_a_customer_its_user_may_see(client, goldsieve_runtime):
    rita, sam = client("rita"), client("sam")
    mine = rita.post("customers", {"name": "Ruijin"}).json
    secret = sam.post("customers", {"name": "Sam's"}).json
    deal = rita.post("deals", {"funnel": "handmade", "title": "T", "data": {"company": "C"},
                               "customer_id": mine["id"]})
    assert deal.status_code == 201 and deal.json["customer_id"] == mine["id"]
    plain = rita.post("deals", {"funnel": "handmade", "title": "U", "data": {"company": "C"}}).json
    assert plain["customer_id"] is None
    before = {t: goldsieve_runtime.store.count(t) for t in ("deals", "events", "audit")}
    for customer_id in (secret["id"], 999):
        refused = rita.post("deals", {"funnel": "handmade", "title": "V", "data": {"company": "C"},
                                      "customer_id": customer_id})
        assert refused.status_code == 422 and errors(refused) == [("/customer_id", "unknown_customer")]
        assert refused.json["errors"][0]["message"] == f"There is no customer {customer_id} you can see."
        patched = rita.patch(f"deals/{plain['id']}", {"version": 1, "customer_id": customer_id})
        assert patched.status_code == 422 and errors(patched) == [("/customer_id", "unknown_customer")]
    assert {t: goldsieve_runtime.store.count(t) for t in before} == before
    linked = rita.patch(f"deals/{plain['id']}", {"version": 1, "customer_id": mine["id"]}).json
    assert linked["customer_id"] == mine["id"] and linked["version"] == 2
    event = rita.get(f"deals/{plain['id']}/history").json["items"][-1]
    assert event["changes"] == {"customer_id": [None, mine["id"]]}
    kept = rita.patch(f"deals/{plain['id']}", {"version": 2, "data": {"company": "D"}}).json
    assert kept["customer_id"] == mine["id"]
    assert rita.patch(f"deals/{plain['id']}", {"version": 3, "customer_id": None}).json["customer_id"] is None


def test_merge_through_the_api_and_the_merged_customer_answers_where_it_went(client, goldsieve_runtime):
    rita, mia = client("rita"), client("mia")
    survivor = rita.post("customers", {"name": "Ruijin Hospital"}).json
    duplicate = rita.post("customers", {"name": "Ruijin Medical"}).json
    assert survivor["merged_into"] is None
    store = goldsieve_runtime.store
    before = counts(store)
    for who, payload, status, expected in (
            (mia, {"into": duplicate["id"]}, 422, [("/into", "same_customer")]),
            (mia, {}, 422, [("/into", "required")]),
            (mia, {"into": "2"}, 422, [("/into", "invalid")]),
            (mia, {"into": 999}, 404, None),
            (rita, {"into": survivor["id"]}, 403, None)):
        response = who.post(f"customers/{duplicate['id']}/merge", payload)
        assert response.status_code == status, response.json
        if expected:
            assert errors(response) == expected
    assert counts(store) == before
    merged = mia.post(f"customers/{duplicate['id']}/merge", {"into": survivor["id"]})
    assert merged.status_code == 200 and merged.json["id"] == survivor["id"]
    redirect = rita.get(f"customers/{duplicate['id']}")
    assert redirect.status_code == 200 and redirect.json["merged_into"] == survivor["id"]
    assert [c["id"] for c in rita.get("customers").json["items"]] == [survivor["id"]]
    again = mia.post(f"customers/{duplicate['id']}/merge", {"into": survivor["id"]})
    assert again.status_code == 422 and errors(again) == [("/merged_into", "merged")]
    late = rita.patch(f"customers/{duplicate['id']}", {"data": {"beds": 1}, "version": 2})
    assert late.status_code == 422 and errors(late) == [("/merged_into", "merged")]


def test_the_openapi_document_has_the_merge_route(goldsieve_api):
    spec = goldsieve_api.as_token(None).get("openapi.json").json
    merge = spec["paths"]["/api/v1/customers/{customer_id}/merge"]["post"]
    assert "CustomerMerge" in str(merge["requestBody"]) and {"200", "403", "404", "422"} <= set(merge["responses"])
    assert "merged_into" in spec["components"]["schemas"]["Customer"]["properties"]


def test_one_contact_is_read_and_patched_with_its_version(client, goldsieve_runtime):
    rita, store = client("rita"), goldsieve_runtime.store
    made = rita.post("customers", {"name": "Ruijin"}).json
    wang = rita.post("contacts", {"customer_id": made["id"], "name": "Dr Wang", "role": "decision_maker",
                                  "data": {"email": "wang@ruijin.cn"}}).json
    li = rita.post("contacts", {"customer_id": made["id"], "name": "Nurse Li", "primary": True}).json
    assert rita.get(f"contacts/{wang['id']}").json == wang
    patched = rita.patch(f"contacts/{wang['id']}", {"data": {"email": "w@ruijin.cn"}, "primary": True,
                                                    "version": 1})
    assert patched.status_code == 200, patched.json
    assert {k: patched.json[k] for k in ("name", "role", "data", "primary", "version")} == {
        "name": "Dr Wang", "role": "decision_maker", "data": {"email": "w@ruijin.cn"}, "primary": True,
        "version": 2}
    assert rita.get(f"contacts/{li['id']}").json["primary"] is False  # one primary contact
    assert store.find("audit")[-1]["action"] == "contact_updated"
    cleared = rita.patch(f"contacts/{wang['id']}", {"role": None, "name": " Wang Fang ", "version": 2}).json
    assert (cleared["role"], cleared["name"], cleared["primary"]) == (None, "Wang Fang", True)
    before = counts(store)
    stale = rita.patch(f"contacts/{wang['id']}", {"name": "Old", "version": 2})
    assert stale.status_code == 409 and stale.json["current_version"] == 3
    assert "this contact" in stale.json["errors"][0]["message"]
    for payload, expected in (
            ({"name": "A"}, [("/version", "required")]),
            ({"role": "boss", "version": 3}, [("/role", "enum")]),
            ({"name": "", "data": {"email": "nope"}, "version": 3}, [("/name", "required"), ("/data/email", "format")]),
            ({"data": {"email": "a\u0000@b.cn"}, "version": 3}, [("/data/email", "invalid")]),
            ({"customer_id": 5, "version": 3}, [("/customer_id", "unknown_field")]),
            ({"primary": "yes", "version": 3}, [("/primary", "invalid")]),
    ):
        response = rita.patch(f"contacts/{wang['id']}", payload)
        assert response.status_code == 422 and errors(response) == expected, (payload, response.json)
    assert counts(store) == before and store.get("contacts", wang["id"])["version"] == 3


def test_another_reps_contact_answers_404_and_stays_as_it_was(client, goldsieve_runtime):
    sam, rita, eve = client("sam"), client("rita"), client("eve")
    secret = sam.post("customers", {"name": "Sam's hospital"}).json
    contact = sam.post("contacts", {"customer_id": secret["id"], "name": "Dr Secret"}).json
    before = counts(goldsieve_runtime.store)
    for response in (rita.get(f"contacts/{contact['id']}"), rita.get("contacts/999999"),
                     rita.patch(f"contacts/{contact['id']}", {"name": "Spy", "version": 1}),
                     rita.patch(f"contacts/{contact['id']}", {"bogus": 1})):
        assert response.status_code == 404, response.json
        assert "Secret" not in str(response.json)
    assert eve.get(f"contacts/{contact['id']}").status_code == 200
    assert eve.patch(f"contacts/{contact['id']}", {"name": "X", "version": 1}).status_code == 403
    assert counts(goldsieve_runtime.store) == before
    assert goldsieve_runtime.store.get("contacts", contact["id"])["name"] == "Dr Secret"


def test_the_openapi_document_has_the_contact_routes(goldsieve_api):
    spec = goldsieve_api.as_token(None).get("openapi.json").json
    one = spec["paths"]["/api/v1/contacts/{contact_id}"]
    assert set(one) == {"get", "patch"}
    assert {"404", "409", "422"} <= set(one["patch"]["responses"])
    assert "ContactPatch" in spec["components"]["schemas"]

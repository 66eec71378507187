"""The designer's records page through its pages: a record type's fields edited with the funnel
designer's field editor, checked and saved at once, and the forms asking for them from then on."""
from __future__ import annotations

import json

import pytest

from goldsieve.audit import find_audit
from goldsieve.checking import check_paths
from goldsieve.records.edit import AUDIT_ACTION


@pytest.fixture
def admin_browser(browser, goldsieve_user):
    assert browser.login(goldsieve_user["username"]).status_code == 302
    return browser


def customer_file(runtime):
    return runtime.workspace.path / "records" / "customer.json"


def base_of(browser, url: str) -> str:
    page = browser.get(url).get_data(as_text=True)
    return page.split('name="base" value="', 1)[1].split('"', 1)[0]


def add(browser, url: str, htmx: bool = True, **form):
    sent = {"op": "add_field", "base": base_of(browser, url), "type": "string", **form}
    return browser.post(url, sent, htmx=htmx)


def test_a_field_added_to_customers_is_saved_audited_and_on_the_new_customer_form(
        admin_browser, goldsieve_runtime):
    url = "/designer/records/customer"
    assert not customer_file(goldsieve_runtime).exists()  # the workspace declares no customer fields
    response = add(admin_browser, url, name="grade", **{"title-en": "Grade", "title-zh-Hans": "等级"},
                   required="1", choice=["3A", "2A", ""])
    assert response.status_code == 200, response.get_data(as_text=True)
    assert 'data-field="grade"' in response.get_data(as_text=True)
    saved = json.loads(customer_file(goldsieve_runtime).read_text(encoding="utf-8"))
    assert saved["fields"]["properties"]["grade"] == {
        "type": "string", "title": {"en": "Grade", "zh-Hans": "等级"}, "enum": ["3A", "2A"]}
    assert saved["fields"]["required"] == ["grade"] and saved["match"] == ["name"]
    findings, files = check_paths([goldsieve_runtime.workspace.path])  # `goldsieve check` takes the file
    assert customer_file(goldsieve_runtime) in files and not [f for path, f in findings
                                                              if path == customer_file(goldsieve_runtime)]
    [row] = find_audit(goldsieve_runtime.store, action=AUDIT_ACTION)
    assert row["target"] == {"type": "record_type", "id": "customer"} and row["by"] == "admin"
    assert "fields" in row["changes"]
    audit = admin_browser.get("/admin/audit")
    assert audit.status_code == 200 and AUDIT_ACTION in audit.get_data(as_text=True)
    form = admin_browser.get("/customers/new").get_data(as_text=True)  # no restart
    assert "Grade" in form and 'value="3A"' in form
    admin_browser.get("/", headers={"Accept-Language": "zh-Hans"})
    zh = admin_browser.get("/customers/new", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "等级" in zh


@pytest.mark.parametrize("form, named", [
    ({"name": "bad name"}, "bad name"),
    ({"name": "grade", "type": "list"}, "type is one of"),
    ({"name": "grade", "format": "email", "type": "number"}, "format is for a text field"),
])
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(admin_browser, goldsieve_runtime, form, named):
    url = "/designer/records/customer"
    before = goldsieve_runtime.customers.types
    response = add(admin_browser, url, **form)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and named in body and "Nothing was saved" in body
    assert not customer_file(goldsieve_runtime).exists()
    assert goldsieve_runtime.customers.types is before
    assert find_audit(goldsieve_runtime.store, action=AUDIT_ACTION) == []


def test_a_refusal_is_said_at_its_field_in_the_readers_language(admin_browser, goldsieve_runtime):
    url = "/designer/records/contact"
    assert add(admin_browser, url, name="phone", format="tel").status_code == 200
    zh = {"Accept-Language": "zh-CN"}
    refused = admin_browser.post(url, {"op": "add_field", "base": base_of(admin_browser, url), "name": "phone",
                                       "type": "string"}, htmx=True, headers=zh)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "phone" in body and "there already is a field" not in body
    box = body.split('class="add-field-box"', 1)[1].split("</details>", 1)[0]
    assert " open>" in box and "phone" in box and "finding-error" in box  # in the box that adds it
    again = admin_browser.post(url, {"op": "add_field", "base": base_of(admin_browser, url), "name": "phone",
                                     "type": "integer", "title-en": "Mobile", "required": "1", "choice": ["12"]},
                               htmx=True).get_data(as_text=True)
    box = again.split('class="add-field-box"', 1)[1].split("</details>", 1)[0]  # what was typed, shown again
    assert 'value="integer" selected' in box and 'value="Mobile"' in box and 'value="12"' in box
    assert 'name="required" value="1" checked' in box
    assert list(json.loads((goldsieve_runtime.workspace.path / "records" / "contact.json").read_text(
        encoding="utf-8"))["fields"]["properties"]) == ["phone"]


def test_an_edit_begun_before_another_save_is_a_409_that_shows_the_fields_as_they_are(
        admin_browser, goldsieve_runtime):
    url = "/designer/records/customer"
    stale = base_of(admin_browser, url)
    assert add(admin_browser, url, name="grade").status_code == 200
    response = admin_browser.post(url, {"op": "add_field", "base": stale, "name": "beds", "type": "integer"},
                                  htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 409 and 'data-field="grade"' in body and 'data-field="beds"' not in body
    assert "beds" not in goldsieve_runtime.customers.types.customer.fields["properties"]
    unsaid = admin_browser.post(url, {"op": "add_field", "name": "beds", "type": "integer"}, htmx=True)
    assert unsaid.status_code == 409  # an edit that does not say what it started from is not taken
    assert list(goldsieve_runtime.customers.types.customer.fields["properties"]) == ["grade"]


def test_without_javascript_a_saved_field_redirects_back_to_the_record_type(admin_browser, goldsieve_runtime):
    url = "/designer/records/activity/call"
    response = add(admin_browser, url, htmx=False, name="outcome", **{"title-en": "Outcome"},
                   choice=["reached", "voicemail"])
    assert response.status_code == 303 and response.headers["Location"].endswith(url)
    page = admin_browser.get(url).get_data(as_text=True)
    assert "Outcome" in page and "the forms ask for it now" in page
    saved = json.loads((goldsieve_runtime.workspace.path / "records" / "activity.json").read_text(encoding="utf-8"))
    call = next(t for t in saved["types"] if t["id"] == "call")
    assert call["fields"]["properties"]["outcome"]["enum"] == ["reached", "voicemail"]
    assert len(saved["types"]) == len(goldsieve_runtime.activities.types.all)  # every type kept
    form = admin_browser.get("/activities/fields?type=call").get_data(as_text=True)  # the activity log form
    assert "Outcome" in form and 'value="voicemail"' in form


def test_the_index_lists_every_record_type_and_unknown_ones_are_404(admin_browser, goldsieve_runtime):
    page = admin_browser.get("/designer/records/").get_data(as_text=True)
    for type_id in goldsieve_runtime.activities.types.ids:
        assert f'data-record="activity:{type_id}"' in page
    assert 'data-record="customer"' in page and 'data-record="contact"' in page
    assert "/designer/records/" in admin_browser.get("/designer/").get_data(as_text=True)
    for url in ("/designer/records/deal", "/designer/records/activity", "/designer/records/activity/telegram"):
        assert admin_browser.get(url).status_code == 404
        assert admin_browser.post(url, {"op": "add_field", "name": "x"}).status_code == 404
    assert not (goldsieve_runtime.workspace.path / "records").exists()


def test_only_those_who_may_use_the_designer_edit_record_types(rep_browser, goldsieve_runtime):
    for url in ("/designer/records/", "/designer/records/customer", "/designer/records/activity/call"):
        assert rep_browser.get(url).status_code == 403
    response = rep_browser.post("/designer/records/customer", {"op": "add_field", "name": "grade", "type": "string"})
    assert response.status_code == 403
    assert not (goldsieve_runtime.workspace.path / "records").exists()
    assert find_audit(goldsieve_runtime.store, action=AUDIT_ACTION) == []


def test_a_customer_from_before_a_required_field_renders_and_is_asked_for_it_on_edit(
        admin_browser, goldsieve_runtime, goldsieve_user):
    customer = goldsieve_runtime.customers.create(goldsieve_user, "Ruijin", {})
    assert add(admin_browser, "/designer/records/customer", name="ward", required="1",
               **{"title-en": "Ward"}, choice=["east", "west"]).status_code == 200
    page = admin_browser.get(f"/customers/{customer['id']}")
    assert page.status_code == 200 and "Ward" in page.get_data(as_text=True)
    refused = admin_browser.post(f"/customers/{customer['id']}", {"name": "Ruijin", "version": str(customer["version"])})
    body = refused.get_data(as_text=True)
    ward = body.split('data-field="ward"', 1)[1].split("</div>", 1)[0]
    assert refused.status_code == 422 and 'aria-invalid="true"' in ward and "This field is required." in ward
    assert goldsieve_runtime.store.get("customers", customer["id"])["data"] == {}
    saved = admin_browser.post(f"/customers/{customer['id']}", {"name": "Ruijin", "version": str(customer["version"]),
                                                                "ward": "east"})
    assert saved.status_code == 303
    assert goldsieve_runtime.store.get("customers", customer["id"])["data"] == {"ward": "east"}


def test_a_value_from_before_a_field_changed_type_still_shows_and_is_asked_again_on_edit(
        admin_browser, goldsieve_runtime, goldsieve_user):
    url = "/designer/records/customer"
    assert add(admin_browser, url, name="beds", **{"title-en": "Beds"}).status_code == 200
    customer = goldsieve_runtime.customers.create(goldsieve_user, "Ruijin", {"beds": "about forty"})
    changed = admin_browser.post(url, {"op": "update_field", "base": base_of(admin_browser, url), "name": "beds",
                                       "type": "integer", "title-en": "Beds"}, htmx=True)
    assert changed.status_code == 200 and goldsieve_runtime.customers.types.customer.fields[
        "properties"]["beds"]["type"] == "integer"
    page = admin_browser.get(f"/customers/{customer['id']}")
    assert page.status_code == 200 and "about forty" in page.get_data(as_text=True)
    refused = admin_browser.post(f"/customers/{customer['id']}", {"name": "Ruijin", "version": "1",
                                                                  "beds": "about forty"})
    beds = refused.get_data(as_text=True).split('data-field="beds"', 1)[1].split("</div>", 1)[0]
    assert refused.status_code == 422 and 'aria-invalid="true"' in beds
    assert goldsieve_runtime.store.get("customers", customer["id"])["data"] == {"beds": "about forty"}


def test_a_field_the_check_still_needs_is_not_removed_and_the_finding_is_at_the_record(
        admin_browser, goldsieve_runtime):
    url = "/designer/records/customer"
    assert add(admin_browser, url, name="credit_code").status_code == 200
    path = customer_file(goldsieve_runtime)
    declared = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**declared, "match": ["name", "credit_code"]}), encoding="utf-8")  # by hand
    assert goldsieve_runtime.customers.types.customer.match == ("name",)
    admin_browser.get(url)  # the next request runs the file
    assert goldsieve_runtime.customers.types.customer.match == ("name", "credit_code")
    before = path.read_bytes()
    response = admin_browser.post(url, {"op": "remove_field", "base": base_of(admin_browser, url),
                                        "name": "credit_code"}, htmx=True)
    body = response.get_data(as_text=True)
    alert = body.split('role="alert"', 1)[1].split("</div>", 1)[0]
    assert response.status_code == 422 and "credit_code" in alert and "finding-error" in alert
    assert path.read_bytes() == before and 'data-field="credit_code"' in body
    assert len(find_audit(goldsieve_runtime.store, action=AUDIT_ACTION)) == 1  # the first add only
    zh = admin_browser.post(url, {"op": "remove_field", "base": base_of(admin_browser, url), "name": "credit_code"},
                            htmx=True, headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 422 and "请在 `fields.properties` 中声明它" in zh.get_data(as_text=True)  # the check's
    removed = admin_browser.post(url, {"op": "remove_field", "base": base_of(admin_browser, url), "name": "nope"},
                                 htmx=True)
    assert removed.status_code == 422 and "nope" in removed.get_data(as_text=True).split('role="alert"', 1)[1]

"""The customer pages (issue 15): the list with search, filters and paging, a new customer and
its duplicates, the customer page (claiming, releasing, contacts, deals, timeline), and the deal
pages' customer. Logged in through the real form, CSRF and all; the visibility tests run on
both stores."""
from __future__ import annotations

import re

import pytest

from goldsieve.people.users import update_user
from goldsieve.records.merging import merge

from tests.records.conftest import (  # noqa: F401  (fixtures)
    BOTH_STORES,
    counts,
    goldsieve_workspace,
    login,
    people,
)

ROW = re.compile(r'<a class="customer-name" href="/customers/(\d+)">([^<]*)</a>')



@pytest.fixture
def made(goldsieve_runtime, people):
    """Ruijin (rita's, north), Huashan (sam's, south) and Zhongshan (in the pool)."""
    customers = goldsieve_runtime.customers
    ruijin = customers.create(people.rita, "Ruijin Hospital", {"grade": "3A"})
    huashan = customers.create(people.sam, "Huashan Hospital")
    zhongshan = customers.create(people.rob, "Zhongshan Hospital")
    customers.change_owner(people.rob, zhongshan, None, "released")
    return {"ruijin": ruijin["id"], "huashan": huashan["id"], "zhongshan": zhongshan["id"]}


def listed(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return [name for _id, name in ROW.findall(response.get_data(as_text=True))]


def page_text(response) -> str:
    return response.get_data(as_text=True)


@BOTH_STORES
def test_the_list_shows_exactly_what_each_role_may_see(login, made):
    expected = {
        "rita": ["Zhongshan Hospital", "Ruijin Hospital"],
        "rob": ["Zhongshan Hospital"],
        "sam": ["Zhongshan Hospital", "Huashan Hospital"],
        "mia": ["Zhongshan Hospital", "Ruijin Hospital"],
        "admin": ["Zhongshan Hospital", "Huashan Hospital", "Ruijin Hospital"],
    }
    for name, names in expected.items():
        assert listed(login(name).get("/customers")) == names, name


@BOTH_STORES
def test_search_filters_and_owner_names(login, made, goldsieve_runtime, people):
    update_user(goldsieve_runtime.store, "rita", display_name="Rita Chen")
    mia = login("mia")
    assert listed(mia.get("/customers?q=ruij")) == ["Ruijin Hospital"]
    assert listed(mia.get("/customers?filter=pool")) == ["Zhongshan Hospital"]
    assert listed(mia.get("/customers?filter=mine")) == []
    assert listed(mia.get("/customers?filter=team")) == ["Ruijin Hospital"]
    assert listed(login("rita").get("/customers?filter=mine&q=hosp")) == ["Ruijin Hospital"]
    body = page_text(mia.get("/customers"))
    assert "Rita Chen" in body and ">rita<" not in body
    # the search box asks for the results only, as the person types
    fragment = mia.get("/customers?q=zhong", headers={"HX-Request": "true", "HX-Target": "customer-results"})
    assert listed(fragment) == ["Zhongshan Hospital"] and "<html" not in page_text(fragment)
    assert mia.get("/customers?filter=everything").status_code == 400
    assert mia.get("/customers?cursor=²").status_code == 400


def test_more_pages_through_the_list(login, goldsieve_runtime, people, monkeypatch):
    from goldsieve.ui import customers as pages

    monkeypatch.setattr(pages, "PAGE", 2)
    for i in range(5):
        goldsieve_runtime.customers.create(people.rita, f"Clinic {i}")
    rita = login("rita")
    first = rita.get("/customers")
    assert listed(first) == ["Clinic 4", "Clinic 3"]
    more = re.search(r'hx-get="([^"]+)" hx-target="#customer-more"', page_text(first)).group(1)
    second = rita.get(more.replace("&amp;", "&"), headers={"HX-Request": "true", "HX-Target": "customer-more"})
    assert listed(second) == ["Clinic 2", "Clinic 1"] and "<ul" not in page_text(second)


def test_a_new_customer_with_declared_fields(login, goldsieve_runtime):
    rita = login("rita")
    form = page_text(rita.get("/customers/new"))
    assert 'name="grade"' in form and "3A" in form and 'name="credit_code"' in form
    response = rita.post("/customers/new", {"name": "  Ruijin Hospital ", "grade": "2A", "beds": "40"})
    assert response.status_code == 303
    customer_id = int(response.headers["Location"].rsplit("/", 1)[1])
    stored = goldsieve_runtime.store.get("customers", customer_id)
    assert (stored["name"], stored["owner"], stored["data"]) == ("Ruijin Hospital", "rita",
                                                                 {"grade": "2A", "beds": 40})


def test_bad_input_names_the_fields_and_writes_nothing(login, goldsieve_runtime, made):
    rita, store = login("rita"), goldsieve_runtime.store
    before = counts(store)
    response = rita.post("/customers/new", {"name": " ", "grade": "9Z", "beds": "many"})
    body = page_text(response)
    assert response.status_code == 422
    assert "A name is required." in body and "“9Z” is not a choice: choose one of" in body
    assert "“many” is not a whole number" in body
    response = rita.post("/customers/new", {"name": "x" * 201})
    assert response.status_code == 422 and "at most 200 characters" in page_text(response)
    ruijin = made["ruijin"]
    response = rita.post(f"/customers/{ruijin}", {"name": "", "beds": "-3", "version": "1"})
    assert response.status_code == 422 and "A name is required." in page_text(response)
    response = rita.post(f"/customers/{ruijin}/contacts", {"name": "", "role": "boss", "email": "nope"})
    body = page_text(response)
    assert response.status_code == 422
    assert "A name is required." in body and "“nope” is not an e-mail address" in body and "Choose one of the roles." in body
    assert counts(store) == before


def test_a_duplicate_links_the_existing_customer_only_when_visible(login, made, goldsieve_runtime, people):
    update_user(goldsieve_runtime.store, "sam", display_name="Sam Wu")
    rita = login("rita")
    before = counts(goldsieve_runtime.store)
    mine = rita.post("/customers/new", {"name": "RUIJIN hospital 有限公司"})
    assert mine.status_code == 409
    body = page_text(mine)
    assert f"Customer {made['ruijin']} already has this name." in body
    assert f'href="/customers/{made["ruijin"]}"' in body
    foreign = rita.post("/customers/new", {"name": "Huashan Hospital"})
    body = page_text(foreign)
    assert foreign.status_code == 409 and "Its owner: Sam Wu" in body
    assert f'href="/customers/{made["huashan"]}"' not in body
    assert counts(goldsieve_runtime.store) == before


def test_the_customer_page_edits_with_a_version_check(login, made, goldsieve_runtime):
    rita, ruijin = login("rita"), made["ruijin"]
    page = page_text(rita.get(f"/customers/{ruijin}"))
    assert 'name="version" value="1"' in page and "Ruijin Hospital" in page
    saved = rita.post(f"/customers/{ruijin}", {"name": "Ruijin", "grade": "3A", "beds": "12", "version": "1"})
    assert saved.status_code == 303
    assert goldsieve_runtime.store.get("customers", ruijin)["data"] == {"grade": "3A", "beds": 12}
    before = counts(goldsieve_runtime.store)
    stale = rita.post(f"/customers/{ruijin}", {"name": "Ruijin", "beds": "13", "version": "1"})
    assert stale.status_code == 409 and "Someone else changed this customer" in page_text(stale)
    assert counts(goldsieve_runtime.store) == before
    timeline = page_text(rita.get(f"/customers/{ruijin}"))
    assert "Customer changed" in timeline and "Customer created" in timeline


def test_claim_and_release_with_translated_refusals(login, made, goldsieve_runtime, people):
    rita, rob, eve = login("rita"), login("rob"), login("eve")
    ruijin, zhongshan = made["ruijin"], made["zhongshan"]
    assert rob.post(f"/customers/{ruijin}/release").status_code == 404
    assert rita.post(f"/customers/{ruijin}/release").status_code == 303
    assert goldsieve_runtime.store.get("customers", ruijin)["owner"] is None
    page = page_text(rob.get(f"/customers/{ruijin}"))
    assert 'id="claim"' in page and 'id="release"' not in page and "In the pool" in page
    assert rob.post(f"/customers/{ruijin}/claim").status_code == 303
    assert goldsieve_runtime.store.get("customers", ruijin)["owner"] == "rob"
    # rob gave Zhongshan up today: the cool-down refuses, in Chinese for a Chinese reader
    before = counts(goldsieve_runtime.store)
    refused = rob.post(f"/customers/{zhongshan}/claim", headers={"Accept-Language": "zh-CN"})
    assert refused.status_code == 422 and "7 天内" in page_text(refused)
    not_in_pool = rita.post(f"/customers/{ruijin}/claim")
    assert not_in_pool.status_code == 404  # rob's now, and rita sees only her own
    for i in range(3):
        goldsieve_runtime.customers.create(people.rita, f"Owned {i}")
    too_many = rita.post(f"/customers/{zhongshan}/claim")
    assert too_many.status_code == 422 and "You already own 3 customers" in page_text(too_many)
    assert counts(goldsieve_runtime.store)["customers"] == before["customers"] + 3
    assert goldsieve_runtime.store.get("customers", zhongshan)["owner"] is None
    assert eve.post(f"/customers/{ruijin}/release").status_code == 403


def test_contacts_are_added_with_a_role_and_one_primary(login, made, goldsieve_runtime):
    rita, ruijin = login("rita"), made["ruijin"]
    form = page_text(rita.get(f"/customers/{ruijin}"))
    assert '<option value="decision_maker">Decision maker</option>' in form
    for name, role, primary in (("Dr. Gu", "decision_maker", "true"), ("Ms. Li", "", ""),
                                ("Mr. Wang", "user", "true")):
        response = rita.post(f"/customers/{ruijin}/contacts", {"name": name, "role": role, "primary": primary,
                                                               "email": "gu@example.com"})
        assert response.status_code == 303, page_text(response)
    contacts = goldsieve_runtime.contacts.list({"username": "admin", "role": "admin"}, ruijin)
    assert [(c["name"], c["role"], c["primary"]) for c in contacts] == [
        ("Mr. Wang", "user", True), ("Dr. Gu", "decision_maker", False), ("Ms. Li", None, False)]
    page = page_text(rita.get(f"/customers/{ruijin}"))
    assert page.index("Mr. Wang") < page.index("Primary") < page.index("Dr. Gu")
    # a pool customer is read, not changed: no form, and a post is refused
    before = counts(goldsieve_runtime.store)
    pool = rita
    assert 'id="contact-form"' not in page_text(pool.get(f"/customers/{made['zhongshan']}"))
    assert pool.post(f"/customers/{made['zhongshan']}/contacts", {"name": "X"}).status_code == 403
    assert counts(goldsieve_runtime.store) == before


def test_forms_without_the_csrf_token_are_refused_and_write_nothing(login, made, goldsieve_runtime):
    rita, ruijin = login("rita"), made["ruijin"]
    before = counts(goldsieve_runtime.store)
    for path, data in (("/customers/new", {"name": "Forged"}),
                       (f"/customers/{ruijin}", {"name": "Forged", "version": "1"}),
                       (f"/customers/{ruijin}/release", {}),
                       (f"/customers/{made['zhongshan']}/claim", {}),
                       (f"/customers/{ruijin}/contacts", {"name": "Forged"})):
        response = rita.client.post(path, data=data)
        assert response.status_code == 400, path
    assert counts(goldsieve_runtime.store) == before


def test_a_customer_the_user_may_not_see_is_not_found(login, made, goldsieve_runtime):
    rob, ruijin = login("rob"), made["ruijin"]
    before = counts(goldsieve_runtime.store)
    for method, path, data in (("GET", f"/customers/{ruijin}", None),
                               ("POST", f"/customers/{ruijin}", {"name": "X", "version": "1"}),
                               ("POST", f"/customers/{ruijin}/claim", {}),
                               ("POST", f"/customers/{ruijin}/contacts", {"name": "X"}),
                               ("GET", "/customers/999999", None)):
        response = rob.get(path) if method == "GET" else rob.post(path, data)
        assert response.status_code == 404, path
        assert "There is no such customer, or you may not see it." in page_text(response)
    assert counts(goldsieve_runtime.store) == before
    assert f'value="{ruijin}"' not in page_text(rob.get(f"/customers/pick?customer_q=Ruijin&customer_id={ruijin}"))


def test_names_are_escaped(login, goldsieve_runtime, people):
    evil = '<script>alert(1)</script>'
    customer = goldsieve_runtime.customers.create(people.rita, evil)
    goldsieve_runtime.contacts.create(people.rita, customer["id"], f"<img src=x onerror=alert(2)>")
    rita = login("rita")
    for path in ("/customers", f"/customers/{customer['id']}", "/customers/pick?customer_q=script"):
        body = page_text(rita.get(path))
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and evil not in body, path
        assert "<img src=x" not in body


def test_the_customer_page_lists_visible_deals_with_totals_and_one_timeline(login, made, goldsieve_runtime, people):
    engine, ruijin = goldsieve_runtime.engine, made["ruijin"]
    funnel = next(iter(goldsieve_runtime.funnels))
    open_deal = engine.create(people.rita, funnel.id, "ERP rollout", {"amount": 1200, "company": "Ruijin"}, customer_id=ruijin)
    engine.create(people.rita, funnel.id, "Second site", {"amount": 800, "company": "Ruijin"}, customer_id=ruijin)
    lost = engine.create(people.rita, funnel.id, "Old tender", {"amount": 50, "company": "Ruijin"}, customer_id=ruijin)
    lost_stage = next(s for s in funnel.stages if s.kind == "lost")
    engine.move(people.admin, lost["id"], lost_stage.id, lost_reason=next(iter(funnel.lost_reasons), None))
    hidden = engine.create(people.admin, funnel.id, "Admin's own deal", {"amount": 9, "company": "Ruijin"}, customer_id=ruijin)
    body = page_text(login("rita").get(f"/customers/{ruijin}"))
    assert "ERP rollout" in body and "Old tender" in body and hidden["title"] not in body
    assert "2 deals" in body and "1 deal" in body
    assert re.search(r"2 deals · [^<]*2,000", body) and re.search(r"1 deal · [^<]*50", body)
    timeline = body[body.index('id="timeline-heading"'):]
    assert timeline.index("Old tender") < timeline.index("ERP rollout") < timeline.index("Customer created")
    deal_page = page_text(login("rita").get(f"/deals/{open_deal['id']}"))
    assert f'href="/customers/{ruijin}"' in deal_page and "Ruijin Hospital" in deal_page


def test_the_pages_speak_chinese(login, made):
    rita = login("rita")
    simplified, traditional = {"Accept-Language": "zh-CN"}, {"Accept-Language": "zh-TW"}
    listing = page_text(rita.get("/customers", headers=simplified))
    assert "公海" in listing and "新建客户" in listing
    page = page_text(rita.get(f"/customers/{made['ruijin']}", headers=simplified))
    assert "联系人" in page and "放回公海" in page and "决策人" in page
    assert "聯絡人" in page_text(rita.get(f"/customers/{made['ruijin']}", headers=traditional))


def test_the_deal_form_picks_a_visible_customer(login, made, goldsieve_runtime):
    rita = login("rita")
    funnel = next(iter(goldsieve_runtime.funnels))
    form = page_text(rita.get(f"/deals/new?funnel={funnel.id}"))
    assert 'hx-get="/customers/pick"' in form and 'name="customer_id" value=""' in form
    choices = page_text(rita.get("/customers/pick?customer_q=hosp", headers={"HX-Request": "true"}))
    assert re.findall(r'name="customer_id" value="(\d+)"', choices) == [str(made["zhongshan"]), str(made["ruijin"])]
    assert "Huashan" not in choices  # sam's
    kept = page_text(rita.get(f"/customers/pick?customer_q=zhong&customer_id={made['ruijin']}"))
    assert f'value="{made["ruijin"]}" checked' in kept and "Zhongshan" in kept
    before = goldsieve_runtime.store.count("deals")
    refused = rita.post(f"/deals/new?funnel={funnel.id}", {"title": "T", "company": "C",
                                                           "customer_id": str(made["huashan"])})
    assert refused.status_code == 422 and "Choose a customer you can see." in page_text(refused)
    assert "Huashan" not in page_text(refused)
    assert goldsieve_runtime.store.count("deals") == before
    created = rita.post(f"/deals/new?funnel={funnel.id}", {"title": "T", "company": "C",
                                                           "customer_id": str(made["ruijin"])})
    assert created.status_code == 303
    deal_id = int(created.headers["Location"].rsplit("/", 1)[1])
    assert goldsieve_runtime.store.get("deals", deal_id)["customer_id"] == made["ruijin"]


def test_the_deal_page_shows_its_customer_and_contacts_primary_first(login, made, goldsieve_runtime, people):
    ruijin, funnel = made["ruijin"], next(iter(goldsieve_runtime.funnels))
    goldsieve_runtime.contacts.create(people.rita, ruijin, "Ms. Li")
    goldsieve_runtime.contacts.create(people.rita, ruijin, "Dr. Gu", primary=True)
    deal = goldsieve_runtime.engine.create(people.rita, funnel.id, "ERP", {"company": "R"}, customer_id=ruijin)
    page = page_text(login("rita").get(f"/deals/{deal['id']}"))
    section = page[page.index('id="deal-customer"'):]
    assert f'href="/customers/{ruijin}"' in section
    assert section.index("Dr. Gu") < section.index("Primary") < section.index("Ms. Li")
    # the manager sees the deal; a customer the viewer may not see is not shown
    other = goldsieve_runtime.engine.create(people.sam, funnel.id, "Sam's", {"company": "H"},
                                            customer_id=made["huashan"])
    admin_view = page_text(login("admin").get(f"/deals/{other['id']}"))
    assert "Huashan Hospital" in admin_view
    goldsieve_runtime.customers.change_owner(people.admin, goldsieve_runtime.store.get("customers", made["huashan"]),
                                             "admin", "claimed")
    sam_view = login("sam").get(f"/deals/{other['id']}")
    assert sam_view.status_code == 200 and 'id="deal-customer"' not in page_text(sam_view)


def test_a_contact_is_edited_with_a_version_check(login, made, goldsieve_runtime, people):
    ruijin, contacts = made["ruijin"], goldsieve_runtime.contacts
    gu = contacts.create(people.rita, ruijin, "Dr. Gu", primary=True)
    li = contacts.create(people.rita, ruijin, "Ms. Li", "user")
    rita, store = login("rita"), goldsieve_runtime.store
    page = page_text(rita.get(f"/customers/{ruijin}"))
    assert f'href="/customers/{ruijin}/contacts/{li["id"]}"' in page
    form = page_text(rita.get(f"/customers/{ruijin}/contacts/{li['id']}"))
    assert 'value="Ms. Li"' in form and '<option value="user" selected>' in form
    path = f"/customers/{ruijin}/contacts/{li['id']}"
    before = counts(store)
    for data, status, message in (({"name": " ", "role": "boss", "email": "x", "version": "1"}, 422,
                                   "A name is required."),
                                  ({"name": "Ms. Li", "version": "7"}, 409, "Someone else changed this contact")):
        response = rita.post(path, data)
        assert response.status_code == status and message in page_text(response)
    assert counts(store) == before
    saved = rita.post(path, {"name": "Ms. Li Na", "role": "decision_maker", "primary": "true",
                             "email": "li@example.com", "version": "1"})
    assert saved.status_code == 303
    stored = {c["name"]: (c["role"], c["primary"], c["data"]) for c in store.find("contacts")}
    assert stored == {"Ms. Li Na": ("decision_maker", True, {"email": "li@example.com"}),
                      "Dr. Gu": (None, False, {})}
    # another customer's contact is not this customer's, and rob sees neither
    other = goldsieve_runtime.customers.create(people.rita, "Other clinic")
    assert rita.get(f"/customers/{other['id']}/contacts/{gu['id']}").status_code == 404
    assert login("rob").get(path).status_code == 404


def test_the_picker_creates_a_customer_in_place(login, made, goldsieve_runtime):
    rita, store = login("rita"), goldsieve_runtime.store
    offered = page_text(rita.get("/customers/pick?customer_q=Xinhua"))
    assert "Create the customer “Xinhua”" in offered
    assert "Create the customer" not in page_text(rita.get("/customers/pick?customer_q=ruijin hospital"))
    before = counts(store)
    assert rita.client.post("/customers/pick", data={"customer_q": "Xinhua"}).status_code == 400  # no CSRF
    for name, status, message in (("", 422, "A name is required."),
                                  ("Huashan Hospital", 409, "Its owner: sam")):
        response = rita.post("/customers/pick", {"customer_q": name}, htmx=True)
        assert response.status_code == status and message in page_text(response)
    assert counts(store) == before
    created = rita.post("/customers/pick", {"customer_q": " Xinhua Hospital "}, htmx=True)
    body = page_text(created)
    [customer] = [c for c in store.find("customers") if c["name"] == "Xinhua Hospital"]
    assert created.status_code == 200 and customer["owner"] == "rita"
    assert f'value="{customer["id"]}" checked' in body
    # a duplicate the user may see is chosen instead
    again = page_text(rita.post("/customers/pick", {"customer_q": "ruijin HOSPITAL"}, htmx=True))
    assert f'value="{made["ruijin"]}" checked' in again
    assert login("eve").post("/customers/pick", {"customer_q": "Eve's"}).status_code == 403


def test_the_picker_sends_a_customer_with_required_fields_to_its_own_page(login, goldsieve_runtime,
                                                                         monkeypatch):
    from goldsieve.records.model import RecordType, RecordTypes

    customers = goldsieve_runtime.customers
    strict = {**customers.types.customer.definition,
              "fields": {**customers.types.customer.fields, "required": ["grade"]}}
    monkeypatch.setattr(customers, "types", RecordTypes(RecordType("customer", strict), customers.types.contact))
    rita = login("rita")
    before = counts(goldsieve_runtime.store)
    response = rita.post("/customers/pick", {"customer_q": "Xinhua"}, htmx=True)
    body = page_text(response)
    assert response.status_code == 422 and "This customer needs more details:" in body
    assert 'href="/customers/new"' in body and "A name is required." not in body
    assert counts(goldsieve_runtime.store) == before


def test_the_timeline_says_a_merge_and_the_merged_page_leads_to_the_survivor(login, made,
                                                                             goldsieve_runtime, people):
    merge(goldsieve_runtime.customers, people.admin, made["huashan"], made["ruijin"])
    admin = login("admin")
    survivor = page_text(admin.get(f"/customers/{made['ruijin']}"))
    assert f"Customer {made['huashan']} merged into this one" in survivor
    assert f"Merged into customer {made['ruijin']}" in survivor  # the merged one's history, kept
    zh = {"Accept-Language": "zh-CN"}
    moved = admin.get(f"/customers/{made['huashan']}", headers=zh)
    assert moved.status_code == 303 and moved.headers["Location"].endswith(f"/customers/{made['ruijin']}")
    landed = page_text(admin.get(moved.headers["Location"], headers=zh))
    assert "“Huashan Hospital”已合并到此客户。" in landed and f"已合并到客户 {made['ruijin']}" in landed
    assert 'event-what">merged' not in survivor + landed  # the raw type, as shown before


@BOTH_STORES
def test_a_manager_merges_a_duplicate_from_its_page(login, made, goldsieve_runtime, people):
    store = goldsieve_runtime.store
    rob = goldsieve_runtime.customers.create(people.rob, "Ruijin Hosp.")
    rita, mia = login("rita"), login("mia")
    assert "customer-merge-form" not in page_text(rita.get(f"/customers/{made['ruijin']}"))  # a rep
    page = page_text(mia.get(f"/customers/{rob['id']}"))
    assert "customer-merge-form" in page and "Merge into another customer" in page
    picked = page_text(mia.get("/customers/pick?for=merge&customer_q=Ruijin"))
    assert f'value="{made["ruijin"]}"' in picked and "create-customer" not in picked
    before = {t: store.count(t) for t in ("customer_events", "audit")}
    for chosen, message in (("", "Choose the customer to keep."),
                            (str(rob["id"]), "A customer cannot be merged into itself."),
                            (str(made["huashan"]), "There is no such customer.")):  # sam's, south
        refused = mia.post(f"/customers/{rob['id']}/merge", {"customer_id": chosen})
        assert refused.status_code == 422 and message in page_text(refused), chosen
    assert {t: store.count(t) for t in before} == before  # nothing written
    done = mia.post(f"/customers/{rob['id']}/merge", {"customer_id": str(made["ruijin"])})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/customers/{made['ruijin']}")
    assert store.get("customers", rob["id"])["merged_into"] == made["ruijin"]
    assert "Merged “Ruijin Hosp.” into this customer." in page_text(mia.get(done.headers["Location"]))
    no_token = login("mia").client.post(f"/customers/{made['huashan']}/merge",
                                        data={"customer_id": str(made["ruijin"])})
    assert no_token.status_code == 400 and store.get("customers", made["huashan"]).get("merged_into") is None

"""Searching customers, contacts and deals by the one folded search text (goldsieve.store.search):
half-width and case folded, a Chinese substring found, within what the reader may see, on both
stores; and the documents of a store from before the text are given theirs when it opens."""
from __future__ import annotations

from goldsieve.deals import listing
from goldsieve.deals.search_fill import fill_search
from goldsieve.store.search import SEARCH

from tests.records.conftest import BOTH_STORES


@BOTH_STORES
def test_a_search_is_folded_and_stays_within_what_the_reader_sees(customers, people, goldsieve_runtime):
    mine = customers.create(people.rita, "广州白云医院")
    acme = customers.create(people.rita, "Acme Trading")
    robs = customers.create(people.rob, "白云山 Clinic")
    assert mine[SEARCH] == "广州白云医院" and acme[SEARCH] == "acme trading"

    def found(user, text):
        return [c["id"] for c in customers.list(user, text=text)]

    assert found(people.rita, "白云") == [mine["id"]]  # rob's is not hers to find
    assert found(people.mia, "白云") == [robs["id"], mine["id"]]
    assert found(people.rita, "ＡＣＭＥ") == found(people.rita, "acme t") == [acme["id"]]
    assert found(people.rita, "白") == [mine["id"]] and found(people.rita, "Trading Co") == []
    renamed = customers.update(people.rita, acme["id"], None, version=1, name="Ａｃｍｅ 白云 Trading")
    assert renamed[SEARCH] == "acme 白云 trading"
    assert found(people.rita, "白云") == [acme["id"], mine["id"]]
    contact = goldsieve_runtime.contacts.create(people.rita, mine["id"], "王 Ｘｉａｏ")
    assert contact[SEARCH] == "王 xiao"


@BOTH_STORES
def test_the_deal_list_finds_a_deal_by_its_title_text_fields_customer_and_contact(
        customers, people, goldsieve_runtime):
    engine = goldsieve_runtime.engine
    funnel = next(iter(engine.funnels))
    hospital = customers.create(people.rita, "广州白云医院")
    goldsieve_runtime.contacts.create(people.rita, hospital["id"], "Ｄｒ. Zhang")
    by_title = engine.create(people.rita, funnel.id, "ＣＴ scanner for 白云", {"company": "Ｋａｎｇ Ltd"})
    by_customer = engine.create(people.rita, funnel.id, "Ultrasound", {"company": "Other"},
                                customer_id=hospital["id"])
    robs = engine.create(people.rob, funnel.id, "白云 MRI", {"company": "Other"})

    def found(user, text):
        rows, _ = listing.find(engine, user, listing.Criteria(text=text))
        return [d["id"] for d in rows]

    assert found(people.rita, "白云") == [by_customer["id"], by_title["id"]]
    assert found(people.rita, "ct SCANNER") == [by_title["id"]]
    assert found(people.rita, "dr. zhang") == [by_customer["id"]]
    assert found(people.rita, "kang") == [by_title["id"]]  # a declared text field
    assert robs["id"] in found(people.mia, "白云")
    moved = engine.update(people.rita, by_title["id"], {}, version=by_title["version"], title="Scanner")
    assert moved[SEARCH] == "scanner\nkang ltd" and found(people.rita, "白云") == [by_customer["id"]]


@BOTH_STORES
def test_documents_from_before_the_search_text_get_theirs_on_open(customers, people, goldsieve_runtime):
    store, engine = goldsieve_runtime.store, goldsieve_runtime.engine
    funnel = next(iter(engine.funnels))
    customer = customers.create(people.rita, "广州白云医院")
    deal = engine.create(people.rita, funnel.id, "ＣＴ for Baiyun", {"company": "Kang"})
    with store.transaction() as txn:  # as a store written before the search text holds them
        for table, doc in (("customers", customer), ("deals", deal)):
            txn.replace(table, {k: v for k, v in store.get(table, doc["id"]).items() if k != SEARCH})
    assert customers.list(people.rita, text="白云") == []
    assert fill_search(store, engine.funnels) == 2
    assert store.get("customers", customer["id"])["version"] == customer["version"]
    assert [c["id"] for c in customers.list(people.rita, text="白云")] == [customer["id"]]
    assert store.get("deals", deal["id"])[SEARCH] == "ct for baiyun\nkang"
    assert fill_search(store, engine.funnels) == 0  # the oldest has its text: nothing to read

"""Duplicates: normalised match keys, a lookup per create or rename, and what the 409 tells."""
from __future__ import annotations

import threading

import pytest

from goldsieve.errors import Duplicate
from goldsieve.people.users import update_user
from goldsieve.records.duplicates import normalise_name, normalise_value

from tests.records.conftest import BOTH_STORES, counts


@pytest.mark.parametrize("variant", [
    "上海瑞金医疗器械有限公司", "上海瑞金医疗器械股份有限公司", "上海瑞金医疗器械 有限责任公司",
    "上海瑞金医疗器械", " 上海 瑞金·医疗器械有限公司",
])
def test_chinese_legal_forms_and_spaces_do_not_make_another_company(variant):
    assert normalise_name(variant) == "上海瑞金医疗器械"


@pytest.mark.parametrize("variant", [
    "ACME Co., Ltd.", "Acme Ltd", "acme inc.", "Acme, Inc.", "ACME LLC", "Acme GmbH", "ＡＣＭＥ", "a.c.m.e",
])
def test_latin_legal_forms_case_and_full_width_do_not_make_another_company(variant):
    assert normalise_name(variant) == "acme"


def test_a_suffix_only_counts_as_a_whole_word_and_never_empties_a_name():
    assert normalise_name("Costco") == "costco"
    assert normalise_name("Acme (Shanghai) Co., Ltd.") == "acmeshanghai"
    assert normalise_name("有限公司") == "有限公司"
    assert normalise_name("Inc") == "inc"


def test_field_values_keep_what_tells_addresses_apart():
    assert normalise_value(" Sales@ACME.com ") == "sales@acme.com"
    assert normalise_value("a.b@x.cn") != normalise_value("ab@x.cn")
    assert normalise_value("138-0000 (0000)") == normalise_value("13800000000")
    assert normalise_value("９１３１０１１５ＭＡ") == "91310115ma"
    assert normalise_value(None) is None and normalise_value(True) is None and normalise_value(" - ") is None


@BOTH_STORES
def test_a_duplicate_name_is_refused_with_the_id_and_owner_only(customers, people, goldsieve_runtime):
    update_user(goldsieve_runtime.store, "sam", display_name="Sam Wu")
    sams = customers.create(people.sam, "上海瑞金医疗器械有限公司", {"grade": "3A", "credit_code": "9131X"})
    before = counts(goldsieve_runtime.store)
    with pytest.raises(Duplicate) as error:
        customers.create(people.rita, "上海瑞金医疗器械 股份有限公司")
    assert (error.value.existing_id, error.value.owner, error.value.path) == (sams["id"], "Sam Wu", "/name")
    assert "3A" not in str(error.value) and "9131X" not in str(error.value)
    with pytest.raises(Duplicate) as error:
        customers.create(people.rita, "Another name", {"credit_code": " 9131x "})
    assert (error.value.existing_id, error.value.path) == (sams["id"], "/data/credit_code")
    assert counts(goldsieve_runtime.store) == before


@BOTH_STORES
def test_renaming_into_a_duplicate_is_refused_and_keeping_ones_own_key_is_not(customers, people, goldsieve_runtime):
    first = customers.create(people.rita, "Ruijin Hospital")
    second = customers.create(people.rita, "Huashan Hospital", {"credit_code": "A1"})
    assert customers.update(people.rita, second["id"], {"grade": "3A"}, version=1)["version"] == 2
    assert customers.update(people.rita, second["id"], None, version=2, name="HUASHAN hospital ")["version"] == 3
    before = counts(goldsieve_runtime.store)
    with pytest.raises(Duplicate) as error:
        customers.update(people.rita, second["id"], None, version=3, name="Ruijin Hospital Co., Ltd.")
    assert error.value.existing_id == first["id"] and error.value.owner == "rita"
    assert counts(goldsieve_runtime.store) == before
    # the old keys go with a rename: the old name is free again
    customers.update(people.rita, second["id"], {"credit_code": None}, version=3, name="Fudan Hospital")
    assert customers.create(people.rita, "Huashan Hospital", {"credit_code": "A1"})["id"] > second["id"]


@BOTH_STORES
def test_two_creates_of_one_customer_at_once_make_one_and_answer_the_other_as_its_duplicate(
        customers, people, goldsieve_runtime, monkeypatch):
    """Each create checks its keys once, inside its transaction. Both creates wait there until
    both have checked (on PostgreSQL both pass, and the unique index refuses the later insert;
    on the embedded store the second waits for the writer's lock, so the barrier gives up and the
    second sees the first), so the race is really run on PostgreSQL."""
    barrier = threading.Barrier(2, timeout=3)
    checks: list[str] = []
    check = type(customers)._refuse_duplicate

    def racing(self, user, keys, exclude):
        checks.append(user["username"])
        check(self, user, keys, exclude)
        if checks.count(user["username"]) == 1:
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass

    monkeypatch.setattr(type(customers), "_refuse_duplicate", racing)
    before = counts(goldsieve_runtime.store)
    outcomes: dict[str, object] = {}

    def create(user):
        try:
            outcomes[user["username"]] = customers.create(user, "Ruijin Hospital", {"credit_code": "R1"})
        except Duplicate as duplicate:
            outcomes[user["username"]] = duplicate

    threads = [threading.Thread(target=create, args=(u,)) for u in (people.rita, people.rob)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    made = [o for o in outcomes.values() if isinstance(o, dict)]
    refused = [o for o in outcomes.values() if isinstance(o, Duplicate)]
    assert len(made) == 1 and len(refused) == 1, outcomes
    assert refused[0].existing_id == made[0]["id"]
    after = counts(goldsieve_runtime.store)
    assert after["customers"] == before["customers"] + 1
    assert after["customer_keys"] == before["customer_keys"] + 2
    assert checks.count(made[0]["created_by"]) == 1  # the winner checked once
    loser = next(name for name, o in outcomes.items() if isinstance(o, Duplicate))
    # on PostgreSQL the loser passed its check, met the unique index and checked again to say so
    assert checks.count(loser) == (2 if goldsieve_runtime.store.url.startswith("postgres") else 1)


def test_a_pool_customer_is_named_as_in_the_pool(customers, people):
    pooled = customers.change_owner(people.admin, customers.create(people.admin, "Pooled"), None, "released")
    with pytest.raises(Duplicate, match="in the pool") as error:
        customers.create(people.rita, "pooled")
    assert error.value.existing_id == pooled["id"] and error.value.owner is None

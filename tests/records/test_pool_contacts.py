"""A pool customer's contacts: names and roles for everyone who sees the pool, their details
only for the roles ``[pool] see_pool_contacts`` names, and everything once claimed."""
from __future__ import annotations

import pytest

from goldsieve.errors import Forbidden
from goldsieve.people.users import ROLES
from goldsieve.records.pool import PoolSettings, claim, release
from goldsieve.workspace import WorkspaceError

from tests.records.conftest import BOTH_STORES, counts


@pytest.fixture
def goldsieve_workspace(goldsieve_workspace):
    config = goldsieve_workspace.path / "goldsieve.toml"
    text = config.read_text(encoding="utf-8").replace(
        "cooldown_days = 7\n", 'cooldown_days = 7\nsee_pool_contacts = ["manager", "admin"]\n')
    config.write_text(text, encoding="utf-8")
    return type(goldsieve_workspace).load(goldsieve_workspace.path)


@pytest.fixture
def pooled(goldsieve_runtime, people):
    """Rita's customer with Dr Wang (an e-mail address), released to the pool."""
    customers = goldsieve_runtime.customers
    made = customers.create(people.rita, "Ruijin")
    wang = goldsieve_runtime.contacts.create(people.rita, made["id"], "Dr Wang", "decision_maker",
                                             {"email": "wang@ruijin.cn"}, primary=True)
    release(customers, people.rita, made["id"])
    return made["id"], wang["id"]


@BOTH_STORES
def test_a_rep_reads_a_pool_customers_contacts_without_details_until_claiming(goldsieve_runtime, people,
                                                                             pooled):
    contacts, store = goldsieve_runtime.contacts, goldsieve_runtime.store
    customer_id, wang_id = pooled
    [shown] = contacts.list(people.rob, customer_id)
    assert (shown["name"], shown["role"], shown["primary"], shown["data"], shown["details_hidden"]) == (
        "Dr Wang", "decision_maker", True, {}, True)
    assert contacts.get(people.rob, wang_id)["data"] == {}
    for role in ("mia", "admin"):
        assert contacts.get(getattr(people, role), wang_id)["data"] == {"email": "wang@ruijin.cn"}
        assert "details_hidden" not in contacts.list(getattr(people, role), customer_id)[0]
    assert store.get("contacts", wang_id)["data"] == {"email": "wang@ruijin.cn"}  # nothing lost
    before = counts(store)
    with pytest.raises(Forbidden):
        contacts.update(people.rob, wang_id, "Dr Wang", None, {"email": None}, True, 2)
    assert counts(store) == before
    claim(goldsieve_runtime.customers, people.rob, customer_id)
    assert contacts.get(people.rob, wang_id)["data"] == {"email": "wang@ruijin.cn"}
    changed = contacts.update(people.rob, wang_id, "Dr Wang", None, {"email": "w@ruijin.cn"}, True, 1)
    assert changed["data"] == {"email": "w@ruijin.cn"} and "details_hidden" not in changed


def test_the_api_hides_the_details_and_refuses_changing_them(client, goldsieve_runtime, pooled):
    customer_id, wang_id = pooled
    rob = client("rob")
    listed = rob.get(f"contacts?customer={customer_id}").json["items"]
    one = rob.get(f"contacts/{wang_id}").json
    for body in (listed[0], one):
        assert body["data"] == {} and body["details_hidden"] is True and body["name"] == "Dr Wang"
    assert "ruijin.cn" not in str(listed) + str(one)
    before = counts(goldsieve_runtime.store)
    refused = rob.patch(f"contacts/{wang_id}", {"data": {"email": None}, "version": 1})
    assert refused.status_code == 403 and counts(goldsieve_runtime.store) == before
    seen = client("mia").get(f"contacts/{wang_id}").json
    assert seen["data"] == {"email": "wang@ruijin.cn"} and seen["details_hidden"] is False
    assert rob.post(f"customers/{customer_id}/claim").status_code == 200
    assert rob.get(f"contacts/{wang_id}").json["data"] == {"email": "wang@ruijin.cn"}


def test_the_customer_page_shows_names_and_says_the_details_come_with_claiming(login, pooled):
    customer_id, wang_id = pooled
    rob = login("rob")
    page = rob.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert "Dr Wang" in page and "wang@ruijin.cn" not in page and 'id="contact-details-hidden"' in page
    assert rob.get(f"/customers/{customer_id}/contacts/{wang_id}").status_code == 403
    manager = login("mia").get(f"/customers/{customer_id}").get_data(as_text=True)
    assert "wang@ruijin.cn" in manager and "contact-details-hidden" not in manager
    assert rob.post(f"/customers/{customer_id}/claim").status_code in (200, 303)
    claimed = rob.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert "wang@ruijin.cn" in claimed and "contact-details-hidden" not in claimed


def test_see_pool_contacts_is_a_list_of_roles_and_everyone_by_default():
    assert PoolSettings.from_config({}).see_pool_contacts == frozenset(ROLES)
    assert PoolSettings.from_config({"pool": {"see_pool_contacts": []}}).see_pool_contacts == frozenset()
    for value, message in (("manager", "see_pool_contacts is a list of roles"), (["boss"], "'boss' is no role")):
        with pytest.raises(WorkspaceError) as error:
            PoolSettings.from_config({"pool": {"see_pool_contacts": value}})
        assert message in str(error.value)

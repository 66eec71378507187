"""The customer page's owner selector (issue 16, part 7): a manager gives a customer with its
open deals within the team; a rep gets no selector; a refusal writes nothing."""
from __future__ import annotations

import re

from tests.records.conftest import (  # noqa: F401  (fixtures)
    goldsieve_workspace,
    login,
    people,
)

OPTION = re.compile(r'<option value="([^"]+)"')



def test_a_manager_gives_a_customer_with_its_open_deals(login, goldsieve_runtime, people):
    store, engine = goldsieve_runtime.store, goldsieve_runtime.engine
    customer = goldsieve_runtime.customers.create(people.rita, "Ruijin Hospital")
    deal = engine.create(people.rita, "handmade", "Beds", {"company": "Ruijin"}, customer_id=customer["id"])
    assert 'id="customer-owner-form"' not in login("rita").get(f"/customers/{customer['id']}").get_data(as_text=True)
    mia = login("mia")
    page = mia.get(f"/customers/{customer['id']}").get_data(as_text=True)
    form = page.split('id="customer-owner-form"', 1)[1].split("</form>", 1)[0]
    assert OPTION.findall(form) == ["mia", "rita", "rob"]
    before = (store.count("customer_events"), store.count("audit"), store.count("notifications"))
    refused = mia.post(f"/customers/{customer['id']}/owner", {"owner": "sam", "version": "1", "with_open_deals": "1"})
    assert refused.status_code == 422
    assert "You may give deals only to users whose deals you see." in refused.get_data(as_text=True)
    assert (store.count("customer_events"), store.count("audit"), store.count("notifications")) == before
    done = mia.post(f"/customers/{customer['id']}/owner", {"owner": "rob", "version": "1", "with_open_deals": "1"})
    assert done.status_code == 303
    assert store.get("customers", customer["id"])["owner"] == "rob"
    assert store.get("deals", deal["id"])["owner"] == "rob"
    shown = mia.get(f"/customers/{customer['id']}").get_data(as_text=True)
    assert "Gave the customer to rob." in shown and "Given to rob" in shown
    assert login("rita").post(f"/customers/{customer['id']}/owner", {"owner": "rita"}).status_code == 404


def test_a_task_from_the_customer_page_on_one_of_its_deals(login, goldsieve_runtime, people):
    store, engine = goldsieve_runtime.store, goldsieve_runtime.engine
    customer = goldsieve_runtime.customers.create(people.rita, "Ruijin Hospital")
    deal = engine.create(people.rita, "handmade", "Beds", {"company": "Ruijin"}, customer_id=customer["id"])
    engine.create(people.rita, "handmade", "Elsewhere", {"company": "Other"})
    rita = login("rita")
    page = rita.get(f"/customers/{customer['id']}").get_data(as_text=True)
    form = page.split('id="customer-task-form"', 1)[1].split("</form>", 1)[0]
    assert OPTION.findall(form) == [str(deal["id"])]  # only this customer's open deals
    done = rita.post("/tasks/new", {"deal_id": str(deal["id"]), "title": "Visit the ward",
                                    "next": f"/customers/{customer['id']}"})
    assert done.status_code == 303 and done.headers["Location"] == f"/customers/{customer['id']}"
    [task] = store.find("tasks")
    assert (task["deal_id"], task["assignee"], task["title"]) == (deal["id"], "rita", "Visit the ward")
    elsewhere = rita.post("/tasks/new", {"deal_id": str(deal["id"]), "title": "X", "next": "https://evil.example/"})
    assert elsewhere.headers["Location"] == "/tasks"  # never off the site

"""Issue 22: a permission hook's ``Deny(reason)`` about customers and contacts reaches whoever
asked, as it does for deals: the API's 403 says it in English, the 403 page in the reader's
language; nothing is written."""
from __future__ import annotations

import pytest

from goldsieve import hookimpl
from goldsieve.errors import Deny

from tests.records.conftest import counts
from tests.ui.conftest import Browser

REASON = {"en": "Customers are frozen for the audit.", "zh-Hans": "审计期间客户已冻结。"}


class AuditFreeze:
    """Rita may change no customer while the auditors are in."""

    @hookimpl
    def goldsieve_permission(self, user, action):
        if user["username"] == "rita" and action in ("edit_customer", "reassign", "merge_customer"):
            return Deny(REASON)
        return None


@pytest.fixture
def frozen(goldsieve_runtime, people, goldsieve_register):
    customer = goldsieve_runtime.customers.create(people.rita, "Ruijin")
    goldsieve_register(AuditFreeze())
    return customer


def test_the_api_says_the_reason_of_a_refused_customer_change(client, goldsieve_runtime, frozen):
    rita, store = client("rita"), goldsieve_runtime.store
    before = counts(store)
    id_ = frozen["id"]
    for response, refusal in (
            (rita.post("customers", {"name": "Clinic"}), "rita may not create customers"),
            (rita.patch(f"customers/{id_}", {"data": {"beds": 3}, "version": 1}),
             f"rita may not change customer {id_}"),
            (rita.post("contacts", {"customer_id": id_, "name": "Dr Li"}), f"rita may not change customer {id_}"),
            (rita.post(f"customers/{id_}/release", {}), f"rita may not release customer {id_}")):
        assert response.status_code == 403, response.json
        assert response.json["errors"][0]["message"] == f"{refusal}: Customers are frozen for the audit."
    assert counts(store) == before


@pytest.mark.parametrize("language, reason", [("en", REASON["en"]), ("zh-Hans", REASON["zh-Hans"]),
                                              ("zh-Hant", REASON["zh-Hans"])])
def test_the_403_page_gives_the_reason_in_the_readers_language(goldsieve_app, goldsieve_runtime, frozen,
                                                               language, reason):
    goldsieve_app.config["WTF_CSRF_ENABLED"] = True
    browser = Browser(goldsieve_app.test_client())
    assert browser.login("rita").status_code == 302
    before = counts(goldsieve_runtime.store)
    page = browser.get("/customers/new", headers={"Accept-Language": language})
    assert page.status_code == 403 and reason in page.get_data(as_text=True)
    assert "rita may not" not in page.get_data(as_text=True)  # the kernel's own text is for the API and logs
    assert counts(goldsieve_runtime.store) == before

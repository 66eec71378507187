"""The new-deal page of a funnel requiring a customer: the picker is marked, a deal without a
customer is refused beside it and nothing is written."""
from __future__ import annotations

import pytest

from tests.records.conftest import goldsieve_workspace, people  # noqa: F401  (fixtures)
from tests.ui.conftest import Browser


@pytest.fixture
def goldsieve_funnel(goldsieve_funnel):
    return {**goldsieve_funnel, "customer": "required"}


def test_the_picker_is_required(goldsieve_app, goldsieve_runtime, people):
    goldsieve_app.config["WTF_CSRF_ENABLED"] = True
    rita = Browser(goldsieve_app.test_client())
    assert rita.login("rita").status_code == 302
    funnel = next(iter(goldsieve_runtime.funnels))
    form = rita.get(f"/deals/new?funnel={funnel.id}").get_data(as_text=True)
    picker = form[form.index('for="new-customer-q"'):]
    assert picker.index('class="required-mark"') < picker.index("</label>")
    refused = rita.post(f"/deals/new?funnel={funnel.id}", {"title": "ERP", "company": "R", "customer_id": ""})
    assert refused.status_code == 422
    assert "This funnel needs a customer: choose one." in refused.get_data(as_text=True)
    assert goldsieve_runtime.store.count("deals") == 0
    customer = goldsieve_runtime.customers.create(people.rita, "Ruijin")
    made = rita.post(f"/deals/new?funnel={funnel.id}", {"title": "ERP", "company": "R",
                                                        "customer_id": str(customer["id"])})
    assert made.status_code == 303 and goldsieve_runtime.store.count("deals") == 1

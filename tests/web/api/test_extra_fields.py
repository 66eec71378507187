"""A funnel that opts in with ``"extra_fields": true`` keeps the keys it does not declare (issue
14, part 2), on both stores; the other structure rules still hold for them."""
from __future__ import annotations

import pytest

from tests.conftest import load_funnel
from tests.web.api.test_hostile_input import FUNNEL, counts, errors


@pytest.fixture
def goldsieve_funnel():
    return {**load_funnel("design_example"), "extra_fields": True}


def test_undeclared_keys_are_kept_as_sent(goldsieve_api, goldsieve_runtime):
    made = goldsieve_api.post("deals", {"funnel": FUNNEL, "title": "T",
                                        "data": {"company": "C", "crm1": {"id": "A-7", "tags": ["x"]}}})
    assert made.status_code == 201, made.json
    patched = goldsieve_api.patch(f"deals/{made.json['id']}", {"version": 1, "data": {"region": "north"}})
    assert patched.status_code == 200, patched.json
    assert goldsieve_runtime.store.get("deals", made.json["id"])["data"] == {
        "company": "C", "crm1": {"id": "A-7", "tags": ["x"]}, "region": "north"}


def test_undeclared_values_still_meet_the_text_and_number_rules(goldsieve_api, goldsieve_runtime):
    before = counts(goldsieve_runtime)
    response = goldsieve_api.post("deals", {"funnel": FUNNEL, "title": "T",
                                            "data": {"company": "C", "crm1": {"n": 10**16}}})
    assert response.status_code == 422 and errors(response) == [("/data/crm1/n", "maximum")]
    assert counts(goldsieve_runtime) == before


def test_the_number_limit_itself_is_kept_at_any_depth(goldsieve_api, goldsieve_runtime):
    from goldsieve.limits import NUMBER_LIMIT

    made = goldsieve_api.post("deals", {"funnel": FUNNEL, "title": "T", "data": {"company": "C"}})
    response = goldsieve_api.patch(f"deals/{made.json['id']}", {"version": 1, "data": {
        "balance": -NUMBER_LIMIT, "history": [NUMBER_LIMIT - 0.5]}})
    assert response.status_code == 200, response.json
    assert response.json["data"]["history"] == [NUMBER_LIMIT - 0.5]

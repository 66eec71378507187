"""Every industry template ships an assignment rule, so a lead that marketing posts is owned by
a rep at once (issue: "leads reach a rep by themselves"), not by the marketing user."""
from __future__ import annotations

import copy

import pytest

from goldsieve.funnels.choices import field_choices
from goldsieve.people.users import issue_token
from goldsieve.plugins import templates as builtin
from goldsieve.testing import ApiClient

TEMPLATES = {t["id"]: t for t in builtin.goldsieve_funnel_templates()}


def first_stage_data(funnel: dict, n: int) -> dict:
    """What the template asks of a new deal: its schema's and its first stage's required fields."""
    fields = funnel["fields"]
    needed = {*fields.get("required", []), *funnel["stages"][0].get("gate", {}).get("required", []), "company"}
    data = {}
    for name in needed:
        schema = fields["properties"][name]
        choices = field_choices(schema)
        if choices:
            data[name] = choices[0][0]
        elif schema.get("type") in ("number", "integer"):
            data[name] = max(1, schema.get("minimum", 1))
        elif schema.get("format") == "date":
            data[name] = "2026-01-05"
        elif schema.get("format") == "email":
            data[name] = "buyer@example.com"
        else:
            data[name] = f"{name} {n}"
    return data


@pytest.fixture(params=sorted(TEMPLATES))
def goldsieve_funnel(request):
    return copy.deepcopy(TEMPLATES[request.param])


def test_a_lead_marketing_posts_goes_to_the_reps_in_turn(goldsieve_funnel, goldsieve_runtime, goldsieve_app,
                                                         goldsieve_make_user):
    assert goldsieve_funnel["assignment"]["role"] == "rep"
    goldsieve_make_user("mark", "marketing")
    for rep in ("ann", "bo"):
        goldsieve_make_user(rep, "rep")
    mark = ApiClient(goldsieve_app.test_client(), issue_token(goldsieve_runtime.store, "mark"))
    owners = []
    for n in range(2):
        made = mark.post("leads", {"funnel": goldsieve_funnel["id"], "title": f"Fair lead {n}",
                                   "data": first_stage_data(goldsieve_funnel, n)})
        assert made.status_code == 201, made.json
        owners.append(made.json["owner"])
        assert made.json["stage"] == goldsieve_funnel["stages"][0]["id"]
    assert sorted(owners) == ["ann", "bo"]  # one each, none left with the marketing user

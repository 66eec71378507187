"""`ui.hidden`: fields the forms never show nor read (the API, an import or an automation fills
them), and what a rep sees when a gate asks for one anyway (lint warns about that funnel)."""
from __future__ import annotations

import copy

import pytest

from goldsieve.errors import Violation
from goldsieve.ui import forms

from tests.ui.test_deal_pages import RITA, SOLAR, html, stored
from tests.ui.test_forms import Elements

HIDDEN = copy.deepcopy(SOLAR)
HIDDEN["ui"]["hidden"] = ["remarks", "grid_ok"]
HIDDEN["ui"]["order"] = ["customer", "remarks", "amount"]
# a gate asking for a hidden field: lint warns, the funnel still runs
HIDDEN["stages"][1]["gate"] = {"required": ["roof_area", "roof_type", "grid_ok"]}


@pytest.fixture
def goldsieve_funnel():
    return copy.deepcopy(HIDDEN)


@pytest.fixture
def funnel(goldsieve_runtime):
    return goldsieve_runtime.funnels.get("solar")


@pytest.fixture
def deal(goldsieve_engine, rep_browser):
    return goldsieve_engine.create(RITA, "solar", "Müller family", {"customer": "Müller"})


def controls_of(body: str) -> list[str]:
    return [a["name"] for t, a in Elements(body).tags
            if t in ("input", "select", "textarea") and a.get("type") != "hidden"]


def test_hidden_fields_are_left_out_of_the_field_order(funnel):
    names = forms.field_names(funnel)
    assert "remarks" not in names and "grid_ok" not in names
    assert names[:2] == ["customer", "amount"]
    assert forms.sort_names(funnel, ["grid_ok", "roof_area", "remarks"]) == ["roof_area"]


def test_a_violation_about_a_hidden_field_is_shown_at_the_top(funnel, goldsieve_app):
    with goldsieve_app.test_request_context("/"):
        by_field, others = forms.split_violations(funnel, [
            Violation("/data/grid_ok", "required", "grid_ok is required"),
            Violation("/data/roof_area", "required", "roof_area is required")])
    assert list(by_field) == ["roof_area"] and [v.path for v in others] == ["/data/grid_ok"]


def test_new_deal_and_deal_page_show_no_hidden_field(rep_browser, deal):
    new = html(rep_browser.get("/deals/new?funnel=solar"))
    page = html(rep_browser.get(f"/deals/{deal['id']}"))
    for body in (new, page):
        names = controls_of(body)
        assert "customer" in names and "remarks" not in names and "grid_ok" not in names


def test_a_posted_hidden_field_is_ignored_and_the_api_still_sets_it(rep_browser, goldsieve_engine, deal):
    saved = rep_browser.post(f"/deals/{deal['id']}", {"version": "1", "title": "Müller family",
                                                      "customer": "Müller", "remarks": "typed in"}, htmx=True)
    assert saved.status_code == 200
    assert "remarks" not in stored(goldsieve_engine, deal["id"])["data"]
    goldsieve_engine.update(RITA, deal["id"], {"remarks": "from the ERP"})
    assert stored(goldsieve_engine, deal["id"])["data"]["remarks"] == "from the ERP"


def test_a_gate_asking_for_a_hidden_field_says_so_at_the_top_of_the_move_form(rep_browser, goldsieve_engine, deal):
    body = html(rep_browser.get(f"/deals/{deal['id']}/move?to=survey"))
    assert controls_of(body[body.index('<form class="move-form"'):]) == ["roof_area", "roof_type"]
    refused = rep_browser.post(f"/deals/{deal['id']}/move", {"version": "1", "to": "survey",
                                                             "roof_area": "40", "roof_type": "flat"})
    assert refused.status_code == 422
    form = html(refused)
    assert "grid_ok" not in controls_of(form)
    assert 'role="alert" hx-disable>“Grid connection approved” is required to enter “Site survey”.' in form
    assert stored(goldsieve_engine, deal["id"])["stage"] == "inquiry", "nothing moved"
    assert stored(goldsieve_engine, deal["id"])["version"] == 1, "nothing written"

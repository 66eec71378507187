"""A choice a template labels is read by its label wherever a person reads it: the new-deal
form's select, the deal list's filter and cells, the deal's history. The stored value stays the
template's old ``enum`` member (``website``), so no stored deal changes."""
from __future__ import annotations

import copy
import re

import pytest

from goldsieve.plugins import templates

ZH = {"Accept-Language": "zh-CN"}
RITA = {"username": "rita", "role": "rep"}


@pytest.fixture
def goldsieve_funnel():
    return copy.deepcopy(next(t for t in templates.goldsieve_funnel_templates() if t["id"] == "software"))


@pytest.fixture
def deal(goldsieve_engine, rep_browser):
    """A software-template deal that came from the website, then was put down to a referral."""
    created = goldsieve_engine.create(RITA, "software", "Acme ERP", {"company": "Acme", "source": "website"})
    goldsieve_engine.update(RITA, created["id"], {"source": "referral"}, version=created["version"])
    return created


def page(browser, path: str) -> str:
    response = browser.get(path, headers=ZH)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_new_deal_form_offers_the_choices_by_their_chinese_labels(rep_browser):
    body = page(rep_browser, "/deals/new?funnel=software")
    select = re.search(r'<select[^>]*name="data\.source".*?</select>', body, re.DOTALL) \
        or re.search(r'<select[^>]*name="source".*?</select>', body, re.DOTALL)
    assert select, "the source field is a select"
    options = dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(0)))
    assert options["website"] == "官网" and options["referral"] == "转介绍" and options["cold_call"] == "电话陌拜"


def test_the_deal_list_filters_and_shows_a_choice_by_its_label(rep_browser, goldsieve_engine, deal):
    goldsieve_engine.update(RITA, deal["id"], {"source": "cold_call"})
    body = page(rep_browser, "/deals?funnel=software&col=source")
    cell = re.search(r'<td data-label="线索来源">([^<]*)</td>', body)
    assert cell and cell.group(1) == "电话陌拜"
    assert "cold_call" not in re.sub(r'value="[^"]*"', "", body)  # only as a value a form posts
    assert '<option value="website">官网</option>' in body  # the filter's choices
    filtered = page(rep_browser, "/deals?funnel=software&col=source&in.source=website")
    assert "Acme ERP" not in filtered  # the filter still matches the stored value


def test_the_history_shows_the_old_and_new_choice_by_their_labels(rep_browser, deal):
    body = page(rep_browser, f"/deals/{deal['id']}")
    assert re.search(r"<del>官网</del> → <ins>转介绍</ins>", body)
    assert "<ins>官网</ins>" in body  # the creation


def test_english_readers_get_the_english_labels(rep_browser, deal):
    body = rep_browser.get(f"/deals/{deal['id']}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert re.search(r"<del>Website</del> → <ins>Referral</ins>", body)

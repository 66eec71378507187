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


LABELLED = {"type": "string", "title": {"en": "Grade", "zh-Hans": "等级"},
            "oneOf": [{"const": "3A", "title": {"en": "Top grade", "zh-Hans": "三甲"}},
                      {"const": "2A", "title": {"en": "Second grade", "zh-Hans": "二甲"}}]}


def test_a_pool_customer_and_its_contact_show_their_choices_by_label(goldsieve_workspace, goldsieve_runtime,
                                                                     rep_browser):
    """A customer nobody owns is read-only: its facts, its contacts' data and its history."""
    goldsieve_runtime.customers.types.customer.definition["fields"]["properties"]["grade"] = LABELLED
    goldsieve_runtime.customers.types.contact.definition["fields"]["properties"]["grade"] = LABELLED
    admin = {"username": "admin", "role": "admin"}
    customer = goldsieve_runtime.customers.create(admin, "Ruijin", {"grade": "2A"}, owner=None)
    goldsieve_runtime.customers.update(admin, customer["id"], {"grade": "3A"}, customer["version"])
    goldsieve_runtime.contacts.create(admin, customer["id"], "Dr Wang", data={"grade": "2A"})
    body = page(rep_browser, f"/customers/{customer['id']}")
    assert "<dt>等级</dt><dd>三甲</dd>" in body  # the facts
    assert "等级: 二甲" in body  # the contact's data
    assert re.search(r"<del>二甲</del> → <ins>三甲</ins>", body)  # the history
    assert goldsieve_runtime.store.get("customers", customer["id"])["data"] == {"grade": "3A"}


def test_a_date_field_is_written_as_the_readers_locale_writes_dates(rep_browser, goldsieve_engine,
                                                                    goldsieve_runtime, deal):
    """The list's cells and the history say a date as the page's language does, not as ISO text
    that wraps at its hyphens; a value that is no date (stored before the rule) stays readable."""
    goldsieve_engine.update(RITA, deal["id"], {"expected_close": "2026-02-01"})
    body = page(rep_browser, "/deals?funnel=software&col=expected_close")
    assert re.search(r'<td data-label="预计成交日期">2026年2月1日</td>', body)
    english = rep_browser.get("/deals?funnel=software&col=expected_close", headers={"Accept-Language": "en"})
    assert "Feb 1, 2026" in english.get_data(as_text=True)
    assert "<ins>2026年2月1日</ins>" in page(rep_browser, f"/deals/{deal['id']}")
    stored = goldsieve_runtime.store.get("deals", deal["id"])
    with goldsieve_runtime.store.transaction() as txn:  # past the engine: no date at all
        txn.replace("deals", {**stored, "data": {**stored["data"], "expected_close": "0000-13-99"}})
    body = page(rep_browser, "/deals?funnel=software&col=expected_close")
    assert re.search(r'<td data-label="预计成交日期">0000-13-99</td>', body)

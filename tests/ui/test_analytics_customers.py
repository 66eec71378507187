"""The analytics page's customer section: closed deals by a customer field, the pool per week,
in the reader's language and within what they may see."""
from __future__ import annotations

from goldsieve.records.pool import claim, release

from tests.analytics.test_customer_dimension import closed
from tests.records.conftest import (  # noqa: F401  (fixtures)
    goldsieve_workspace,
    login,
    people,
)

PAGE = "/analytics/handmade?from=2026-01-01&to=2026-02-01"


def test_the_customer_section_groups_closed_deals_by_the_field_asked_for(goldsieve_runtime, people, login,
                                                                        goldsieve_clock):
    customers = goldsieve_runtime.customers
    top = customers.create(people.rita, "Ruijin", {"grade": "3A", "credit_code": "<b>X</b>"})
    sams = customers.create(people.sam, "Sam's", {"grade": "2A"})
    closed(goldsieve_runtime, people.rita, top["id"], 1000, "won", goldsieve_clock)
    closed(goldsieve_runtime, people.sam, sams["id"], 9000, "won", goldsieve_clock)
    release(customers, people.rita, customers.create(people.rita, "Pooled")["id"])  # Monday 5 January
    another = customers.create(people.admin, "Another")
    release(customers, people.admin, another["id"])
    claim(customers, people.sam, another["id"])  # in and out of the pool: sam's now, so hidden from rita
    rita = login("rita")
    page = rita.get(PAGE).get_data(as_text=True)
    groups = page[page.index('id="customer-groups"'):page.index('id="pool-weeks"')]
    assert ">3A<" in groups and "2A" not in groups  # (the page's CSRF token may hold "2A")
    assert '<option value="grade" selected>Grade</option>' in page
    by_code = rita.get(PAGE + "&customer_field=credit_code").get_data(as_text=True)
    assert "&lt;b&gt;X&lt;/b&gt;" in by_code and "<b>X</b>" not in by_code
    assert rita.get(PAGE + "&customer_field=nonsense").status_code == 200  # the first field instead
    pool = page[page.index('id="pool-weeks"'):]
    assert '<th scope="row"><time datetime="2026-01-05">Jan 5, 2026</time></th><td>1</td><td>0</td>' in pool
    chinese = rita.get(PAGE, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "赢单金额" in chinese and "每周客户公海" in chinese
    assert '<time datetime="2026-01-05">2026年1月5日</time>' in chinese[chinese.index('id="pool-weeks"'):]  # as the trend's weeks


def test_without_declared_customer_fields_only_the_pool_is_shown(goldsieve_runtime, people, login):
    goldsieve_runtime.customers.types.customer.definition["fields"]["properties"].clear()
    page = login("rita").get(PAGE).get_data(as_text=True)
    assert 'id="customers"' in page and 'id="pool-weeks"' in page and "customer-groups" not in page


def test_a_labelled_customer_choice_is_grouped_under_its_label(goldsieve_runtime, people, login, goldsieve_clock):
    grade = goldsieve_runtime.customers.types.customer.definition["fields"]["properties"]["grade"]
    grade.pop("enum")
    grade["oneOf"] = [{"const": value, "title": {"en": f"Grade {value}", "zh-Hans": f"{value} 级"}}
                      for value in ("3A", "2A", "1A")]
    top = goldsieve_runtime.customers.create(people.rita, "Ruijin", {"grade": "3A"})
    closed(goldsieve_runtime, people.rita, top["id"], 1000, "won", goldsieve_clock)
    chinese = login("rita").get(PAGE, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    groups = chinese[chinese.index('id="customer-groups"'):chinese.index('id="pool-weeks"')]
    assert '<th scope="row">3A 级</th>' in groups  # the stored value stays 3A

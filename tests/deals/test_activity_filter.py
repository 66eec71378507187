"""The deal list's activity filter: ``activity=TYPE`` finds the deals with a done activity of that
type (a planned one does not count), within what the reader may see, on the page and the API, on
both stores."""
from __future__ import annotations

import pytest

from goldsieve.deals import listing
from goldsieve.people.users import issue_token
from goldsieve.testing import ApiClient

from tests.records.conftest import BOTH_STORES, goldsieve_workspace, people  # noqa: F401 (fixtures)


@pytest.fixture
def deals(goldsieve_runtime, people):
    rt = goldsieve_runtime
    made = {name: rt.engine.create(getattr(people, owner), "handmade", name, {"company": name})
            for name, owner in (("visited", "rita"), ("planned", "rita"), ("called", "rita"), ("other", "sam"))}
    rt.activities.create(people.rita, "visit", deal_id=made["visited"]["id"], done_at="2026-01-02T08:00:00Z")
    rt.activities.create(people.rita, "visit", deal_id=made["planned"]["id"], due_at="2026-03-02T08:00:00Z")
    rt.activities.create(people.rita, "call", deal_id=made["called"]["id"], done_at="2026-01-02T08:00:00Z")
    rt.activities.create(people.sam, "visit", deal_id=made["other"]["id"], done_at="2026-01-02T08:00:00Z")
    return made


@BOTH_STORES
def test_only_deals_with_a_done_activity_of_the_type_and_only_what_one_sees(goldsieve_runtime, people, deals):
    engine = goldsieve_runtime.engine
    found, _cursor = listing.find(engine, people.rita, listing.Criteria(activity="visit"))
    assert [d["title"] for d in found] == ["visited"]  # not the planned one, not sam's
    found, _cursor = listing.find(engine, people.admin, listing.Criteria(activity="visit"))
    assert sorted(d["title"] for d in found) == ["other", "visited"]
    assert listing.find(engine, people.admin, listing.Criteria(activity="parade"))[0] == []


def test_the_api_and_the_page_filter_by_it(goldsieve_app, goldsieve_runtime, people, deals):
    api = ApiClient(goldsieve_app.test_client(), issue_token(goldsieve_runtime.store, "rita"))
    answer = api.request("GET", "/api/v1/deals?activity=call")
    assert answer.status_code == 200 and [d["title"] for d in answer.get_json()["items"]] == ["called"]
    assert api.request("GET", "/api/v1/deals?activity=%00").status_code == 422
    from tests.ui.conftest import Browser

    browser = Browser(goldsieve_app.test_client())
    assert browser.login("rita").status_code == 302
    page = browser.get("/deals?activity=visit").get_data(as_text=True)
    assert "visited" in page and "called" not in page
    assert '<option value="visit" selected>' in page

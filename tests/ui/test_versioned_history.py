"""A migrated deal's page: its history keeps the stage titles of the version each event was on."""
from __future__ import annotations

from goldsieve.funnels import migration

from tests.funnels.test_migration import deal_at, split_negotiation


def test_history_of_a_migrated_deal_shows_old_and_new_stage_titles(rep_browser, goldsieve_runtime,
                                                                    goldsieve_funnel):
    rep = goldsieve_runtime.store.find("users")[0]
    deal = deal_at(goldsieve_runtime, rep, "negotiation")
    migration.apply(goldsieve_runtime, split_negotiation(goldsieve_funnel), "admin")
    page = rep_browser.get(f"/deals/{deal['id']}").get_data(as_text=True)
    # "Negotiation" exists only in version 3: the history found it there
    assert '<span class="stage">Quote</span> → <span class="stage">Negotiation</span>' in page
    assert ('Moved to a new funnel version <span class="stage">Negotiation</span> → '
            '<span class="stage">Initial bargaining</span>') in page
    assert "Funnel version" in page


def test_a_server_runs_a_version_applied_elsewhere_from_the_next_request(
        rep_browser, goldsieve_runtime, goldsieve_funnel):
    newer = split_negotiation(goldsieve_funnel)
    with goldsieve_runtime.store.transaction() as txn:  # as `goldsieve funnel apply` on a shared store
        txn.insert("funnel_versions", {"funnel": "handmade", "version": 4, "definition": newer,
                                       "saved_at": "2026-01-05T09:00:00Z", "saved_by": "ops"})
    page = rep_browser.get("/board/handmade").get_data(as_text=True)
    assert 'data-stage="bargaining"' in page and 'data-stage="negotiation"' not in page

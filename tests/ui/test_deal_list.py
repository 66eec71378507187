"""The deal list page (issue 16, parts 8 and 9) on both stores: what it shows and to whom, its
filters and sorting, paging, the CSV, and bulk changes with CSRF, per-deal refusals in the
page's language, and nothing written for a refused deal.

Team north: manager mia, reps rita and rob; team south: rep sam; an admin and eve (executive).
"""
from __future__ import annotations

import re

from goldsieve.store.filters import Eq

from tests.records.conftest import (  # noqa: F401  (fixtures)
    BOTH_STORES,
    goldsieve_workspace,
    login,
    people,
)

pytestmark = BOTH_STORES


def make(engine, who, title, **data):
    return engine.create(who, "handmade", title, {"company": "Acme", **data})


def titles(html: str) -> list[str]:
    return re.findall(r'<td class="deal-title"[^>]*><a href="/deals/\d+">([^<]*)</a>', html)


def counts(store) -> dict[str, int]:
    return {t: store.count(t) for t in ("deals", "events", "audit", "notifications")}


def test_the_list_shows_open_won_and_lost_deals_the_user_may_see(login, goldsieve_engine, people):
    engine = goldsieve_engine
    make(engine, people.rita, "Open one", amount=12000)
    won = make(engine, people.rita, "Won one")
    engine.move(people.rita, won["id"], "lost", lost_reason="price")
    make(engine, people.sam, "Sam's secret")
    page = login("rita").get("/deals")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert titles(html) == ["Won one", "Open one"]  # newest first; sam's deal is never there
    assert "¥12,000.00" in html and "Sam" not in html
    assert 'href="/deals" aria-current="page"' in html  # the top bar's link
    zh = login("rob")
    zh.post("/locale", {"locale": "zh_Hans", "next": "/deals"})
    assert "商机" in zh.get("/deals").get_data(as_text=True)


def test_filters_search_sort_and_paging(login, goldsieve_engine, people):
    engine = goldsieve_engine
    for n in range(55):
        make(engine, people.rita, f"Deal {n:02d}", amount=n)
    make(engine, people.rita, "广州白云医院 CT")
    rita = login("rita")
    assert titles(rita.get("/deals?q=白云").get_data(as_text=True)) == ["广州白云医院 CT"]
    html = rita.get("/deals?funnel=handmade&min.amount=10&max.amount=12&sort=-data.amount").get_data(as_text=True)
    assert titles(html) == ["Deal 12", "Deal 11", "Deal 10"]
    assert 'aria-sort="descending"' in html
    first = rita.get("/deals?sort=title").get_data(as_text=True)
    assert titles(first)[:2] == ["Deal 00", "Deal 01"] and len(titles(first)) == 50
    more = re.search(r'id="deal-list-more".*?hx-get="([^"]+)"', first, re.S).group(1).replace("&amp;", "&")
    rest = rita.get(more, headers={"HX-Request": "true", "HX-Target": "deal-list-more"}).get_data(as_text=True)
    assert titles(rest) == ["Deal 50", "Deal 51", "Deal 52", "Deal 53", "Deal 54", "广州白云医院 CT"]
    assert "<html" not in rest and "deal-list-more" not in rest
    fragment = rita.get("/deals?q=Deal 0", headers={"HX-Request": "true", "HX-Target": "deal-list-results"})
    assert len(titles(fragment.get_data(as_text=True))) == 10 and "<html" not in fragment.get_data(as_text=True)
    for bad in ("/deals?status=closed", "/deals?sort=secret", "/deals?min.amount=lots&funnel=handmade",
                "/deals?sort=title&cursor=12"):
        assert rita.get(bad).status_code == 400, bad


def test_the_csv_holds_what_the_filter_shows_and_runs_no_formula(login, goldsieve_engine, people):
    engine = goldsieve_engine
    make(engine, people.rita, "=HYPERLINK(\"http://x\")", amount=5)
    make(engine, people.rita, "Other", amount=500)
    make(engine, people.sam, "Sam's")
    response = login("rita").get("/deals/export.csv?funnel=handmade&max.amount=10")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "id,title,stage,status,owner,updated_at,funnel,customer_id,amount"
    assert len(lines) == 2 and lines[1].startswith('1,"\'=HYPERLINK') and lines[1].endswith(",5")


def test_a_bulk_move_lists_each_refusal_in_the_pages_language(login, goldsieve_engine, goldsieve_runtime, people):
    engine, store = goldsieve_engine, goldsieve_runtime.store
    ready = make(engine, people.rita, "Ready", needs_survey="done")
    blocked = make(engine, people.rita, "Blocked")
    hidden = make(engine, people.sam, "Hidden")
    rita = login("rita")
    rita.post("/locale", {"locale": "zh_Hans", "next": "/deals"})
    before = counts(store)
    posted = {"action": "move", "to": "qualified",
              "deal": [f"{ready['id']}:1", f"{blocked['id']}:1", f"{hidden['id']}:1"]}
    response = rita.post("/deals/bulk", posted, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "3 个商机中有 1 个已更改" in html
    assert re.search(rf'data-deal-id="{blocked["id"]}">.*Needs survey', html)  # the field's title, told why
    assert re.search(rf'data-deal-id="{hidden["id"]}"><strong>#{hidden["id"]}</strong>: 你看不到这个商机', html)
    assert store.get("deals", ready["id"])["stage"] == "qualified"
    assert store.get("deals", blocked["id"])["version"] == 1
    after = counts(store)
    assert (after["events"] - before["events"], after["audit"] - before["audit"]) == (1, 1)


def test_all_or_nothing_and_all_that_match(login, goldsieve_engine, goldsieve_runtime, people):
    engine, store = goldsieve_engine, goldsieve_runtime.store
    one = make(engine, people.rita, "Alpha one")
    two = make(engine, people.rita, "Alpha two")
    make(engine, people.rita, "Beta")
    mia = login("mia")
    before = counts(store)
    refused = mia.post("/deals/bulk", {"action": "assign", "owner": "rob", "mode": "all",
                                       "deal": [f"{one['id']}:1", f"{two['id']}:7"]})
    assert refused.status_code == 422 and "Nothing was changed" in refused.get_data(as_text=True)
    assert counts(store) == before
    done = mia.post("/deals/bulk", {"action": "assign", "owner": "rob", "everything": "1", "query": "q=alpha"})
    assert done.status_code == 200 and "2 of 2 deals changed." in done.get_data(as_text=True)
    assert sorted(d["title"] for d in store.find("deals", Eq("owner", "rob"))) == ["Alpha one", "Alpha two"]
    assert len([a for a in store.find("audit") if a["action"] == "deal_reassigned"]) == 2


def test_a_bulk_change_needs_csrf_and_a_complete_change(login, goldsieve_engine, goldsieve_runtime, people):
    store = goldsieve_runtime.store
    deal = make(goldsieve_engine, people.rita, "One")
    rita = login("rita")
    before = counts(store)
    forged = rita.client.post("/deals/bulk", data={"action": "set", "field": "amount", "value": "5",
                                                  "deal": f"{deal['id']}:1"})
    assert forged.status_code == 400
    incomplete = rita.post("/deals/bulk", {"action": "move", "deal": f"{deal['id']}:1"})
    assert incomplete.status_code == 422 and "Choose the stage." in incomplete.get_data(as_text=True)
    nothing = rita.post("/deals/bulk", {"action": "move", "to": "qualified"})
    assert nothing.status_code == 422 and "Tick at least one deal" in nothing.get_data(as_text=True)
    assert rita.post("/deals/bulk", {"action": "move", "to": "x", "deal": "1:²"}).status_code == 400
    assert counts(store) == before
    saved = rita.post("/deals/bulk", {"action": "set", "field": "amount", "value": "5", "deal": f"{deal['id']}:1"})
    assert saved.status_code == 200 and store.get("deals", deal["id"])["data"]["amount"] == 5


def test_saved_views_personal_and_shared_with_the_team(login, goldsieve_engine, goldsieve_runtime, people):
    store = goldsieve_runtime.store
    make(goldsieve_engine, people.rita, "Alpha", amount=5)
    make(goldsieve_engine, people.rob, "Alpha of rob", amount=5)
    rita = login("rita")
    saved = rita.post("/deals/views", {"name": "Small alphas", "query": "q=alpha&max.amount=10&funnel=handmade",
                                       "shared": "1", "pinned": "1"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith("?q=alpha&max.amount=10&funnel=handmade")
    rita.post("/deals/views", {"name": "Mine only", "query": "status=open"})
    [audit] = [a for a in store.find("audit") if a["action"] == "view_saved"][:1]
    assert audit["by"] == "rita"
    html = rita.get("/deals").get_data(as_text=True)
    assert 'class="pinned-view" href="/deals?q=alpha&amp;max.amount=10&amp;funnel=handmade">Small alphas</a>' in html
    assert "Mine only" in html
    rob_sees = login("rob").get("/deals").get_data(as_text=True)  # same team: the shared one only
    assert "Small alphas" in rob_sees and "Mine only" not in rob_sees
    assert "Small alphas" not in login("sam").get("/deals").get_data(as_text=True)  # another team
    # opened by rob, the shared view shows what rob may see
    assert titles(login("rob").get("/deals?q=alpha&max.amount=10&funnel=handmade").get_data(as_text=True)) == [
        "Alpha of rob"]
    before = store.count("saved_views"), store.count("audit")
    for posted in ({"name": "", "query": "q=x"}, {"name": "Bad", "query": "status=closed"},
                   {"name": "x" * 101, "query": ""}):
        refused = rita.post("/deals/views", posted)
        assert refused.status_code == 303
    assert (store.count("saved_views"), store.count("audit")) == before
    view = store.find("saved_views", Eq("name", "Mine only"))[0]
    assert login("rob").post(f"/deals/views/{view['id']}/delete").status_code == 404  # not his
    assert rita.client.post(f"/deals/views/{view['id']}/delete").status_code == 400  # no CSRF token
    assert rita.post(f"/deals/views/{view['id']}/delete").status_code == 303
    assert store.count("saved_views") == 1


def test_a_bulk_task_from_the_page(login, goldsieve_engine, goldsieve_runtime, people):
    store = goldsieve_runtime.store
    deal = make(goldsieve_engine, people.rita, "One")
    rita = login("rita")
    refused = rita.post("/deals/bulk", {"action": "task", "task_title": "Call", "task_due": "tomorrow",
                                        "deal": f"{deal['id']}:1"})
    assert refused.status_code == 200 and "Choose a date and a time." in refused.get_data(as_text=True)
    assert store.count("tasks") == 0
    done = rita.post("/deals/bulk", {"action": "task", "task_title": "Call", "task_due": "2026-03-01T09:30",
                                     "deal": f"{deal['id']}:1"})
    assert done.status_code == 200 and "1 of 1 deals changed." in done.get_data(as_text=True)
    [task] = store.find("tasks")
    assert (task["deal_id"], task["title"], task["due"][:16]) == (deal["id"], "Call", "2026-03-01T09:30")

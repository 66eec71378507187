"""Whatever a store holds, the pages show it (issue 14, part 2).

The engine refuses NUL, lone surrogates, numbers past ±10^15, deep nesting, undeclared keys and
data that is not an object; a store may still hold them — written before a rule existed, or by
something that went past the engine. Each is put straight into the store (as far as each store
can hold it: PostgreSQL keeps no NUL in JSONB, and no lone surrogate is written as UTF-8 by either), then
the deal page, its edit and move forms, the board, the analytics and the API answer 200.
"""
from __future__ import annotations


from tests.security.conftest import FUNNEL
from tests.security.test_stored_extremes import BOTH_STORES, aggregate_pages, strict_json


def deep(depth: int) -> list:
    value: list = ["bottom"]
    for _ in range(depth - 1):
        value = [value]
    return value


#: what a deal is changed into, by name: (title, data)
ODD = {
    "nul": ("a\x00b", {"company": "nul\x00here", "amount": 5}),
    "surrogates": ("x\ud800y", {"company": "\udc00", "k\ud800ey": "v"}),
    "huge": ("huge", {"company": "H", "amount": 10**400}),
    "deep": ("deep", {"company": "D", "notes": deep(200)}),
    "undeclared": ("undeclared", {"company": "U", "crm1": {"id": "A-7"}, "legacy": [1, 2]}),
    "list data": ("list", ["not", "a", "dict"]),
    "text data": ("text", "just text"),
    "no data": ("none", None),
}


def plant(store, deal_id: int, title, data) -> bool:
    """Replace the deal's title and data past the engine; whether the store could hold them."""
    try:
        with store.transaction() as txn:
            deal = txn.get("deals", deal_id)
            txn.replace("deals", {**deal, "title": title, "data": data})
    except Exception:  # the store's own refusal, whatever its kind
        return False
    return True


@BOTH_STORES
def test_every_page_shows_a_deal_whatever_its_store_holds(org, app, goldsieve_store_url):
    rita = org.user("rita")
    held = {}
    for name, (title, data) in ODD.items():
        deal_id = org.engine.create(rita, FUNNEL, name, {"company": "R"})["id"]
        held[name] = (deal_id, plant(org.store, deal_id, title, data))
    kept = {name for name, (_, ok) in held.items() if ok}
    assert {"huge", "deep", "undeclared", "list data", "text data", "no data"} <= kept, held
    if goldsieve_store_url.startswith("tinydb"):
        assert "nul" in kept  # its journal is JSON, which writes NUL as \u0000
    browser, api = org.browser(app, "rita"), org.api(app, "rita")
    for name, (deal_id, _) in held.items():
        for path in (f"/deals/{deal_id}", f"/deals/{deal_id}/move?to=qualified"):
            response = browser.get(path)
            assert response.status_code == 200, (name, path, response.status_code)
        for path in (f"deals/{deal_id}", f"deals/{deal_id}/history"):
            response = api.get(path)
            assert response.status_code == 200, (name, path, response.status_code)
            strict_json(response.get_data(as_text=True))
    for path in aggregate_pages() + [f"/board/{FUNNEL}?q=a%00&owner=%00", f"/board/{FUNNEL}/column/lead?q=%00",
                                     "/customers?q=a%00b"]:
        response = browser.get(path)
        assert response.status_code in (200, 403), (path, response.status_code)
    listed = api.get("deals?limit=200")
    assert listed.status_code == 200
    strict_json(listed.get_data(as_text=True))


@BOTH_STORES
def test_a_deal_with_undeclared_keys_stays_editable_for_its_declared_fields(org, app):
    rita = org.user("rita")
    deal_id = org.engine.create(rita, FUNNEL, "legacy", {"company": "R"})["id"]
    assert plant(org.store, deal_id, "legacy", {"company": "R", "crm1": {"id": "A-7"}})
    browser = org.browser(app, "rita")
    page = browser.get(f"/deals/{deal_id}")
    assert page.status_code == 200 and "A-7" in page.get_data(as_text=True)
    saved = browser.post(f"/deals/{deal_id}", {"version": "1", "title": "legacy", "company": "R2"})
    assert saved.status_code == 303, saved.get_data(as_text=True)
    assert org.store.get("deals", deal_id)["data"] == {"company": "R2", "crm1": {"id": "A-7"}}

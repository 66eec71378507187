"""The pipeline board: columns, cards, totals, paging, filters, the move control, safety."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from babel.numbers import format_currency

from goldsieve.people.users import find_user
from goldsieve.store.filters import Eq, Everything, all_of
from goldsieve.deals import board as board_model
from goldsieve.ui import board

HX = {"HX-Request": "true"}
HX_COLUMNS = {"HX-Request": "true", "HX-Target": "board-columns"}
OPEN_STAGES = ["lead", "qualified", "exec_visit", "quote", "negotiation"]


@pytest.fixture
def rita(rep_browser, goldsieve_runtime):
    return find_user(goldsieve_runtime.store, "rita")


@pytest.fixture
def boss(goldsieve_make_user):
    return goldsieve_make_user("boss", "manager")


def page(browser, path="/board/handmade", **kwargs) -> str:
    response = browser.get(path, **kwargs)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def columns(html: str) -> dict[str, str]:
    """Stage id -> the markup of its column."""
    parts = re.split(r'(?=<section class="column")', html)
    found = {}
    for part in parts[1:]:
        stage = re.search(r'data-stage="([^"]+)"', part).group(1)
        found[stage] = part
    return found


def card_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-deal-id="(\d+)"', html)]


def card(html: str, deal_id: int) -> str:
    match = re.search(rf'<li class="card[^"]*" data-deal-id="{deal_id}".*?</li>', html, re.DOTALL)
    assert match, f"no card for deal {deal_id}"
    return match.group(0)


def money(amount) -> str:
    return format_currency(amount, "CNY", locale="en")


def to_quote(engine, user, deal):
    """Walk a deal through the gates to the ``quote`` stage (``rot_days`` 7)."""
    engine.move(user, deal["id"], "qualified", changes={"needs_survey": "two sites"})
    return engine.move(user, deal["id"], "quote", changes={"amount": deal["data"].get("amount", 1000)})


# --- columns and cards --------------------------------------------------------------------------


def test_a_column_per_open_stage_with_localized_titles(rep_browser, rita):
    html = page(rep_browser)
    assert list(columns(html)) == OPEN_STAGES  # not won, not lost
    assert 'id="column-lead-title">Potential customer</h2>' in html
    assert "<title>Software B2B · goldsieve</title>" in html


def test_start_page_links_each_funnel_to_its_board(rep_browser):
    assert 'href="/board/handmade">Software B2B</a>' in page(rep_browser, "/")


def test_card_shows_title_company_amount_owner_and_days_in_stage(
        rep_browser, rita, goldsieve_engine, goldsieve_clock):
    deal = goldsieve_engine.create(rita, "handmade", "ERP rollout", {"company": "Acme Logistics",
                                                                     "amount": 125000})
    html = card(page(rep_browser), deal["id"])
    assert f'href="/deals/{deal["id"]}"' in html
    assert '<span class="card-title">ERP rollout</span>' in html
    assert '<span class="card-company">Acme Logistics</span>' in html
    assert f'<span class="card-amount">{money(125000)}</span>' == '<span class="card-amount">CN¥125,000.00</span>'
    assert '<span class="card-amount">CN¥125,000.00</span>' in html
    assert '<span class="card-owner">rita</span>' in html
    assert "0 days in stage" in html
    goldsieve_clock.advance(days=1)
    assert "1 day in stage" in card(page(rep_browser), deal["id"])
    goldsieve_clock.advance(days=2, hours=23)
    assert "3 days in stage" in card(page(rep_browser), deal["id"])


def test_days_in_stage_restart_when_the_deal_moves(rep_browser, rita, goldsieve_engine, goldsieve_clock):
    deal = goldsieve_engine.create(rita, "handmade", "ERP", {"company": "Acme"})
    goldsieve_clock.advance(days=5)
    assert "5 days in stage" in card(columns(page(rep_browser))["lead"], deal["id"])  # a week's idle ends a session
    goldsieve_engine.move(rita, deal["id"], "qualified", changes={"needs_survey": "ok"})
    goldsieve_clock.advance(days=2)
    html = page(rep_browser)
    assert "2 days in stage" in card(columns(html)["qualified"], deal["id"])
    assert deal["id"] not in card_ids(columns(html)["lead"])


def test_stale_badge_after_rot_days_without_activity(rep_browser, rita, goldsieve_engine, goldsieve_clock):
    fresh = goldsieve_engine.create(rita, "handmade", "Fresh", {"company": "Acme", "amount": 10})
    deal = to_quote(goldsieve_engine, rita, goldsieve_engine.create(
        rita, "handmade", "Quoted", {"company": "Acme", "amount": 5000}))
    goldsieve_clock.advance(days=6, hours=23)
    assert "badge-stale" not in card(page(rep_browser), deal["id"])
    goldsieve_clock.advance(hours=1)  # 7 days in quote without activity: rot_days is 7
    html = page(rep_browser)
    stale = card(html, deal["id"])
    assert 'class="card is-stale"' in stale and '<span class="badge badge-stale">Stale</span>' in stale
    assert "badge-stale" not in card(html, fresh["id"]), "the lead stage has no rot_days"
    goldsieve_engine.add_note(rita, deal["id"], "called them")  # activity
    assert "badge-stale" not in card(page(rep_browser), deal["id"])


def test_high_value_deals_get_the_funnels_highlight(rep_browser, rita, goldsieve_engine):
    big = goldsieve_engine.create(rita, "handmade", "Big", {"company": "Acme", "amount": 500000})
    small = goldsieve_engine.create(rita, "handmade", "Small", {"company": "Acme", "amount": 499999.99})
    none = goldsieve_engine.create(rita, "handmade", "No amount", {"company": "Acme"})
    html = page(rep_browser)
    assert 'class="card highlight-high"' in card(html, big["id"])
    assert '<span class="card-mark">High priority</span>' in card(html, big["id"])
    assert "highlight-" not in card(html, small["id"])
    # The rule is JSON Schema taken at its word: without "required", data lacking the amount
    # matches it (the bundled templates say "required": ["amount"]).
    assert "highlight-high" in card(html, none["id"])
    # the highlight follows the data when it changes
    goldsieve_engine.update(rita, small["id"], {"amount": 600000})
    assert "highlight-high" in card(page(rep_browser), small["id"])


def test_board_css_makes_high_value_cards_red(rep_browser):
    css = page(rep_browser, "/static/board.css")
    assert re.search(r"\.highlight-high \{[^}]*var\(--high\)", css)
    assert "--high: #c0262d" in page(rep_browser, "/static/app.css")


# The embedded store keeps totals in the board's own view; PostgreSQL sums in its query.
BOTH_STORES = pytest.mark.parametrize("goldsieve_store_url", ["tinydb:data", "postgresql"],
                                      indirect=True)

# --- totals ---------------------------------------------------------------------------------------


def head(html: str, stage: str) -> dict[str, str]:
    column = columns(html)[stage]
    found = dict(re.findall(r'data-(count|total|weighted)="([^"]*)"', column.split(">", 1)[0]))
    for name in ("count", "total", "weighted"):
        found[name + "_text"] = re.search(rf'class="column-{name}">([^<]*)<', column).group(1)
    return found


@BOTH_STORES
def test_column_head_counts_and_sums_every_visible_deal(rep_browser, rita, boss, goldsieve_engine,
                                                        goldsieve_runtime):
    for n, amount in enumerate([100, 250.5, None, 1_000_000]):
        data = {"company": "Acme"} if amount is None else {"company": "Acme", "amount": amount}
        # half of them created by her manager for her: hers all the same
        goldsieve_engine.create(boss if n % 2 else rita, "handmade", f"Deal {n}", data, owner="rita")
    goldsieve_engine.create(boss, "handmade", "Not hers", {"company": "Acme", "amount": 5})
    lead = head(page(rep_browser), "lead")
    assert lead["count"] == "4" and lead["count_text"] == "4"
    assert float(lead["total"]) == 1_000_350.5
    assert lead["total_text"] == money(1_000_350.5) == "CN¥1,000,350.50"
    assert lead["weighted_text"] == money(1_000_350.5 * 0.05) == "CN¥50,017.52"
    store_count = goldsieve_runtime.store.count("deals", all_of(
        goldsieve_engine.scope(rita), Eq("funnel", "handmade"), Eq("stage", "lead")))
    assert int(lead["count"]) == store_count
    assert head(page(rep_browser), "quote") == {"count": "0", "total": "0.0", "weighted": "0.0",
                                                "count_text": "0", "total_text": "CN¥0.00",
                                                "weighted_text": "CN¥0.00"}
    assert "Weighted (5%)" in columns(page(rep_browser))["lead"]


@BOTH_STORES
def test_totals_follow_every_write(rep_browser, rita, goldsieve_engine, goldsieve_user):
    deals = [goldsieve_engine.create(rita, "handmade", f"D{n}", {"company": "A", "amount": 1000})
             for n in range(3)]
    assert head(page(rep_browser), "lead")["count"] == "3"
    goldsieve_engine.move(rita, deals[0]["id"], "qualified", changes={"needs_survey": "ok"})
    goldsieve_engine.update(rita, deals[1]["id"], {"amount": 2500})
    goldsieve_engine.lose(rita, deals[2]["id"], "price")
    html = page(rep_browser)
    assert (head(html, "lead")["count"], float(head(html, "lead")["total"])) == ("1", 2500)
    assert (head(html, "qualified")["count"], float(head(html, "qualified")["total"])) == ("1", 1000)
    assert float(head(html, "qualified")["weighted"]) == 200
    goldsieve_engine.reopen(goldsieve_user, deals[2]["id"])  # an admin's job
    assert head(page(rep_browser), "lead")["count"] == "2"


def test_totals_rebuild_after_many_writes(rep_browser, rita, goldsieve_engine, monkeypatch):
    page(rep_browser)
    monkeypatch.setattr(board_model, "REPLAY_MAX", 2)
    for n in range(4):
        goldsieve_engine.create(rita, "handmade", f"D{n}", {"company": "A", "amount": 10})
    assert head(page(rep_browser), "lead")["count"] == "4"


@BOTH_STORES
def test_board_reads_through_the_users_scope(rep_browser, rita, boss, goldsieve_engine, monkeypatch):
    """The cards and the totals are those of the user's scope, and follow it when it changes."""
    mine = goldsieve_engine.create(rita, "handmade", "Mine", {"company": "A", "amount": 10})
    theirs = goldsieve_engine.create(boss, "handmade", "Theirs", {"company": "B", "amount": 20})
    html = page(rep_browser)  # a rep sees the deals she owns
    assert card_ids(html) == [mine["id"]]
    assert (head(html, "lead")["count"], float(head(html, "lead")["total"])) == ("1", 10)
    goldsieve_engine.update(boss, theirs["id"], {"amount": 30})  # replayed, and still hidden
    assert head(page(rep_browser), "lead")["count"] == "1"
    # a wider scope is another totals view, never the narrower one's numbers
    monkeypatch.setattr(goldsieve_engine, "_scope", lambda user: Everything())
    html = page(rep_browser)
    assert set(card_ids(html)) == {mine["id"], theirs["id"]}
    assert (head(html, "lead")["count"], float(head(html, "lead")["total"])) == ("2", 40)


# --- paging -----------------------------------------------------------------------------------


def test_fifty_cards_then_load_more_pages_without_duplicates(rep_browser, rita, goldsieve_engine):
    created = [goldsieve_engine.create(rita, "handmade", f"Deal {n}", {"company": "A"})["id"]
               for n in range(120)]
    lead = columns(page(rep_browser))["lead"]
    first = card_ids(lead)
    assert first == sorted(created, reverse=True)[:50]  # newest first
    assert head(page(rep_browser), "lead")["count"] == "120"
    seen = list(first)
    url = re.search(r'<a class="load-more" href="([^"]+)" hx-get="\1" hx-target="closest li" '
                    r'hx-swap="outerHTML">Load more</a>', lead).group(1).replace("&amp;", "&")
    assert url == f"/board/handmade/column/lead/more?after={first[-1]}"
    for expected in (50, 20):
        fragment = page(rep_browser, url, headers=HX)
        assert "<html" not in fragment and "<section" not in fragment
        ids = card_ids(fragment)
        assert len(ids) == expected
        seen += ids
        link = re.search(r'class="load-more" href="([^"]+)"', fragment)
        url = link.group(1).replace("&amp;", "&") if link else None
    assert url is None, "the last page has no link"
    assert sorted(seen) == sorted(created) and len(set(seen)) == 120


def test_load_more_without_javascript_is_a_page(rep_browser, rita, goldsieve_engine):
    ids = [goldsieve_engine.create(rita, "handmade", f"Deal {n}", {"company": "A"})["id"] for n in range(55)]
    html = page(rep_browser, f"/board/handmade/column/lead/more?after={ids[5]}")
    assert "<html" in html and "Back to the board" in html
    assert card_ids(html) == list(reversed(ids[:5]))


# --- filters ------------------------------------------------------------------------------------


@BOTH_STORES
def test_owner_filter(rep_browser, rita, boss, goldsieve_engine, goldsieve_user):
    mine = goldsieve_engine.create(rita, "handmade", "Mine", {"company": "A", "amount": 10})
    theirs = goldsieve_engine.create(boss, "handmade", "Theirs", {"company": "B", "amount": 20})
    assert card_ids(page(rep_browser, "/board/handmade?owner=boss")) == [], "not in a rep's scope"
    own = page(rep_browser)
    assert '<option value="rita">rita</option>' in own
    assert 'value="boss"' not in own and 'value="admin"' not in own, "no colleagues' names for a rep"
    assert rep_browser.login("admin").status_code == 302  # who sees both
    html = page(rep_browser)
    assert '<select id="filter-owner" name="owner"' in html
    assert '<option value="boss">boss</option>' in html and '<option value="rita">rita</option>' in html
    assert set(card_ids(html)) == {mine["id"], theirs["id"]}

    full = page(rep_browser, "/board/handmade?owner=boss")  # without JavaScript: the whole page
    assert "<html" in full and card_ids(full) == [theirs["id"]]
    assert '<option value="boss" selected>' in full
    assert float(head(full, "lead")["total"]) == 20

    fragment = page(rep_browser, "/board/handmade?owner=boss", headers=HX_COLUMNS)
    assert "<html" not in fragment and "board-filters" not in fragment
    assert list(columns(fragment)) == OPEN_STAGES and card_ids(fragment) == [theirs["id"]]
    assert head(fragment, "lead")["count"] == "1"
    # links inside keep the filter
    assert 'data-refresh-url="/board/handmade/column/lead?owner=boss"' in fragment


def test_text_filter_matches_titles_case_insensitively(rep_browser, rita, goldsieve_engine):
    erp = goldsieve_engine.create(rita, "handmade", "ERP rollout", {"company": "A"})
    goldsieve_engine.create(rita, "handmade", "Payroll", {"company": "B"})
    html = page(rep_browser, "/board/handmade?q=erp", headers=HX_COLUMNS)
    assert card_ids(html) == [erp["id"]] and head(html, "lead")["count"] == "1"
    full = page(rep_browser, "/board/handmade?q=erp")
    assert 'name="q" value="erp"' in full and card_ids(full) == [erp["id"]]


def test_filter_controls_are_htmx_with_pushed_urls(rep_browser):
    html = page(rep_browser)
    form = re.search(r'<form id="board-filters".*?</form>', html, re.DOTALL).group(0)
    assert 'method="get" action="/board/handmade"' in form  # works without JavaScript
    # the form (Enter), the owner select and the text field each re-render only the columns
    assert form.count('hx-get="/board/handmade"') == 3 and form.count('hx-push-url="true"') == 3
    assert form.count('hx-target="#board-columns"') == 3
    assert 'hx-trigger="input changed delay:300ms, search"' in form
    assert form.count(':replace"') == 3  # a newer filter cancels the one still in flight
    assert '<div id="board-columns"' in html


def test_history_restore_gets_the_whole_page(rep_browser):
    html = page(rep_browser, "/board/handmade", headers={
        **HX_COLUMNS, "HX-History-Restore-Request": "true"})
    assert "<html" in html


# --- moving -------------------------------------------------------------------------------------


def test_each_card_has_a_move_control_that_works_without_javascript(rep_browser, rita, goldsieve_engine):
    deal = goldsieve_engine.create(rita, "handmade", "ERP", {"company": "A"})
    html = card(page(rep_browser), deal["id"])
    form = re.search(r"<form .*?</form>", html, re.DOTALL).group(0)
    assert f'method="get" action="/deals/{deal["id"]}/move"' in form
    assert f'hx-get="/deals/{deal["id"]}/move" hx-target="#dialog"' in form
    assert '<select name="to" required>' in form and '<button type="submit">Move</button>' in form
    assert "<label>" in form and "Move “ERP” to" in form
    choices = re.findall(r'<option value="([^"]*)">', form)
    # only what the deal may enter now: the funnel allows no skipping, losing is always possible
    assert choices == ["", "qualified", "lost"]
    # the card carries what drag and drop posts
    assert f'data-deal-id="{deal["id"]}" data-version="1" draggable="true"' in html


def test_board_page_loads_its_script_and_styles(rep_browser):
    html = page(rep_browser)
    assert '<script src="/static/board.js" defer></script>' in html
    assert '<link rel="stylesheet" href="/static/board.css">' in html
    script = page(rep_browser, "/static/board.js")
    for needle in ("dragstart", "htmx.ajax(\"POST\"", "deal-moved", "version: card.dataset.version"):
        assert needle in script


def test_column_fragment_for_refreshing_after_a_move(rep_browser, rita, goldsieve_engine):
    deal = goldsieve_engine.create(rita, "handmade", "ERP", {"company": "A", "amount": 7})
    html = page(rep_browser, "/board/handmade/column/lead", headers=HX)
    assert html.startswith('<section class="column" id="column-lead" data-stage="lead"')
    assert card_ids(html) == [deal["id"]] and head(html, "lead")["count"] == "1"
    full = page(rep_browser, "/board/handmade/column/lead")  # without htmx: a page of it
    assert "<html" in full and list(columns(full)) == ["lead"]


# --- errors, access, safety -------------------------------------------------------------------


def test_unknown_funnel_or_stage_is_404(rep_browser):
    assert rep_browser.get("/board/nope").status_code == 404
    assert rep_browser.get("/board/handmade/column/nope", headers=HX).status_code == 404
    assert rep_browser.get("/board/handmade/column/won", headers=HX).status_code == 404
    assert rep_browser.get("/board/handmade/column/lost/more").status_code == 404


def test_board_requires_login(browser):
    response = browser.get("/board/handmade")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=/board/handmade")
    assert browser.get("/board/handmade", headers=HX_COLUMNS).status_code == 401
    assert browser.get("/board/handmade/column/lead/more?after=9", headers=HX).status_code == 401


def test_user_text_is_escaped_and_inert(rep_browser, rita, goldsieve_engine):
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    goldsieve_engine.create(rita, "handmade", evil, {"company": '"><b hx-get="/x">'})
    html = page(rep_browser)
    assert "<script>alert" not in html and "<img src=x" not in html and '<b hx-get' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;b hx-get=&#34;/x&#34;&gt;" in html
    # user text sits in an hx-disable region: htmx would not read attributes from it
    assert re.search(r'<a class="card-main" [^>]*hx-disable>\s*<span class="card-title">&lt;script', html)


def test_page_needs_no_inline_script_or_style(rep_browser, rita, goldsieve_engine):
    goldsieve_engine.create(rita, "handmade", "ERP", {"company": "A", "amount": 900000})
    html = page(rep_browser)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline scripts break the CSP"
    assert not re.search(r"\sstyle=", html) and "<style" not in html


class Controls(HTMLParser):
    """Form controls and whether each has an accessible name."""

    def __init__(self):
        super().__init__()
        self.labels_for, self.controls, self.open_labels = set(), [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self.open_labels += 1
            if "for" in attrs:
                self.labels_for.add(attrs["for"])
        elif tag in ("input", "select", "textarea") and attrs.get("type") != "hidden":
            named = self.open_labels > 0 or "aria-label" in attrs or "aria-labelledby" in attrs
            self.controls.append((tag, attrs.get("id"), attrs.get("name"), named))

    def handle_endtag(self, tag):
        if tag == "label":
            self.open_labels -= 1


def test_every_control_has_an_accessible_label(rep_browser, rita, goldsieve_engine):
    goldsieve_engine.create(rita, "handmade", "ERP", {"company": "A"})
    parser = Controls()
    parser.feed(page(rep_browser))
    assert len(parser.controls) >= 4
    unnamed = [c for c in parser.controls if not (c[3] or c[1] in parser.labels_for)]
    assert unnamed == []


def test_chinese_page_formats_money_the_chinese_way(rep_browser, rita, goldsieve_engine):
    deal = goldsieve_engine.create(rita, "handmade", "ERP", {"company": "A", "amount": 1234.5})
    html = page(rep_browser, headers={"Accept-Language": "zh-CN"})
    assert "<h1>软件行业</h1>" in html
    assert '<span class="card-amount">¥1,234.50</span>' in card(html, deal["id"])


# --- the fast currency formatter ---------------------------------------------------------------


@pytest.mark.parametrize("locale", ["en", "zh_Hans", "zh_Hant", "de_DE", "fr_FR", "ja"])
@pytest.mark.parametrize("currency", ["CNY", "USD", "EUR", "JPY", "TWD"])
def test_money_formatter_agrees_with_babel(locale, currency):
    fmt = board.money_formatter(locale, currency)
    values = [0, 1, 999, 1000, 123456789, 0.005, 0.015, 2.675, 1.005, 1e15 + 0.3, 12345.678,
              -5, -1234.5, 10**20, 0.1 + 0.2]
    values += [n / 1000 for n in range(0, 100_000, 7)]
    for value in values:
        assert fmt(value) == format_currency(value, currency, locale=locale), value

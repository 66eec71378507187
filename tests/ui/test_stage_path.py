"""The deal page's stage path, its Won and Lost buttons, and moves that offer only what can succeed.

On the test funnel (``handmade``, tests/deals/model_funnel.py): no skipping, ``exec_visit`` only
for an amount of a million or more, gates on ``qualified`` (needs_survey) and ``quote`` (amount).
"""
from __future__ import annotations

import re

import pytest

from goldsieve.funnels.transitions import entry_refusals
from goldsieve.people.users import find_user
from tests.ui.conftest import Browser

HX = {"HX-Request": "true"}


@pytest.fixture
def rita(rep_browser, goldsieve_runtime):
    return find_user(goldsieve_runtime.store, "rita")


def body(browser: Browser, path: str, **kwargs) -> str:
    response = browser.get(path, **kwargs)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def steps(page: str) -> list[tuple[str, str, bool]]:
    """(label, state, aria-current) of each stage of the path, in order."""
    path = page[page.index('<nav class="stage-path"'):]
    path = path[:path.index("</nav>")]
    found = []
    for li in re.findall(r"<li (.*?)</li>", path, re.DOTALL):
        state = re.search(r'class="step step-(\w+)', li).group(1)
        label = re.search(r'<span class="step-label">([^<]*)</span>', li).group(1)
        found.append((label, state, 'aria-current="step"' in li))
    return found


def menu(page: str) -> list[str]:
    """The stage ids the deal page's "Move to…" menu offers."""
    form = page[page.index('<form class="move-to"'):]
    return re.findall(r'<option value="([^"]*)"', form[:form.index("</form>")])


def to_qualified(engine, user, deal, amount):
    return engine.move(user, deal["id"], "qualified", changes={"needs_survey": "two sites", "amount": amount})


# --- the path -----------------------------------------------------------------------------------


def test_the_path_shows_where_the_deal_is_and_what_each_stage_ahead_asks_for(rep_browser, rita, goldsieve_engine):
    deal = goldsieve_engine.create(rita, "handmade", "ERP", {"company": "A"})
    page = body(rep_browser, f"/deals/{deal['id']}")
    assert '<nav class="stage-path" aria-label="Stage path">' in page
    assert [(label, state, current) for label, state, current in steps(page)] == [
        ("Potential customer", "current", True), ("Needs confirmed", "ahead", False),
        ("Quote", "ahead", False), ("Negotiation", "ahead", False), ("Won", "ahead", False)]
    assert page.count('aria-current="step"') == 1
    # each stage ahead names the fields its gate will ask for, once, by their titles
    path = page[page.index('<nav class="stage-path"'):page.index("</nav>", page.index('<nav class="stage-path"'))]
    assert path.count("Asks for:") == 2 * 2  # the title and the caption of qualified and quote
    qualified = re.search(r'<li class="step step-ahead[^>]*>\s*<span class="step-label">Needs confirmed', path)
    assert qualified and 'title="Asks for: Needs survey"' in qualified.group(0)
    assert '<span class="step-asks">Asks for: Expected amount</span>' in path


def test_a_conditional_stage_is_on_the_path_only_when_it_applies(rep_browser, rita, goldsieve_engine):
    small = to_qualified(goldsieve_engine, rita, goldsieve_engine.create(rita, "handmade", "Small", {"company": "A"}), 5000)
    big = to_qualified(goldsieve_engine, rita, goldsieve_engine.create(rita, "handmade", "Big", {"company": "B"}), 2_000_000)
    small_steps = [s[:2] for s in steps(body(rep_browser, f"/deals/{small['id']}"))]
    big_steps = [s[:2] for s in steps(body(rep_browser, f"/deals/{big['id']}"))]
    assert small_steps == [("Potential customer", "done"), ("Needs confirmed", "current"), ("Quote", "ahead"),
                           ("Negotiation", "ahead"), ("Won", "ahead")]
    assert ("Executive visit", "ahead") in big_steps
    assert big_steps.index(("Executive visit", "ahead")) == 2


def test_a_lost_deal_ends_its_path_at_the_lost_stage(rep_browser, rita, goldsieve_engine):
    deal = to_qualified(goldsieve_engine, rita, goldsieve_engine.create(rita, "handmade", "ERP", {"company": "A"}), 10)
    goldsieve_engine.lose(rita, deal["id"], "price")
    assert [s[:2] for s in steps(body(rep_browser, f"/deals/{deal['id']}"))] == [
        ("Potential customer", "done"), ("Needs confirmed", "done"), ("Lost", "current")]


def test_the_path_is_in_the_readers_language(rep_browser, rita, goldsieve_engine):
    deal = goldsieve_engine.create(rita, "handmade", "ERP", {"company": "A"})
    page = body(rep_browser, f"/deals/{deal['id']}", headers={"Accept-Language": "zh-CN"})
    assert 'aria-label="阶段路径"' in page and "需要：" in page


# --- honest moves -------------------------------------------------------------------------------


def test_the_move_menu_offers_only_the_stages_the_deal_may_enter(rep_browser, rita, goldsieve_engine):
    lead = goldsieve_engine.create(rita, "handmade", "ERP", {"company": "A"})
    assert menu(body(rep_browser, f"/deals/{lead['id']}")) == ["qualified", "lost"]
    big = to_qualified(goldsieve_engine, rita, goldsieve_engine.create(rita, "handmade", "Big", {"company": "B"}), 2_000_000)
    assert menu(body(rep_browser, f"/deals/{big['id']}")) == ["lead", "exec_visit", "lost"]
    # the board's card offers the very same stages
    card = re.search(rf'data-deal-id="{big["id"]}".*?</form>', body(rep_browser, "/board/handmade"), re.DOTALL)
    assert re.findall(r'<option value="([^"]+)"', card.group(0)) == ["lead", "exec_visit", "lost"]


def test_entry_refusals_agree_with_what_the_engine_refuses(rita, goldsieve_engine):
    deal = to_qualified(goldsieve_engine, rita, goldsieve_engine.create(rita, "handmade", "ERP", {"company": "A"}), 10)
    funnel = goldsieve_engine.funnel_of(deal)
    refusals = entry_refusals(funnel, deal)
    assert {k for k, v in refusals.items() if v is None} == {"lead", "quote", "lost"}
    assert (refusals["qualified"].code, refusals["negotiation"].code, refusals["exec_visit"].code) == (
        "same_stage", "skip", "not_applicable")
    for stage in funnel.stages:
        refusing, _gates = goldsieve_engine.check_move(rita, deal, funnel, stage, deal["data"], "price")
        assert (refusals[stage.id] is None) == (not [v for v in refusing if v.path == "/to"]), stage.id


@pytest.mark.parametrize("htmx", [False, True])
def test_the_dialog_of_a_move_that_cannot_succeed_has_no_move_button(rep_browser, rita, goldsieve_engine, htmx):
    deal = goldsieve_engine.create(rita, "handmade", "ERP", {"company": "A"})
    page = body(rep_browser, f"/deals/{deal['id']}/move?to=quote", headers=HX if htmx else {})
    start = page.index('<form class="move-form"')
    form = page[start:page.index("</form>", start)]
    assert "The deal must pass through “Needs confirmed” before “Quote”." in form
    assert 'type="submit"' not in form and "Move anyway" not in form
    assert "Move to “Needs confirmed” first" in form and f"/deals/{deal['id']}/move?to=qualified" in form
    # the dialog a move can pass still has its button
    passable = body(rep_browser, f"/deals/{deal['id']}/move?to=qualified", headers=HX if htmx else {})
    assert '<button type="submit" class="primary">Move</button>' in passable


# --- Won and Lost -------------------------------------------------------------------------------


def close_buttons(page: str) -> str:
    start = page.index('<div class="close-buttons">')
    return page[start:page.index('<form class="move-to"', start)]


def test_won_posts_at_once_when_nothing_is_missing(rep_browser, rita, goldsieve_engine):
    deal = to_qualified(goldsieve_engine, rita, goldsieve_engine.create(rita, "handmade", "ERP", {"company": "A"}), 10)
    goldsieve_engine.move(rita, deal["id"], "quote")
    deal = goldsieve_engine.move(rita, deal["id"], "negotiation")
    buttons = close_buttons(body(rep_browser, f"/deals/{deal['id']}"))
    won = re.search(r'<form method="post" action="/deals/\d+/move".*?</form>', buttons, re.DOTALL).group(0)
    assert 'name="to" value="won"' in won and f'name="version" value="{deal["version"]}"' in won
    assert 'name="csrf_token"' in won and 'class="won-button">Won</button>' in won
    response = rep_browser.post(f"/deals/{deal['id']}/move", {"to": "won", "version": deal["version"],
                                                              "next": f"/deals/{deal['id']}"})
    assert response.status_code == 303
    assert goldsieve_engine.get(rita, deal["id"])["status"] == "won"
    page = body(rep_browser, f"/deals/{deal['id']}")
    assert '<div class="close-buttons">' not in page and 'class="move-to"' not in page
    assert steps(page)[-1] == ("Won", "current", True)


def test_won_goes_through_the_dialog_when_its_gates_ask_for_fields(rep_browser, rita, goldsieve_engine):
    deal = goldsieve_engine.create(rita, "handmade", "ERP", {"company": "A"})
    buttons = close_buttons(body(rep_browser, f"/deals/{deal['id']}"))
    # no skipping: from the first stage Won is out of reach, and the page says why
    assert 'class="won-button" disabled aria-describedby="won-blocked"' in buttons
    assert "The deal must pass through “Needs confirmed” before “Won”." in buttons
    # where the transition is allowed but the gates ask for fields, Won opens the dialog
    deal = to_qualified(goldsieve_engine, rita, deal, 10)
    goldsieve_engine.move(rita, deal["id"], "quote")
    goldsieve_engine.move(rita, deal["id"], "negotiation")
    # the quote's gate field gone, as a deal stored before gates held after entry can be
    stored = goldsieve_engine.store.get("deals", deal["id"])
    with goldsieve_engine.store.transaction() as txn:
        txn.replace("deals", {**stored, "data": {k: v for k, v in stored["data"].items() if k != "amount"}})
    deal = goldsieve_engine.store.get("deals", deal["id"])
    buttons = close_buttons(body(rep_browser, f"/deals/{deal['id']}"))
    won = re.search(r'<form method="get".*?</form>', buttons, re.DOTALL).group(0)
    assert 'hx-get="/deals/%d/move" hx-target="#dialog"' % deal["id"] in won
    assert 'name="to" value="won"' in won
    dialog = body(rep_browser, f"/deals/{deal['id']}/move?to=won", headers=HX)
    assert 'name="amount"' in dialog and '<button type="submit" class="primary">Move</button>' in dialog


def test_lost_opens_the_reason_dialog(rep_browser, rita, goldsieve_engine):
    deal = goldsieve_engine.create(rita, "handmade", "ERP", {"company": "A"})
    buttons = close_buttons(body(rep_browser, f"/deals/{deal['id']}"))
    lost = re.findall(r'<form method="get".*?</form>', buttons, re.DOTALL)[-1]
    assert 'name="to" value="lost"' in lost and 'hx-target="#dialog"' in lost
    assert 'class="lost-button">Lost</button>' in lost
    dialog = body(rep_browser, f"/deals/{deal['id']}/move?to=lost", headers=HX)
    assert 'id="move-lost-reason"' in dialog


def test_no_won_or_lost_for_a_user_who_may_not_move(goldsieve_app, rita, goldsieve_engine, goldsieve_make_user):
    deal = goldsieve_engine.create(rita, "handmade", "ERP", {"company": "A"})
    goldsieve_make_user("eve", "executive")  # sees everything, changes nothing
    eve = Browser(goldsieve_app.test_client())
    assert eve.login("eve").status_code == 302
    page = body(eve, f"/deals/{deal['id']}")
    assert '<nav class="stage-path"' in page
    assert 'class="close-buttons"' not in page and 'class="move-to"' not in page


def test_creating_a_deal_confirms_it(rep_browser):
    response = rep_browser.post("/deals/new?funnel=handmade", {"title": "New ERP", "company": "A"},
                                follow_redirects=True)
    assert response.status_code == 200
    assert '<div class="flashes" role="status" hx-disable><p>Deal created</p></div>' in response.get_data(as_text=True)

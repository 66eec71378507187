"""Deal pages: new deal, the deal page with inline save, history and notes, the gate form.

They run on a funnel written here and nowhere else (rooftop solar), so nothing in the pages can
lean on the software template's field names.
"""
from __future__ import annotations

import copy
import json
import re

import pytest

from tests.ui.conftest import Browser
from tests.ui.test_forms import Elements

SOLAR = {
    "id": "solar",
    "title": {"en": "Rooftop solar", "zh-Hans": "屋顶光伏"},
    "version": 1,
    "currency": "EUR",
    "fields": {
        "type": "object",
        "properties": {
            "customer": {"type": "string", "title": "Customer", "minLength": 1},
            "roof_area": {"type": "number", "title": "Roof area (m²)", "minimum": 10},
            "roof_type": {"type": "string", "title": "Roof type", "enum": ["flat", "pitched"]},
            "panels": {"type": "integer", "title": "Number of panels", "minimum": 1},
            "grid_ok": {"type": "boolean", "title": "Grid connection approved"},
            "install_date": {"type": "string", "format": "date", "title": "Installation date"},
            "amount": {"type": "number", "title": "Contract value", "minimum": 0},
            "remarks": {"type": "string", "title": "Remarks"},
        },
        "required": ["customer"],
    },
    "ui": {"order": ["customer", "amount"], "widgets": {"remarks": "textarea"},
           "help": {"roof_area": "Usable area, without shaded parts"}},
    "stages": [
        {"id": "inquiry", "title": {"en": "Inquiry", "zh-Hans": "咨询"}, "kind": "open", "probability": 0.1},
        {"id": "survey", "title": "Site survey", "kind": "open", "probability": 0.3,
         "gate": {"required": ["roof_area", "roof_type"]}},
        {"id": "offer", "title": "Offer sent", "kind": "open", "probability": 0.6,
         "gate": {"required": ["panels", "amount"]}},
        {"id": "won", "title": "Installed", "kind": "won", "probability": 1.0},
        {"id": "lost", "title": "Dropped", "kind": "lost", "probability": 0.0},
    ],
    "transitions": {"skip": False, "back": True},
    "lost_reasons": [{"id": "shade", "title": "Too much shade"}, {"id": "budget", "title": "No budget"}],
}


#: the rep the pages log in as (``rep_browser``), for calling the engine directly
RITA = {"username": "rita", "role": "rep"}


@pytest.fixture
def goldsieve_funnel():
    return copy.deepcopy(SOLAR)


@pytest.fixture
def engine(goldsieve_engine):
    return goldsieve_engine


@pytest.fixture
def deal(engine, rep_browser):
    return engine.create(RITA, "solar", "Müller family", {"customer": "Müller"})


def html(response) -> str:
    return response.get_data(as_text=True)


def move_form_of(body: str) -> Elements:
    start = body.index('<form class="move-form"')
    return Elements(body[start:body.index("</form>", start)])


def stored(engine, deal_id: int) -> dict:
    return engine.store.get("deals", deal_id)


# --- new deal ---------------------------------------------------------------------------------


def test_new_deal_form_asks_title_and_required_fields_first(rep_browser):
    page = Elements(html(rep_browser.get("/deals/new?funnel=solar")))
    assert page.label("new-title") == "Title"
    assert page.label("new-customer") == "Customer" and "required" in page.by_id("new-customer")[1]
    assert "required" not in page.by_id("new-roof_area")[1], "the rest is optional"
    assert page.named("csrf_token")


def test_new_deal_errors_in_place_then_success(rep_browser, engine):
    response = rep_browser.post("/deals/new?funnel=solar",
                                {"title": "", "customer": "", "roof_area": "lots", "panels": "2"})
    assert response.status_code == 422
    page = Elements(html(response))
    assert page.by_id("new-title")[1]["aria-invalid"] == "true"
    assert page.by_id("new-customer")[1]["aria-describedby"].endswith("new-customer-error")
    body = html(response)
    assert "A deal needs a title." in body and "“lots” is not a number" in body
    assert "This field is required." in body
    assert page.by_id("new-panels")[1]["value"] == "2", "what was typed stays"
    assert engine.store.find("deals") == []

    response = rep_browser.post("/deals/new?funnel=solar",
                                {"title": "Schmidt roof", "customer": "Schmidt", "roof_area": "42.5"})
    assert response.status_code == 303
    deal_id = int(response.headers["Location"].rsplit("/", 1)[1])
    created = stored(engine, deal_id)
    assert created["data"] == {"customer": "Schmidt", "roof_area": 42.5}
    assert created["owner"] == "rita" and created["stage"] == "inquiry"


def test_new_deal_for_an_unknown_funnel_is_404(rep_browser):
    assert rep_browser.get("/deals/new?funnel=nope").status_code == 404


# --- the deal page ----------------------------------------------------------------------------


def test_deal_page_shows_facts_fields_and_history(rep_browser, engine, deal):
    engine.update(RITA, deal["id"], {"roof_area": 60, "roof_type": "flat", "amount": 18000})
    engine.move(RITA, deal["id"], "survey")
    response = rep_browser.get(f"/deals/{deal['id']}")
    assert response.status_code == 200
    body = html(response)
    page = Elements(body)
    assert "Müller family" in body and "Site survey" in body and "rita" in body
    assert "€18,000.00" in body, "the amount in the funnel's currency"
    assert page.by_id("deal-roof_area")[1]["value"] == "60"
    assert page.label("deal-roof_area") == "Roof area (m²)"
    assert page.by_id("deal-version")[1]["value"] == "3"
    # history: created, the changed fields before → after, the move with stage titles
    timeline = body[body.index('id="timeline"'):]
    assert "Created in “Inquiry”" in timeline
    assert "Roof area (m²)" in timeline and "60" in timeline
    assert re.search(r"Inquiry</span> → <span class=\"stage\">Site survey", timeline)
    assert timeline.index("Created") < timeline.index("Site survey")
    # the move control works without JavaScript and is enhanced for the dialog
    _tag, move = next((t, a) for t, a in page.tags if t == "form" and "move-to" in (a.get("class") or ""))
    assert move["method"] == "get" and move["action"] == f"/deals/{deal['id']}/move"
    assert move["hx-get"] == move["action"] and move["hx-target"] == "#dialog"
    assert page.label("move-to-stage") == "Move to…"
    assert 'href="/static/deal.css"' in body


def test_deal_page_escapes_user_text(rep_browser, engine):
    evil = engine.create(RITA, "solar", '<script>alert("t")</script>',
                         {"customer": "<img src=x onerror=alert(1)>"})
    body = html(rep_browser.get(f"/deals/{evil['id']}"))
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;script&gt;" in body
    assert re.search(r'<h1 hx-disable>&lt;script&gt;', body)
    assert '<ol id="timeline" class="timeline" hx-disable>' in body


def test_inline_save_200_422_409(rep_browser, engine, deal):
    url = f"/deals/{deal['id']}"
    ok = rep_browser.post(url, {"version": "1", "title": "Müller family", "customer": "Müller",
                                "roof_area": "55", "grid_ok": "false"}, htmx=True)
    assert ok.status_code == 200
    body = html(ok)
    assert "<html" not in body and "Saved" in body
    assert 'id="deal-summary" class="deal-summary" hx-swap-oob="true"' in body
    assert 'id="deal-history"' in body
    assert stored(engine, deal["id"])["data"] == {"customer": "Müller", "roof_area": 55, "grid_ok": False}
    assert stored(engine, deal["id"])["version"] == 2
    assert Elements(body).by_id("deal-version")[1]["value"] == "2"

    bad = rep_browser.post(url, {"version": "2", "title": "Müller family", "customer": "Müller",
                                 "roof_area": "5", "panels": "two"}, htmx=True)
    assert bad.status_code == 422
    page = Elements(html(bad))
    assert page.by_id("deal-roof_area")[1]["aria-invalid"] == "true"
    assert page.by_id("deal-panels")[1]["value"] == "two"
    assert "“two” is not a whole number" in html(bad) and "Enter a number of at least 10." in html(bad)
    assert stored(engine, deal["id"])["version"] == 2, "nothing written"

    stale = rep_browser.post(url, {"version": "1", "title": "Other", "customer": "Müller"}, htmx=True)
    assert stale.status_code == 409
    assert "Someone else changed this deal" in html(stale)
    assert f'href="/deals/{deal["id"]}"' in html(stale)
    assert Elements(html(stale)).by_id("deal-version")[1]["value"] == "1", "a resubmit stays refused"
    assert stored(engine, deal["id"])["version"] == 2 and stored(engine, deal["id"])["title"] == "Müller family"


def test_inline_save_without_javascript_redirects(rep_browser, engine, deal):
    response = rep_browser.post(f"/deals/{deal['id']}", {"version": "1", "title": "Renamed", "customer": "Müller"})
    assert response.status_code == 303 and response.headers["Location"] == f"/deals/{deal['id']}?saved=1"
    assert stored(engine, deal["id"])["title"] == "Renamed"
    bad = rep_browser.post(f"/deals/{deal['id']}", {"version": "2", "title": "", "customer": "Müller"})
    assert bad.status_code == 422 and "<html" in html(bad) and "A deal needs a title." in html(bad)


def test_notes_append_through_htmx(rep_browser, engine, deal):
    response = rep_browser.post(f"/deals/{deal['id']}/notes", {"text": "Called <b>them</b>"}, htmx=True)
    assert response.status_code == 200
    body = html(response)
    assert body.lstrip().startswith('<li class="event event-note_added">')
    assert "Called &lt;b&gt;them&lt;/b&gt;" in body
    assert 'id="note-form"' in body and 'hx-swap-oob="true"' in body
    assert re.search(r'id="deal-version" name="version" value="2" hx-swap-oob="true"', body)
    empty = rep_browser.post(f"/deals/{deal['id']}/notes", {"text": "  "}, htmx=True)
    assert empty.status_code == 422 and empty.headers["HX-Retarget"] == "#note-form"
    assert "A note needs some text." in html(empty)
    plain = rep_browser.post(f"/deals/{deal['id']}/notes", {"text": "Second"})
    assert plain.status_code == 303
    assert [e["note"] for e in engine.history(RITA, deal["id"]) if e["note"]] == \
        ["Called <b>them</b>", "Second"]


def test_reopen_a_closed_deal(rep_browser, engine, deal, goldsieve_app, goldsieve_make_user):
    engine.lose(RITA, deal["id"], "budget")
    page = html(rep_browser.get(f"/deals/{deal['id']}"))
    assert "No budget" in page and 'class="move-to"' not in page
    # reopening is for managers and admins: a rep gets no button, and a forged post is a 403
    assert "Reopen" not in page
    refused = rep_browser.post(f"/deals/{deal['id']}/reopen")
    assert refused.status_code == 403 and stored(engine, deal["id"])["status"] == "lost"
    goldsieve_make_user("ada", "admin")
    admin = Browser(goldsieve_app.test_client())
    assert admin.login("ada").status_code == 302
    assert "Reopen" in html(admin.get(f"/deals/{deal['id']}"))
    response = admin.post(f"/deals/{deal['id']}/reopen")
    assert response.status_code == 303
    assert stored(engine, deal["id"])["status"] == "open" and stored(engine, deal["id"])["stage"] == "inquiry"
    again = admin.post(f"/deals/{deal['id']}/reopen")
    assert again.status_code == 422 and "Only a won or lost deal can be reopened" in html(again)


# --- moving through a gate --------------------------------------------------------------------


def test_move_form_asks_for_the_gates_missing_fields_only(rep_browser, engine, deal):
    engine.update(RITA, deal["id"], {"roof_type": "pitched"})
    response = rep_browser.get(f"/deals/{deal['id']}/move?to=survey")
    assert response.status_code == 200 and "<html" in html(response), "a full page without htmx"
    page = Elements(html(response))
    fields = [a["name"] for t, a in move_form_of(html(response)).tags
              if t in ("input", "select", "textarea") and a.get("type") != "hidden"]
    assert fields == ["roof_area"], "roof_type is already there; nothing else is gated"
    assert page.label("move-roof_area") == "Roof area (m²)"
    assert "required" in page.by_id("move-roof_area")[1]
    assert "Usable area, without shaded parts" in html(response)
    form = next(a for t, a in page.tags if t == "form" and a.get("action") == f"/deals/{deal['id']}/move")
    assert form["method"] == "post" and "hx-post" not in form, "the full page posts plainly"
    hidden = {a["name"]: a["value"] for t, a in page.tags if t == "input" and a.get("type") == "hidden"}
    assert hidden["to"] == "survey" and hidden["version"] == "2" and hidden["csrf_token"]
    assert "This field is required." not in html(response), "asked, not reproached"


def test_move_form_is_prefilled_with_an_invalid_value_and_its_error(rep_browser, goldsieve_runtime, deal):
    # data written before a stricter minimum: the form shows the value and why it fails
    with goldsieve_runtime.store.transaction() as txn:
        txn.replace("deals", {**deal, "data": {**deal["data"], "roof_area": 4, "roof_type": "flat"}})
    page = Elements(html(rep_browser.get(f"/deals/{deal['id']}/move?to=survey")))
    assert page.by_id("move-roof_area")[1]["value"] == "4"
    assert page.by_id("move-roof_area")[1]["aria-invalid"] == "true"


def test_a_bad_value_is_refused_beside_its_field_and_nothing_moves(rep_browser, engine, deal):
    response = rep_browser.post(f"/deals/{deal['id']}/move",
                                {"to": "survey", "version": "1", "roof_area": "3", "roof_type": "flat"})
    assert response.status_code == 422
    body = html(response)
    page = Elements(body)
    assert page.by_id("move-roof_area")[1]["aria-invalid"] == "true"
    error = body[body.index('id="move-roof_area-error"'):]
    assert "Enter a number of at least 10." in error[:300]
    assert page.by_id("move-roof_type")[1].get("aria-invalid") is None
    after = stored(engine, deal["id"])
    assert after["stage"] == "inquiry" and after["version"] == 1 and "roof_type" not in after["data"]

    unparsable = rep_browser.post(f"/deals/{deal['id']}/move",
                                  {"to": "survey", "version": "1", "roof_area": "big", "roof_type": ""})
    assert unparsable.status_code == 422
    page = Elements(html(unparsable))
    assert page.by_id("move-roof_area")[1]["value"] == "big"
    assert "“big” is not a number" in html(unparsable) and "This field is required." in html(unparsable)
    assert stored(engine, deal["id"])["version"] == 1


def test_good_values_move_the_deal_and_the_api_agrees(rep_browser, goldsieve_api, deal):
    response = rep_browser.post(f"/deals/{deal['id']}/move", {
        "to": "survey", "version": "1", "roof_area": "64", "roof_type": "pitched", "next": "/board/solar"})
    assert response.status_code == 303 and response.headers["Location"] == "/board/solar"
    api = goldsieve_api.get(f"deals/{deal['id']}").json
    assert api["stage"] == "survey" and api["data"]["roof_area"] == 64 and api["data"]["roof_type"] == "pitched"
    history = goldsieve_api.get(f"deals/{deal['id']}/history").json["items"]
    assert [e["type"] for e in history] == ["created", "updated", "stage_changed"]
    # an unsafe next is ignored: back to the deal page
    rep_browser.post(f"/deals/{deal['id']}/move", {"to": "inquiry", "version": "2", "next": "//evil.example"})
    assert goldsieve_api.get(f"deals/{deal['id']}").json["stage"] == "inquiry"


def test_a_skip_is_refused_at_the_top_of_the_form(rep_browser, engine, deal):
    response = rep_browser.post(f"/deals/{deal['id']}/move", {"to": "offer", "version": "1"})
    assert response.status_code == 422
    body = html(response)
    assert "The deal must pass through “Site survey” before “Offer sent”." in body
    start = body.index('<form class="move-form"')
    form = body[start:body.index("</form>", start)]
    # a move that cannot succeed offers no Move button, only the stage to pass through first
    assert 'type="submit"' not in form
    assert f'href="/deals/{deal["id"]}/move?to=survey' in form and "Move to “Site survey” first" in form
    assert stored(engine, deal["id"])["stage"] == "inquiry"


def test_lost_asks_for_a_reason_and_a_note(rep_browser, engine, deal):
    page = Elements(html(rep_browser.get(f"/deals/{deal['id']}/move?to=lost")))
    tag, select = page.by_id("move-lost-reason")
    assert tag == "select" and select["name"] == "lost_reason" and "required" in select
    assert page.label("move-lost-reason") == "Lost reason"
    options = [a["value"] for t, a in move_form_of(html(rep_browser.get(
        f"/deals/{deal['id']}/move?to=lost"))).tags if t == "option"]
    assert options == ["", "shade", "budget"]
    assert page.by_id("move-note")[0] == "textarea" and page.label("move-note") == "Note"

    refused = rep_browser.post(f"/deals/{deal['id']}/move", {"to": "lost", "version": "1", "note": "hm"})
    assert refused.status_code == 422
    assert Elements(html(refused)).by_id("move-lost-reason")[1]["aria-invalid"] == "true"
    assert "hm</textarea>" in html(refused)
    assert stored(engine, deal["id"])["status"] == "open"

    done = rep_browser.post(f"/deals/{deal['id']}/move",
                            {"to": "lost", "version": "1", "lost_reason": "shade", "note": "Trees"})
    assert done.status_code == 303 and done.headers["Location"] == f"/deals/{deal['id']}"
    after = stored(engine, deal["id"])
    assert after["status"] == "lost" and after["lost_reason"] == "shade"
    timeline = html(rep_browser.get(f"/deals/{deal['id']}"))
    assert "Too much shade" in timeline and "Trees" in timeline and "Dropped" in timeline


def test_htmx_gets_a_fragment_for_the_dialog(rep_browser, deal):
    response = rep_browser.get(f"/deals/{deal['id']}/move?to=survey", headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = html(response)
    assert "<html" not in body and 'id="dialog-title"' in body
    assert response.headers["HX-Retarget"] == "#dialog"
    form = next(a for t, a in Elements(body).tags if t == "form")
    assert form["hx-post"] == f"/deals/{deal['id']}/move" and form["hx-target"] == "#dialog"
    assert "data-dialog-close" in body
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_move_answers_204_with_a_trigger_or_422(rep_browser, engine, deal):
    refused = rep_browser.post(f"/deals/{deal['id']}/move", {"to": "survey", "version": "1"}, htmx=True)
    assert refused.status_code == 422 and "<html" not in html(refused)
    assert refused.headers["HX-Retarget"] == "#dialog" and refused.headers["HX-Reswap"] == "innerHTML"
    assert "This field is required." in html(refused)
    moved = rep_browser.post(f"/deals/{deal['id']}/move", {
        "to": "survey", "version": "1", "roof_area": "30", "roof_type": "flat"}, htmx=True)
    assert moved.status_code == 204 and moved.get_data() == b""
    assert json.loads(moved.headers["HX-Trigger"]) == {
        "deal-moved": {"id": deal["id"], "from": "inquiry", "to": "survey"}}
    assert stored(engine, deal["id"])["stage"] == "survey"


def test_a_stale_version_is_a_409_with_a_reload(rep_browser, engine, deal):
    engine.update(RITA, deal["id"], {"remarks": "someone else"})
    for htmx in (False, True):
        response = rep_browser.post(f"/deals/{deal['id']}/move", {
            "to": "survey", "version": "1", "roof_area": "30", "roof_type": "flat"}, htmx=htmx)
        assert response.status_code == 409
        body = html(response)
        assert "Someone else changed this deal" in body
        assert f"/deals/{deal['id']}/move?to=survey" in body
    assert stored(engine, deal["id"])["stage"] == "inquiry" and stored(engine, deal["id"])["version"] == 2


def test_unknown_target_and_closed_deals_are_refused_at_the_top(rep_browser, engine, deal):
    unknown = rep_browser.post(f"/deals/{deal['id']}/move", {"to": "mars", "version": "1"})
    assert unknown.status_code == 422 and "There is no stage “mars”." in html(unknown)
    engine.lose(RITA, deal["id"], "shade")
    closed = rep_browser.get(f"/deals/{deal['id']}/move?to=survey")
    assert closed.status_code == 200 and "This deal is closed; reopen it before moving it." in html(closed)


def test_posts_without_csrf_are_refused_and_write_nothing(rep_browser, engine, deal):
    client = rep_browser.client
    for path, data in ((f"/deals/{deal['id']}", {"version": "1", "title": "X", "customer": "X"}),
                       (f"/deals/{deal['id']}/move", {"to": "lost", "lost_reason": "budget"}),
                       (f"/deals/{deal['id']}/notes", {"text": "hi"}),
                       ("/deals/new?funnel=solar", {"title": "New", "customer": "C"})):
        assert client.post(path, data=data).status_code == 400, path
    assert stored(engine, deal["id"])["version"] == 1
    assert len(engine.store.find("deals")) == 1


def test_unknown_deals_and_stages_are_404(rep_browser, deal):
    for path in ("/deals/999", "/deals/999/move?to=survey", f"/deals/{deal['id']}/move?to=nowhere"):
        response = rep_browser.get(path)
        assert response.status_code == 404, path
        assert "There is no such deal" in html(response)
    assert rep_browser.post("/deals/999", {"title": "x"}).status_code == 404
    assert rep_browser.post("/deals/999/move", {"to": "survey"}).status_code == 404
    assert rep_browser.post("/deals/999/notes", {"text": "x"}).status_code == 404


def test_a_deal_hidden_from_the_user_is_404(rep_browser, goldsieve_runtime, deal):
    from goldsieve.store.filters import Eq

    goldsieve_runtime.engine._scope = lambda user: Eq("owner", "somebody-else")
    assert rep_browser.get(f"/deals/{deal['id']}").status_code == 404
    assert rep_browser.get(f"/deals/{deal['id']}/move?to=survey").status_code == 404


def test_pages_need_a_login(browser, engine):
    response = browser.get("/deals/new?funnel=solar")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_chinese_page_uses_the_funnel_titles_in_chinese(rep_browser, deal):
    body = html(rep_browser.get(f"/deals/{deal['id']}", headers={"Accept-Language": "zh-CN"}))
    assert "咨询" in body and "屋顶光伏" in body

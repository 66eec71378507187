"""The harness's own checks catch what they are there to catch (a check that cannot fail proves
nothing)."""
from __future__ import annotations

import pytest

from tests.browser.conftest import HOST, Guard, check_page, document_overflow, unlabelled_controls

BAD_PAGE = """<!doctype html><html><head>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>
<label for="named">Named</label><input id="named">
<input id="nameless"><select><option>one</option></select><button></button>
<button aria-label="Close">×</button><label>Wrapped <input type="checkbox"></label>
<input type="hidden" name="csrf"><button hidden></button>
<div style="width: 500px">too wide</div>
</body></html>"""


def test_the_page_checks_find_unnamed_controls_and_overflow(open_page):
    page = open_page("phone")
    page.set_content(BAD_PAGE)
    unnamed = unlabelled_controls(page)
    dom = [problem for problem in unnamed if problem.startswith("DOM:")]
    assert len(dom) == 3, unnamed  # the bare input, the select and the empty button
    assert all("nameless" in p or "<select>" in p or "<button></button>" in p for p in dom)
    assert len(unnamed) == 6, unnamed  # and the same three by Chromium's accessibility tree
    overflow = document_overflow(page)
    assert overflow and overflow["scrollWidth"] > overflow["viewport"] == 390
    # the trap this avoids: the phone's layout viewport grew to fit the overflow
    assert overflow["innerWidth"] >= overflow["scrollWidth"]
    assert overflow["culprits"] == ['<div style="width: 500px">too wide</div>']
    with pytest.raises(AssertionError, match="wider than the viewport"):
        check_page(page)


def test_the_guard_blocks_and_records_requests_off_the_host(chromium):
    guard = Guard()
    context = chromium.new_context()
    guard.attach(context)
    page = context.new_page()
    try:
        # a page of no CSP (the app's own would block the image before it left the browser)
        page.set_content('<img src="https://example.com/pixel.png" alt="">')
        page.evaluate("() => setTimeout(() => { throw new Error('boom'); }, 0)")
        page.evaluate("() => console.error('something broke')")
        page.wait_for_timeout(100)
    finally:
        context.close()
    problems = guard.problems()
    assert any(p.startswith(f"request off {HOST}: https://example.com/pixel.png") for p in problems), problems
    assert any(p.startswith("page error:") and "boom" in p for p in problems), problems
    assert any(p.startswith("console error: something broke") for p in problems), problems

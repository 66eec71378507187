"""``/api/docs`` in a real browser: Swagger UI loads from the app itself under its CSP (the
guard fails on any request off 127.0.0.1 and on console errors, so a blocked script or style
fails here), lists the operations, and "Try it out" calls the API with a pasted token."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from goldsieve.people.users import issue_token
from goldsieve.web.api.openapi import TAGS

from tests.browser.conftest import login


@pytest.mark.parametrize("form", ["desktop", "phone"])
def test_the_reference_lists_every_operation_and_tries_one_with_a_token(open_page, live, shot, form):
    page = open_page(form)
    page.goto("/api/docs")
    operations = page.locator(".opblock-summary-path")
    expect(operations.first).to_be_visible(timeout=20_000)
    paths = set(operations.all_inner_texts())
    spec = live.app.test_client().get("/api/v1/openapi.json").get_json()
    assert {p.replace("\u200b", "") for p in paths} == set(spec["paths"])
    shot(page, "api-docs")

    token = issue_token(live.runtime.store, "rep.li")
    page.get_by_role("button", name="Authorize").first.click()
    page.locator(".auth-container input").fill(token)
    page.locator(".auth-btn-wrapper button.authorize").click()
    page.get_by_role("button", name="Close", exact=True).click()
    block = page.locator(f"#operations-{TAGS['funnels']}-get_api_v1_funnels")  # its section, then the path
    block.locator(".opblock-summary").click()
    block.get_by_role("button", name="Try it out").click()
    block.get_by_role("button", name="Execute").click()
    status = block.locator(".live-responses-table tr.response .response-col_status").first
    expect(status).to_have_text("200", timeout=20_000)
    expect(block.locator(".live-responses-table .microlight").first).to_contain_text('"software"')


def test_admins_find_the_reference_in_the_top_bar(open_page):
    page = open_page("desktop")
    login(page, "admin")
    page.get_by_role("link", name="API", exact=True).click()
    expect(page.get_by_role("heading", name="API reference")).to_be_visible()
    rep = open_page("desktop")
    login(rep, "rep.li")
    expect(rep.get_by_role("link", name="API", exact=True)).to_have_count(0)

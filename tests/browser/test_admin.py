"""The admin pages on a phone: an admin adds a user and a team through the forms, one refused
attempt included, and each page fits the screen with every control labelled."""
from __future__ import annotations

from urllib.parse import urlsplit

from goldsieve.people.teams import find_team
from goldsieve.people.users import authenticate, find_user

from tests.browser.conftest import assert_tap_target, check_page, login

PASSPHRASE = "sunrise-over-the-river"


def test_an_admin_adds_a_user_and_a_team_on_a_phone(open_page, live, shot):
    page = open_page(form="phone", expect=(422,))
    login(page, "admin")
    admin_link = page.get_by_role("link", name="Admin", exact=True)
    assert_tap_target(admin_link, "the Admin link")
    admin_link.click()
    page.wait_for_url(live.url + "/admin/users")
    assert page.locator('tr[data-username="rep.li"]').is_visible()
    check_page(page)

    form = page.locator("form#add-user")
    form.get_by_label("User name").fill("phone.new")
    form.get_by_label("Display name").fill("Phone <b>New</b>")
    form.get_by_label("Role").select_option("rep")
    form.get_by_label("Team").select_option("east")
    form.get_by_label("Initial password").fill("password123")
    form.get_by_label("Repeat the password").fill("password123")
    form.get_by_role("button", name="Add user").click()
    error = page.locator("#password-error")
    error.wait_for()
    assert "commonly used password" in error.inner_text()
    assert find_user(live.runtime.store, "phone.new") is None
    check_page(page)

    form = page.locator("form#add-user")  # the page came back, with what was typed
    assert form.get_by_label("User name").input_value() == "phone.new"
    form.get_by_label("Initial password").fill(PASSPHRASE)
    form.get_by_label("Repeat the password").fill(PASSPHRASE)
    form.get_by_role("button", name="Add user").click()
    page.wait_for_url(live.url + "/admin/users")
    row = page.locator('tr[data-username="phone.new"]')
    assert "Phone <b>New</b>" in row.inner_text()  # the markup shown as text
    assert page.get_by_role("status").inner_text().strip() == "Added the user phone.new."
    check_page(page)
    shot(page, "users")

    page.locator(".admin-nav").get_by_role("link", name="Teams").click()
    page.wait_for_url(live.url + "/admin/teams")
    form = page.locator("form#add-team")
    form.get_by_label("Name").fill("east-phone")
    form.get_by_label("Parent team").select_option("east")
    form.get_by_label("Manager").select_option("phone.new")
    form.get_by_role("button", name="Add team").click()
    page.wait_for_url(live.url + "/admin/teams")
    added = page.locator('li[data-team="east"] li[data-team="east-phone"]')
    assert "phone.new" in added.inner_text()
    check_page(page)
    shot(page, "teams")

    team = find_team(live.runtime.store, "east-phone")
    assert (team["parent"], team["manager"]) == ("east", "phone.new")
    user = find_user(live.runtime.store, "phone.new")
    assert (user["role"], user["team"]) == ("rep", "east")
    assert authenticate(live.runtime.store, "phone.new", PASSPHRASE) is not None
    assert urlsplit(page.url).path == "/admin/teams"

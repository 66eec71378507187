"""The deal page's owner selector (issue 16, part 7): shown only to whom may reassign, offering
whom they may give the deal to, posting with its CSRF token; a refusal writes nothing."""
from __future__ import annotations

import re

import pytest

from goldsieve.people.teams import update_team
from goldsieve.people.users import find_user, set_active
from goldsieve.store.filters import Eq

from tests.ui.conftest import Browser

OPTION = re.compile(r'<option value="([^"]+)"')


@pytest.fixture
def org(goldsieve_runtime, goldsieve_make_user, goldsieve_make_team):
    goldsieve_make_team("north")
    goldsieve_make_team("south")
    for name, role, team in (("mia", "manager", "north"), ("rita", "rep", "north"),
                             ("rob", "rep", "north"), ("sam", "rep", "south"), ("admin", "admin", None)):
        goldsieve_make_user(name, role, team=team)
    update_team(goldsieve_runtime.store, "north", manager="mia")
    rita = find_user(goldsieve_runtime.store, "rita")
    return goldsieve_runtime.engine.create(rita, "handmade", "Acme <ERP>", {"company": "Acme"})


def as_user(goldsieve_app, name: str) -> Browser:
    goldsieve_app.config["WTF_CSRF_ENABLED"] = True
    browser = Browser(goldsieve_app.test_client())
    assert browser.login(name).status_code == 302
    return browser


def owner_options(page: str) -> list[str]:
    form = page.split('id="owner-form"', 1)[1].split("</form>", 1)[0]
    return OPTION.findall(form)


def test_a_manager_sees_the_team_and_gives_the_deal(goldsieve_app, goldsieve_runtime, org):
    mia = as_user(goldsieve_app, "mia")
    page = mia.get(f"/deals/{org['id']}").get_data(as_text=True)
    assert owner_options(page) == ["mia", "rita", "rob"]  # not sam: another team
    response = mia.post(f"/deals/{org['id']}/owner", {"owner": "rob", "version": "1"}, htmx=True)
    assert response.status_code == 303 and response.headers["Location"] == f"/deals/{org['id']}"
    assert goldsieve_runtime.store.get("deals", org["id"])["owner"] == "rob"
    history = mia.get(f"/deals/{org['id']}").get_data(as_text=True)
    assert "Owner changed" in history
    told = goldsieve_runtime.store.find("notifications", Eq("user", "rob"))
    assert [n["text"] for n in told] == ["mia gave you the deal Acme <ERP>."]


def test_a_rep_gets_no_selector_and_a_forged_post_is_refused(goldsieve_app, goldsieve_runtime, org):
    rita = as_user(goldsieve_app, "rita")
    assert 'id="owner-form"' not in rita.get(f"/deals/{org['id']}").get_data(as_text=True)
    assert rita.post(f"/deals/{org['id']}/owner", {"owner": "rob", "version": "1"}).status_code == 403
    assert goldsieve_runtime.store.get("deals", org["id"])["owner"] == "rita"


def test_refusals_say_why_beside_the_form_and_write_nothing(goldsieve_app, goldsieve_runtime, org):
    store = goldsieve_runtime.store
    set_active(store, "rob", False)
    mia = as_user(goldsieve_app, "mia")
    before = (store.count("events"), store.count("notifications"), store.count("audit"))
    for form, status, said in (
            ({"owner": "sam", "version": "1"}, 422, "You may give deals only to users whose deals you see."),
            ({"owner": "rob", "version": "1"}, 422, "This user is deactivated."),
            ({"owner": "ghost", "version": "1"}, 422, "There is no such user."),
            ({"owner": "", "version": "1"}, 422, "Choose the new owner."),
            ({"owner": "mia", "version": "9"}, 409, "Someone else changed this deal")):
        response = mia.post(f"/deals/{org['id']}/owner", form, htmx=True)
        assert response.status_code == status, form
        assert said in response.get_data(as_text=True), form
    assert (store.count("events"), store.count("notifications"), store.count("audit")) == before
    # without the CSRF token nothing is written either
    bare = mia.client.post(f"/deals/{org['id']}/owner", data={"owner": "rita", "version": "1"})
    assert bare.status_code == 400 and store.get("deals", org["id"])["owner"] == "rita"

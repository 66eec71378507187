"""The admin user page's hand-over (issue 16, part 7): everything of a leaver to another user
with one button; a refused hand-over says why beside the field and writes nothing."""
from __future__ import annotations

import pytest

from goldsieve.people.users import find_user, set_active
from goldsieve.store.filters import Eq

from tests.ui.conftest import Browser


@pytest.fixture
def admin(goldsieve_app, goldsieve_runtime, goldsieve_make_user) -> Browser:
    for name, role in (("boss", "admin"), ("lea", "rep"), ("ned", "rep"), ("old", "rep")):
        goldsieve_make_user(name, role)
    lea = find_user(goldsieve_runtime.store, "lea")
    for title in ("One", "Two"):
        goldsieve_runtime.engine.create(lea, "handmade", title, {"company": "Acme"})
    set_active(goldsieve_runtime.store, "old", False)
    goldsieve_app.config["WTF_CSRF_ENABLED"] = True
    browser = Browser(goldsieve_app.test_client())
    assert browser.login("boss").status_code == 302
    return browser


def test_the_page_offers_active_users_and_hands_everything_over(admin, goldsieve_runtime):
    page = admin.get("/admin/users/lea").get_data(as_text=True)
    form = page.split('id="hand-over"', 1)[1].split("</form>", 1)[0]
    assert 'value="ned"' in form and 'value="boss"' in form
    assert 'value="lea"' not in form and 'value="old"' not in form  # not to herself, nor the inactive
    done = admin.post("/admin/users/lea/hand-over", {"to": "ned"})
    assert done.status_code == 303 and done.headers["Location"] == "/admin/users/lea"
    said = admin.get("/admin/users/lea").get_data(as_text=True)
    assert "Handed over to ned: 2 open deals, 0 customers and 0 open tasks." in said
    assert {d["owner"] for d in goldsieve_runtime.store.find("deals")} == {"ned"}


def test_a_refused_hand_over_says_why_and_writes_nothing(admin, goldsieve_runtime):
    store = goldsieve_runtime.store
    before = (store.count("events"), store.count("audit"), store.count("notifications"))
    for heir, said in (("old", "This user is deactivated."), ("lea", "Hand over to another user."),
                       ("ghost", "There is no such user.")):
        response = admin.post("/admin/users/lea/hand-over", {"to": heir})
        assert response.status_code == 422 and said in response.get_data(as_text=True), heir
    assert admin.post("/admin/users/ghost/hand-over", {"to": "ned"}).status_code == 404
    assert (store.count("events"), store.count("audit"), store.count("notifications")) == before
    assert {d["owner"] for d in store.find("deals", Eq("status", "open"))} == {"lea"}

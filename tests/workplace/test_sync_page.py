"""The admin's sync report: the dry run in the reader's language, and the button that syncs."""
from __future__ import annotations

import pytest

from .test_clients import org
from tests.ui.conftest import Browser


@pytest.fixture
def admin(goldsieve_app, goldsieve_user):
    goldsieve_app.config["WTF_CSRF_ENABLED"] = True
    browser = Browser(goldsieve_app.test_client())
    assert browser.login("admin").status_code == 302
    return browser


def test_the_report_shows_the_dry_run_and_writes_nothing(admin, fake, platform, goldsieve_runtime):
    org(fake, platform)
    before = goldsieve_runtime.store.count("users"), goldsieve_runtime.store.count("audit")
    page = admin.get("/admin/workplace").get_data(as_text=True)
    assert f"+ user rep0 (销售0), rep in {platform}-3" in page and "Make these changes" in page
    assert (goldsieve_runtime.store.count("users"), goldsieve_runtime.store.count("audit")) == before


def test_the_report_speaks_chinese(admin, fake, platform):
    org(fake, platform)
    admin.post("/locale", {"locale": "zh_Hans", "next": "/"})
    page = admin.get("/admin/workplace").get_data(as_text=True)
    assert f"+ 团队 {platform}-3（华东），上级 {platform}-2" in page and "执行这些变更" in page


def test_the_button_syncs_and_the_report_is_then_in_line(admin, fake, platform, goldsieve_runtime):
    org(fake, platform)
    response = admin.post("/admin/workplace/sync", {"platform": platform})
    assert response.status_code == 302
    assert goldsieve_runtime.store.count("users") == 6  # the admin and the five people
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "9 change(s) made." in page and "are in line with" in page
    assert any(r["by"] == f"sync:{platform}" for r in goldsieve_runtime.store.find("audit"))


def test_an_unconfigured_platform_is_refused_and_nothing_is_written(admin, platform, goldsieve_runtime):
    before = goldsieve_runtime.store.count("audit")
    assert admin.post("/admin/workplace/sync", {"platform": "slack"}).status_code == 400
    assert goldsieve_runtime.store.count("audit") == before


def test_a_platform_that_refuses_is_said_on_the_page(admin, fake, platform):
    fake.secret = "changed-in-the-console"
    response = admin.get("/admin/workplace")
    assert response.status_code == 502 and "could not be read" in response.get_data(as_text=True)
    assert fake.secret not in response.get_data(as_text=True)

"""The deal form keeps the gates of the deal's stage (issue 14, part 7): emptying a field the
stage required is refused beside the field, in the page's language; an admin may "Save anyway"
with a reason, shown in the history."""
from __future__ import annotations

import pytest

from tests.ui.test_deal_pages import deal, engine, goldsieve_funnel  # noqa: F401  (the same fixtures)
from tests.ui.test_deal_pages import RITA, html, stored
from tests.ui.test_forms import Elements
from tests.ui.test_gate_bypass_pages import REASON, admin_browser  # noqa: F401  (the same fixture)


@pytest.fixture
def surveyed(engine, deal):
    """The deal in ``survey``, whose gate required roof_area and roof_type."""
    return engine.move(RITA, deal["id"], "survey", changes={"roof_area": 40, "roof_type": "flat"})


def emptied(version: int, **extra: str) -> dict:
    return {"version": str(version), "title": "Müller family", "customer": "Müller",
            "roof_area": "", "roof_type": "flat", **extra}


@pytest.mark.parametrize("language, says", [("en", "Deals in “Site survey” need this field."),
                                            ("zh-CN", "处于“Site survey”的商机必须填写此字段。"),
                                            ("zh-TW", "處於「Site survey」的商機必須填寫此欄位。")])
def test_emptying_a_field_the_stage_required_is_refused_beside_it(rep_browser, engine, surveyed, language, says):
    before = (stored(engine, surveyed["id"]), engine.store.count("events"))
    response = rep_browser.post(f"/deals/{surveyed['id']}", emptied(surveyed["version"]), htmx=True,
                                headers={"Accept-Language": language})
    assert response.status_code == 422
    page = Elements(html(response))
    assert page.by_id("deal-roof_area")[1]["aria-invalid"] == "true"
    described = page.by_id("deal-roof_area")[1]["aria-describedby"].split()[-1]  # after the help
    assert says in html(response)[html(response).index(f'id="{described}"'):][:400]
    assert "deal-bypass-gate" not in html(response), "a rep is not offered to save anyway"
    assert (stored(engine, surveyed["id"]), engine.store.count("events")) == before


def test_an_admin_saves_anyway_with_a_reason(admin_browser, engine, surveyed):
    refused = admin_browser.post(f"/deals/{surveyed['id']}", emptied(surveyed["version"]), htmx=True)
    assert refused.status_code == 422
    form = Elements(html(refused))
    assert "required" in form.by_id("deal-bypass-gate")[1]
    assert [a["value"] for t, a in form.named("bypass")] == ["1"]
    no_reason = admin_browser.post(f"/deals/{surveyed['id']}", emptied(surveyed["version"], bypass="1"), htmx=True)
    assert no_reason.status_code == 422 and "Give a reason" in html(no_reason)
    assert stored(engine, surveyed["id"])["version"] == surveyed["version"]
    saved = admin_browser.post(f"/deals/{surveyed['id']}",
                               emptied(surveyed["version"], bypass="1", bypass_gate=REASON))
    assert saved.status_code == 303
    assert "roof_area" not in stored(engine, surveyed["id"])["data"]
    page = html(admin_browser.get(f"/deals/{surveyed['id']}"))
    history = page[page.index('id="deal-history"'):]
    assert f"Saved past the gate: {REASON}" in history and "Roof area (m²): This field is required." in history


def test_nul_in_a_text_field_is_refused_beside_it_and_nothing_is_written(rep_browser, engine, deal):
    before = stored(engine, deal["id"])
    response = rep_browser.post(f"/deals/{deal['id']}", {"version": "1", "title": "Müller family",
                                                         "customer": "Mül\x00ler"}, htmx=True)
    assert response.status_code == 422
    assert "Text cannot hold NUL characters or broken Unicode." in html(response)
    assert Elements(html(response)).by_id("deal-customer")[1]["aria-invalid"] == "true"
    note = rep_browser.post(f"/deals/{deal['id']}/notes", {"text": "a\x00b"}, htmx=True)
    assert note.status_code == 422 and "Text cannot hold NUL" in html(note)
    assert stored(engine, deal["id"]) == before

"""Gates over activities: a stage's required_activities, enforced in the engine like field gates,
listed in the 422 and the gate dialog, and checked by ``goldsieve check`` against the types."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from goldsieve.cli import cli
from goldsieve.errors import ValidationFailed

from tests.conftest import load_funnel
from tests.records.conftest import BOTH_STORES, goldsieve_workspace, people  # noqa: F401 (fixtures)

VISIT = {"type": "visit", "contact_role": "decision_maker"}


@pytest.fixture
def goldsieve_funnel() -> dict:
    funnel = load_funnel("design_example")
    stages = {s["id"]: s for s in funnel["stages"]}
    stages["qualified"]["gate"] = None
    del stages["qualified"]["gate"]
    stages["qualified"]["required_activities"] = [VISIT]
    stages["quote"]["required_activities"] = [{"type": "demo"}]
    return funnel


@pytest.fixture
def deal(goldsieve_runtime, people):
    customer = goldsieve_runtime.customers.create(people.rita, "Ruijin")
    return goldsieve_runtime.engine.create(people.rita, "handmade", "PACS", {"company": "Ruijin"},
                                           customer_id=customer["id"])


@BOTH_STORES
def test_a_move_needs_the_done_visit_with_a_decision_maker(goldsieve_runtime, people, deal):
    engine, activities, contacts = goldsieve_runtime.engine, goldsieve_runtime.activities, goldsieve_runtime.contacts
    user = contacts.create(people.rita, deal["customer_id"], "Nurse Li", "user")
    boss = contacts.create(people.rita, deal["customer_id"], "Dr Wang", "decision_maker")
    activities.create(people.rita, "visit", deal_id=deal["id"], contact_ids=[user["id"]], done_at="2026-01-01T08:00:00Z")
    activities.create(people.rita, "visit", deal_id=deal["id"], contact_ids=[boss["id"]], due_at="2026-03-01T08:00:00Z")
    events = goldsieve_runtime.store.count("events")
    with pytest.raises(ValidationFailed) as error:
        engine.move(people.rita, deal["id"], "qualified", {"needs_survey": "ok"})
    assert [(v.path, v.code) for v in error.value.violations] == [("/activities/visit", "activity_required")]
    assert "decision_maker" in error.value.violations[0].message
    assert goldsieve_runtime.store.count("events") == events
    activities.create(people.rita, "visit", deal_id=deal["id"], contact_ids=[boss["id"]], done_at="2026-01-02T08:00:00Z")
    moved = engine.move(people.rita, deal["id"], "qualified", {"needs_survey": "ok"})
    assert moved["stage"] == "qualified"
    with pytest.raises(ValidationFailed) as error:  # cumulative: quote also asks qualified's visit (met)
        engine.move(people.rita, deal["id"], "quote", {"amount": 5})
    assert [v.path for v in error.value.violations] == ["/activities/demo"]


def test_the_gate_dialog_lists_what_is_missing_with_a_way_to_log_it(goldsieve_app, goldsieve_runtime, people, deal):
    from tests.ui.conftest import Browser

    goldsieve_app.config["WTF_CSRF_ENABLED"] = True
    browser = Browser(goldsieve_app.test_client())
    assert browser.login("rita").status_code == 302
    page = browser.get(f"/deals/{deal['id']}/move?to=qualified").get_data(as_text=True)
    assert "A done “Visit” with a contact who is “Decision maker”, to enter" in page
    assert f"/deals/{deal['id']}?log=visit#activity-form" in page
    refused = browser.post(f"/deals/{deal['id']}/move", {"to": "qualified", "version": str(deal["version"])})
    assert refused.status_code == 422 and 'class="activity-gap" data-type="visit"' in refused.get_data(as_text=True)
    logging = browser.get(f"/deals/{deal['id']}?log=visit").get_data(as_text=True)
    assert '<option value="visit" selected>' in logging


def test_goldsieve_check_refuses_an_undeclared_activity_type(tmp_path, goldsieve_funnel):
    folder = tmp_path / "ws"
    assert CliRunner().invoke(cli, ["init", str(folder)]).exit_code == 0
    (folder / "funnels" / "handmade.json").write_text(json.dumps(goldsieve_funnel), encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(folder)])
    assert result.exit_code == 1  # the workspace declares no contact roles
    assert "/stages/1/required_activities/0/contact_role: error:" in result.output
    (folder / "records").mkdir()
    (folder / "records" / "contact.json").write_text(json.dumps(
        {"fields": {"type": "object", "properties": {}}, "roles": [{"id": "decision_maker", "title": "DM"}]}))
    assert CliRunner().invoke(cli, ["check", str(folder)]).exit_code == 0
    (folder / "records" / "activity.json").write_text(json.dumps({"types": [{"id": "visit", "title": "Visit"}]}))
    result = CliRunner().invoke(cli, ["check", str(folder)])
    assert result.exit_code == 1
    assert "/stages/3/required_activities/0/type: error: `demo` is not a declared activity type" in result.output
    (folder / "records" / "activity.json").write_text(json.dumps({"types": [{"id": "visit"}]}))
    result = CliRunner().invoke(cli, ["check", str(folder)])
    assert "activity.json: /types/0: error:" in result.output

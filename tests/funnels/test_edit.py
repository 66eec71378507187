"""The designer's edits on plain JSON: each changes what it is about and fills in the map."""
from __future__ import annotations

import copy

import pytest

from goldsieve.funnels import edit
from goldsieve.funnels.drafts import candidate
from goldsieve.funnels.edit import EditError


@pytest.fixture
def draft(goldsieve_funnel):
    return {"definition": copy.deepcopy(goldsieve_funnel), "map": {}, "base_version": 3,
            "base_stages": [s["id"] for s in goldsieve_funnel["stages"]]}


def ids(draft) -> list[str]:
    return [s["id"] for s in draft["definition"]["stages"]]


def test_renaming_twice_maps_the_old_stage_to_the_last_name_and_follows_references(draft):
    edit.rename_stage(draft, "negotiation", "closing")
    edit.rename_stage(draft, "closing", "final")
    assert draft["map"] == {"negotiation": "final"}
    assert draft["definition"]["automations"][0]["stage"] == "final"
    migration = candidate(draft)["migration"]
    assert migration == {"from_version": 3, "map": {"negotiation": "final"}}
    assert candidate(draft)["version"] == 4


def test_split_keeps_the_first_stage_settings_and_maps_its_deals(draft):
    edit.split_stage(draft, "quote", ["offer", "tender"])
    assert ids(draft)[3:5] == ["offer", "tender"]
    offer, tender = draft["definition"]["stages"][3:5]
    assert offer["gate"] == {"required": ["amount"]} and "gate" not in tender
    assert tender["probability"] == offer["probability"]
    assert draft["map"] == {"quote": "offer"}
    with pytest.raises(EditError, match="already is a stage"):
        edit.split_stage(draft, "offer", ["offer", "lead"])


def test_removing_sends_deals_along_and_drops_the_target(draft):
    draft["definition"]["targets"] = {"qualified": 0.5}
    edit.rename_stage(draft, "qualified", "fit")
    edit.remove_stage(draft, "fit", "lead")
    assert draft["map"] == {"qualified": "lead"} and "fit" not in ids(draft)
    assert draft["definition"]["targets"] == {}
    with pytest.raises(EditError, match="no stage"):
        edit.remove_stage(draft, "quote", "nowhere")
    assert "quote" in ids(draft)


def test_add_and_move_stages(draft):
    edit.add_stage(draft, "trial", "Trial")
    assert ids(draft).index("trial") == ids(draft).index("negotiation") + 1  # after the last open
    edit.move_stage(draft, "trial", -1)
    assert ids(draft).index("trial") == ids(draft).index("negotiation") - 1
    with pytest.raises(EditError, match="cannot move further"):
        edit.move_stage(draft, "lead", -1)


@pytest.mark.parametrize("field, op, value, rule", [
    ("amount", "at_least", "1000", {"minimum": 1000}),
    ("amount", "at_most", "2.5", {"maximum": 2.5}),
    ("company", "one_of", "Acme, Bolt", {"enum": ["Acme", "Bolt"]}),
    ("company", "equals", "Acme", {"const": "Acme"}),
])
def test_conditions_become_json_schema(draft, field, op, value, rule):
    fields = draft["definition"]["fields"]["properties"]
    condition = edit.build_condition(fields, field, op, value)
    assert condition == {"properties": {field: rule}, "required": [field]}
    assert edit.simple_condition(condition) == (field, op, next(iter(rule.values())))


@pytest.mark.parametrize("field, op, value, message", [
    ("company", "at_least", "3", "need a number field"),
    ("amount", "equals", "lots", "is not a number"),
    ("nope", "equals", "1", "no field"),
    ("amount", "like", "1", "unknown operator"),
])
def test_bad_conditions_are_refused(draft, field, op, value, message):
    with pytest.raises(EditError, match=message):
        edit.build_condition(draft["definition"]["fields"]["properties"], field, op, value)


def test_fields_add_change_and_remove(draft):
    edit.set_field(draft, "visit_on", kind="date", title="Visit", options="", required=True, new=True)
    fields = draft["definition"]["fields"]
    assert fields["properties"]["visit_on"] == {"type": "string", "format": "date", "title": "Visit"}
    assert "visit_on" in fields["required"]
    edit.set_field(draft, "visit_on", kind="string", title="Visit", options="am, pm", required=False, new=False)
    assert fields["properties"]["visit_on"] == {"type": "string", "title": "Visit", "enum": ["am", "pm"]}
    assert "visit_on" not in fields["required"]
    edit.remove_field(draft, "amount")
    assert "amount" not in fields["properties"] and "amount" not in draft["definition"]["ui"]["order"]
    with pytest.raises(EditError, match="already is a field"):
        edit.set_field(draft, "company", kind="string", title="", options="", required=False, new=True)


def test_the_designer_offers_the_registered_actions_it_can_ask_for_in_one_input():
    from goldsieve import hookimpl
    from goldsieve.automation.actions import Action
    from goldsieve.plugin_manager import actions, make_plugin_manager

    class Ping:
        @hookimpl
        def goldsieve_actions(self):
            return [Action("ping_pager", {"type": "object", "required": ["pager"],
                                          "properties": {"pager": {"type": "string"}}}, print)]

    offered = edit.designer_actions(actions(make_plugin_manager(extra=[Ping()], entry_points=False)))
    assert offered["notify"] == "to" and offered["create_task"] == "title"
    assert offered["webhook"] == "channel" and offered["handoff"] is None
    assert offered["ping_pager"] == "pager"  # a plugin's action, with its own parameter
    assert "set_field" not in offered  # two required parameters: written in the JSON file


def test_automations(draft):
    triggers = ["stage_entered", "won"]
    offered = {"notify": "to", "create_task": "title", "handoff": None}
    edit.add_automation(draft, "ping", "stage_entered", "quote", "notify", "owner", triggers, offered)
    assert draft["definition"]["automations"][-1] == {
        "id": "ping", "on": "stage_entered", "stage": "quote", "do": [{"action": "notify", "to": "owner"}]}
    edit.add_automation(draft, "care", "won", "", "handoff", "", triggers, offered)
    assert draft["definition"]["automations"][-1]["do"] == [{"action": "handoff"}]
    with pytest.raises(EditError, match="unknown trigger"):
        edit.add_automation(draft, "x", "sometimes", "", "notify", "owner", triggers, offered)
    with pytest.raises(EditError, match="needs its title"):
        edit.add_automation(draft, "x", "won", "", "create_task", " ", triggers, offered)
    with pytest.raises(EditError, match="unknown action"):
        edit.add_automation(draft, "x", "won", "", "set_field", "a", triggers, offered)
    edit.remove_automation(draft, "ping")
    assert all(a["id"] != "ping" for a in draft["definition"]["automations"])

"""The designer's edits on plain JSON: each changes what it is about and fills in the map."""
from __future__ import annotations

import copy
import json

import pytest

from goldsieve import hookimpl
from goldsieve.automation.actions import Action
from goldsieve.funnels import edit, edit_automations, edit_fields
from goldsieve.funnels.drafts import candidate
from goldsieve.funnels.edit import EditError
from goldsieve.funnels.edit_fields import FieldForm
from goldsieve.plugin_manager import actions, make_plugin_manager


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


def test_a_split_under_new_ids_carries_the_target_and_the_automations():
    definition = {"stages": [{"id": "negotiation", "kind": "open"}], "targets": {"negotiation": 0.6},
                  "automations": [{"id": "a", "on": "stage_entered", "stage": "negotiation", "do": []}]}
    draft = {"definition": definition, "map": {}, "base_stages": ["negotiation"]}
    edit.split_stage(draft, "negotiation", ["terms", "signing"])
    assert definition["targets"] == {"terms": 0.6} and definition["automations"][0]["stage"] == "terms"
    assert draft["map"] == {"negotiation": "terms"}


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
    edit_fields.set_field(draft["definition"], "visit_on", FieldForm(kind="date", titles={"en": "Visit"}, required=True), new=True)
    fields = draft["definition"]["fields"]
    assert fields["properties"]["visit_on"] == {"type": "string", "format": "date", "title": "Visit"}
    assert "visit_on" in fields["required"]
    edit_fields.set_field(draft["definition"], "visit_on", FieldForm(titles={"en": "Visit"}, choices=[("am", {}), ("pm", {})]),
                          new=False)
    assert fields["properties"]["visit_on"] == {"type": "string", "title": "Visit", "enum": ["am", "pm"]}
    assert "visit_on" not in fields["required"]
    edit_fields.remove_field(draft["definition"], "amount")
    assert "amount" not in fields["properties"] and "amount" not in draft["definition"]["ui"]["order"]
    with pytest.raises(EditError, match="already is a field"):
        edit_fields.set_field(draft["definition"], "company", FieldForm(), new=True)


def test_a_field_in_two_languages_with_labelled_choices_a_format_a_widget_and_help(draft):
    form = FieldForm(kind="string", titles={"en": "Channel", "zh-Hans": "渠道"},
                     choices=[("retail", {"en": "Retail", "zh-Hans": "零售"}), ("", {}), ("online", {})],
                     widget="radio", help={"en": "Where it sells", "zh-Hans": ""})
    edit_fields.set_field(draft["definition"], "channel", form, new=True)
    schema = draft["definition"]["fields"]["properties"]["channel"]
    assert schema == {"type": "string", "title": {"en": "Channel", "zh-Hans": "渠道"},
                      "oneOf": [{"const": "retail", "title": {"en": "Retail", "zh-Hans": "零售"}},
                                {"const": "online"}]}
    ui = draft["definition"]["ui"]
    assert ui["widgets"]["channel"] == "radio" and ui["help"]["channel"] == "Where it sells"
    assert edit_fields.choices_of(schema)[0] == ("retail", {"en": "Retail", "zh-Hans": "零售", "zh-Hant": ""})
    edit_fields.set_field(draft["definition"], "channel", FieldForm(titles={"en": "Channel"}), new=False)
    assert "oneOf" not in draft["definition"]["fields"]["properties"]["channel"]
    ui = draft["definition"]["ui"]
    assert "channel" not in ui.get("widgets", {}) and "channel" not in ui.get("help", {})


@pytest.mark.parametrize("form, message", [
    (FieldForm(kind="list"), "type is one of"),
    (FieldForm(kind="number", format="email"), "format is for a text field"),
    (FieldForm(widget="spinner"), "unknown widget"),
    (FieldForm(kind="number", choices=[("1", {}), ("1.0", {})]), "listed twice"),
    (FieldForm(titles={"en": "bad\x00title"}), "without NUL"),
    (FieldForm(titles={"en": "x" * 201}), "at most 200 characters"),
])
def test_bad_fields_are_refused_and_change_nothing(draft, form, message):
    before = copy.deepcopy(draft)
    with pytest.raises(EditError, match=message):
        edit_fields.set_field(draft["definition"], "newone", form, new=True)
    assert draft == before


def test_lost_reasons_in_two_languages(draft):
    edit_fields.set_lost_reason(draft, "timing", {"en": "Too dear", "zh-Hans": "太贵"}, new=True)
    assert draft["definition"]["lost_reasons"][-1] == {"id": "timing", "title": {"en": "Too dear", "zh-Hans": "太贵"}}
    with pytest.raises(EditError, match="already is a lost reason"):
        edit_fields.set_lost_reason(draft, "timing", {"en": "x"}, new=True)
    edit_fields.remove_lost_reason(draft, "timing")
    assert all(r["id"] != "timing" for r in draft["definition"].get("lost_reasons", []))


def test_a_stage_gets_titles_per_language_a_kind_and_a_target(draft):
    edit.update_stage(draft, "quote", title={"en": "Quote", "zh-Hans": "报价", "zh-Hant": ""}, probability="0.5",
                      rot_days="7", required=[], condition=None, applies_when=None, target="0.4")
    stage = draft["definition"]["stages"][3]
    assert stage["title"] == {"en": "Quote", "zh-Hans": "报价"} and draft["definition"]["targets"]["quote"] == 0.4
    edit.update_stage(draft, "quote", title={"en": "Quote"}, probability="0.5", rot_days="7", required=[],
                      condition=None, applies_when=None, target="")
    assert "targets" not in draft["definition"] or "quote" not in draft["definition"]["targets"]
    for bad in ("1.5", "nan", "1e400"):
        with pytest.raises(EditError):
            edit.update_stage(draft, "quote", title={"en": "Quote"}, probability="0.5", rot_days="7", required=[],
                              condition=None, applies_when=None, target=bad)


def test_removing_a_stage_carries_its_automations_or_says_it_drops_them(draft):
    edit.remove_stage(draft, "negotiation", "quote")
    assert draft["definition"]["automations"][0]["stage"] == "quote"
    assert edit.remove_stage(draft, "quote", None) == ["tell-manager", "quote-stale"]
    assert all(a.get("stage") != "quote" for a in draft["definition"].get("automations", []))


class Ping:
    @hookimpl
    def goldsieve_actions(self):
        return [Action("ping_pager", {"type": "object", "required": ["pager"], "properties": {
            "pager": {"type": "string"}, "loud": {"type": "boolean"}, "times": {"type": "integer", "maximum": 5},
            "tone": {"enum": ["beep", "chime"]}}}, print)]


@pytest.fixture
def registry():
    return actions(make_plugin_manager(extra=[Ping()], entry_points=False))


def test_every_action_gets_inputs_from_its_declared_schema(registry):
    kinds = {name: {spec.name: spec.kind for spec in edit_automations.param_inputs(action.params)}
             for name, action in registry.items()}
    assert kinds["notify"] == {"to": "recipients", "message": "text", "channel": "text"}
    assert kinds["create_task"] == {"title": "text", "due_days": "number", "business_days": "tick",
                                    "assignee": "recipients"}
    assert kinds["set_field"] == {"field": "field", "value": "value"}
    assert kinds["ping_pager"] == {"pager": "text", "loud": "tick", "times": "number", "tone": "choice"}
    notify = edit_automations.param_inputs(registry["notify"].params)[0]
    assert notify.required and notify.many


def test_parameters_are_read_back_typed_and_checked_by_the_schema(registry, draft):
    fields = draft["definition"]["fields"]["properties"]
    read = edit_automations.read_params
    assert read(registry["notify"], {"to": ["owner", "role:manager"], "message": [""]}, fields) == {
        "action": "notify", "to": ["owner", "role:manager"]}
    assert read(registry["notify"], {"to": ["manager"]}, fields) == {"action": "notify", "to": "manager"}
    assert read(registry["create_task"], {"title": ["Call"], "due_days": ["3"]}, fields) == {
        "action": "create_task", "title": "Call", "due_days": 3}
    assert read(registry["set_field"], {"field": ["amount"], "value": ["1200"]}, fields) == {
        "action": "set_field", "field": "amount", "value": 1200}
    assert read(registry["ping_pager"], {"pager": ["p1"], "loud": ["1"], "tone": ["chime"]}, fields) == {
        "action": "ping_pager", "pager": "p1", "loud": True, "tone": "chime"}
    for action, sent, message in [
        ("notify", {"to": []}, "needs its to"),
        ("notify", {"to": ["manger"]}, "not one the action notify takes"),
        ("create_task", {"title": ["x"], "due_days": ["-1"]}, "not one the action"),
        ("create_task", {"title": ["x"], "due_days": ["1e400"]}, "is not a number"),
        ("ping_pager", {"pager": ["p"], "times": ["9"]}, "not one the action"),
        ("ping_pager", {"pager": ["p"], "tone": ["boom"]}, "choose one of"),
        ("set_field", {"field": ["nope"], "value": ["1"]}, "no field"),
    ]:
        with pytest.raises(EditError, match=message):
            read(registry[action], sent, fields)


def test_automations(draft, registry):
    triggers = ["stage_entered", "won", "field_changed"]
    step = {"action": "notify", "to": "owner"}
    edit_automations.add_automation(draft, "ping", "stage_entered", triggers, stage="quote", step=step,
                                    condition=("amount", "at_least", "1000"))
    assert draft["definition"]["automations"][-1] == {
        "id": "ping", "on": "stage_entered", "stage": "quote",
        "if": {"properties": {"amount": {"minimum": 1000}}, "required": ["amount"]}, "do": [step]}
    edit_automations.add_automation(draft, "watch", "field_changed", triggers, field="amount", step=step)
    assert draft["definition"]["automations"][-1]["field"] == "amount"
    with pytest.raises(EditError, match="unknown trigger"):
        edit_automations.add_automation(draft, "x", "sometimes", triggers, step=step)
    with pytest.raises(EditError, match="which field"):
        edit_automations.add_automation(draft, "x", "field_changed", triggers, field="nope", step=step)
    with pytest.raises(EditError, match="already is an automation"):
        edit_automations.add_automation(draft, "ping", "won", triggers, step=step)
    edit_automations.remove_automation(draft, "ping")
    assert all(a["id"] != "ping" for a in draft["definition"]["automations"])


def test_saving_a_field_unchanged_keeps_its_keys_in_place(draft):
    schema = {"type": "string", "enum": ["a", "b"], "title": {"zh-Hans": "甲", "en": "A"}, "x-note": 1}
    draft["definition"]["fields"]["properties"]["letter"] = dict(schema)
    form = FieldForm(titles={"en": "A", "zh-Hans": "甲", "zh-Hant": ""}, choices=[("a", {}), ("b", {}), ("", {})])
    edit_fields.set_field(draft["definition"], "letter", form, new=False)
    assert json.dumps(draft["definition"]["fields"]["properties"]["letter"]) == json.dumps(schema)

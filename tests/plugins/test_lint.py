"""Funnel lint (plugins/lint.py): each rule fires on a funnel that breaks it, at the right
pointer, and stays quiet on one that does not; lint is its own pass, through the hook."""
from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from goldsieve.checking import check_paths
from goldsieve.cli import cli
from goldsieve.funnels.check import check_definition
from goldsieve.plugin_manager import lint, make_plugin_manager
from goldsieve.plugins import lint as builtin

CLEAN = {
    "id": "clinic",
    "title": "Clinic supplies",
    "version": 1,
    "fields": {
        "type": "object",
        "properties": {
            "company": {"type": "string", "minLength": 1},
            "amount": {"type": "number", "minimum": 0, "maximum": 5000000},
            "segment": {"type": "string", "enum": ["hospital", "clinic", "lab"]},
            "needs": {"type": "string"},
            "quote_no": {"type": "string"},
            "erp_id": {"type": "string"},
        },
        "required": ["company"],
    },
    "ui": {"hidden": ["erp_id"]},
    "stages": [
        {"id": "lead", "title": "Lead", "kind": "open", "probability": 0.05, "rot_days": 30},
        {"id": "needs", "title": "Needs", "kind": "open", "probability": 0.2, "rot_days": 14,
         "gate": {"required": ["needs"]}},
        {"id": "visit", "title": "Visit", "kind": "open", "probability": 0.4, "rot_days": 14,
         "applies_when": {"properties": {"amount": {"minimum": 1000000}}, "required": ["amount"]}},
        {"id": "quote", "title": "Quote", "kind": "open", "probability": 0.5, "rot_days": 7,
         "gate": {"required": ["amount", "quote_no"]}},
        {"id": "closing", "title": "Closing", "kind": "open", "probability": 0.8, "rot_days": 7},
        {"id": "won", "title": "Won", "kind": "won", "probability": 1},
        {"id": "lost", "title": "Lost", "kind": "lost", "probability": 0},
    ],
    "lost_reasons": [{"id": "price", "title": "Price"}],
    "automations": [
        {"id": "visit-stale", "on": "stale", "stage": "visit", "do": [{"action": "notify", "to": "owner"}]},
        {"id": "clinic-won", "on": "stage_entered", "stage": "quote",
         "if": {"properties": {"segment": {"const": "clinic"}}, "required": ["segment"]},
         "do": [{"action": "notify", "to": "role:manager"}]},
        {"id": "amount-changed", "on": "field_changed", "field": "amount",
         "do": [{"action": "create_task", "title": "Update the forecast", "due_days": 2}]},
        {"id": "reopened", "on": "stage_left", "stage": "lost", "do": [{"action": "notify", "to": "owner"}]},
    ],
}


def funnel() -> dict:
    return copy.deepcopy(CLEAN)


def warnings(definition: dict) -> list[tuple[str, str]]:
    """(pointer, message) of every finding of the built-in lint; the definition must be valid."""
    assert [f for f in check_definition(definition) if f.severity == "error"] == []
    found = builtin.goldsieve_lint_funnel(definition)
    assert all(f.severity == "warning" and f.hint for f in found)
    return [(f.pointer, f.message) for f in found]


def pointers(definition: dict) -> list[str]:
    return [pointer for pointer, _ in warnings(definition)]


def stage(definition: dict, stage_id: str) -> dict:
    return next(s for s in definition["stages"] if s["id"] == stage_id)


def test_the_clean_funnel_is_clean():
    assert warnings(funnel()) == []


# --- one test per rule: a funnel that triggers it, one that does not ---------------------------


def add_open_stages(definition: dict, count: int) -> None:
    closing = next(i for i, s in enumerate(definition["stages"]) if s["id"] == "closing")
    for n in range(count):
        definition["stages"].insert(closing + 1 + n, {
            "id": f"step{n}", "title": f"Step {n}", "kind": "open", "probability": 0.8, "rot_days": 7})


def test_twelve_open_stages_are_too_many():
    d = funnel()
    add_open_stages(d, 7)
    found = warnings(d)
    assert [p for p, _ in found] == ["/stages"]
    assert found[0][1].startswith("12 open stages")
    seven = funnel()
    add_open_stages(seven, 2)
    assert pointers(seven) == []


def test_four_open_stages_are_too_few():
    d = funnel()
    d["stages"] = [s for s in d["stages"] if s["id"] != "closing"]
    assert pointers(d) == ["/stages"]


def test_falling_probabilities():
    d = funnel()
    stage(d, "quote")["probability"] = 0.1  # below needs (0.2) and visit (0.4)
    assert pointers(d) == ["/stages/3/probability"]
    level = funnel()
    stage(level, "quote")["probability"] = 0.4  # the same as the stage before: not falling
    assert pointers(level) == []


def test_an_open_stage_without_rot_days():
    d = funnel()
    del stage(d, "closing")["rot_days"]
    assert pointers(d) == ["/stages/4"]
    closed = funnel()
    assert "rot_days" not in stage(closed, "won") and pointers(closed) == []


def test_a_lost_stage_without_reasons():
    d = funnel()
    del d["lost_reasons"]
    assert pointers(d) == ["/stages/6"]
    assert pointers(funnel()) == []


def test_two_stages_with_identical_gates():
    d = funnel()
    stage(d, "closing")["gate"] = {"required": ["quote_no", "amount"]}  # the order does not matter
    assert pointers(d) == ["/stages/4/gate"]
    different = funnel()
    stage(different, "closing")["gate"] = {"required": ["amount", "quote_no"],
                                           "properties": {"amount": {"exclusiveMinimum": 0}}}
    assert pointers(different) == []


@pytest.mark.parametrize("change, source", [
    # the condition asks for more than the field allows
    (lambda d: stage(d, "visit")["applies_when"]["properties"]["amount"].update(minimum=6000000),
     "/fields/properties/amount"),
    # an enum sharing nothing with the field's
    (lambda d: stage(d, "visit").update(applies_when={
        "properties": {"segment": {"enum": ["pharmacy", "vet"]}}, "required": ["segment"]}),
     "/fields/properties/segment"),
    # a gate before it caps what the condition demands
    (lambda d: stage(d, "needs")["gate"].update(properties={"amount": {"maximum": 500000}}, required=["needs", "amount"]),
     "/stages/1/gate/properties/amount"),
])
def test_a_conditional_stage_no_deal_can_reach(change, source):
    d = funnel()
    change(d)
    found = warnings(d)
    # the stale automation of that stage can never fire either
    assert [p for p, _ in found] == ["/stages/2/applies_when", "/automations/0/stage"]
    assert source in found[0][1] and "/stages/2/applies_when/properties/" in found[0][1]


LABELLED = {"type": "string", "oneOf": [{"const": "hospital", "title": {"en": "Hospital", "zh-Hans": "医院"}},
                                        {"const": "clinic", "title": {"en": "Clinic", "zh-Hans": "诊所"}}]}


@pytest.mark.parametrize("asked, unreachable", [(["pharmacy", "vet"], True), (["clinic", "vet"], False)])
def test_a_labelled_choice_field_limits_a_conditional_stage_as_an_enum_does(asked, unreachable):
    d = funnel()
    d["fields"]["properties"]["segment"] = LABELLED
    stage(d, "visit")["applies_when"] = {"properties": {"segment": {"enum": asked}}, "required": ["segment"]}
    found = warnings(d)
    if unreachable:
        assert [p for p, _ in found] == ["/stages/2/applies_when", "/automations/0/stage"]
        assert "/fields/properties/segment" in found[0][1]
    else:
        assert found == []


def test_a_conditional_stage_some_deals_reach():
    d = funnel()
    # bounds that overlap: from 1,000,000 (the condition) to 5,000,000 (the field)
    stage(d, "needs")["gate"] = {"required": ["needs", "amount"], "properties": {"amount": {"minimum": 1}}}
    assert pointers(d) == []
    # above the field's maximum, but without `required` a deal without an amount matches
    d = funnel()
    stage(d, "visit")["applies_when"] = {"properties": {"amount": {"minimum": 9000000}}}
    assert pointers(d) == []


def test_an_automation_on_an_unreachable_stage():
    d = funnel()
    stage(d, "visit")["applies_when"]["properties"]["amount"]["minimum"] = 6000000
    assert pointers(d) == ["/stages/2/applies_when", "/automations/0/stage"]


def test_stage_left_on_a_closed_stage_fires_only_when_deals_can_be_reopened():
    d = funnel()
    d["transitions"] = {"reopen": False}
    assert pointers(d) == ["/automations/3/stage"]
    d["transitions"] = {"reopen": True}
    assert pointers(d) == []


def test_stale_on_a_stage_that_never_goes_stale():
    d = funnel()
    del stage(d, "visit")["rot_days"]
    assert pointers(d) == ["/stages/2", "/automations/0/stage"]
    d = funnel()
    d["automations"][0]["stage"] = "won"
    assert pointers(d) == ["/automations/0/stage"]


def test_an_automation_whose_if_contradicts_the_fields():
    d = funnel()
    d["automations"][1]["if"] = {"properties": {"segment": {"const": "dentist"}}, "required": ["segment"]}
    found = warnings(d)
    assert [p for p, _ in found] == ["/automations/1/if"]
    assert "`segment`" in found[0][1] and "/fields/properties/segment" in found[0][1]
    # entering the quote stage needs an amount; an `if` on a negative one clashes with the field
    d = funnel()
    d["automations"][1]["if"] = {"properties": {"amount": {"maximum": -1}}}
    assert pointers(d) == ["/automations/1/if"]
    d["automations"][1]["on"] = "field_changed"  # no gate on the way: the amount may be absent
    d["automations"][1]["field"] = "needs"
    del d["automations"][1]["stage"]
    assert pointers(d) == []


def test_field_changed_on_a_hidden_field():
    d = funnel()
    d["automations"][2]["field"] = "erp_id"
    assert pointers(d) == ["/automations/2/field"]
    assert pointers(funnel()) == []  # `amount` is shown


def test_a_gate_asking_for_a_hidden_field():
    d = funnel()
    stage(d, "quote")["gate"]["required"].append("erp_id")
    d["fields"]["required"].append("erp_id")
    assert pointers(d) == ["/fields/required/1", "/stages/3/gate/required/2"]
    shown = funnel()
    shown["ui"]["hidden"] = []
    stage(shown, "quote")["gate"]["required"].append("erp_id")
    assert pointers(shown) == []


# --- lint as a pass -----------------------------------------------------------------------------


def test_lint_is_a_default_plugin_and_a_pass_of_its_own(tmp_path):
    d = funnel()
    stage(d, "quote")["probability"] = 0.1
    assert check_definition(d) == []  # validation has no opinion on design
    assert [f.pointer for f in lint(make_plugin_manager(entry_points=False), d)] == ["/stages/3/probability"]
    path = tmp_path / "clinic.json"
    path.write_text(json.dumps(d), encoding="utf-8")
    findings, _ = check_paths([path])
    assert [(f.pointer, f.severity) for _, f in findings] == [("/stages/3/probability", "warning")]
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 0 and "/stages/3/probability: warning:" in result.output
    strict = CliRunner().invoke(cli, ["check", "--strict", str(path)])
    assert strict.exit_code == 1 and "/stages/3/probability: error:" in strict.output
    assert "(a later stage is normally closer to winning" in strict.output  # the hint


def test_lint_does_not_run_on_an_invalid_definition(tmp_path):
    d = funnel()
    stage(d, "quote")["probability"] = 0.1
    stage(d, "quote")["gate"]["required"].append("no_such_field")
    path = tmp_path / "clinic.json"
    path.write_text(json.dumps(d), encoding="utf-8")
    findings, _ = check_paths([path])
    assert [(f.pointer, f.severity) for _, f in findings] == [("/stages/3/gate/required/2", "error")]


# --- funnels no test wrote by hand ----------------------------------------------------------------


def resolve(document: object, pointer: str) -> object:
    for part in pointer.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        document = document[int(part)] if isinstance(document, list) else document[part]
    return document


@st.composite
def generated_funnels(draw) -> tuple[dict, list[float], int | None]:
    """A valid funnel with N open stages, random probabilities, and maybe one conditional stage
    whose condition asks for more than the amount field allows."""
    count = draw(st.integers(1, 12))
    probabilities = draw(st.lists(st.sampled_from([0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9]),
                                  min_size=count, max_size=count))
    cap = draw(st.integers(1, 10)) * 100000
    dead = draw(st.none() | st.integers(1, count - 1)) if count > 1 else None
    stages = [{"id": f"s{i}", "title": f"Stage {i}", "kind": "open", "probability": p, "rot_days": 5}
              for i, p in enumerate(probabilities)]
    if dead is not None:
        stages[dead]["applies_when"] = {"properties": {"amount": {"minimum": cap + draw(st.integers(1, 10**6))}},
                                        "required": ["amount"]}
    stages += [{"id": "won", "title": "Won", "kind": "won", "probability": 1},
               {"id": "lost", "title": "Lost", "kind": "lost", "probability": 0}]
    definition = {"id": "gen", "title": "Generated", "version": 1,
                  "fields": {"type": "object", "properties": {"amount": {"type": "number", "maximum": cap}}},
                  "stages": stages, "lost_reasons": [{"id": "price", "title": "Price"}]}
    return definition, probabilities, dead


@settings(max_examples=60, deadline=None)
@given(generated_funnels())
def test_lint_on_generated_funnels(generated):
    definition, probabilities, dead = generated
    found = warnings(definition)
    for pointer, _ in found:
        resolve(definition, pointer)  # every pointer points into the definition
    expected = [] if 5 <= len(probabilities) <= 7 else ["/stages"]
    expected += [f"/stages/{i}/probability" for i in range(1, len(probabilities))
                 if probabilities[i] < probabilities[i - 1]]
    expected += [] if dead is None else [f"/stages/{dead}/applies_when"]
    assert sorted(p for p, _ in found) == sorted(expected)

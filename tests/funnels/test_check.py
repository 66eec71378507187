"""The funnel checker: clean templates stay clean, and each mistake is reported where it is."""
from __future__ import annotations

import copy
import json
import random

import pytest
from jsonschema import Draft202012Validator

from goldsieve.funnels.check import Finding, check_definition, check_file
from goldsieve.schemas import meta_schema, template_files

TEMPLATES = template_files()


def load(name: str = "software") -> dict:
    path = next(p for p in TEMPLATES if p.stem == name)
    return json.loads(path.read_text(encoding="utf-8"))


def errors(definition: object) -> list[Finding]:
    return [f for f in check_definition(definition) if f.severity == "error"]


def at(definition: object, pointer: str) -> Finding:
    found = [f for f in errors(definition) if f.pointer == pointer]
    assert found, f"no error at {pointer!r}; got {check_definition(definition)}"
    return found[0]


def stage_index(definition: dict, stage_id: str) -> int:
    return next(i for i, s in enumerate(definition["stages"]) if s["id"] == stage_id)


# --- the bundled documents -------------------------------------------------------------------

def test_meta_schema_is_a_valid_json_schema():
    Draft202012Validator.check_schema(meta_schema())
    assert meta_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_both_templates_are_bundled():
    assert {p.stem for p in TEMPLATES} >= {"software", "fmcg"}


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_template_is_clean(path):
    assert check_file(path) == []


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_template_is_bilingual_and_sized_sensibly(path):
    definition = json.loads(path.read_text(encoding="utf-8"))
    texts = [definition["title"]]
    texts += [s["title"] for s in definition["stages"]]
    texts += [r["title"] for r in definition["lost_reasons"]]
    texts += [p["title"] for p in definition["fields"]["properties"].values()]
    for text in texts:
        assert set(text) == {"en", "zh-Hans"}, text
    kinds = [s["kind"] for s in definition["stages"]]
    assert 5 <= kinds.count("open") <= 7
    assert kinds.count("won") == 1 and kinds.count("lost") == 1


# --- each mistake at its pointer ---------------------------------------------------------------

def test_gate_naming_an_unknown_field():
    d = load()
    i = stage_index(d, "quote")
    d["stages"][i]["gate"] = {"required": ["quote_nr"]}
    finding = at(d, f"/stages/{i}/gate/required/0")
    assert "quote_nr" in finding.message
    assert finding.hint == "did you mean `quote_no`?"


def test_gate_property_naming_an_unknown_field():
    d = load()
    i = stage_index(d, "quote")
    d["stages"][i]["gate"] = {"properties": {"amont": {"minimum": 1}}}
    assert at(d, f"/stages/{i}/gate/properties/amont").hint == "did you mean `amount`?"


def test_applies_when_naming_an_unknown_field():
    d = load()
    i = stage_index(d, "exec_visit")
    d["stages"][i]["applies_when"] = {"properties": {"amout": {"minimum": 1000000}}, "required": ["amout"]}
    assert at(d, f"/stages/{i}/applies_when/properties/amout").hint == "did you mean `amount`?"
    assert at(d, f"/stages/{i}/applies_when/required/0").hint == "did you mean `amount`?"


def test_invalid_gate_schema():
    d = load()
    d["stages"][1]["gate"] = {"required": "needs_survey"}
    assert at(d, "/stages/1/gate/required")


def test_duplicate_stage_id():
    d = load()
    d["stages"][3]["id"] = "demo"
    first = stage_index(d, "demo")
    finding = at(d, "/stages/3/id")
    assert "demo" in finding.message and f"/stages/{first}" in finding.message


def test_no_won_stage():
    d = load()
    d["stages"] = [s for s in d["stages"] if s["kind"] != "won"]
    d["targets"].pop("won")
    assert "won" in at(d, "/stages").message


def test_no_lost_and_no_open_stage():
    d = load()
    d["stages"] = [{"id": "won", "title": "Won", "kind": "won"}, {"id": "won2", "title": "Won too", "kind": "won"}]
    del d["targets"], d["automations"]
    messages = [f.message for f in errors(d) if f.pointer == "/stages"]
    assert any("`open`" in m for m in messages) and any("`lost`" in m for m in messages)


def test_probability_outside_zero_to_one():
    d = load()
    d["stages"][2]["probability"] = 35
    assert "between 0 and 1" in at(d, "/stages/2/probability").message


def test_invalid_type_inside_fields():
    d = load()
    d["fields"]["properties"]["amount"]["type"] = "nmber"
    finding = at(d, "/fields/properties/amount/type")
    assert finding.hint == "did you mean `number`?"


def test_misspelt_keyword_inside_fields():
    d = load()
    d["fields"]["properties"]["amount"]["minimun"] = 0
    assert at(d, "/fields/properties/amount/minimun").hint == "did you mean `minimum`?"


def test_fields_required_names_a_declared_field():
    d = load()
    d["fields"]["required"] = ["company", "compnay"]
    assert at(d, "/fields/required/1").hint == "did you mean `company`?"


def test_unknown_top_level_key_with_hint():
    d = load()
    d["lost_reason"] = d.pop("lost_reasons")
    finding = at(d, "/lost_reason")
    assert finding.hint == "did you mean `lost_reasons`?"


def test_unknown_stage_key_with_hint():
    d = load()
    d["stages"][1]["rot_day"] = d["stages"][1].pop("rot_days")
    assert at(d, "/stages/1/rot_day").hint == "did you mean `rot_days`?"


def test_bad_kind_with_hint():
    d = load()
    d["stages"][-2]["kind"] = "wom"
    assert at(d, f"/stages/{len(d['stages']) - 2}/kind").hint == "did you mean `won`?"


def test_duplicate_lost_reason_ids():
    d = load()
    d["lost_reasons"].append({"id": "price", "title": "Too expensive"})
    at(d, f"/lost_reasons/{len(d['lost_reasons']) - 1}/id")


def test_references_to_stages_and_fields():
    d = load()
    d["ui"]["order"][0] = "compani"
    d["ui"]["widgets"]["needs_servey"] = "textarea"
    d["targets"]["quotes"] = 0.5
    d["automations"][0]["stage"] = "negociation"
    d["automations"].append({"id": "amount-changed", "on": "field_changed", "do": [{"action": "notify"}]})
    at(d, "/ui/order/0")
    at(d, "/ui/widgets/needs_servey")
    assert at(d, "/targets/quotes").hint == "did you mean `quote`?"
    assert at(d, "/automations/0/stage").hint == "did you mean `negotiation`?"
    assert "`field`" in at(d, f"/automations/{len(d['automations']) - 1}").message


def test_migration_from_a_newer_version():
    d = load()
    d["migration"] = {"from_version": d["version"], "map": {"proposal": "quote", "old": "gone"}}
    at(d, "/migration/from_version")
    at(d, "/migration/map/old")


def test_pointer_escapes_slash_and_tilde():
    d = load()
    d["ui"]["help"]["a/b~c"] = "help"
    at(d, "/ui/help/a~1b~0c")


def test_translated_field_titles_are_fine_but_bad_translations_are_not():
    d = load()
    d["fields"]["properties"]["amount"]["title"] = {"en": "Amount", "zh-Hans": 3}
    assert errors(d)


def test_warnings_do_not_count_as_errors():
    d = load()
    won = stage_index(d, "won")
    d["stages"][won]["rot_days"] = 3  # a closed deal never goes stale
    findings = check_definition(d)
    assert findings and all(f.severity == "warning" for f in findings)
    assert findings[0].pointer == f"/stages/{won}/rot_days"


def test_a_declared_bound_past_the_number_limit_is_flagged_where_it_stands():
    """Every number is held within ±10^15 (goldsieve.limits): a wider bound only misleads."""
    d = load()
    props = d["fields"]["properties"]
    props["amount"]["maximum"] = 10**18
    props["seats_used"] = {"type": "array", "items": {"type": "integer", "exclusiveMinimum": -1e300}}
    props["margin"] = {"type": "number", "minimum": -10**15, "maximum": 10**15}  # the limit: fine
    found = [(f.pointer, f.severity) for f in check_definition(d)]
    assert found == [("/fields/properties/amount/maximum", "warning"),
                     ("/fields/properties/seats_used/items/exclusiveMinimum", "warning")]
    assert "1,000,000,000,000,000" in check_definition(d)[0].message


def test_design_advice_is_left_to_lint():
    """Falling probabilities and missing lost reasons are lint's (plugins/lint.py), not validation's."""
    d = load()
    d["stages"][1]["probability"] = 0.01
    del d["lost_reasons"]
    assert check_definition(d) == []


@pytest.mark.parametrize("value", [None, [], "funnel", 3, True, [{"id": "x"}]])
def test_non_object_definition(value):
    assert [(f.pointer, f.severity) for f in check_definition(value)] == [("", "error")]


def test_empty_object_lists_what_is_required():
    messages = {f.message for f in check_definition({})}
    assert {"`id` is required here", "`stages` is required here"} <= messages


def test_never_raises_on_any_value_anywhere():
    """Replace values of a template by values of every JSON type: findings, never an exception."""
    base = load()
    replacements = [None, [], {}, "", "x y", 0, -1, 2.5, True, [{}], {"a/b": None}]

    def pointers(value, path=()):
        yield path
        children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, sub in children:
            yield from pointers(sub, (*path, key))

    cases = [(path, r) for path in list(pointers(base))[1:] for r in replacements]
    # a fixed sample keeps the test fast; every case passes when run exhaustively (about 20 s)
    for path, replacement in random.Random(20).sample(cases, 600):
        d = copy.deepcopy(base)
        target = d
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = replacement
        assert isinstance(check_definition(d), list)


# --- files ---------------------------------------------------------------------------------------

def test_invalid_json_reports_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "id": "x",\n  "title": "X"\n  "version": 1\n}\n', encoding="utf-8")
    [finding] = check_file(path)
    assert finding.pointer == ""
    assert "line 4" in finding.message and "column 3" in finding.message


def test_missing_file(tmp_path):
    [finding] = check_file(tmp_path / "nope.json")
    assert finding.pointer == "" and "cannot read" in finding.message


def test_duplicate_key_in_file(tmp_path):
    d = load()
    text = json.dumps(d, ensure_ascii=False).replace('"kind": "open"', '"kind": "open", "kind": "won"', 1)
    path = tmp_path / "dup.json"
    path.write_text(text, encoding="utf-8")
    assert any(f.pointer == "/stages/0/kind" and "more than once" in f.message for f in check_file(path))


def test_extra_fields_is_a_boolean_and_a_contradiction_is_a_warning():
    d = load()
    assert check_definition({**d, "extra_fields": True}) == check_definition(d)
    assert at({**d, "extra_fields": "yes"}, "/extra_fields")
    closed = copy.deepcopy(d)
    closed["fields"]["additionalProperties"] = False
    [finding] = [f for f in check_definition({**closed, "extra_fields": True}) if f.pointer == "/extra_fields"]
    assert finding.severity == "warning" and "additionalProperties" in finding.message
    assert not [f for f in check_definition(closed) if f.pointer == "/extra_fields"]

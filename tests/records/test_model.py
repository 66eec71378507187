"""Declared record types: the meta-schema's findings, the semantic checks, defaults, loading."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from goldsieve.cli import cli
from goldsieve.errors import DefinitionError
from goldsieve.records.check import check_record
from goldsieve.records.model import DEFAULTS, load_types

CUSTOMER = {
    "title": {"en": "Hospital", "zh-Hans": "医院"},
    "fields": {"type": "object", "properties": {
        "grade": {"type": "string", "enum": ["3A", "2A"], "title": {"en": "Grade", "zh-Hans": "等级"}},
        "credit_code": {"type": "string", "title": "Credit code"},
    }},
    "ui": {"order": ["grade", "credit_code"]},
    "match": ["name", "credit_code"],
}
CONTACT = {
    "fields": {"type": "object", "properties": {"phone": {"type": "string"}}},
    "roles": [{"id": "decision_maker", "title": {"en": "Decision maker", "zh-Hans": "决策人"}},
              {"id": "user", "title": {"en": "User", "zh-Hans": "使用人"}}],
}


def pointers(findings) -> list[str]:
    return [f.pointer for f in findings]


def write(folder: Path, kind: str, definition: object) -> Path:
    (folder / "records").mkdir(parents=True, exist_ok=True)
    path = folder / "records" / f"{kind}.json"
    path.write_text(json.dumps(definition), encoding="utf-8")
    return path


def test_valid_declarations_have_no_findings():
    assert check_record(CUSTOMER, "customer") == []
    assert check_record(CONTACT, "contact") == []


def test_shape_errors_point_into_the_file_with_hints():
    found = check_record({"fields": {"type": "object", "properties": {}}, "title": 5,
                          "roles": [{"id": "Bad"}], "colour": "red"}, "contact")
    assert set(pointers(found)) == {"/colour", "/roles/0", "/roles/0/id", "/title"}
    title = next(f for f in found if f.pointer == "/title")
    assert "zh-Hans" in title.hint


def test_semantic_errors_name_the_undeclared_field_and_the_wrong_kind():
    bad = {**CUSTOMER, "ui": {"order": ["grde"]}, "match": ["name", "phone"],
           "roles": CONTACT["roles"]}
    found = check_record(bad, "customer")
    assert pointers(found) == ["/ui/order/0", "/roles", "/match/1"]
    assert found[0].hint == "did you mean `grade`?"
    assert "not a field of this customer record" in found[2].message
    contact = check_record({**CONTACT, "match": ["name"],
                            "roles": CONTACT["roles"] + [{"id": "user", "title": "Staff"}]}, "contact")
    assert pointers(contact) == ["/roles/2/id", "/match"]


def test_an_invalid_field_schema_is_reported_at_its_pointer():
    bad = {"fields": {"type": "object", "properties": {"size": {"type": "integr"}}}}
    [finding] = check_record(bad, "customer")
    assert finding.pointer == "/fields/properties/size/type" and "integer" in finding.hint


def test_a_declared_bound_past_the_number_limit_is_a_warning_as_in_a_funnel():
    wide = {"fields": {"type": "object", "properties": {"beds": {"type": "integer", "maximum": 10**16}}}}
    [finding] = check_record(wide, "customer")
    assert (finding.pointer, finding.severity) == ("/fields/properties/beds/maximum", "warning")


def test_defaults_when_nothing_is_declared(tmp_path):
    types = load_types(tmp_path)
    assert types.customer.match == ("name",) and types.customer.fields == DEFAULTS["customer"]["fields"]
    assert types.contact.role_ids == ()


def test_declared_types_are_loaded_and_compiled(tmp_path):
    write(tmp_path, "customer", CUSTOMER)
    write(tmp_path, "contact", CONTACT)
    types = load_types(tmp_path)
    assert types.customer.match == ("name", "credit_code")
    assert types.contact.role_ids == ("decision_maker", "user")
    assert not types.customer.validator.is_valid({"grade": "1A"})


def test_a_broken_file_refuses_to_load(tmp_path):
    path = write(tmp_path, "customer", {"fields": {"type": "object"}})
    with pytest.raises(DefinitionError) as error:
        load_types(tmp_path)
    assert str(path) in str(error.value) and "/fields" in str(error.value)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(DefinitionError, match="not valid JSON"):
        load_types(tmp_path)


def test_goldsieve_check_covers_the_record_files(tmp_path):
    folder = tmp_path / "ws"
    assert CliRunner().invoke(cli, ["init", "--template", "software", str(folder)]).exit_code == 0
    write(folder, "contact", CONTACT)
    assert CliRunner().invoke(cli, ["check", str(folder)]).exit_code == 0
    path = write(folder, "customer", {**CUSTOMER, "match": ["name", "vat"]})
    result = CliRunner().invoke(cli, ["check", str(folder)])
    assert result.exit_code == 1
    assert f"{path}: /match/1: error:" in result.output

"""The OpenAPI document as a reference people read (``/api/docs``): every operation has a
summary and a section, and every request body an example that the API would take."""
from __future__ import annotations

import json

import pytest

from goldsieve.funnels.validation import compile_schema, merge_data, violations
from goldsieve.schemas import template_files
from goldsieve.web.api import schemas
from goldsieve.web.api.openapi import EXAMPLES, TAGS, build_spec

OPERATIONS = [(path, method, operation) for path, item in build_spec()["paths"].items()
              for method, operation in item.items()]


@pytest.mark.parametrize("path, method, operation", OPERATIONS, ids=[f"{m} {p}" for p, m, _ in OPERATIONS])
def test_every_operation_has_a_summary_a_section_and_an_example_body(path, method, operation):
    assert operation.get("summary"), f"{method} {path} has no summary"
    assert operation["tags"] and set(operation["tags"]) <= set(TAGS.values())
    body = operation.get("requestBody")
    if body is not None:
        media = body["content"]["application/json"]
        name = media["schema"]["$ref"].rsplit("/", 1)[1]
        assert media["example"] == EXAMPLES[name]
        getattr(schemas, f"{name}Schema")().load(media["example"])  # raises on a wrong example
        assert "max_request_bytes" in operation["responses"]["413"]["description"]
    if "422" in operation["responses"]:
        assert "too_deep" in operation["responses"]["422"]["description"]


def test_the_deal_examples_fit_the_software_template():
    [software] = [p for p in template_files() if p.stem == "software"]
    funnel = json.loads(software.read_text("utf-8"))
    validator = compile_schema(funnel["fields"])
    created = EXAMPLES["DealCreate"]["data"]
    for name in ("DealCreate", "Lead", "DealPatch", "Move"):  # a patch or move changes the created deal
        data = merge_data(created, EXAMPLES[name]["data"]) if name in ("DealPatch", "Move") else EXAMPLES[name]["data"]
        assert violations(validator, data) == [], name
    stages = {stage["id"] for stage in funnel["stages"]}
    assert {EXAMPLES["Move"]["to"], EXAMPLES["Reopen"]["to"]} <= stages

"""docs/funnels.md keeps up with the meta-schema: every key is documented, every key described."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

import pytest

from goldsieve.schemas import meta_schema

DOC = Path(__file__).resolve().parents[2] / "docs" / "funnels.md"

_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_ONE = ("additionalProperties", "items", "contains", "not", "if", "then", "else", "propertyNames",
        "unevaluatedItems", "unevaluatedProperties")
_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")


def declared_properties(schema: Any, where: str = "#") -> Iterator[tuple[str, str, dict]]:
    """(location, property name, property schema) for every key under any `properties`."""
    if not isinstance(schema, dict):
        return
    for keyword in _MAPS:
        for name, sub in (schema.get(keyword) or {}).items():
            location = f"{where}/{keyword}/{name}"
            if keyword == "properties":
                yield location, name, sub
            yield from declared_properties(sub, location)
    for keyword in _ONE:
        yield from declared_properties(schema.get(keyword), f"{where}/{keyword}")
    for keyword in _LISTS:
        for i, sub in enumerate(schema.get(keyword) or []):
            yield from declared_properties(sub, f"{where}/{keyword}/{i}")


PROPERTIES = list(declared_properties(meta_schema()))


def test_walker_sees_nested_definitions():
    locations = {location for location, _, _ in PROPERTIES}
    assert "#/$defs/stage/properties/rot_days" in locations
    assert "#/$defs/automation/properties/do/items/properties/action" in locations
    assert "#/properties/ui/properties/widgets" in locations


@pytest.mark.parametrize("location, name", [(loc, name) for loc, name, _ in PROPERTIES])
def test_property_is_documented(location, name):
    assert f"`{name}`" in DOC.read_text(encoding="utf-8"), f"{location}: `{name}` is not in {DOC.name}"


@pytest.mark.parametrize("location, schema", [(loc, sub) for loc, _, sub in PROPERTIES])
def test_property_has_a_description(location, schema):
    assert isinstance(schema, dict) and str(schema.get("description", "")).strip(), \
        f"{location} has no description"


def json_blocks() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    return [block.split("```", 1)[0] for block in text.split("```json\n")[1:]]


def test_complete_example_is_clean():
    from goldsieve.funnels.check import check_definition

    example = json.loads(json_blocks()[0])
    assert check_definition(example) == []


@pytest.mark.parametrize("block", json_blocks())
def test_examples_are_json(block):
    # small examples are fragments of an object ("key": value) or a single stage/object
    text = block.strip()
    json.loads("{" + text + "}" if text.startswith('"') else text)


def test_the_doc_names_every_template_that_ships_and_counts_them_right():
    from goldsieve.plugin_manager import make_plugin_manager, templates

    shipped = sorted(templates(make_plugin_manager(entry_points=False)))
    text = DOC.read_text(encoding="utf-8")
    assert [t for t in shipped if f"`{t}`" not in text] == []
    counts = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    said = re.search(r"(\w+) ready-made (?:industry )?templates ship", text)
    assert said and said.group(1).lower() == counts[len(shipped) - 1]

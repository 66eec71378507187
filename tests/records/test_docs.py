"""docs/records.md keeps up with the record meta-schema: every key named, described, the example clean."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from goldsieve.records.check import check_record
from goldsieve.schemas import record_schema

DOC = (Path(__file__).resolve().parents[2] / "docs" / "records.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(set(record_schema()["properties"]) - {"$schema"}))
def test_every_key_is_documented_and_described(name):
    assert f"`{name}`" in DOC
    assert record_schema()["properties"][name].get("description")


def test_the_example_declaration_is_clean():
    [example] = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", DOC, re.S)
                 if '"fields"' in block]
    assert check_record(example, "customer") == []

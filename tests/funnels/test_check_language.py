"""The check's findings in the reader's language: the shape, references, duplicate ids, JSON
Schema keywords and a file that is no JSON, in English as before and in Chinese."""
from __future__ import annotations

import copy

import pytest

from goldsieve import locales
from goldsieve.funnels.check import check_definition, parse_json


@pytest.fixture
def chinese():
    said = locales.reader.set("zh_Hans")
    yield
    locales.reader.reset(said)


def broken(funnel: dict) -> dict:
    definition = copy.deepcopy(funnel)
    definition["stages"][2]["id"] = definition["stages"][1]["id"]  # a stage id twice
    definition["targets"] = {"nowhere": 0.5}  # a reference to no stage
    definition["stages"][3]["gate"] = {"requried": ["amount"]}  # a misspelt keyword
    return definition


def messages(found) -> dict[str, tuple[str, str | None]]:
    return {f.pointer: (f.message, f.hint) for f in found}


def test_english_stays_as_it_was(goldsieve_funnel):
    said = messages(check_definition(broken(goldsieve_funnel)))
    assert said["/stages/2/id"] == ("stage id `qualified` is already used at /stages/1", "each stage needs its own id")
    assert said["/targets/nowhere"][0] == "`nowhere` is not a stage of this funnel"
    assert said["/stages/3/gate/requried"] == ("`requried` is not a JSON Schema keyword", "did you mean `required`?")
    shape = copy.deepcopy(goldsieve_funnel)
    shape["stages"][0]["kind"], shape["stages"][0]["rot_day"] = "maybe", 3
    said = messages(check_definition(shape))
    assert said["/stages/0/rot_day"] == ("unknown key `rot_day`", "did you mean `rot_days`?")
    assert said["/stages/0/kind"][0] == "`maybe` is not one of `open`, `won`, `lost`"


def test_the_same_findings_in_chinese(goldsieve_funnel, chinese):
    said = messages(check_definition(broken(goldsieve_funnel)))
    assert said["/stages/2/id"] == ("阶段 id `qualified` 已在 /stages/1 使用", "每个阶段都需要自己的 id")
    assert said["/targets/nowhere"][0] == "`nowhere` 不是此漏斗的阶段"
    assert said["/stages/3/gate/requried"] == ("`requried` 不是 JSON Schema 关键字", "您是指 `required` 吗？")
    shape = copy.deepcopy(goldsieve_funnel)
    shape["stages"][0]["kind"], shape["stages"][0]["rot_day"], shape["title"] = "maybe", 3, 5
    said = messages(check_definition(shape))
    assert said["/stages/0/rot_day"] == ("未知的键 `rot_day`", "您是指 `rot_days` 吗？")
    assert said["/stages/0/kind"][0] == "`maybe` 不是以下之一：`open`, `won`, `lost`"
    assert said["/title"][0] == "应为文本，而不是整数"
    _value, [finding] = parse_json(b'{"id": "x",}')
    assert finding.message.startswith("不是有效的 JSON：第 1 行") and finding.hint == "请检查该位置之前的逗号、引号和括号"


def test_a_schema_problem_is_said_again_in_the_next_readers_language(goldsieve_funnel, chinese):
    definition = broken(goldsieve_funnel)
    assert messages(check_definition(definition))["/stages/3/gate/requried"][0] == "`requried` 不是 JSON Schema 关键字"
    locales.reader.set("en")  # the same condition, checked again: not the cached Chinese
    assert messages(check_definition(definition))["/stages/3/gate/requried"][0] == "`requried` is not a JSON Schema keyword"

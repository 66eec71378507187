"""The industry templates (plugins/templates.py, schemas/templates/*.json): six industries, each
bilingual, complete and clean under `goldsieve check --strict`; and a third-party package adds one
by implementing a single hook, found through its entry point."""
from __future__ import annotations

import json
import re
import textwrap

import pytest
from click.testing import CliRunner

from goldsieve.automation.check import automation_findings
from goldsieve.cli import cli
from goldsieve.funnels.choices import field_choices
from goldsieve.people.users import ROLES
from goldsieve.plugin_manager import actions, make_plugin_manager
from goldsieve.plugins import templates as builtin
from goldsieve.schemas import meta_schema, template_files

TEMPLATES = {t["id"]: t for t in builtin.goldsieve_funnel_templates()}
IDS = sorted(TEMPLATES)
HAN = re.compile(r"[\u4e00-\u9fff]")
TRIGGERS = meta_schema()["$defs"]["automation"]["properties"]["on"]["enum"]
#: The conditional stage each industry has, and a field its condition reads.
CONDITIONAL = {"software": ("exec_visit", "amount"), "fmcg": ("listing", "channel"),
               "medical": ("tender", "procurement_method"), "equipment": ("factory_audit", "amount"),
               "trade": ("letter_of_credit", "payment_terms"), "services": ("workshop", "amount")}
#: Stages an industry's sales process must show, by id.
PROCESS = {"software": ["demo", "trial", "exec_visit", "quote"], "fmcg": ["sampling", "first_order"],
           "medical": ["registration", "tender"], "equipment": ["specification", "samples", "trial_run"],
           "trade": ["inquiry", "samples", "quotation", "order"],
           "services": ["discovery", "workshop", "proposal", "negotiation"]}


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def texts(definition: dict) -> list[tuple[str, object]]:
    """(where, text) for everything people read in a definition."""
    found = [("/title", definition["title"]), ("/description", definition["description"])]
    for name, schema in definition["fields"]["properties"].items():
        found.append((f"/fields/properties/{name}/title", schema.get("title")))
        # a choice is read in a select, a list cell and the history: each needs its label
        found += [(f"/fields/properties/{name}/oneOf/{value}", title) for value, title in field_choices(schema)]
    for i, stage in enumerate(definition["stages"]):
        found += [(f"/stages/{i}/{key}", stage[key]) for key in ("title", "description") if key in stage]
    found += [(f"/lost_reasons/{i}/title", r["title"]) for i, r in enumerate(definition["lost_reasons"])]
    found += [(f"/ui/help/{name}", text) for name, text in definition.get("ui", {}).get("help", {}).items()]
    return found


def test_six_industries_are_bundled():
    assert IDS == ["equipment", "fmcg", "medical", "services", "software", "trade"]
    assert [p.stem for p in template_files()] == IDS  # one file per template, named by its id


@pytest.mark.parametrize("template_id", IDS)
def test_each_template_checks_strictly(template_id):
    path = next(p for p in template_files() if p.stem == template_id)
    result = run("check", "--strict", str(path))
    assert result.exit_code == 0, result.output
    assert result.output == "checked 1 file: 0 errors, 0 warnings\n"  # lint included


@pytest.mark.parametrize("template_id", IDS)
def test_each_template_inits_a_workspace_that_checks_strictly(template_id, tmp_path):
    folder = tmp_path / template_id
    assert run("init", "--template", template_id, str(folder)).exit_code == 0
    assert (folder / "funnels" / f"{template_id}.json").is_file()
    result = run("check", "--strict", str(folder))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("template_id", IDS)
def test_each_template_is_bilingual(template_id):
    for where, text in texts(TEMPLATES[template_id]):
        assert isinstance(text, dict) and set(text) == {"en", "zh-Hans"}, where
        assert text["en"].strip() and not HAN.search(text["en"]), where
        assert HAN.search(text["zh-Hans"]), where


@pytest.mark.parametrize("template_id", IDS)
def test_each_template_has_realistic_fields(template_id):
    d = TEMPLATES[template_id]
    fields = d["fields"]["properties"]
    assert len(fields) >= 12 and d["fields"]["required"]
    assert all("type" in schema for schema in fields.values())
    assert any("format" in schema for schema in fields.values())
    assert any(field_choices(schema) for schema in fields.values())
    assert any("minimum" in schema or "exclusiveMinimum" in schema for schema in fields.values())
    assert fields["amount"]["type"] == "number"  # what forecasts and analytics read


@pytest.mark.parametrize("template_id", IDS)
def test_each_template_has_its_industrys_stages(template_id):
    d = TEMPLATES[template_id]
    stages = [s["id"] for s in d["stages"]]
    opened = [s for s in d["stages"] if s["kind"] == "open"]
    assert 5 <= len(opened) <= 7
    assert [s["kind"] for s in d["stages"][-2:]] == ["won", "lost"]
    assert all(stage in stages for stage in PROCESS[template_id])
    assert all("rot_days" in s for s in opened)
    assert sum("gate" in s for s in d["stages"]) >= 4
    assert len(d["lost_reasons"]) >= 5


@pytest.mark.parametrize("template_id", IDS)
def test_each_template_has_a_conditional_stage(template_id):
    d = TEMPLATES[template_id]
    stage_id, field = CONDITIONAL[template_id]
    conditional = [s for s in d["stages"] if "applies_when" in s]
    assert [s["id"] for s in conditional] == [stage_id]
    assert conditional[0]["applies_when"]["required"] == [field]


@pytest.mark.parametrize("template_id", IDS)
def test_each_template_has_conversion_targets_for_every_step(template_id):
    d = TEMPLATES[template_id]
    first = next(s["id"] for s in d["stages"] if s["kind"] == "open")
    steps = [s["id"] for s in d["stages"] if s["kind"] != "lost" and s["id"] != first]
    assert sorted(d["targets"]) == sorted(steps)
    assert all(0 < share <= 1 for share in d["targets"].values())


@pytest.mark.parametrize("template_id", IDS)
def test_each_template_automates_with_the_built_in_actions_only(template_id):
    automations = TEMPLATES[template_id]["automations"]
    assert len(automations) >= 4
    assert {a["on"] for a in automations} <= set(TRIGGERS)
    builtin_actions = actions(make_plugin_manager(entry_points=False))
    used = {action["action"] for automation in automations for action in automation["do"]}
    assert used <= {"notify", "create_task", "handoff"} <= set(builtin_actions)
    # every action's parameters, recipients and placeholders pass the same check as `goldsieve check`
    assert automation_findings(TEMPLATES[template_id], builtin_actions, channels=set()) == []
    for automation in automations:
        for action in automation["do"]:
            if action["action"] == "notify":
                target = action["to"]
                assert target in ("owner", "manager") or (target.startswith("role:") and target[5:] in ROLES)
        assert "channel" not in str(automation["do"])  # channels are workspace configuration


# --- a third-party template -------------------------------------------------------------------

SOLAR_PLUGIN = '''
import json
from pathlib import Path

from goldsieve import hookimpl


@hookimpl
def goldsieve_funnel_templates():
    definition = json.loads(Path(__file__).with_name("solar.json").read_text(encoding="utf-8"))
    return [definition]
'''


def test_a_third_party_package_adds_a_template_with_one_hook(tmp_path, monkeypatch):
    """An installed distribution with a `goldsieve` entry point and one hook implementation."""
    solar = json.loads(json.dumps(TEMPLATES["software"]))
    solar.update(id="solar", title={"en": "Solar installations", "zh-Hans": "光伏安装"})
    (tmp_path / "solar_templates").mkdir()
    (tmp_path / "solar_templates" / "__init__.py").write_text(textwrap.dedent(SOLAR_PLUGIN), encoding="utf-8")
    (tmp_path / "solar_templates" / "solar.json").write_text(json.dumps(solar), encoding="utf-8")
    info = tmp_path / "solar_templates-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: solar-templates\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[goldsieve]\nsolar = solar_templates\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))

    listed = run("templates")
    assert "solar" in run("templates", "--ids").output.split()
    assert "Solar installations / 光伏安装" in listed.output
    folder = tmp_path / "ws"
    assert run("init", "--template", "solar", str(folder)).exit_code == 0
    assert run("check", "--strict", str(folder)).exit_code == 0

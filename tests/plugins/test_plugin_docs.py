"""docs/plugins.md lists every public attribute of what hooks receive: the deal (on create too),
the move request, ``ActionContext`` and the hooks' ``context``; and the objects are as it says."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from goldsieve import hookimpl
from goldsieve.automation.actions import ActionContext
from goldsieve.plugin_context import PluginContext
from goldsieve.web.api.schemas import MoveSchema

DOCS = (Path(__file__).parents[2] / "docs" / "plugins.md").read_text(encoding="utf-8")


def documented(heading: str) -> set[str]:
    """The names in the first column of the table under ``heading`` (``a``, ``b`` in `` `a`, `b` ``,
    call parentheses and ``context.`` dropped)."""
    section = DOCS.split(heading, 1)[1].split("\n#", 1)[0]
    names = set()
    for row in re.findall(r"^\| ([^|]+) \|", section, flags=re.M):
        for name in re.findall(r"`([^`]+)`", row):
            names.add(re.sub(r"\(.*", "", name).removeprefix("context."))
    return names


def public(cls: type) -> set[str]:
    fields = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
    return fields | {name for name in vars(cls) if not name.startswith("_")}


def test_every_public_attribute_of_action_context_is_documented():
    assert public(ActionContext) - documented("#### `ActionContext`") == set()


def test_every_public_attribute_of_the_plugin_context_is_documented():
    assert public(PluginContext) - documented("## The context every hook can receive") == set()


def test_every_field_of_the_move_request_is_documented():
    assert set(MoveSchema().fields) - documented("#### The move request") == set()


class Recorder:
    def __init__(self):
        self.gated, self.asked = [], []

    @hookimpl
    def goldsieve_gate_check(self, deal):
        self.gated.append(dict(deal))
        return []

    @hookimpl
    def goldsieve_permission(self, action, deal):
        self.asked.append((action, None if deal is None else dict(deal)))


def test_every_key_of_a_deal_is_documented_and_the_deal_on_create_has_no_id(goldsieve_engine, goldsieve_user,
                                                                                goldsieve_register):
    recorder = goldsieve_register(Recorder())
    deal = goldsieve_engine.create(goldsieve_user, "handmade", "Acme", {"company": "Acme"})
    [on_create] = recorder.gated
    assert on_create["stage"] is None and "id" not in on_create
    [(_, asked)] = [vote for vote in recorder.asked if vote[0] == "create"]
    assert asked["stage"] == "lead" and "id" not in asked  # the funnel's first stage
    assert (set(deal) | set(on_create)) - documented("#### A deal") == set()


def test_a_move_takes_data_and_its_event_records_changes(goldsieve_api, goldsieve_runtime):
    deal = goldsieve_api.post("deals", {"funnel": "handmade", "title": "Acme", "data": {"company": "Acme"}}).json
    moved = goldsieve_api.post(f"deals/{deal['id']}/move", {"to": "qualified", "data": {"needs_survey": "done"},
                                                            "version": deal["version"]})
    assert moved.status_code == 200 and moved.json["data"]["needs_survey"] == "done"
    events = goldsieve_api.get(f"deals/{deal['id']}/history").json["items"]
    changed = [e for e in events if e["changes"].get("needs_survey")]
    assert changed and changed[0]["changes"]["needs_survey"] == [None, "done"]


def test_every_fixture_of_the_testing_kit_is_in_the_table_of_fixtures():
    import goldsieve.testing as kit

    section = DOCS.split("## Testing a plugin", 1)[1].split("\n## ", 1)[0]
    def is_fixture(value) -> bool:  # pytest 8's fixture objects; older pytest marks the function
        return "fixture" in type(value).__name__.lower() or hasattr(value, "_pytestfixturefunction")

    fixtures = sorted(name for name in dir(kit) if name.startswith("goldsieve_") and is_fixture(getattr(kit, name)))
    assert "goldsieve_serve" in fixtures and len(fixtures) > 10
    missing = [name for name in fixtures if f"`{name}`" not in section]
    assert not missing, f"fixtures of goldsieve.testing missing from docs/plugins.md: {missing}"

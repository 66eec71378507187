"""The designer's edits of a funnel draft, as plain functions on its JSON (no Flask).

A draft is ``{"definition": {...}, "map": {old stage id: new stage id}}``: the definition being
edited and the migration map its stage renames, splits and removals imply. Each edit changes
only the keys it is about, so keys the designer does not understand survive untouched and an
unchanged draft is the very document it was loaded from. Bad input raises :class:`EditError`
with a message for the person; the caller then keeps the draft as it was.

Conditions the designer builds are JSON Schema: ``(field, operator, value)`` becomes
``{"properties": {field: {keyword: value}}, "required": [field]}``.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from ..errors import GoldsieveError
from ..limits import NUMBER_LIMIT, in_range, read_number

Draft = dict[str, Any]

SLUG = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: operator -> the JSON Schema keyword it becomes
OPERATORS = {"equals": "const", "at_least": "minimum", "at_most": "maximum", "one_of": "enum"}
FIELD_TYPES = ("string", "number", "integer", "boolean", "date")
KINDS = ("open", "won", "lost")


class EditError(GoldsieveError):
    """An edit the draft refuses; the message says what to change."""


# --- stages ---------------------------------------------------------------------------------


def _stages(draft: Draft) -> list[dict]:
    return draft["definition"]["stages"]


def _index(draft: Draft, stage_id: str) -> int:
    for i, stage in enumerate(_stages(draft)):
        if stage["id"] == stage_id:
            return i
    raise EditError(f"there is no stage “{stage_id}”")


def _new_id(draft: Draft, stage_id: str) -> str:
    stage_id = stage_id.strip()
    if not SLUG.match(stage_id):
        raise EditError(f"“{stage_id}” is not a valid stage id: use lowercase letters, digits, "
                        "_ and -, starting with a letter")
    if any(s["id"] == stage_id for s in _stages(draft)):
        raise EditError(f"there already is a stage “{stage_id}”")
    return stage_id


def _send(draft: Draft, old: str, new: str) -> None:
    """Deals on ``old`` (or mapped to it) go to ``new`` when the draft is applied."""
    mapping = draft["map"]
    for key, value in list(mapping.items()):
        if value == old:
            mapping[key] = new
    if old in draft.get("base_stages", ()) and old not in mapping:
        mapping[old] = new


def add_stage(draft: Draft, stage_id: str, title: str, kind: str = "open") -> None:
    """A new stage; an open one goes after the last open stage, won and lost ones at the end."""
    stage_id = _new_id(draft, stage_id)
    if kind not in KINDS:
        raise EditError(f"a stage is open, won or lost, not “{kind}”")
    stage = {"id": stage_id, "title": title.strip() or stage_id, "kind": kind}
    stages = _stages(draft)
    at = len(stages)
    if kind == "open":
        at = max((i + 1 for i, s in enumerate(stages) if s.get("kind", "open") == "open"), default=0)
    stages.insert(at, stage)


def move_stage(draft: Draft, stage_id: str, step: int) -> None:
    """Swap a stage with its neighbour (``step`` -1: up, +1: down)."""
    stages = _stages(draft)
    i = _index(draft, stage_id)
    j = i + step
    if not 0 <= j < len(stages):
        raise EditError(f"“{stage_id}” cannot move further")
    stages[i], stages[j] = stages[j], stages[i]


def rename_stage(draft: Draft, stage_id: str, new_id: str) -> None:
    """Change a stage's id, with everything in the draft that names it; its deals follow."""
    stage = _stages(draft)[_index(draft, stage_id)]
    if new_id == stage_id:
        return
    stage["id"] = _new_id(draft, new_id)
    definition = draft["definition"]
    for automation in definition.get("automations", []):
        if automation.get("stage") == stage_id:
            automation["stage"] = new_id
    if stage_id in definition.get("targets", {}):
        definition["targets"][new_id] = definition["targets"].pop(stage_id)
    _send(draft, stage_id, new_id)


def remove_stage(draft: Draft, stage_id: str, map_to: str | None) -> None:
    """Remove a stage and its conversion target; its in-flight deals go to ``map_to`` (the plan
    reports any left behind). Automations naming it stay, for the check to point at."""
    stages = _stages(draft)
    i = _index(draft, stage_id)
    if map_to:
        _index(draft, map_to)
        if map_to == stage_id:
            raise EditError("a removed stage cannot send its deals to itself")
        _send(draft, stage_id, map_to)
    del stages[i]
    draft["definition"].get("targets", {}).pop(stage_id, None)


def split_stage(draft: Draft, stage_id: str, new_ids: list[str]) -> None:
    """Replace a stage by several in a row; its deals go to the first, which keeps its settings."""
    ids = [part.strip() for part in new_ids if part.strip()]
    if len(ids) < 2:
        raise EditError("name at least two stages to split into, separated by commas")
    if len(set(ids)) < len(ids):
        raise EditError("the stages to split into need different ids")
    stages = _stages(draft)
    i = _index(draft, stage_id)
    old = stages[i]
    for new_id in ids:
        if new_id != stage_id:
            _new_id(draft, new_id)
    first = {**old, "id": ids[0]}
    rest = [{"id": new_id, "title": new_id, "kind": old.get("kind", "open"),
             **({"probability": old["probability"]} if "probability" in old else {})}
            for new_id in ids[1:]]
    stages[i:i + 1] = [first, *rest]
    if ids[0] != stage_id:
        for automation in draft["definition"].get("automations", []):
            if automation.get("stage") == stage_id:
                automation["stage"] = ids[0]
        _send(draft, stage_id, ids[0])


def update_stage(draft: Draft, stage_id: str, *, title: str, probability: str, rot_days: str,
                 required: list[str], condition: tuple[str, str, str] | None,
                 applies_when: tuple[str, str, str] | None, clear_applies_when: bool = False) -> None:
    """Set a stage's title, probability, rot days, gate and ``applies_when``.

    The gate is the ticked ``required`` fields plus one simple condition; parts of an existing
    gate the designer cannot show as a tick or a condition are kept as they are.
    """
    stage = _stages(draft)[_index(draft, stage_id)]
    _set_text(stage, "title", title.strip() or stage_id)
    _set_number(stage, "probability", probability, float, 0, 1)
    _set_number(stage, "rot_days", rot_days, int, 1, NUMBER_LIMIT)
    fields = _fields(draft)
    for name in required:
        if name not in fields:
            raise EditError(f"there is no field “{name}”")
    gate = {key: value for key, value in (stage.get("gate") or {}).items() if key != "required"}
    properties = {name: rule for name, rule in gate.pop("properties", {}).items()
                  if simple_rule(rule) is None}
    ticked = list(dict.fromkeys(required))
    if condition:
        built = build_condition(fields, *condition)
        properties.update(built["properties"])
        ticked += [name for name in built["required"] if name not in ticked]
    if properties:
        gate["properties"] = properties
    if ticked:
        gate["required"] = ticked
    _set_schema(stage, "gate", gate)
    if clear_applies_when:
        stage.pop("applies_when", None)
    elif applies_when:
        _set_schema(stage, "applies_when", build_condition(fields, *applies_when))


def _set_schema(stage: dict, key: str, schema: dict) -> None:
    """Set a condition; an equal one stays untouched, so its keys keep their order."""
    if not schema:
        stage.pop(key, None)
    elif stage.get(key) != schema:
        stage[key] = schema


def _set_text(target: dict, key: str, text: str) -> None:
    """Set a title; a translated title keeps its other languages and gets the English one."""
    if isinstance(target.get(key), dict):
        target[key]["en"] = text
    elif target.get(key) != text:
        target[key] = text


def _set_number(stage: dict, key: str, text: str, kind: type, low: float, high: float) -> None:
    text = text.strip()
    if not text:
        stage.pop(key, None)
        return
    value = read_number(text, integer=kind is int)
    if value is None:
        raise EditError(f"{key.replace('_', ' ')}: “{text[:40]}” is not a number")
    if not low <= value <= high:
        raise EditError(f"{key.replace('_', ' ')} must be at least {low} and at most {high:,}")
    if stage.get(key) != value:
        stage[key] = value


# --- conditions -----------------------------------------------------------------------------


def _fields(draft: Draft) -> dict[str, dict]:
    return draft["definition"].setdefault("fields", {"type": "object", "properties": {}}) \
        .setdefault("properties", {})


def build_condition(fields: dict[str, dict], name: str, operator: str, value: str) -> dict:
    """``(field, operator, value)`` as a JSON Schema condition on the deal's data."""
    if name not in fields:
        raise EditError(f"there is no field “{name}”")
    if operator not in OPERATORS:
        raise EditError(f"unknown operator “{operator}”; choose one of {', '.join(OPERATORS)}")
    schema = fields[name]
    if operator == "one_of":
        parsed: Any = [_typed(schema, part.strip()) for part in value.split(",") if part.strip()]
    else:
        parsed = _typed(schema, value.strip())
    if operator in ("at_least", "at_most") and schema.get("type") not in ("number", "integer"):
        raise EditError(f"“at least” and “at most” need a number field; {name} is not one")
    return {"properties": {name: {OPERATORS[operator]: parsed}}, "required": [name]}


def _typed(schema: dict, text: str) -> Any:
    kind = schema.get("type")
    if kind in ("integer", "number"):
        number = read_number(text, integer=kind == "integer")
        if number is None or not in_range(number):
            raise EditError(f"“{text[:40]}” is not a number from {-NUMBER_LIMIT:,} to {NUMBER_LIMIT:,}")
        return number
    if kind == "boolean":
        if text.lower() not in ("true", "false"):
            raise EditError("write true or false")
        return text.lower() == "true"
    return text


def simple_rule(rule: Any) -> tuple[str, Any] | None:
    """``(operator, value)`` when a property's rule is one the designer edits, else ``None``."""
    if isinstance(rule, dict) and len(rule) == 1:
        keyword, value = next(iter(rule.items()))
        for operator, known in OPERATORS.items():
            if known == keyword:
                return operator, value
    return None


def simple_condition(schema: Any) -> tuple[str, str, Any] | None:
    """``(field, operator, value)`` when a condition is one the designer builds, else ``None``."""
    if not isinstance(schema, dict) or set(schema) != {"properties", "required"}:
        return None
    [(name, rule)] = schema["properties"].items() if len(schema["properties"]) == 1 else [(None, None)]
    rule_parts = simple_rule(rule)
    if name is None or rule_parts is None or schema["required"] != [name]:
        return None
    return name, rule_parts[0], rule_parts[1]


# --- fields ---------------------------------------------------------------------------------


def set_field(draft: Draft, name: str, *, kind: str, title: str, options: str, required: bool,
              new: bool) -> None:
    """Add a field (``new``) or change one: type, title, options (a choice list), required."""
    name = name.strip()
    fields = _fields(draft)
    if new:
        if not FIELD_NAME.match(name):
            raise EditError(f"“{name}” is not a valid field name: use letters, digits and _")
        if name in fields:
            raise EditError(f"there already is a field “{name}”")
        fields[name] = {}
    elif name not in fields:
        raise EditError(f"there is no field “{name}”")
    if kind not in FIELD_TYPES:
        raise EditError(f"a field's type is one of {', '.join(FIELD_TYPES)}")
    schema = fields[name]
    wanted = {"type": "string", "format": "date"} if kind == "date" else {"type": kind}
    if (schema.get("type"), schema.get("format")) != (wanted["type"], wanted.get("format")):
        schema.pop("format", None)
        schema.update(wanted)
    _set_text(schema, "title", title.strip() or name)
    choices = [_typed(schema, part.strip()) for part in options.split(",") if part.strip()]
    if choices:
        schema["enum"] = choices
    else:
        schema.pop("enum", None)
    listed = draft["definition"]["fields"].setdefault("required", [])
    if required and name not in listed:
        listed.append(name)
    elif not required and name in listed:
        listed.remove(name)


def remove_field(draft: Draft, name: str) -> None:
    """Remove a field from the schema, the required list and the form order."""
    fields = _fields(draft)
    if name not in fields:
        raise EditError(f"there is no field “{name}”")
    del fields[name]
    definition = draft["definition"]
    if name in definition["fields"].get("required", []):
        definition["fields"]["required"].remove(name)
    order = definition.get("ui", {}).get("order")
    if order and name in order:
        order.remove(name)


# --- automations ----------------------------------------------------------------------------


def designer_actions(registry: Mapping[str, Any]) -> dict[str, str | None]:
    """The registered actions (``goldsieve_actions``) the designer can add with one input: name →
    the parameter it asks for (the action's only required text parameter), or ``None`` when the
    action needs none. Actions needing more (``set_field``) are left to the JSON file."""
    offered: dict[str, str | None] = {}
    for name, action in sorted(registry.items()):
        required = list(action.params.get("required") or [])
        properties = action.params.get("properties", {})
        if not required:
            offered[name] = None
        elif len(required) == 1 and _takes_text(properties.get(required[0], {})):
            offered[name] = required[0]
    return offered


def _takes_text(schema: Mapping[str, Any]) -> bool:
    """Whether a parameter's schema accepts a string (itself, or one of its ``anyOf`` branches)."""
    return schema.get("type") == "string" or any(branch.get("type") == "string"
                                                  for branch in schema.get("anyOf", []))


def add_automation(draft: Draft, automation_id: str, trigger: str, stage: str, action: str,
                   parameter: str, triggers: list[str], actions: Mapping[str, str | None]) -> None:
    """An automation: a trigger (optionally for one stage) and one action with its parameter;
    ``actions`` is what :func:`designer_actions` offers."""
    automations = draft["definition"].setdefault("automations", [])
    if not SLUG.match(automation_id.strip()):
        raise EditError(f"“{automation_id}” is not a valid id: use lowercase letters, digits, _ and -")
    if any(a["id"] == automation_id.strip() for a in automations):
        raise EditError(f"there already is an automation “{automation_id}”")
    if trigger not in triggers:
        raise EditError(f"unknown trigger “{trigger}”")
    if action not in actions:
        raise EditError(f"unknown action “{action}”")
    asks = actions[action]
    if asks and not parameter.strip():
        raise EditError(f"the action {action} needs its {asks}")
    automation: dict[str, Any] = {"id": automation_id.strip(), "on": trigger}
    if stage:
        _index(draft, stage)
        automation["stage"] = stage
    automation["do"] = [{"action": action, asks: parameter.strip()} if asks else {"action": action}]
    automations.append(automation)


def remove_automation(draft: Draft, automation_id: str) -> None:
    automations = draft["definition"].get("automations", [])
    kept = [a for a in automations if a["id"] != automation_id]
    if len(kept) == len(automations):
        raise EditError(f"there is no automation “{automation_id}”")
    draft["definition"]["automations"] = kept

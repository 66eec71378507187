"""The designer's edits of a draft's automations, with forms read from the actions' own schemas.

An action (``goldsieve_actions``) declares its parameters as a JSON Schema; :func:`param_inputs`
turns each parameter into an input the designer can show (text, number, tick, choice, recipient
picker, a field's value) and :func:`read_params` turns the form back into the action's object,
validated by the same schema. So a plugin's action gets a form without designer code. Two
annotations refine what the schema alone says: ``"x-choices": "recipients"`` (pick from owner,
manager, roles, teams and users) or ``"fields"`` (pick a field), and ``"x-value-of": NAME``
(a value typed like the field that parameter ``NAME`` picks).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from ..limits import in_range, read_number, storable_text
from .edit import SLUG, Draft, EditError, build_condition, fields_of, index_of, typed
from .validation import N_

#: An input kind per parameter: what the form shows and how its text is read back.
TEXT, NUMBER, TICK, CHOICE, RECIPIENTS, FIELD, VALUE = (
    "text", "number", "tick", "choice", "recipients", "field", "value")
TEXT_LIMIT = 2000


@dataclass(frozen=True)
class ParamInput:
    """One parameter of an action as the designer asks for it."""

    name: str
    kind: str
    required: bool
    choices: tuple[Any, ...] = ()
    many: bool = False  # the parameter takes a list (of recipients)
    value_of: str | None = None


def param_inputs(params: Mapping[str, Any]) -> list[ParamInput]:
    """The inputs for an action's parameter schema, in the schema's order."""
    required = set(params.get("required") or [])
    return [_input(name, schema, name in required) for name, schema in (params.get("properties") or {}).items()]


def _branches(schema: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [schema, *schema.get("anyOf", []), *(b.get("items", {}) for b in schema.get("anyOf", []))]


def _input(name: str, schema: Mapping[str, Any], required: bool) -> ParamInput:
    branches = _branches(schema)
    picked = next((b["x-choices"] for b in branches if "x-choices" in b), None)
    many = any(b.get("type") == "array" for b in branches)
    if picked == "recipients":
        return ParamInput(name, RECIPIENTS, required, many=many)
    if picked == "fields":
        return ParamInput(name, FIELD, required)
    if "x-value-of" in schema:
        return ParamInput(name, VALUE, required, value_of=schema["x-value-of"])
    if isinstance(schema.get("enum"), list):
        return ParamInput(name, CHOICE, required, tuple(schema["enum"]))
    types = {b.get("type") for b in branches}
    if types & {"number", "integer"} and "string" not in types:
        return ParamInput(name, NUMBER, required)
    if types == {"boolean"}:
        return ParamInput(name, TICK, required)
    return ParamInput(name, TEXT, required)


def read_params(action: Any, form: Mapping[str, Sequence[str]], fields: Mapping[str, dict]) -> dict[str, Any]:
    """The action object (``{"action": name, …}``) from the values the form sent per parameter.

    ``form`` maps a parameter name to the values its inputs sent (several for a recipient
    picker). Blank inputs leave the parameter out; what is left must pass the action's schema.
    """
    step: dict[str, Any] = {"action": action.name}
    inputs = param_inputs(action.params)
    for spec in sorted(inputs, key=lambda s: s.kind == VALUE):  # a value needs its field first
        values = [v.strip() for v in form.get(spec.name, []) if v.strip()]
        if not values:
            if spec.required:
                raise EditError(N_("the action %(action)s needs its %(param)s"), action=action.name, param=spec.name)
            continue
        step[spec.name] = _read(spec, values, fields, step)
    problems = list(action.validator.iter_errors({k: v for k, v in step.items() if k != "action"}))
    if problems:
        where = ".".join(str(p) for p in problems[0].absolute_path) or action.name
        raise EditError(N_("%(param)s: this value is not one the action %(action)s takes"),
                        param=where, action=action.name)
    return step


def _read(spec: ParamInput, values: list[str], fields: Mapping[str, dict], step: Mapping[str, Any]) -> Any:
    text = values[0]
    if len(text) > TEXT_LIMIT:
        raise EditError(N_("%(param)s is longer than %(limit)s characters"), param=spec.name, limit=TEXT_LIMIT)
    if not all(storable_text(value) for value in values):
        raise EditError(N_("a text is at most %(limit)s characters, without NUL or broken characters"),
                        limit=TEXT_LIMIT)
    if spec.kind == RECIPIENTS:
        return values if spec.many and len(values) > 1 else text
    if spec.kind == NUMBER:
        number = read_number(text)
        if number is None or not in_range(number):
            raise EditError(N_("%(param)s: “%(text)s” is not a number"), param=spec.name, text=text[:40])
        return number
    if spec.kind == TICK:
        return text == "1"
    if spec.kind == CHOICE:
        chosen = next((c for c in spec.choices if str(c) == text), None)
        if chosen is None:
            raise EditError(N_("%(param)s: choose one of the offered values"), param=spec.name)
        return chosen
    if spec.kind == FIELD and text not in fields:
        raise EditError(N_("there is no field “%(name)s”"), name=text[:40])
    if spec.kind == VALUE:
        target = fields.get(str(step.get(spec.value_of or "")), {})
        return typed(target, text)
    return text


def add_automation(draft: Draft, automation_id: str, trigger: str, triggers: Sequence[str], *,
                   stage: str = "", field: str = "", condition: tuple[str, str, str] | None = None,
                   step: Mapping[str, Any]) -> None:
    """An automation: a trigger (for one stage, or one field's change), an optional condition on
    the deal's data (``if``) and its first action (``step``, from :func:`read_params`)."""
    automations = draft["definition"].setdefault("automations", [])
    automation_id = automation_id.strip()
    if not SLUG.match(automation_id):
        raise EditError(N_("“%(id)s” is not a valid id: use lowercase letters, digits, _ and -, "
                        "starting with a letter"), id=automation_id[:40])
    if any(a["id"] == automation_id for a in automations):
        raise EditError(N_("there already is an automation “%(id)s”"), id=automation_id)
    if trigger not in triggers:
        raise EditError(N_("unknown trigger “%(trigger)s”"), trigger=trigger[:40])
    automation: dict[str, Any] = {"id": automation_id, "on": trigger}
    if stage:
        index_of(draft, stage)
        automation["stage"] = stage
    if trigger == "field_changed":
        if field not in fields_of(draft):
            raise EditError(N_("a change of which field? choose one"))
        automation["field"] = field
    if condition:
        automation["if"] = build_condition(fields_of(draft), *condition)
    automation["do"] = [dict(step)]
    automations.append(automation)


def remove_action(draft: Draft, automation_id: str, position: int) -> None:
    """Remove an automation's action; its only action goes with the automation itself."""
    automation = _automation(draft, automation_id)
    if not 0 <= position < len(automation["do"]):
        raise EditError(N_("there is no such action"))
    if len(automation["do"]) == 1:
        remove_automation(draft, automation_id)
    else:
        del automation["do"][position]


def _automation(draft: Draft, automation_id: str) -> dict:
    for automation in draft["definition"].get("automations", []):
        if automation["id"] == automation_id:
            return automation
    raise EditError(N_("there is no automation “%(id)s”"), id=automation_id[:40])


def remove_automation(draft: Draft, automation_id: str) -> None:
    automations = draft["definition"].get("automations", [])
    kept = [a for a in automations if a["id"] != automation_id]
    if len(kept) == len(automations):
        raise EditError(N_("there is no automation “%(id)s”"), id=automation_id[:40])
    if kept:
        draft["definition"]["automations"] = kept
    else:
        draft["definition"].pop("automations")

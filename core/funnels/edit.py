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
from typing import Any, Iterable, Mapping

from ..errors import GoldsieveError
from ..limits import MAX_TITLE, NUMBER_LIMIT, in_range, read_number, storable_text
from ..locales import LOCALES, bcp47
from .validation import N_

Draft = dict[str, Any]

SLUG = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
#: operator -> the JSON Schema keyword it becomes
OPERATORS = {"equals": "const", "at_least": "minimum", "at_most": "maximum", "one_of": "enum"}
KINDS = ("open", "won", "lost")
#: The languages a title is written in, as funnel files name them (``en``, ``zh-Hans``, …).
LANGUAGES = tuple(bcp47(locale) for locale in LOCALES)


class EditError(GoldsieveError):
    """An edit the draft refuses; the message says what to change.

    ``message`` is a msgid with ``%(name)s`` placeholders filled from ``params``, so that the page
    can show it in the reader's language; ``str()`` of the error is the English text.
    """

    def __init__(self, message: str, at: str | None = None, **params: Any):
        self.template, self.params, self.at = message, params, at  # ``at``: the input it is about
        super().__init__(message % params if params else message)


# --- stages ---------------------------------------------------------------------------------


def _stages(draft: Draft) -> list[dict]:
    return draft["definition"]["stages"]


def index_of(draft: Draft, stage_id: str) -> int:
    for i, stage in enumerate(_stages(draft)):
        if stage["id"] == stage_id:
            return i
    raise EditError(N_("there is no stage “%(id)s”"), id=stage_id[:40])


def _new_id(draft: Draft, stage_id: str) -> str:
    stage_id = stage_id.strip()
    if not SLUG.match(stage_id):
        raise EditError(N_("“%(id)s” is not a valid stage id: use lowercase letters, digits, "
                        "_ and -, starting with a letter"), id=stage_id[:40])
    if any(s["id"] == stage_id for s in _stages(draft)):
        raise EditError(N_("there already is a stage “%(id)s”"), id=stage_id)
    return stage_id


def _send(draft: Draft, old: str, new: str) -> None:
    """Deals on ``old`` (or mapped to it) go to ``new`` when the draft is applied."""
    mapping = draft["map"]
    for key, value in list(mapping.items()):
        if value == old:
            mapping[key] = new
    if old in draft.get("base_stages", ()) and old not in mapping:
        mapping[old] = new


def add_stage(draft: Draft, stage_id: str, title: str | Mapping[str, str], kind: str = "open") -> None:
    """A new stage; an open one goes after the last open stage, won and lost ones at the end."""
    stage_id = _new_id(draft, stage_id)
    if kind not in KINDS:
        raise EditError(N_("a stage is open, won or lost, not “%(kind)s”"), kind=kind[:20])
    stage: dict[str, Any] = {"id": stage_id, "title": stage_id, "kind": kind}
    if isinstance(title, str):
        _set_text(stage, "title", title.strip() or stage_id)
    else:
        set_texts(stage, "title", title, fallback=stage_id)
    stages = _stages(draft)
    at = len(stages)
    if kind == "open":
        at = max((i + 1 for i, s in enumerate(stages) if s.get("kind", "open") == "open"), default=0)
    stages.insert(at, stage)


def move_stage(draft: Draft, stage_id: str, step: int) -> None:
    """Swap a stage with its neighbour (``step`` -1: up, +1: down)."""
    stages = _stages(draft)
    i = index_of(draft, stage_id)
    j = i + step
    if not 0 <= j < len(stages):
        raise EditError(N_("“%(id)s” cannot move further"), id=stage_id)
    stages[i], stages[j] = stages[j], stages[i]


def rename_stage(draft: Draft, stage_id: str, new_id: str) -> None:
    """Change a stage's id, with everything in the draft that names it; its deals follow."""
    stage = _stages(draft)[index_of(draft, stage_id)]
    if new_id == stage_id:
        return
    stage["id"] = _new_id(draft, new_id)
    _carry(draft, stage_id, new_id)


def _carry(draft: Draft, old: str, new: str) -> None:
    """What names stage ``old`` names ``new`` instead: automations, its target, its deals."""
    definition = draft["definition"]
    for automation in definition.get("automations", []):
        if automation.get("stage") == old:
            automation["stage"] = new
    if old in definition.get("targets", {}):
        definition["targets"][new] = definition["targets"].pop(old)
    _send(draft, old, new)


def remove_stage(draft: Draft, stage_id: str, map_to: str | None) -> list[str]:
    """Remove a stage and its conversion target; its in-flight deals go to ``map_to`` (the plan
    reports any left behind), and so do the automations naming it. Without ``map_to`` those
    automations go too: the ids of the automations dropped come back, for the page to say so."""
    stages = _stages(draft)
    i = index_of(draft, stage_id)
    if map_to:
        index_of(draft, map_to)
        if map_to == stage_id:
            raise EditError(N_("a removed stage cannot send its deals to itself"))
        _send(draft, stage_id, map_to)
    del stages[i]
    definition = draft["definition"]
    definition.get("targets", {}).pop(stage_id, None)
    dropped = []
    for automation in list(definition.get("automations", [])):
        if automation.get("stage") != stage_id:
            continue
        if map_to:
            automation["stage"] = map_to
        else:
            dropped.append(automation["id"])
            definition["automations"].remove(automation)
    return dropped


def split_stage(draft: Draft, stage_id: str, new_ids: list[str]) -> None:
    """Replace a stage by several in a row; its deals go to the first, which keeps its settings."""
    ids = [part.strip() for part in new_ids if part.strip()]
    if len(ids) < 2:
        raise EditError(N_("name at least two stages to split into, separated by commas"))
    if len(set(ids)) < len(ids):
        raise EditError(N_("the stages to split into need different ids"))
    stages = _stages(draft)
    i = index_of(draft, stage_id)
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
        _carry(draft, stage_id, ids[0])


def update_stage(draft: Draft, stage_id: str, *, title: str | Mapping[str, str], probability: str,
                 rot_days: str, required: list[str], condition: tuple[str, str, str] | None,
                 applies_when: tuple[str, str, str] | None, clear_applies_when: bool = False,
                 kind: str | None = None, target: str | None = None) -> None:
    """Set a stage's title (one text, or one per language), kind, probability, rot days, gate,
    ``applies_when`` and conversion target (``None``: left as it is).

    The gate is the ticked ``required`` fields plus one simple condition; parts of an existing
    gate the designer cannot show as a tick or a condition are kept as they are.
    """
    stage = _stages(draft)[index_of(draft, stage_id)]
    if isinstance(title, str):
        _set_text(stage, "title", title.strip() or stage_id)
    else:
        set_texts(stage, "title", title, fallback=stage_id)
    if kind is not None and kind != stage.get("kind"):
        if kind not in KINDS:
            raise EditError(N_("a stage is open, won or lost, not “%(kind)s”"), kind=kind[:20])
        stage["kind"] = kind
    _set_number(stage, "probability", probability, float, 0, 1)
    if target is not None:
        targets = draft["definition"].get("targets", {})
        _set_number(targets, stage_id, target, float, 0, 1)
        if targets:
            draft["definition"]["targets"] = targets
        else:
            draft["definition"].pop("targets", None)
    _set_number(stage, "rot_days", rot_days, int, 1, NUMBER_LIMIT)
    fields = fields_of(draft)
    for name in required:
        if name not in fields:
            raise EditError(N_("there is no field “%(name)s”"), name=name[:40])
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


def set_texts(target: dict, key: str, texts: Mapping[str, str], fallback: str | None = None,
              limit: int = MAX_TITLE) -> None:
    """Set a text in each language given (``{"en": …, "zh-Hans": …}``); blank ones are dropped.

    English alone is written as a plain string, several languages as an object; languages the
    designer does not offer are kept. With nothing given the text is ``fallback`` (``None``:
    the key goes). An unchanged text is left as it is, so its keys keep their order.
    """
    given = {}
    for language, text in texts.items():
        text = text.strip()
        if language not in LANGUAGES:
            raise EditError(N_("unknown language “%(language)s”"), language=language[:20])
        if len(text) > limit or not storable_text(text):
            raise EditError(N_("a text is at most %(limit)s characters, without NUL or broken characters"),
                            at=f"{key}-{language}", limit=limit)
        if text:
            given[language] = text
    current = target.get(key)
    others = {k: v for k, v in current.items() if k not in LANGUAGES} if isinstance(current, dict) else {}
    value: Any
    if not given and not others:
        value = fallback
    elif isinstance(current, dict) or others or set(given) != {"en"}:
        value = {**given, **others}
    else:
        value = given["en"]
    if value is None:
        target.pop(key, None)
    elif current != value:
        target[key] = value


def texts_of(value: Any) -> dict[str, str]:
    """A text as the designer's inputs show it: language → text (a plain string is English)."""
    if isinstance(value, dict):
        return {language: value.get(language, "") for language in LANGUAGES}
    return {language: value if language == "en" and isinstance(value, str) else "" for language in LANGUAGES}


def _set_number(stage: dict, key: str, text: str, kind: type, low: float, high: float) -> None:
    text = text.strip()
    if not text:
        stage.pop(key, None)
        return
    value = read_number(text, integer=kind is int)
    if value is None:
        raise EditError(N_("%(what)s: “%(text)s” is not a number"), what=key.replace('_', ' '), text=text[:40])
    if not low <= value <= high:
        raise EditError(N_("%(what)s must be at least %(low)s and at most %(high)s"),
                        what=key.replace('_', ' '), low=low, high=f"{high:,}")
    if stage.get(key) != value:
        stage[key] = value


# --- conditions -----------------------------------------------------------------------------


def fields_of(draft: Draft) -> dict[str, dict]:
    return properties_of(draft["definition"])


def properties_of(declared: dict[str, Any]) -> dict[str, dict]:
    """The declared fields (``fields.properties``) of a definition, made when it has none."""
    return declared.setdefault("fields", {"type": "object", "properties": {}}).setdefault("properties", {})


def build_condition(fields: dict[str, dict], name: str, operator: str, value: str) -> dict:
    """``(field, operator, value)`` as a JSON Schema condition on the deal's data."""
    if name not in fields:
        raise EditError(N_("there is no field “%(name)s”"), name=name[:40])
    if operator not in OPERATORS:
        raise EditError(N_("unknown operator “%(operator)s”"), operator=operator[:20])
    schema = fields[name]
    if operator == "one_of":
        parsed: Any = [typed(schema, part.strip()) for part in value.split(",") if part.strip()]
    else:
        parsed = typed(schema, value.strip())
    if operator in ("at_least", "at_most") and schema.get("type") not in ("number", "integer"):
        raise EditError(N_("“at least” and “at most” need a number field; %(name)s is not one"), name=name)
    return {"properties": {name: {OPERATORS[operator]: parsed}}, "required": [name]}


def typed(schema: dict, text: str) -> Any:
    """A value typed in a form as the field ``schema`` takes it (a number, true/false, text)."""
    if len(text) > MAX_TITLE or not storable_text(text):
        raise EditError(N_("a text is at most %(limit)s characters, without NUL or broken characters"),
                        limit=MAX_TITLE)
    kind = schema.get("type")
    if kind in ("integer", "number"):
        number = read_number(text, integer=kind == "integer")
        if number is None or not in_range(number):
            raise EditError(N_("“%(text)s” is not a number from %(low)s to %(high)s"), text=text[:40], low=f"{-NUMBER_LIMIT:,}",
                            high=f"{NUMBER_LIMIT:,}")
        return number
    if kind == "boolean":
        if text.lower() not in ("true", "false"):
            raise EditError(N_("write true or false"))
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


# --- the funnel itself ----------------------------------------------------------------------

CURRENCY = re.compile(r"^[A-Z]{3}$")
DESCRIPTION_LIMIT = 2000


def funnel_id(text: str, taken: Iterable[str]) -> str:
    """A new funnel's id: a slug no applied funnel has (``taken``)."""
    text = text.strip()
    if not SLUG.match(text):
        raise EditError(N_("“%(id)s” is not a valid funnel id: use lowercase letters, digits, _ and -, "
                        "starting with a letter"), id=text[:40])
    if text in set(taken):
        raise EditError(N_("there already is a funnel “%(id)s”: choose another id, or edit that one"), id=text)
    return text


def update_funnel(draft: Draft, *, titles: Mapping[str, str], description: Mapping[str, str],
                  currency: str) -> None:
    """Re-title the funnel (a title in some language is required), describe it, set its currency."""
    definition = draft["definition"]
    if not any(text.strip() for text in titles.values()):
        raise EditError(N_("give the funnel a title in at least one language"), at="title-en")
    set_texts(definition, "title", titles)
    set_texts(definition, "description", description, limit=DESCRIPTION_LIMIT)
    currency = currency.strip().upper()
    if currency and not CURRENCY.match(currency):
        raise EditError(N_("a currency is a three-letter ISO 4217 code such as CNY, EUR or USD"), at="currency")
    if not currency:
        definition.pop("currency", None)
    elif definition.get("currency") != currency:
        definition["currency"] = currency


#: The transition policy's switches and their defaults (docs/funnels.md, "Transitions").
TRANSITIONS = {"skip": False, "back": True, "reopen": True}


def set_transitions(draft: Draft, allowed: Mapping[str, bool]) -> None:
    """Set which moves besides one stage forward are allowed; a switch left at its default is
    written only if the definition already names it, so an untouched funnel stays as it was."""
    definition = draft["definition"]
    current = dict(definition.get("transitions", {}))
    for key, default in TRANSITIONS.items():
        wanted = bool(allowed.get(key, default))
        if key in current or wanted != default:
            current[key] = wanted
    if current:
        definition["transitions"] = current

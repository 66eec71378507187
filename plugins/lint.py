"""Funnel lint: advice on definitions that are valid but probably not what the consultant meant.

Validation (:mod:`goldsieve.funnels.check`) says whether goldsieve can run a funnel; lint says
whether it will work for the people who sell with it: the seed's 5–7 stages, probabilities that
rise, every open stage able to go stale, no stage, automation or gate that can never take effect.
Every finding is a warning with a JSON pointer, why it matters and how to fix it;
``goldsieve check --strict`` turns them into errors. docs/funnels.md ("Lint") lists the rules.

Lint runs only on definitions without validation errors, through the same hook a third-party
plugin implements to add house rules.
"""
from __future__ import annotations

import json
from typing import Any, Iterator

from goldsieve import hookimpl
from goldsieve.funnels.check import WARNING, Finding, stage_name
from goldsieve.funnels.conditions import contradictions
from goldsieve.funnels.validation import N_
from goldsieve.locales import say

#: The seed's advice: fewer stages hide where deals are lost, more make reps fill in nonsense.
OPEN_STAGES = range(5, 8)
#: Triggers whose automation names the stage a deal is in (entering, leaving, stale in).
_STAGE_TRIGGERS = ("stage_entered", "stage_left", "stale")


@hookimpl
def goldsieve_lint_funnel(definition: dict[str, Any]) -> list[Finding]:
    unreachable = dict(_unreachable_stages(definition))
    return [
        *_stage_count(definition),
        *_falling_probabilities(definition),
        *_zero_probability(definition),
        *_never_stale(definition),
        *_lost_without_reasons(definition),
        *_identical_gates(definition),
        *unreachable.values(),
        *_dead_automations(definition, set(unreachable)),
        *_hidden_fields_asked_for(definition),
    ]


def _warning(pointer: str, message: str, hint: str) -> Finding:
    return Finding(pointer, message, hint, WARNING)


# --- stages ---------------------------------------------------------------------------------


def _open(definition: dict) -> list[tuple[int, dict]]:
    return [(i, s) for i, s in enumerate(definition["stages"]) if s["kind"] == "open"]


def _stage_count(definition: dict) -> Iterator[Finding]:
    count = len(_open(definition))
    if count not in OPEN_STAGES:
        advice = (N_("merge stages that no decision separates") if count > OPEN_STAGES[-1]
                  else N_("split a stage where deals wait for different things"))
        yield _warning("/stages", say(N_("%(count)s open stages: funnels work best with %(low)s to %(high)s; "
                                         "with more, reps fill in nonsense to get through, with fewer, the "
                                         "report cannot show where deals are lost"),
                                      count=count, low=OPEN_STAGES[0], high=OPEN_STAGES[-1]), say(advice))


def _falling_probabilities(definition: dict) -> Iterator[Finding]:
    previous: tuple[int, float] | None = None
    for i, stage in _open(definition):
        if "probability" not in stage:
            continue
        if previous is not None and stage["probability"] < previous[1]:
            yield _warning(f"/stages/{i}/probability",
                           say(N_("lower than the probability of “%(stage)s” before it (%(probability)s): a "
                                  "deal that gets further would count less in the forecast"),
                               stage=stage_name(definition["stages"][previous[0]]), probability=previous[1]),
                           say(N_("a later stage is normally closer to winning: raise it, or reorder the stages")))
        previous = (i, stage["probability"])


def _zero_probability(definition: dict) -> Iterator[Finding]:
    for i, stage in _open(definition):
        if not stage.get("probability"):
            yield _warning(f"/stages/{i}/probability",
                           say(N_("the open stage “%(stage)s” has a probability of 0: the forecast counts its "
                                  "deals as worth nothing"), stage=stage_name(stage)),
                           say(N_("give it the share of its deals that are won in the end, e.g. 0.2")))


def _never_stale(definition: dict) -> Iterator[Finding]:
    for i, stage in _open(definition):
        if "rot_days" not in stage:
            yield _warning(f"/stages/{i}", say(N_("the open stage “%(stage)s” never goes stale (no `rot_days`): "
                                                  "a deal forgotten there reminds nobody"), stage=stage_name(stage)),
                           say(N_("set the days without activity after which to remind, e.g. 14")))


def _lost_without_reasons(definition: dict) -> Iterator[Finding]:
    if definition.get("lost_reasons"):
        return
    for i, stage in enumerate(definition["stages"]):
        if stage["kind"] == "lost":
            yield _warning(f"/stages/{i}", say(N_("the lost stage “%(stage)s” has no reasons to choose from: a "
                                                  "deal can only be lost with one of `lost_reasons`, so none can "
                                                  "be lost here"), stage=stage_name(stage)),
                           say(N_("add lost reasons, e.g. “Price too high”")))


def _identical_gates(definition: dict) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for i, stage in enumerate(definition["stages"]):
        if not stage.get("gate"):
            continue
        key = _canonical(stage["gate"])
        if key in seen:
            yield _warning(f"/stages/{i}/gate", say(N_("the same gate as “%(other)s”: gates add up along the "
                                                       "path, so this one asks for nothing new and the stage "
                                                       "marks no progress"),
                                                    other=stage_name(definition["stages"][seen[key]])),
                           say(N_("ask for what this stage adds, or merge the two stages")))
        else:
            seen[key] = i


# --- reachability ---------------------------------------------------------------------------


def _gates_before(definition: dict, index: int) -> list[tuple[str, dict]]:
    """The gates every deal has met on entering stage ``index``: its own and those of the
    unconditional stages before it (a conditional stage's gate only binds some deals)."""
    stages = definition["stages"]
    return [(f"/stages/{i}/gate", s["gate"]) for i, s in enumerate(stages[:index + 1])
            if "gate" in s and ("applies_when" not in s or i == index)]


def _unreachable_stages(definition: dict) -> Iterator[tuple[str, Finding]]:
    for i, stage in enumerate(definition["stages"]):
        if "applies_when" not in stage or stage["kind"] == "lost":
            continue
        where = f"/stages/{i}/applies_when"
        found = contradictions([(where, stage["applies_when"]), *_gates_before(definition, i)],
                               definition["fields"])
        if found:
            first = found[0]
            yield stage["id"], _warning(
                where, say(N_("no deal can reach the stage “%(stage)s”: `%(field)s` cannot meet %(sources)s at "
                              "once (%(why)s)"), stage=stage_name(stage), field=first.name,
                           sources=_and(first.sources), why=first.why),
                say(N_("loosen `applies_when`, or the field or gate it clashes with")))


def _dead_automations(definition: dict, unreachable: set[str]) -> Iterator[Finding]:
    stages = {s["id"]: (i, s) for i, s in enumerate(definition["stages"])}
    hidden = set(definition.get("ui", {}).get("hidden", []))
    reopen = definition.get("transitions", {}).get("reopen", True)
    for i, automation in enumerate(definition.get("automations", [])):
        here, on = f"/automations/{i}", automation["on"]
        index, stage = stages.get(automation.get("stage", ""), (None, None))
        why = None
        if stage is not None and on in _STAGE_TRIGGERS and stage["id"] in unreachable:
            why = (f"{here}/stage", say(N_("no deal can reach the stage “%(stage)s”"), stage=stage_name(stage)),
                   say(N_("fix the stage's `applies_when` (see its own warning)")))
        elif stage is not None and on == "stage_left" and stage["kind"] != "open" and not reopen:
            why = (f"{here}/stage", say(N_("deals never leave the closed stage “%(stage)s”: "
                                           "`transitions.reopen` is false"), stage=stage_name(stage)),
                   say(N_("trigger on “%(kind)s” instead, or allow reopening"), kind=stage["kind"]))
        elif stage is not None and on == "stale" and (stage["kind"] != "open" or "rot_days" not in stage):
            why = (f"{here}/stage", say(N_("deals in the stage “%(stage)s” never go stale: %(why)s"),
                                        stage=stage_name(stage),
                                        why=say(N_("closed deals are never stale") if stage["kind"] != "open"
                                                else N_("it has no `rot_days`"))),
                   say(N_("give the stage `rot_days`, or pick an open stage")))
        elif on == "field_changed" and automation.get("field") in hidden:
            why = (f"{here}/field", say(N_("`%(field)s` is hidden from every form (`ui.hidden`), so reps never "
                                           "change it"), field=automation["field"]),
                   say(N_("show the field, or trigger on something reps do")))
        elif "if" in automation:
            conditions = [(f"{here}/if", automation["if"])]
            if stage is not None and on == "stage_entered" and stage["kind"] != "lost":
                conditions += _gates_before(definition, index)
                if "applies_when" in stage:
                    conditions.append((f"/stages/{index}/applies_when", stage["applies_when"]))
            found = contradictions(conditions, definition["fields"])
            if found:
                why = (f"{here}/if", say(N_("`%(field)s` cannot meet %(sources)s at once (%(why)s)"),
                                         field=found[0].name, sources=_and(found[0].sources), why=found[0].why),
                       say(N_("loosen `if`, or the field or gate it clashes with")))
        if why is not None:
            pointer, reason, hint = why
            yield _warning(pointer, say(N_("the automation “%(id)s” can never fire: %(reason)s"),
                                        id=automation["id"], reason=reason), hint)


# --- forms ----------------------------------------------------------------------------------


def _hidden_fields_asked_for(definition: dict) -> Iterator[Finding]:
    hidden = set(definition.get("ui", {}).get("hidden", []))
    if not hidden:
        return
    asked = [("/fields", definition["fields"])]
    asked += [(f"/stages/{i}/gate", s["gate"]) for i, s in enumerate(definition["stages"]) if "gate" in s]
    for where, schema in asked:
        for k, name in enumerate(schema.get("required", [])):
            if name in hidden:
                yield _warning(f"{where}/required/{k}",
                               say(N_("`%(field)s` is required here but hidden from the forms (`ui.hidden`): a "
                                      "rep cannot fill it in, so deals get stuck"), field=name),
                               say(N_("show the field, or let the API or an automation require it instead")))


def _canonical(schema: dict) -> str:
    """A schema as text in which the order of keys and of ``required`` names does not matter."""
    def sort(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: sort(v, k) for k, v in value.items()}
        if isinstance(value, list):
            items = [sort(v) for v in value]
            return sorted(items, key=json.dumps) if key == "required" else items
        return value
    return json.dumps(sort(schema), sort_keys=True)


def _and(sources: tuple[str, ...]) -> str:
    return ", ".join(sources[:-1]) + " and " + sources[-1] if len(sources) > 1 else sources[0]

"""Checking a funnel definition before anything uses it.

Two passes. The meta-schema (``schemas/funnel.schema.json``) checks the shape; only a definition
of the right shape gets the second pass, the rules a schema cannot express: unique ids, a won, a
lost and an open stage, embedded JSON Schemas that are valid and name only declared fields, and
references between stages, fields, targets and automations. Every problem becomes a
:class:`Finding` at a JSON pointer into the definition; nothing here raises on bad input, because
a consultant must get a list of things to fix, never a stack trace.
"""
from __future__ import annotations

import difflib
import functools
import json
import re
from dataclasses import replace
from functools import cache, lru_cache
from os import PathLike
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from ..limits import NUMBER_LIMIT, in_range, is_number
from ..locales import bcp47, localized, reader, say
from ..schemas import meta_schema
from .findings import ERROR  # noqa: F401 (re-exported: the checkers of record types read it here)
from .findings import _TYPE_NAMES, WARNING, Finding, _a, _did_you_mean, _join, _listing, _show, _sort_key, _unique
from .json_files import parse_json  # noqa: F401 (re-exported: the readers of declared files use it)
from .json_files import read_json
from .validation import N_, pointer

if TYPE_CHECKING:  # jsonschema loads when a check runs (see validation.compile_schema)
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError



def check_file(path: str | PathLike[str]) -> list[Finding]:
    """Read, parse and check one funnel file."""
    return load_file(path)[1]


def load_file(path: str | PathLike[str]) -> tuple[dict[str, Any] | None, list[Finding]]:
    """Read, parse and check one funnel file: the definition (``None`` if unparsable) and its findings.

    One reader for the checker and the registry, so the two can never disagree on a file.
    """
    definition, found = read_json(path)
    if found and definition is None:
        return None, found
    if not isinstance(definition, dict):
        return None, check_definition(definition)
    return definition, found + check_definition(definition)


def check_definition(definition: object) -> list[Finding]:
    """Every problem of a parsed definition; an empty list (or only warnings) means it is usable."""
    findings = shape_findings(definition)
    if findings:
        return findings
    return _unique(_semantic_findings(definition))  # type: ignore[arg-type]


def shape_findings(definition: object) -> list[Finding]:
    """The first pass alone: what the meta-schema says of the definition's shape (the designer
    keeps a hand-written definition with errors across its parts, never one of the wrong shape)."""
    return _unique(_meta_findings(definition))


# --- pass 1: the meta-schema ---------------------------------------------------------------

@cache
def _meta_validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(meta_schema())


@cache
def _json_schema_validator() -> Draft202012Validator:
    """Validates JSON Schemas themselves (fields, gates, conditions), formats such as regex included."""
    from jsonschema import Draft202012Validator as cls

    return cls(cls.META_SCHEMA, format_checker=cls.FORMAT_CHECKER)


def _meta_findings(definition: object) -> list[Finding]:
    if not isinstance(definition, dict):
        return [Finding("", say(N_("a funnel definition must be a JSON object, not %(kind)s"), kind=_a(definition)),
                        hint=say(N_("start from a template: goldsieve init --template software DIR")))]
    return schema_findings(_meta_validator(), definition)


def schema_findings(validator: Draft202012Validator, definition: object) -> list[Finding]:
    """The findings of a meta-schema's errors on a definition, each at its pointer with a hint;
    the explanation every declared definition (a funnel, a record type) gets for its shape."""
    errors = sorted(validator.iter_errors(definition), key=lambda e: _sort_key(e.absolute_path))
    return [finding for error in errors for finding in _explain(error)]


#: what a value that does not match a pattern of the meta-schema is (``%(value)s``), and the hint
_PATTERNS = {
    "^[a-z][a-z0-9_-]{0,63}$": (N_("`%(value)s` is not a valid id"),
                                N_("use lowercase letters, digits, `_` and `-`, starting with a letter")),
    "^[A-Z]{3}$": (N_("`%(value)s` is not an ISO 4217 currency code"),
                   N_("use three capital letters, e.g. `CNY` or `EUR`")),
    "^[A-Za-z_][A-Za-z0-9_]*$": (N_("`%(value)s` is not a valid field name"),
                                 N_("use letters, digits and `_`; put the name people read in `title`")),
    "^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*$": (N_("`%(value)s` is not a locale code"), N_("use e.g. `en` or `zh-Hans`")),
}

_TEXT_HINT = N_('write a string, or translations such as {"en": "Quote", "zh-Hans": "报价"}')
_LOCALE = re.compile(r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")




def _explain(error: ValidationError) -> list[Finding]:
    where = pointer("", error.absolute_path)
    kind, value, instance = error.validator, error.validator_value, error.instance
    if "propertyNames" in error.relative_schema_path and kind == "pattern":
        return [Finding(_join(where, instance), *_pattern(value, instance))]
    if kind == "additionalProperties" and value is False and isinstance(instance, dict):
        allowed = list(error.schema.get("properties", {}))
        return [Finding(_join(where, key), say(N_("unknown key `%(key)s`"), key=key),
                        _did_you_mean(str(key), allowed) or say(N_("allowed here: %(keys)s"), keys=_listing(allowed)))
                for key in instance if key not in allowed]
    if kind == "required" and isinstance(instance, dict):
        return [Finding(where, say(N_("`%(key)s` is required here"), key=name)) for name in value if name not in instance]
    if kind == "anyOf" and error.schema == meta_schema()["$defs"]["text"]:
        if isinstance(instance, dict):  # the object form was meant: say what is wrong inside it
            inner = [e for e in error.context or () if e.relative_schema_path[0] == 1]
            return [f for e in inner for f in _explain(e)]
        return [Finding(where, say(N_("should be text, not %(kind)s"), kind=_a(instance)), say(_TEXT_HINT))]
    if kind == "type":
        wanted = [say(_TYPE_NAMES[t]) if t in _TYPE_NAMES else t for t in ([value] if isinstance(value, str) else value)]
        expected = functools.reduce(lambda one, other: say(N_("%(one)s or %(other)s"), one=one, other=other), wanted)
        return [Finding(where, say(N_("should be %(expected)s, not %(kind)s"), expected=expected, kind=_a(instance)))]
    if kind == "enum":
        return [Finding(where, say(N_("`%(value)s` is not one of %(choices)s"), value=_show(instance),
                                   choices=_listing(value)),
                        _did_you_mean(instance, value) if isinstance(instance, str) else None)]
    if kind == "const":
        return [Finding(where, say(N_("should be `%(expected)s`, not `%(value)s`"), expected=_show(value),
                                   value=_show(instance)))]
    if kind in ("minimum", "maximum") and error.schema.get("maximum") == 1 and error.schema.get("minimum") == 0:
        return [Finding(where, say(N_("should be between 0 and 1, not %(value)s"), value=_show(instance)),
                        say(N_("a share or chance: 0.25 means 25 percent")))]
    if kind == "minimum":
        return [Finding(where, say(N_("should be at least %(low)s, not %(value)s"), low=value, value=_show(instance)))]
    if kind == "minItems":
        message = (N_("needs at least %(count)s stages, has %(has)s") if where == "/stages" else
                   N_("needs at least %(count)s entry, has %(has)s") if value == 1 else
                   N_("needs at least %(count)s entries, has %(has)s"))
        return [Finding(where, say(message, count=value, has=len(instance)))]
    if kind in ("minLength", "minProperties"):
        return [Finding(where, say(N_("must not be empty")))]
    if kind == "pattern":
        return [Finding(where, *_pattern(value, _show(instance)))]
    if kind == "uniqueItems":
        return [Finding(where, say(N_("lists the same item more than once")))]
    if kind in ("anyOf", "oneOf"):
        return [_no_form(where, instance, error)]
    return [Finding(where, error.message)]


def _pattern(pattern: str, value: object) -> tuple[str, str | None]:
    """What a value that does not match ``pattern`` is, and how to fix it, in the reader's language."""
    if pattern in _PATTERNS:
        what, hint = _PATTERNS[pattern]
        return say(what, value=value), say(hint)
    return say(N_("`%(value)s` does not match `%(pattern)s`"), value=value, pattern=pattern), None


def _no_form(where: str, instance: object, error: ValidationError) -> Finding:
    """A value that none of the forms a key allows takes ("not valid under any of the given
    schemas"): said in words, and for whom to notify with the forms a recipient takes."""
    branches = [error.schema, *error.schema.get(error.validator, [])]
    branches += [b.get("items", {}) for b in branches if isinstance(b, dict)]
    if any(isinstance(b, dict) and b.get("x-choices") == "recipients" for b in branches):
        guess = _did_you_mean(instance, ["owner", "manager"]) if isinstance(instance, str) else None
        return Finding(where, say(N_("`%(value)s` is not someone to notify"), value=_show(instance)),
                       guess or say(N_("write owner, manager, role:NAME, team:NAME or user:NAME, or a list of them")))
    return Finding(where, say(N_("`%(value)s` is none of the forms this key takes"), value=_show(instance)))


# --- pass 2: what a schema cannot say -----------------------------------------------------

def _semantic_findings(d: dict[str, Any]) -> Iterator[Finding]:
    stages: list[dict] = d["stages"]
    stage_ids = [s["id"] for s in stages]
    fields: dict = d["fields"]
    field_names = list(fields["properties"])

    yield from _check_stages(stages)
    yield from check_json_schema(fields, "/fields")
    yield from check_bounds(fields, "/fields")
    yield from check_names(fields, "/fields", field_names)
    if d.get("extra_fields") is True and fields.get("additionalProperties") is False:
        yield Finding("/extra_fields", say(N_("keeps undeclared keys, but `fields` says "
                                              "`additionalProperties: false`, which refuses every one")),
                      say(N_("drop one of the two")), WARNING)
    conditions = [(f"/stages/{i}/{key}", s[key]) for i, s in enumerate(stages)
                  for key in ("gate", "applies_when") if key in s]
    conditions += [(f"/highlight/{i}/when", h["when"]) for i, h in enumerate(d.get("highlight", []))]
    conditions += [(f"/automations/{i}/if", a["if"]) for i, a in enumerate(d.get("automations", []))
                   if "if" in a]
    for where, condition in conditions:
        yield from check_json_schema(condition, where)
        yield from check_names(condition, where, field_names)

    reasons = d.get("lost_reasons", [])
    yield from duplicate_ids([r["id"] for r in reasons], "/lost_reasons", "lost reason")

    ui = d.get("ui", {})
    for i, name in enumerate(ui.get("order", [])):
        yield from known(name, f"/ui/order/{i}", field_names, "field")
    for i, name in enumerate(ui.get("hidden", [])):
        yield from known(name, f"/ui/hidden/{i}", field_names, "field")
    for key in ("widgets", "help"):
        for name in ui.get(key, {}):
            yield from known(name, _join(f"/ui/{key}", name), field_names, "field")
    for stage_id in d.get("targets", {}):
        yield from known(stage_id, _join("/targets", stage_id), stage_ids, "stage")

    yield from _check_automations(d.get("automations", []), stage_ids, field_names)

    migration = d.get("migration")
    if migration is not None:
        if migration["from_version"] >= d["version"]:
            yield Finding("/migration/from_version",
                          say(N_("migrates from version %(old)s, which is not older than this definition's "
                                 "`version` %(version)s"), old=migration["from_version"], version=d["version"]),
                          say(N_("raise `version`")))
        for old, new in migration.get("map", {}).items():
            yield from known(new, _join("/migration/map", old), stage_ids, "stage")


def _check_stages(stages: list[dict]) -> Iterator[Finding]:
    yield from duplicate_ids([s["id"] for s in stages], "/stages", "stage")
    kinds = [s["kind"] for s in stages]
    for kind, why in (("open", N_("deals need a stage to be worked in")),
                      ("won", N_("deals need a stage to be won in")),
                      ("lost", N_("deals need a stage to be lost in"))):
        if kind not in kinds:
            yield Finding("/stages", say(N_("no stage has `kind` `%(kind)s`: %(why)s"), kind=kind, why=say(why)),
                          say(N_("add a stage of kind %(kind)s"), kind=kind)
                          if kind != "open" else say(N_("add the stages a deal goes through")))
    last_open = max((i for i, k in enumerate(kinds) if k == "open"), default=-1)
    first_open = kinds.index("open") if "open" in kinds else None
    for i, stage in enumerate(stages):
        here = f"/stages/{i}"
        if stage["kind"] != "open":
            if i < last_open:
                yield Finding(f"{here}/kind", say(N_("the closed stage “%(stage)s” comes before open stages"),
                                                  stage=stage_name(stage)),
                              say(N_("put the won and lost stages after the open ones")), WARNING)
            if "rot_days" in stage:
                yield Finding(f"{here}/rot_days",
                              say(N_("a closed deal never goes stale: `rot_days` has no effect here")), None, WARNING)
            expected = {"won": 1, "lost": 0}[stage["kind"]]
            if stage.get("probability", expected) != expected:
                yield Finding(f"{here}/probability",
                              say(N_("the closed stage “%(stage)s” normally has the probability %(expected)s"),
                                  stage=stage_name(stage), expected=expected), None, WARNING)
        if stage["kind"] == "lost" and "applies_when" in stage:
            yield Finding(f"{here}/applies_when",
                          say(N_("a deal can always be lost: `applies_when` has no effect here")), None, WARNING)
        if i == first_open and "applies_when" in stage:
            yield Finding(f"{here}/applies_when", say(N_("every new deal starts in the first open stage, so its "
                                                         "`applies_when` has no effect")), None, WARNING)


def stage_name(stage: dict[str, Any]) -> str:
    """A stage as its reader knows it: its title in the reader's language (the command line's
    ``--lang``, the page's in the designer), else its id."""
    title = stage.get("title")
    return (localized(title, bcp47(reader.get() or "en")) if isinstance(title, (str, dict)) else "") or stage["id"]


def check_bounds(fields: dict, where: str) -> Iterator[Finding]:
    """A number's declared bound beyond :data:`goldsieve.limits.NUMBER_LIMIT`: the engine refuses
    every number past the limit whatever the field says, so such a bound only misleads."""
    for at, sub in _subschemas(fields, where):
        for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            bound = sub.get(key)
            if is_number(bound) and not in_range(bound):
                yield Finding(_join(at, key),
                              say(N_("%(bound)s is beyond ±%(limit)s, the most goldsieve stores and sums "
                                     "exactly: numbers past it are refused anyway"),
                                  bound=_show(bound), limit=f"{NUMBER_LIMIT:,}"),
                              say(N_("use a bound from -%(limit)s to %(limit)s"), limit=NUMBER_LIMIT), WARNING)


def _check_automations(automations: list[dict], stage_ids: list[str], field_names: list[str]) -> Iterator[Finding]:
    yield from duplicate_ids([a["id"] for a in automations], "/automations", "automation")
    for i, automation in enumerate(automations):
        here = f"/automations/{i}"
        if "stage" in automation:
            yield from known(automation["stage"], f"{here}/stage", stage_ids, "stage")
        if "field" in automation:
            yield from known(automation["field"], f"{here}/field", field_names, "field")
        elif automation["on"] == "field_changed":
            yield Finding(here, say(N_("`field_changed` needs `field`: the field whose change triggers it")),
                          say(N_('add e.g. "field": "amount"')))


# --- embedded JSON Schemas ------------------------------------------------------------------

_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_ONE = ("additionalProperties", "items", "contains", "not", "if", "then", "else", "propertyNames",
               "unevaluatedItems", "unevaluatedProperties", "contentSchema")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")


@cache
def _keywords() -> frozenset[str]:
    """Every JSON Schema 2020-12 keyword, to tell a misspelt one."""
    from jsonschema import Draft202012Validator

    return frozenset(Draft202012Validator.VALIDATORS) | {
        "then", "else", "minContains", "maxContains", "$schema", "$id", "$anchor", "$dynamicAnchor",
        "$vocabulary", "$comment", "$defs", "definitions", "title", "description", "default",
        "examples", "deprecated", "readOnly", "writeOnly", "contentEncoding", "contentMediaType",
        "contentSchema",
    }


def check_json_schema(schema: dict, where: str) -> Iterator[Finding]:
    """Findings for an embedded JSON Schema: invalid keyword values, then misspelt keywords."""
    try:
        text = json.dumps(schema, sort_keys=True)
    except (TypeError, ValueError):  # not JSON data (only from Python callers): no caching
        relative: Iterable[Finding] = _schema_problems(schema, "")
    else:
        relative = _cached_schema_problems(text, reader.get())
    for finding in relative:
        yield replace(finding, pointer=where + finding.pointer)


@lru_cache(maxsize=512)
def _cached_schema_problems(text: str, _language: str | None) -> tuple[Finding, ...]:
    # validating against the 2020-12 meta-schema is the slow part of a check, and the same
    # conditions recur across the files of a workspace and across checks of an edited file; the
    # reader's language is part of the key, as the findings are worded in it
    return tuple(_schema_problems(json.loads(text), ""))


def _schema_problems(schema: dict, where: str) -> Iterator[Finding]:
    errors = sorted(_json_schema_validator().iter_errors(schema), key=lambda e: _sort_key(e.absolute_path))
    for error in errors:
        path = list(error.absolute_path)
        here = pointer(where, path)
        tail = list(error.schema_path)[-3:]
        in_type = path[-1:] == ["type"] or (path[-2:-1] == ["type"] and isinstance(path[-1], int))
        if error.validator == "type" and len(tail) == 3 and tail[0] == "properties" and tail[1] in (
                "title", "description"):
            if not _is_text(error.instance):  # goldsieve allows translated titles in fields
                yield Finding(here, say(N_("should be text, not %(kind)s"), kind=_a(error.instance)), say(_TEXT_HINT))
        elif in_type and error.validator in ("anyOf", "enum"):
            types = list(_TYPE_NAMES)
            wrong = ([(f"{here}/{i}", t) for i, t in enumerate(error.instance) if t not in types]
                     if isinstance(error.instance, list) else []) or [(here, error.instance)]
            for at, value in wrong:
                hint = _did_you_mean(value, types) if isinstance(value, str) else None
                yield Finding(at, say(N_("`%(value)s` is not a JSON Schema type"), value=_show(value)),
                              hint or say(N_("use one of %(choices)s"), choices=_listing(types)))
        elif error.validator == "format" and error.validator_value == "regex":
            yield Finding(here, say(N_("`%(value)s` is not a valid regular expression"), value=error.instance))
        else:
            for finding in _explain(error):
                yield replace(finding, pointer=where + finding.pointer)
    for at, sub in _subschemas(schema, where):
        for key in sub:
            if key in _keywords() or str(key).startswith("x-"):
                continue
            guess = difflib.get_close_matches(str(key), _keywords(), n=1, cutoff=0.8)
            if guess:
                yield Finding(_join(at, key), say(N_("`%(key)s` is not a JSON Schema keyword"), key=key),
                              say(N_("did you mean `%(guess)s`?"), guess=guess[0]))
            else:
                yield Finding(_join(at, key), say(N_("unknown JSON Schema keyword `%(key)s` is ignored"), key=key),
                              say(N_("prefix your own keywords with `x-`")), WARNING)


def _subschemas(schema: object, where: str) -> Iterator[tuple[str, dict]]:
    if not isinstance(schema, dict):
        return
    yield where, schema
    for key in _SCHEMA_MAPS:
        if isinstance(schema.get(key), dict):
            for name, sub in schema[key].items():
                yield from _subschemas(sub, _join(_join(where, key), name))
    for key in _SCHEMA_ONE:
        yield from _subschemas(schema.get(key), _join(where, key))
    for key in _SCHEMA_LISTS:
        if isinstance(schema.get(key), list):
            for i, sub in enumerate(schema[key]):
                yield from _subschemas(sub, f"{_join(where, key)}/{i}")


def check_names(schema: object, where: str, field_names: list[str]) -> Iterator[Finding]:
    """Field names a condition refers to at the top level of the deal's data must be declared."""
    if not isinstance(schema, dict):
        return
    required = schema.get("required")
    if isinstance(required, list):
        for i, name in enumerate(required):
            if isinstance(name, str):  # anything else is reported as an invalid schema
                yield from known(name, f"{where}/required/{i}", field_names, "field")
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for name in properties:
            yield from known(name, _join(f"{where}/properties", name), field_names, "field")
    for key in ("allOf", "anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            for i, sub in enumerate(schema[key]):
                yield from check_names(sub, f"{where}/{key}/{i}", field_names)
    for key in ("not", "if", "then", "else"):
        yield from check_names(schema.get(key), f"{where}/{key}", field_names)


# --- helpers ------------------------------------------------------------------------------

def known(name: object, where: str, names: list[str], what: str, of: str = "funnel", **params: object
          ) -> Iterator[Finding]:
    """A finding unless ``name`` is one of ``names``: the ``what`` (field, stage) of ``of`` (a
    funnel, a record type; ``params`` fill its sentence, e.g. the ``type`` of an activity type)."""
    if isinstance(name, str) and name in names:
        return
    hint = _did_you_mean(name, names) if isinstance(name, str) else None
    if hint is None:
        hint = say(N_("declare it in `fields.properties`")) if what == "field" else \
            say(N_("the stages are: %(stages)s"), stages=_listing(names))
    message = _NOT_KNOWN.get((what, of), N_("`%(name)s` is not a %(what)s of this %(of)s"))
    yield Finding(where, say(message, name=_show(name), what=what, of=of, **params), hint)


#: "is not a field of this funnel" and its kin, each a sentence of its own to translate
_NOT_KNOWN = {("field", "funnel"): N_("`%(name)s` is not a field of this funnel"),
              ("stage", "funnel"): N_("`%(name)s` is not a stage of this funnel"),
              ("field", "customer"): N_("`%(name)s` is not a field of this customer record"),
              ("field", "contact"): N_("`%(name)s` is not a field of this contact record"),
              ("field", "activity type"): N_("`%(name)s` is not a field of activity type %(type)s")}


def duplicate_ids(ids: list[str], where: str, what: str) -> Iterator[Finding]:
    first: dict[str, int] = {}
    for i, value in enumerate(ids):
        if value in first:
            yield Finding(f"{where}/{i}/id", say(_DUPLICATE.get(what, N_("%(what)s id `%(id)s` is already used at %(at)s")),
                                                 what=what, id=value, at=f"{where}/{first[value]}"),
                          say(_OWN_ID.get(what, N_("each one needs its own id"))))
        else:
            first[value] = i


#: "stage id … is already used" and its kin, each a sentence of its own to translate
_DUPLICATE = {"stage": N_("stage id `%(id)s` is already used at %(at)s"),
              "lost reason": N_("lost reason id `%(id)s` is already used at %(at)s"),
              "automation": N_("automation id `%(id)s` is already used at %(at)s"),
              "role": N_("role id `%(id)s` is already used at %(at)s"),
              "activity type": N_("activity type id `%(id)s` is already used at %(at)s")}
_OWN_ID = {"stage": N_("each stage needs its own id"), "lost reason": N_("each lost reason needs its own id"),
           "automation": N_("each automation needs its own id"), "role": N_("each role needs its own id"),
           "activity type": N_("each activity type needs its own id")}


def _is_text(value: object) -> bool:
    if isinstance(value, dict):
        return bool(value) and all(isinstance(k, str) and _LOCALE.match(k) and isinstance(v, str) and v
                                   for k, v in value.items())
    return isinstance(value, str) and bool(value)



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
import json
import re
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from ..limits import NUMBER_LIMIT, in_range, is_number
from ..locales import bcp47, localized, reader, say
from ..schemas import meta_schema
from .validation import N_, pointer, pointer_part

if TYPE_CHECKING:  # jsonschema loads when a check runs (see validation.compile_schema)
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Finding:
    """One problem of a definition: where (a JSON pointer, "" for the whole), what, how to fix."""

    pointer: str
    message: str
    hint: str | None = None
    severity: str = ERROR  # "error" or "warning"


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


def read_json(path: str | PathLike[str]) -> tuple[Any, list[Finding]]:
    """Read and parse a JSON definition file: the value (``None`` if unparsable) and what is wrong
    with the file as a file (encoding, BOM, syntax, NaN, a key given twice). Shared by every
    kind of declared definition (funnels, record types), so they all report a broken file alike.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return None, [Finding("", f"cannot read the file: {exc.strerror or exc}")]
    return parse_json(data)


def parse_json(data: bytes) -> tuple[Any, list[Finding]]:
    """Parse the bytes of a JSON definition file (one read from disk, or uploaded) as
    :func:`read_json` does: the value (``None`` if unparsable) and what is wrong with the file."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [Finding("", f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})")]
    if text.startswith("\ufeff"):  # what some Windows editors write; json and goldsieve refuse it
        return None, [Finding("", "not valid JSON: the file starts with a byte order mark at line 1, column 1",
                        hint="save the file as UTF-8 without BOM")]
    try:
        definition = json.loads(text, object_pairs_hook=_Object, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        return None, [Finding("", f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                        hint="check the commas, quotes and brackets just before that place")]
    except RecursionError:
        return None, [Finding("", "not valid JSON: it nests too deep to read",
                              hint="a funnel file nests a few levels, not hundreds")]
    except _BadConstant as exc:
        line, column = _position(text, exc.name)
        return None, [Finding("", f"not valid JSON: `{exc.name}` at line {line}, column {column}",
                        hint="JSON has no NaN or Infinity; write a number")]
    return definition, list(_duplicate_keys(definition, "")) if isinstance(definition, dict) else []


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
        return [Finding("", f"a funnel definition must be a JSON object, not {_a(definition)}",
                        hint='start from a template: goldsieve init --template software DIR')]
    return schema_findings(_meta_validator(), definition)


def schema_findings(validator: Draft202012Validator, definition: object) -> list[Finding]:
    """The findings of a meta-schema's errors on a definition, each at its pointer with a hint;
    the explanation every declared definition (a funnel, a record type) gets for its shape."""
    errors = sorted(validator.iter_errors(definition), key=lambda e: _sort_key(e.absolute_path))
    return [finding for error in errors for finding in _explain(error)]


_PATTERNS = {
    "^[a-z][a-z0-9_-]{0,63}$": ("is not a valid id",
                                "use lowercase letters, digits, `_` and `-`, starting with a letter"),
    "^[A-Z]{3}$": ("is not an ISO 4217 currency code", "use three capital letters, e.g. `CNY` or `EUR`"),
    "^[A-Za-z_][A-Za-z0-9_]*$": ("is not a valid field name",
                                 "use letters, digits and `_`; put the name people read in `title`"),
    "^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*$": ("is not a locale code", "use e.g. `en` or `zh-Hans`"),
}

_TEXT_HINT = 'write a string, or translations such as {"en": "Quote", "zh-Hans": "报价"}'
_LOCALE = re.compile(r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")

_TYPE_NAMES = {"object": "an object", "array": "a list", "string": "a string", "integer": "a whole number",
               "number": "a number", "boolean": "true or false", "null": "null"}


def _explain(error: ValidationError) -> list[Finding]:
    where = pointer("", error.absolute_path)
    kind, value, instance = error.validator, error.validator_value, error.instance
    if "propertyNames" in error.relative_schema_path and kind == "pattern":
        what, hint = _PATTERNS.get(value, ("is not allowed here", None))
        return [Finding(_join(where, instance), f"`{instance}` {what}", hint)]
    if kind == "additionalProperties" and value is False and isinstance(instance, dict):
        allowed = list(error.schema.get("properties", {}))
        return [Finding(_join(where, key), f"unknown key `{key}`",
                        _did_you_mean(str(key), allowed) or "allowed here: " + _listing(allowed))
                for key in instance if key not in allowed]
    if kind == "required" and isinstance(instance, dict):
        return [Finding(where, f"`{name}` is required here") for name in value if name not in instance]
    if kind == "anyOf" and error.schema == meta_schema()["$defs"]["text"]:
        if isinstance(instance, dict):  # the object form was meant: say what is wrong inside it
            inner = [e for e in error.context or () if e.relative_schema_path[0] == 1]
            return [f for e in inner for f in _explain(e)]
        return [Finding(where, f"should be text, not {_a(instance)}", _TEXT_HINT)]
    if kind == "type":
        expected = " or ".join(_TYPE_NAMES.get(t, t) for t in ([value] if isinstance(value, str) else value))
        return [Finding(where, f"should be {expected}, not {_a(instance)}")]
    if kind == "enum":
        return [Finding(where, f"`{_show(instance)}` is not one of " + _listing(value),
                        _did_you_mean(instance, value) if isinstance(instance, str) else None)]
    if kind == "const":
        return [Finding(where, f"should be `{_show(value)}`, not `{_show(instance)}`")]
    if kind in ("minimum", "maximum") and error.schema.get("maximum") == 1 and error.schema.get("minimum") == 0:
        return [Finding(where, f"should be between 0 and 1, not {_show(instance)}",
                        "a share or chance: 0.25 means 25 %")]
    if kind == "minimum":
        return [Finding(where, f"should be at least {value}, not {_show(instance)}")]
    if kind == "minItems":
        things = "stages" if where == "/stages" else "entry" if value == 1 else "entries"
        return [Finding(where, f"needs at least {value} {things}, has {len(instance)}")]
    if kind in ("minLength", "minProperties"):
        return [Finding(where, "must not be empty")]
    if kind == "pattern":
        what, hint = _PATTERNS.get(value, (f"does not match `{value}`", None))
        return [Finding(where, f"`{_show(instance)}` {what}", hint)]
    if kind == "uniqueItems":
        return [Finding(where, "lists the same item more than once")]
    return [Finding(where, error.message)]


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
        yield Finding("/extra_fields", "keeps undeclared keys, but `fields` says "
                      "`additionalProperties: false`, which refuses every one",
                      "drop one of the two", WARNING)
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
                          f"migrates from version {migration['from_version']}, which is not older than "
                          f"this definition's `version` {d['version']}", "raise `version`")
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
                              f"{_show(bound)} is beyond ±{NUMBER_LIMIT:,}, the most goldsieve stores "
                              "and sums exactly: numbers past it are refused anyway",
                              f"use a bound from -{NUMBER_LIMIT} to {NUMBER_LIMIT}", WARNING)


def _check_automations(automations: list[dict], stage_ids: list[str], field_names: list[str]) -> Iterator[Finding]:
    yield from duplicate_ids([a["id"] for a in automations], "/automations", "automation")
    for i, automation in enumerate(automations):
        here = f"/automations/{i}"
        if "stage" in automation:
            yield from known(automation["stage"], f"{here}/stage", stage_ids, "stage")
        if "field" in automation:
            yield from known(automation["field"], f"{here}/field", field_names, "field")
        elif automation["on"] == "field_changed":
            yield Finding(here, "`field_changed` needs `field`: the field whose change triggers it",
                          "add e.g. \"field\": \"amount\"")


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
        relative = _cached_schema_problems(text)
    for finding in relative:
        yield replace(finding, pointer=where + finding.pointer)


@lru_cache(maxsize=512)
def _cached_schema_problems(text: str) -> tuple[Finding, ...]:
    # validating against the 2020-12 meta-schema is the slow part of a check, and the same
    # conditions recur across the files of a workspace and across checks of an edited file
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
                yield Finding(here, f"should be text, not {_a(error.instance)}", _TEXT_HINT)
        elif in_type and error.validator in ("anyOf", "enum"):
            types = list(_TYPE_NAMES)
            wrong = ([(f"{here}/{i}", t) for i, t in enumerate(error.instance) if t not in types]
                     if isinstance(error.instance, list) else []) or [(here, error.instance)]
            for at, value in wrong:
                hint = _did_you_mean(value, types) if isinstance(value, str) else None
                yield Finding(at, f"`{_show(value)}` is not a JSON Schema type",
                              hint or "use one of " + _listing(types))
        elif error.validator == "format" and error.validator_value == "regex":
            yield Finding(here, f"`{error.instance}` is not a valid regular expression")
        else:
            for finding in _explain(error):
                yield replace(finding, pointer=where + finding.pointer)
    for at, sub in _subschemas(schema, where):
        for key in sub:
            if key in _keywords() or str(key).startswith("x-"):
                continue
            guess = difflib.get_close_matches(str(key), _keywords(), n=1, cutoff=0.8)
            if guess:
                yield Finding(_join(at, key), f"`{key}` is not a JSON Schema keyword",
                              f"did you mean `{guess[0]}`?")
            else:
                yield Finding(_join(at, key), f"unknown JSON Schema keyword `{key}` is ignored",
                              "prefix your own keywords with `x-`", WARNING)


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

def known(name: object, where: str, names: list[str], what: str, of: str = "funnel"
          ) -> Iterator[Finding]:
    """A finding unless ``name`` is one of ``names``: the ``what`` (field, stage) of ``of``."""
    if isinstance(name, str) and name in names:
        return
    hint = _did_you_mean(name, names) if isinstance(name, str) else None
    if hint is None:
        hint = "declare it in `fields.properties`" if what == "field" else "the stages are: " + _listing(names)
    yield Finding(where, f"`{_show(name)}` is not a {what} of this {of}", hint)


def duplicate_ids(ids: list[str], where: str, what: str) -> Iterator[Finding]:
    first: dict[str, int] = {}
    for i, value in enumerate(ids):
        if value in first:
            yield Finding(f"{where}/{i}/id", f"{what} id `{value}` is already used at {where}/{first[value]}",
                          f"each {what} needs its own id")
        else:
            first[value] = i


def _did_you_mean(word: str, choices: Iterable[Any]) -> str | None:
    matches = difflib.get_close_matches(word, [c for c in choices if isinstance(c, str)], n=1, cutoff=0.6)
    return f"did you mean `{matches[0]}`?" if matches else None


def _is_text(value: object) -> bool:
    if isinstance(value, dict):
        return bool(value) and all(isinstance(k, str) and _LOCALE.match(k) and isinstance(v, str) and v
                                   for k, v in value.items())
    return isinstance(value, str) and bool(value)


def _join(where: str, key: object) -> str:
    return f"{where}/{pointer_part(key)}"


def _sort_key(path: Iterable[object]) -> list[tuple[int, int, str]]:
    return [(0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in path]


def _a(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    for python_type, name in ((dict, "an object"), (list, "a list"), (str, "a string"),
                              (int, "a whole number"), (float, "a number")):
        if isinstance(value, python_type):
            return name
    return type(value).__name__


def _show(value: object) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    text = text[1:-1] if isinstance(value, str) else text
    return text if len(text) <= 60 else text[:57] + "..."


def _listing(values: Iterable[object]) -> str:
    return ", ".join(f"`{_show(v)}`" for v in values)


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))


# --- parsing helpers for check_file -------------------------------------------------------

class _Object(dict):
    """A parsed JSON object that remembers the keys it saw twice (JSON keeps only the last)."""

    def __init__(self, pairs: list[tuple[str, Any]]):
        super().__init__()
        self.duplicates: list[str] = []
        for key, value in pairs:
            if key in self and key not in self.duplicates:
                self.duplicates.append(key)
            self[key] = value


def _duplicate_keys(value: object, where: str) -> Iterator[Finding]:
    if isinstance(value, dict):
        for key in getattr(value, "duplicates", ()):
            yield Finding(_join(where, key), f"the key `{key}` appears more than once in this object",
                          "JSON keeps only the last one; merge them")
        for key, sub in value.items():
            yield from _duplicate_keys(sub, _join(where, key))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from _duplicate_keys(sub, f"{where}/{i}")


class _BadConstant(ValueError):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def _no_constant(name: str) -> object:
    raise _BadConstant(name)


def _position(text: str, token: str) -> tuple[int, int]:
    index = max(text.find(token), 0)
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1

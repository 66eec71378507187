"""Checking a record-type file (``records/customer.json``, ``records/contact.json``,
``records/activity.json``).

The same two passes as a funnel (:mod:`goldsieve.funnels.check`, whose explanations it reuses):
the meta-schema (``schemas/record.schema.json``) checks the shape, then what a schema cannot say:
the embedded ``fields`` schema is valid, ``ui`` and ``match`` name declared fields, role ids are
unique, and roles belong to contacts and match keys to customers. The activity types
(``schemas/activity.schema.json``) are a list of types, each checked like a record's fields.
The findings are worded as a funnel's are, in the reader's language (:data:`goldsieve.locales.reader`).
"""
from __future__ import annotations

from functools import cache
from os import PathLike
from typing import Any, Iterator

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from ..funnels.check import (
    Finding,
    check_bounds,
    check_json_schema,
    check_names,
    duplicate_ids,
    known,
    read_json,
    schema_findings,
)
from ..locales import N_, say
from ..schemas import activity_schema, meta_schema, record_schema

#: The record types a workspace may declare, each in ``records/<kind>.json``.
KINDS = ("customer", "contact", "activity")
#: The kind whose file declares a list of types rather than one set of fields.
ACTIVITY = "activity"
#: The match key that stands for the customer's normalised name rather than a data field.
NAME_KEY = "name"


@cache
def _validator(kind: str) -> Draft202012Validator:
    funnel = meta_schema()
    registry = Registry().with_resource(funnel["$id"], Resource.from_contents(funnel))
    return Draft202012Validator(activity_schema() if kind == ACTIVITY else record_schema(), registry=registry)


def check_record(definition: object, kind: str) -> list[Finding]:
    """Every problem of a parsed record-type definition of ``kind``; none (or only warnings)
    means it is usable."""
    if not isinstance(definition, dict):
        start = ('{"types": [{"id": "call", "title": "Call"}]}' if kind == ACTIVITY
                 else '{"fields": {"type": "object", "properties": {}}}')
        return [Finding("", say(_NOT_AN_OBJECT[kind]), hint=say(N_("start with %(start)s"), start=start))]
    found = schema_findings(_validator(kind), definition)
    if found:
        return found
    if kind == ACTIVITY:
        return list(dict.fromkeys(_activity_types(definition)))
    return list(dict.fromkeys(_semantic(definition, kind)))


def load_record(path: str | PathLike[str], kind: str) -> tuple[dict[str, Any] | None, list[Finding]]:
    """Read, parse and check one record-type file: the definition (``None`` if unusable as a
    dict) and its findings; one reader for ``goldsieve check`` and the runtime."""
    definition, found = read_json(path)
    if definition is None:
        return None, found
    found += check_record(definition, kind)
    return (definition if isinstance(definition, dict) else None), found


#: "a customer record type must be a JSON object" and its kin, each a sentence to translate
_NOT_AN_OBJECT = {"customer": N_("a customer record type must be a JSON object"),
                  "contact": N_("a contact record type must be a JSON object"),
                  "activity": N_("an activity record type must be a JSON object")}


def _fields(d: dict[str, Any], where: str, of: str, **params: object) -> Iterator[Finding]:
    """A declared ``fields`` schema and the ``ui`` hints beside it, at ``where``: the fields of
    ``of`` (a record's kind, or ``activity type`` with its ``type``)."""
    fields = d.get("fields", {"type": "object", "properties": {}})
    names = list(fields.get("properties", {}))
    yield from check_json_schema(fields, f"{where}/fields")
    yield from check_bounds(fields, f"{where}/fields")
    yield from check_names(fields, f"{where}/fields", names)
    ui = d.get("ui", {})
    for key in ("order", "hidden"):
        for i, name in enumerate(ui.get(key, [])):
            yield from known(name, f"{where}/ui/{key}/{i}", names, "field", of, **params)
    for key in ("widgets", "help"):
        for name in ui.get(key, {}):
            yield from known(name, f"{where}/ui/{key}/{name}", names, "field", of, **params)


def _activity_types(d: dict[str, Any]) -> Iterator[Finding]:
    types = d["types"]
    yield from duplicate_ids([t["id"] for t in types], "/types", "activity type")
    for i, kind in enumerate(types):
        yield from _fields(kind, f"/types/{i}", "activity type", type=kind["id"])


def _semantic(d: dict[str, Any], kind: str) -> Iterator[Finding]:
    names = list(d["fields"]["properties"])
    yield from _fields(d, "", kind)
    if "roles" in d and kind != "contact":
        yield Finding("/roles", say(N_("only contacts have roles")), say(N_("move `roles` to records/contact.json")))
    yield from duplicate_ids([r["id"] for r in d.get("roles", [])], "/roles", "role")
    if "match" in d and kind != "customer":
        yield Finding("/match", say(N_("only customers have match keys")),
                      say(N_("move `match` to records/customer.json")))
    for i, name in enumerate(d.get("match", [])):
        if name != NAME_KEY:
            yield from known(name, f"/match/{i}", names, "field", kind)

"""Checking a record-type file (``records/customer.json``, ``records/contact.json``).

The same two passes as a funnel (:mod:`goldsieve.funnels.check`, whose explanations it reuses):
the meta-schema (``schemas/record.schema.json``) checks the shape, then what a schema cannot say:
the embedded ``fields`` schema is valid, ``ui`` and ``match`` name declared fields, role ids are
unique, and roles belong to contacts and match keys to customers.
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
from ..schemas import meta_schema, record_schema

#: The record types a workspace may declare, each in ``records/<kind>.json``.
KINDS = ("customer", "contact")
#: The match key that stands for the customer's normalised name rather than a data field.
NAME_KEY = "name"


@cache
def _validator() -> Draft202012Validator:
    funnel = meta_schema()
    registry = Registry().with_resource(funnel["$id"], Resource.from_contents(funnel))
    return Draft202012Validator(record_schema(), registry=registry)


def check_record(definition: object, kind: str) -> list[Finding]:
    """Every problem of a parsed record-type definition of ``kind``; none (or only warnings)
    means it is usable."""
    if not isinstance(definition, dict):
        return [Finding("", f"a {kind} record type must be a JSON object",
                        hint='start with {"fields": {"type": "object", "properties": {}}}')]
    found = schema_findings(_validator(), definition)
    if found:
        return found
    return list(dict.fromkeys(_semantic(definition, kind)))


def load_record(path: str | PathLike[str], kind: str) -> tuple[dict[str, Any] | None, list[Finding]]:
    """Read, parse and check one record-type file: the definition (``None`` if unusable as a
    dict) and its findings; one reader for ``goldsieve check`` and the runtime."""
    definition, found = read_json(path)
    if definition is None:
        return None, found
    found += check_record(definition, kind)
    return (definition if isinstance(definition, dict) else None), found


def _semantic(d: dict[str, Any], kind: str) -> Iterator[Finding]:
    fields = d["fields"]
    names = list(fields["properties"])
    of = f"{kind} record"
    yield from check_json_schema(fields, "/fields")
    yield from check_bounds(fields, "/fields")
    yield from check_names(fields, "/fields", names)
    ui = d.get("ui", {})
    for key in ("order", "hidden"):
        for i, name in enumerate(ui.get(key, [])):
            yield from known(name, f"/ui/{key}/{i}", names, "field", of)
    for key in ("widgets", "help"):
        for name in ui.get(key, {}):
            yield from known(name, f"/ui/{key}/{name}", names, "field", of)
    if "roles" in d and kind != "contact":
        yield Finding("/roles", "only contacts have roles", "move `roles` to records/contact.json")
    yield from duplicate_ids([r["id"] for r in d.get("roles", [])], "/roles", "role")
    if "match" in d and kind != "customer":
        yield Finding("/match", "only customers have match keys", "move `match` to records/customer.json")
    for i, name in enumerate(d.get("match", [])):
        if name != NAME_KEY:
            yield from known(name, f"/match/{i}", names, "field", of)

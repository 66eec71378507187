"""The declared record types of a workspace: loaded once, compiled once.

A workspace may hold ``records/customer.json`` and ``records/contact.json`` (checked by
:mod:`.check`); a type it does not declare gets :data:`DEFAULTS`: a name and nothing else, and
customers match on their normalised name.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from ..errors import DefinitionError
from ..funnels.check import ERROR
from ..funnels.validation import compile_schema
from .check import KINDS, NAME_KEY, load_record

FOLDER = "records"
DEFAULTS: dict[str, dict[str, Any]] = {
    "customer": {"fields": {"type": "object", "properties": {}}, "match": [NAME_KEY]},
    "contact": {"fields": {"type": "object", "properties": {}}, "roles": []},
}


@dataclass(frozen=True)
class RecordType:
    """One record type: its kind (``customer``, ``contact``) and its checked definition."""

    kind: str
    definition: dict[str, Any]

    @cached_property
    def validator(self) -> Draft202012Validator:
        """The compiled schema of a record's ``data`` (formats enforced, like a deal's)."""
        return compile_schema(self.definition["fields"])

    @property
    def fields(self) -> dict[str, Any]:
        return self.definition["fields"]

    @property
    def fields_schema(self) -> dict[str, Any]:
        """The same schema under a funnel's name for it, so the pages' form renderer
        (``ui/forms.py``) renders and reads a record's fields as it does a deal's."""
        return self.definition["fields"]

    @property
    def roles(self) -> tuple[dict[str, Any], ...]:
        """The declared roles of a contact, ``{id, title}`` each, in their order."""
        return tuple(self.definition.get("roles", []))

    @property
    def role_ids(self) -> tuple[str, ...]:
        return tuple(role["id"] for role in self.definition.get("roles", []))

    @property
    def match(self) -> tuple[str, ...]:
        """The match keys: ``name`` (the normalised name) and data field names."""
        return tuple(self.definition.get("match", [NAME_KEY]))


@dataclass(frozen=True)
class RecordTypes:
    customer: RecordType
    contact: RecordType


def record_files(workspace: Path) -> dict[str, Path]:
    """The record-type files a workspace holds, by kind."""
    folder = Path(workspace) / FOLDER
    return {kind: folder / f"{kind}.json" for kind in KINDS if (folder / f"{kind}.json").is_file()}


def load_types(workspace: Path) -> RecordTypes:
    """The workspace's record types; :class:`DefinitionError` when a file has errors."""
    files = record_files(workspace)
    types = {}
    for kind in KINDS:
        if kind not in files:
            types[kind] = RecordType(kind, copy.deepcopy(DEFAULTS[kind]))
            continue
        definition, found = load_record(files[kind], kind)
        errors = [f for f in found if f.severity == ERROR]
        if definition is None or errors:
            raise DefinitionError(str(files[kind]), errors)
        types[kind] = RecordType(kind, definition)
    return RecordTypes(**types)

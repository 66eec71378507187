"""The declared record types of a workspace: loaded once, compiled once.

A workspace may hold ``records/customer.json``, ``records/contact.json`` and
``records/activity.json`` (checked by :mod:`.check`); a type it does not declare gets
:data:`DEFAULTS`: a name and nothing else, customers match on their normalised name, and the
activity types are the ones every sales team logs (:data:`DEFAULT_ACTIVITY_TYPES`), without
fields of their own, so that a new workspace can log activities from the first day.
"""
from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from ..errors import DefinitionError
from ..funnels.check import ERROR
from ..funnels.validation import compile_schema
from ..locales import localized
from .check import KINDS, NAME_KEY, load_record

FOLDER = "records"


def _kind(id: str, en: str, hans: str, hant: str, location: bool = False) -> dict[str, Any]:
    return {"id": id, "title": {"en": en, "zh-Hans": hans, "zh-Hant": hant}, "location": location}


DEFAULT_ACTIVITY_TYPES = [
    _kind("call", "Call", "电话", "電話"), _kind("visit", "Visit", "拜访", "拜訪", location=True),
    _kind("meeting", "Meeting", "会议", "會議"), _kind("demo", "Demo", "演示", "演示"),
    _kind("email", "Email", "邮件", "郵件"), _kind("wechat", "WeChat", "微信沟通", "微信溝通"),
]
DEFAULTS: dict[str, dict[str, Any]] = {
    "customer": {"fields": {"type": "object", "properties": {}}, "match": [NAME_KEY]},
    "contact": {"fields": {"type": "object", "properties": {}}, "roles": []},
    "activity": {"types": DEFAULT_ACTIVITY_TYPES},
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
class ActivityType:
    """One declared activity type; ``definition`` is its entry of ``records/activity.json``
    (``fields`` and ``ui`` read by the form renderer as a funnel's)."""

    definition: dict[str, Any]

    @property
    def id(self) -> str:
        return self.definition["id"]

    @property
    def fields_schema(self) -> dict[str, Any]:
        return self.definition.get("fields") or {"type": "object", "properties": {}}

    @property
    def location(self) -> bool:
        """Whether the form offers to record where it happened (with the person's consent)."""
        return bool(self.definition.get("location"))

    @cached_property
    def validator(self) -> Draft202012Validator:
        return compile_schema(self.fields_schema)

    def label(self, locale: str = "en") -> str:
        return localized(self.definition.get("title"), locale) or self.id


@dataclass(frozen=True)
class ActivityTypes:
    """The workspace's activity types, in their declared order."""

    definition: dict[str, Any]

    @cached_property
    def all(self) -> tuple[ActivityType, ...]:
        return tuple(ActivityType(t) for t in self.definition["types"])

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.all)

    def get(self, type_id: object) -> ActivityType | None:
        return next((t for t in self.all if t.id == type_id), None)


@dataclass(frozen=True)
class RecordTypes:
    customer: RecordType
    contact: RecordType
    activity: ActivityTypes = field(default_factory=lambda: ActivityTypes(copy.deepcopy(DEFAULTS["activity"])))

    def replaced(self, kind: str, definition: dict[str, Any]) -> RecordTypes:
        """These types with ``kind`` declared by ``definition`` (checked already), the others kept."""
        return dataclasses.replace(self, **{kind: _made(kind, definition)})


def _made(kind: str, definition: dict[str, Any]) -> RecordType | ActivityTypes:
    return ActivityTypes(definition) if kind == "activity" else RecordType(kind, definition)


def record_files(workspace: Path) -> dict[str, Path]:
    """The record-type files a workspace holds, by kind."""
    folder = Path(workspace) / FOLDER
    return {kind: folder / f"{kind}.json" for kind in KINDS if (folder / f"{kind}.json").is_file()}


def load_types(workspace: Path) -> RecordTypes:
    """The workspace's record types; :class:`DefinitionError` when a file has errors."""
    files = record_files(workspace)
    types: dict[str, Any] = {}
    for kind in KINDS:
        if kind not in files:
            definition = copy.deepcopy(DEFAULTS[kind])
        else:
            definition, found = load_record(files[kind], kind)
            errors = [f for f in found if f.severity == ERROR]
            if definition is None or errors:
                raise DefinitionError(str(files[kind]), errors)
        types[kind] = _made(kind, definition)
    return RecordTypes(**types)

"""The JSON documents goldsieve ships: the funnel, record and activity-type meta-schemas and the industry templates.

Read through :mod:`importlib.resources` so that they are found from a source tree, an editable
install and an installed wheel alike.
"""
from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

META_SCHEMA_FILE = "funnel.schema.json"
RECORD_SCHEMA_FILE = "record.schema.json"
ACTIVITY_SCHEMA_FILE = "activity.schema.json"


@cache
def meta_schema() -> dict[str, Any]:
    """The funnel meta-schema (JSON Schema 2020-12). Shared and cached: do not mutate it."""
    return json.loads(files(__name__).joinpath(META_SCHEMA_FILE).read_text(encoding="utf-8"))


@cache
def record_schema() -> dict[str, Any]:
    """The record-type meta-schema; it refers into the funnel meta-schema for what the two share
    (fields, ui hints, text). Shared and cached: do not mutate it."""
    return json.loads(files(__name__).joinpath(RECORD_SCHEMA_FILE).read_text(encoding="utf-8"))


@cache
def activity_schema() -> dict[str, Any]:
    """The meta-schema of a workspace's activity types (``records/activity.json``); it refers into
    the funnel meta-schema as the record one does. Shared and cached: do not mutate it."""
    return json.loads(files(__name__).joinpath(ACTIVITY_SCHEMA_FILE).read_text(encoding="utf-8"))


def template_files() -> list[Path]:
    """The bundled funnel templates (``templates/*.json``), sorted by name."""
    folder = files(__name__).joinpath("templates")
    return sorted(
        (Path(str(entry)) for entry in folder.iterdir() if entry.name.endswith(".json")),
        key=lambda path: path.name,
    )

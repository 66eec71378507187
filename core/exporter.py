"""Exporting deals or events as CSV or JSON Lines, streamed from the store a batch at a time.

Visibility scopes are not applied yet: the export is an administrator's tool and writes every
deal (or event) of the workspace, optionally of one funnel. When access rules land, the scope
of the exporting user belongs in the same store filter as the funnel.

CSV: deals get the envelope columns of :data:`DEAL_COLUMNS`, then one column per field of the
exported funnel(s) (the ``ui.order`` first, then the rest of the schema's properties); events get
:data:`EVENT_COLUMNS`. Lists and objects (and an event's ``changes``) are JSON-encoded in their
cell, booleans written ``true``/``false``, absent values left empty — the same conventions the
importer reads. Fields a deal holds that its funnel no longer declares are not in the CSV.

JSON: one document per line exactly as stored — nothing dropped (deals keep ``created_by`` and,
when closed, ``closed_from``), so JSON Lines is the lossless format.
"""
from __future__ import annotations

import csv
import json
from typing import Any, Iterable, TextIO

from .funnel import Funnel
from .store.filters import Eq

DEAL_COLUMNS = ("id", "funnel", "funnel_version", "title", "stage", "status", "owner", "version",
                "created_at", "updated_at", "stage_entered_at", "lost_reason")
EVENT_COLUMNS = ("id", "deal_id", "funnel", "funnel_version", "type", "at", "by", "from_stage",
                 "to_stage", "lost_reason", "changes", "note")


def export(runtime, out: TextIO, what: str = "deals", fmt: str = "csv",
           funnel_id: str | None = None) -> int:
    """Write every deal or event (of one funnel, if given) to ``out``; returns the rows written.

    :raises NotFound: ``funnel_id`` names no funnel of the workspace.
    :raises ValueError: ``what`` or ``fmt`` is not one of the choices.
    """
    if what not in ("deals", "events"):
        raise ValueError(f"cannot export {what!r}: choose deals or events")
    if fmt not in ("csv", "json"):
        raise ValueError(f"unknown format {fmt!r}: choose csv or json")
    funnels = [runtime.funnels.get(funnel_id)] if funnel_id else list(runtime.funnels)
    rows = runtime.store.iterate(what, Eq("funnel", funnel_id) if funnel_id else None)
    if fmt == "json":
        return _json_lines(out, rows)
    if what == "events":
        return _csv(out, EVENT_COLUMNS, (_event_row(e) for e in rows))
    fields = field_names(funnels)
    header = list(DEAL_COLUMNS) + [f"data.{n}" if n in DEAL_COLUMNS else n for n in fields]
    return _csv(out, header, (_deal_row(d, fields) for d in rows))


def field_names(funnels: Iterable[Funnel]) -> list[str]:
    """The fields of the funnels in form order, each once."""
    names: dict[str, None] = {}
    for funnel in funnels:
        props = funnel.fields_schema.get("properties", {})
        order = [n for n in funnel.definition.get("ui", {}).get("order", []) if n in props]
        names.update(dict.fromkeys(order + list(props)))
    return list(names)


def cell(value: Any) -> Any:
    """A value as a CSV cell: empty for absent, JSON for lists and objects, true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def _deal_row(deal: dict, fields: list[str]) -> list[Any]:
    data = deal.get("data") or {}
    return [cell(deal.get(c)) for c in DEAL_COLUMNS] + [cell(data.get(n)) for n in fields]


def _event_row(event: dict) -> list[Any]:
    return [cell(event.get(c)) for c in EVENT_COLUMNS]


def _csv(out: TextIO, header: list[str] | tuple[str, ...], rows: Iterable[list[Any]]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


def _json_lines(out: TextIO, rows: Iterable[dict]) -> int:
    count = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count

"""Exporting deals or events as CSV or JSON Lines, streamed from the store a batch at a time.

Exported for a user (``user=``, ``goldsieve export --as NAME``), only what that user may see is
written: their visibility scope is AND-ed into the store filter with the funnel, and events are
those of the deals in that scope. Without a user — the command line's operator, who holds the
workspace's files anyway — every deal (or event) is written, optionally of one funnel.

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

from ..funnels.model import Funnel
from ..store.filters import Eq, Everything, In, all_of

DEAL_COLUMNS = ("id", "funnel", "funnel_version", "title", "stage", "status", "owner", "version",
                "created_at", "updated_at", "stage_entered_at", "lost_reason")
EVENT_COLUMNS = ("id", "deal_id", "funnel", "funnel_version", "type", "at", "by", "from_stage",
                 "to_stage", "lost_reason", "changes", "note")


def export(runtime, out: TextIO, what: str = "deals", fmt: str = "csv",
           funnel_id: str | None = None, user: dict | None = None) -> int:
    """Write every deal or event (of one funnel, if given) to ``out``; returns the rows written.

    :param user: export only what this user may see; ``None``: everything.
    :raises NotFound: ``funnel_id`` names no funnel of the workspace.
    :raises ValueError: ``what`` or ``fmt`` is not one of the choices.
    """
    if what not in ("deals", "events"):
        raise ValueError(f"cannot export {what!r}: choose deals or events")
    if fmt not in ("csv", "json"):
        raise ValueError(f"unknown format {fmt!r}: choose csv or json")
    funnels = [runtime.funnels.get(funnel_id)] if funnel_id else list(runtime.funnels)
    rows = runtime.store.iterate(what, scoped_filter(runtime, what, funnel_id, user))
    if fmt == "json":
        return _json_lines(out, rows)
    if what == "events":
        return _csv(out, EVENT_COLUMNS, (_event_row(e) for e in rows))
    fields = field_names(funnels)
    header = list(DEAL_COLUMNS) + [f"data.{n}" if n in DEAL_COLUMNS else n for n in fields]
    return _csv(out, header, (_deal_row(d, fields) for d in rows))


def scoped_filter(runtime, what: str, funnel_id: str | None, user: dict | None):
    """The store filter of the rows to export: the funnel's, within the user's scope."""
    funnel = Eq("funnel", funnel_id) if funnel_id else None
    scope = runtime.engine.scope(user) if user is not None else Everything()
    if what == "deals" or isinstance(scope, Everything):
        return all_of(scope, funnel)
    # events carry no owner: they are in scope when their deal is (its ids, from the store)
    visible = tuple(d["id"] for d in runtime.store.iterate("deals", all_of(scope, funnel)))
    return all_of(In("deal_id", visible), funnel)


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

"""Exporting deals or events as CSV, JSON Lines or a JSON array, streamed from the store a batch at a time.

Exported for a user (``user=``, ``goldsieve export --as NAME``), only what that user may see is
written: their visibility scope is AND-ed into the store filter with the funnel, and events are
those of the deals in that scope. Without a user — the command line's operator, who holds the
workspace's files anyway — every deal (or event) is written, optionally of one funnel.

CSV: deals get the envelope columns of :data:`DEAL_COLUMNS`, then one column per field of the
exported funnel(s) (the ``ui.order`` first, then the rest of the schema's properties); events get
:data:`EVENT_COLUMNS`. Lists and objects (and an event's ``changes``) are JSON-encoded in their
cell, booleans written ``true``/``false``, absent values left empty — the same conventions the
importer reads. Fields a deal holds that its funnel no longer declares are not in the CSV.

Every CSV goldsieve writes (this export, customers and contacts, and the analytics tables the
pages offer) goes through :func:`goldsieve.spreadsheets.write_csv`, which keeps a spreadsheet from
running a cell as a formula and reads back exactly.

JSON Lines (``jsonl``): one document per line exactly as stored — nothing dropped (deals keep
``created_by`` and, when closed, ``closed_from``), so it is the lossless format, and the one to
pipe through ``jq -c`` or load a line at a time. ``json`` writes the same documents as one JSON
array, for tools that read a whole file; it too is streamed, a document at a time.
"""
from __future__ import annotations

from typing import Any, Iterable, TextIO

from ..funnels.model import Funnel
from ..spreadsheets import check_format, field_order, write_documents
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
    check_format(fmt)
    funnels = [runtime.funnels.get(funnel_id)] if funnel_id else list(runtime.funnels)
    rows = runtime.store.iterate(what, scoped_filter(runtime, what, funnel_id, user))
    if what == "events":
        return write_documents(out, fmt, rows, EVENT_COLUMNS, _event_row)
    fields = field_names(funnels)
    header = list(DEAL_COLUMNS) + [f"data.{n}" if n in DEAL_COLUMNS else n for n in fields]
    return write_documents(out, fmt, rows, header, lambda deal: _deal_row(deal, fields))


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
        names.update(dict.fromkeys(field_order(funnel.fields_schema, funnel.definition)))
    return list(names)


def _deal_row(deal: dict, fields: list[str]) -> list[Any]:
    data = deal.get("data") or {}
    return [deal.get(c) for c in DEAL_COLUMNS] + [data.get(n) for n in fields]


def _event_row(event: dict) -> list[Any]:
    return [event.get(c) for c in EVENT_COLUMNS]

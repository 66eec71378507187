"""Importing deals from CSV: every row is checked first, then all are written in one go, or none.

A ``title`` column names the deal, an optional ``owner`` column its owner; every other column is
a field of the funnel (``--map COLUMN=FIELD`` reads a column into a differently named field, or
into ``title``/``owner``). Cells are converted by the field's JSON Schema type; an empty cell
means the field is absent; a text the export protected from spreadsheets (``'=…``) loses its
quote again. Each row then goes through :meth:`Engine.prepare`, the very check a
deal created in the app gets, and every problem is reported as ``FILE:LINE: field: message``
with the line the row starts on (the header is line 1). Only when no row has a problem are the
deals written, in a single transaction through :meth:`Engine.insert_new`, each linked to the
existing customer its ``company`` matches (:func:`~goldsieve.deals.intake.link_customer`).
"""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Callable

import click

from ..errors import Forbidden, ValidationFailed
from ..funnels.model import Funnel
from ..records.importing import ImportFailed, ImportResult, acting_user  # noqa: F401  (ImportFailed: raised here)
from ..spreadsheets import (
    Problems,
    converter,
    gc_paused,
    open_rows,
    overflow,
    read_cells,
    text_of_cell,
)
from .intake import insert_assigned, link_customer

SPECIAL = ("title", "owner")


def parse_mappings(items: tuple[str, ...]) -> dict[str, str]:
    """``("Firma=company", …)`` → ``{"Firma": "company"}``; bad syntax is a usage error."""
    mapping: dict[str, str] = {}
    for item in items:
        column, sep, name = item.rpartition("=")
        column, name = column.strip(), name.strip()
        if not sep or not column or not name:
            raise click.BadParameter(f"{item!r} is not COLUMN=FIELD", param_hint="--map")
        if column in mapping:
            raise click.BadParameter(f"column {column!r} is mapped twice", param_hint="--map")
        mapping[column] = name
    return mapping


def import_csv(
    runtime,
    path: Path,
    funnel_id: str,
    mapping: dict[str, str] | None = None,
    as_user: str | None = None,
    dry_run: bool = False,
    progress: bool = False,
    assign: bool = False,
    encoding: str = "utf-8",
) -> ImportResult:
    """Check every row of a CSV file as a new deal of ``funnel_id``; write them all unless a
    problem was found or it is a dry run.

    :param as_user: the user recorded as creator (and default owner); by default the first
        admin. :class:`ImportFailed` when there is none.
    :param assign: the rows are leads: each gets its owner from the funnel's ``assignment``
        rule (the acting user needs the ``intake`` permission; an ``owner`` column is refused).
    :param encoding: the file's text encoding (``gb18030`` for what Excel saves as "CSV" on a
        Chinese Windows); a UTF-8 byte-order mark is dropped either way.
    :raises LookupError: ``encoding`` names no encoding Python knows.
    :raises NotFound: the funnel does not exist.
    """
    engine, store = runtime.engine, runtime.store
    funnel = runtime.funnels.get(funnel_id)
    user = acting_user(store, as_user)
    path = Path(path)
    problem = Problems(path)
    result = ImportResult(problems=problem.lines)
    mapping = dict(mapping or {})
    opened = open_rows(path, problem, encoding)
    if opened is None:
        return result
    text, header, rows = opened
    prepared = []
    columns = _columns(header, mapping, funnel, problem)
    if columns is None:
        return result
    if assign and any(target == "owner" for target, _ in columns):
        problem(1, "owner", "--assign gives every row its owner by the funnel's rule; "
                            "drop the owner column")
        return result
    if assign:
        engine.require(user, "intake")
    bar = (click.progressbar(length=max(text.count("\n") - 1, 1), label=f"Checking {path.name}")
           if progress else contextlib.nullcontext())
    with bar, gc_paused():
        done = 1
        for line, row in rows:
            if progress:
                bar.update(line - done)
                done = line
            deal = _check_row(engine, user, funnel, columns, row, line, problem)
            if deal is not None:
                prepared.append(deal)
    if result.problems:
        return result
    if not dry_run and prepared:
        if progress:
            click.echo(f"Writing {len(prepared)} deals…", err=True)
        with gc_paused():
            if assign:
                insert_assigned(engine, runtime.pm.hook, user, prepared)
            else:
                for deal in prepared:
                    link_customer(engine, deal)
                engine.insert_new(user, prepared)
    result.count = len(prepared)
    return result


Column = tuple[str, Callable[[str], Any]]  # target name, how its cells are read


def _columns(header: list[str], mapping: dict[str, str], funnel: Funnel, problem) -> list[Column] | None:
    """What each column feeds, or ``None`` when the header itself has problems."""
    props = funnel.fields_schema.get("properties", {})
    names = [cell.strip() for cell in header]
    columns: list[Column] = []
    seen: dict[str, str] = {}
    ok = True
    for column in mapping:
        if column not in names:
            problem(1, column, "--map names a column the file does not have")
            ok = False
    for position, column in enumerate(names, 1):
        if not column:
            problem(1, f"column {position}", "has no name in the header")
            ok = False
            continue
        target = mapping.get(column, column)
        if target in seen:
            problem(1, column, f"feeds “{target}”, which column “{seen[target]}” feeds already")
            ok = False
        seen[target] = column
        if target in SPECIAL:
            columns.append((target, text_of_cell))
        elif target in props:
            columns.append((target, converter(props[target])))
        else:
            known = ", ".join(sorted(props))
            problem(1, column, f"not a field of funnel {funnel.id} (its fields: {known}); "
                               "map it with --map COLUMN=FIELD or remove the column")
            ok = False
    if "title" not in seen:
        problem(1, "title", "the file needs a title column (or --map COLUMN=title)")
        ok = False
    return columns if ok else None


def _check_row(engine, user, funnel, columns, row, line, problem) -> dict | None:
    too_long = overflow(row, len(columns))
    if too_long:
        problem(line, "row", too_long)
        return None
    data, failed = read_cells(columns, row, line, problem)
    values = {"title": data.pop("title", ""), "owner": data.pop("owner", None)}
    try:
        deal = engine.prepare(user, funnel.id, values["title"], data, values["owner"])
    except Forbidden as refused:
        problem(line, "owner" if values["owner"] not in (None, user["username"]) else "row",
                str(refused))
        return None
    except ValidationFailed as refused:
        for v in refused.violations:
            name = v.path[len("/data/"):] if v.path.startswith("/data/") else v.path.strip("/")
            if name.split("/")[0] not in failed:  # reported already, as unconvertible
                problem(line, name or "row", v.message)
        return None
    return None if failed else deal

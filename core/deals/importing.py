"""Importing deals from CSV: every row is checked first, then all are written in one go, or none.

A ``title`` column names the deal, an optional ``owner`` column its owner; every other column is
a field of the funnel, by its id or its title in any language (``--map COLUMN=FIELD`` reads a
column into a differently named field, or into ``title``/``owner``). Cells are converted by the field's JSON Schema type; an empty cell
means the field is absent; a text the export protected from spreadsheets (``'=…``) loses its
quote again. Each row then goes through :meth:`Engine.prepare`, the very check a
deal created in the app gets, and every problem is reported as ``FILE:LINE: Field: message``
with the line the row starts on (the header is line 1), the field named by its title and the
problem said by :mod:`goldsieve.funnels.wording`, in the reader's language. Only when no row has a problem are the
deals written, in a single transaction through :meth:`Engine.insert_new`, each linked to the
existing customer its ``company`` matches (:func:`~goldsieve.deals.intake.link_customer`).
"""
from __future__ import annotations

import contextlib
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import click

from .. import locales
from ..errors import Forbidden, ValidationFailed, Violation
from ..funnels import wording
from ..funnels.choices import by_label
from ..funnels.model import Funnel
from ..locales import TitleIndex
from ..locales import say as _  # the catalogs' keyword: `make messages` extracts what it says
from ..records.importing import ImportFailed, ImportResult, acting_user  # noqa: F401  (ImportFailed: raised here)
from ..spreadsheets import (
    Problems,
    Unreadable,
    converter,
    gc_paused,
    open_rows,
    overflow,
    read_cells,
    text_of_cell,
)
from .intake import insert_assigned, link_customer, tables_holding

SPECIAL = ("title", "owner")


def parse_mappings(items: tuple[str, ...]) -> dict[str, str]:
    """``("Firma=company", …)`` → ``{"Firma": "company"}``; bad syntax is a usage error."""
    mapping: dict[str, str] = {}
    for item in items:
        column, sep, name = item.rpartition("=")
        column, name = column.strip(), name.strip()
        if not sep or not column or not name:
            raise click.BadParameter(_("“%(item)s” is not COLUMN=FIELD", item=item), param_hint="--map")
        if column in mapping:
            raise click.BadParameter(_("column “%(column)s” is mapped twice", column=column),
                                     param_hint="--map")
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
    if assign and any(target == "owner" for target, _read in columns):
        problem(1, "owner", _("--assign gives every row its owner by the funnel's rule; "
                              "drop the owner column"))
        return result
    if assign:
        engine.require(user, "intake")
    bar = (click.progressbar(length=max(text.count("\n") - 1, 1), label=_("Checking %(file)s", file=path.name),
                               file=sys.stderr)
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
            click.echo(_("Writing %(count)s deals…", count=len(prepared)), err=True)
        with gc_paused(), runtime.store.bulk():
            if assign:
                insert_assigned(engine, user, prepared)
            else:
                holding = tables_holding(engine)
                for deal in prepared:
                    link_customer(engine, deal, holding)
                engine.insert_new(user, prepared)
    result.count = len(prepared)
    return result


Column = tuple[str, Callable[[str], Any]]  # target name, how its cells are read


def _columns(header: list[str], mapping: dict[str, str], funnel: Funnel, problem) -> list[Column] | None:
    """What each column feeds, or ``None`` when the header itself has problems."""
    props = funnel.fields_schema.get("properties", {})
    titled = TitleIndex((name, schema.get("title") if isinstance(schema, dict) else None)
                        for name, schema in props.items())
    names = [cell.strip() for cell in header]
    columns: list[Column] = []
    seen: dict[str, str] = {}
    ok = True
    for column in mapping:
        if column not in names:
            problem(1, column, _("--map names a column the file does not have"))
            ok = False
    for position, column in enumerate(names, 1):
        if not column:
            problem(1, _("column %(number)s", number=position), _("has no name in the header"))
            ok = False
            continue
        target = mapping.get(column, column)
        if target not in SPECIAL and target not in props:
            target = titled.find(target) or target
        if target in seen:
            problem(1, column, _("feeds “%(field)s”, which column “%(column)s” feeds already",
                                 field=target, column=seen[target]))
            ok = False
        seen[target] = column
        if target in SPECIAL:
            columns.append((target, text_of_cell))
        elif target in props:
            columns.append((target, by_label(props[target], converter(props[target]))))
        else:
            known = ", ".join(sorted(props))
            problem(1, column, _("not a field of funnel %(funnel)s (its fields: %(fields)s); "
                                 "map it with --map COLUMN=FIELD or remove the column",
                                 funnel=funnel.id, fields=known))
            ok = False
    if "title" not in seen:
        problem(1, "title", _("the file needs a title column (or --map COLUMN=title)"))
        ok = False
    return columns if ok else None


def _check_row(engine, user, funnel, columns, row, line, problem) -> dict | None:
    too_long = overflow(row, len(columns))
    if too_long:
        problem(line, _("row"), too_long)
        return None
    data, failed = read_cells(columns, row, line, lambda at, name, said: problem(at, title_of(funnel, name), said),
                              unreadable_said)
    values = {"title": data.pop("title", ""), "owner": data.pop("owner", None)}
    try:
        deal = engine.prepare(user, funnel.id, values["title"], data, values["owner"])
    except Forbidden as refused:
        problem(line, "owner" if values["owner"] not in (None, user["username"]) else _("row"),
                refused.said())
        return None
    except ValidationFailed as refused:
        for v in refused.violations:
            name = v.path[len("/data/"):] if v.path.startswith("/data/") else v.path.strip("/")
            if name.split("/")[0] not in failed:  # reported already, as unconvertible
                titled = v if v.title else _titled(v, funnel, name.split("/")[0])
                problem(line, wording.place(titled) or _("row"), wording.said(titled))
        return None
    return None if failed else deal


def title_of(funnel: Funnel, name: str) -> str:
    """A field as a person knows it: its title in the reader's language, else its name."""
    schema = funnel.fields_schema.get("properties", {}).get(name)
    title = schema.get("title") if isinstance(schema, dict) else None
    return locales.localized(title, locales.bcp47(locales.reader.get() or "en")) if title else name


def _titled(violation: Violation, funnel: Funnel, name: str) -> Violation:
    """A violation of a field (a gate's, which knows no titles) with the funnel's title for it."""
    schema = funnel.fields_schema.get("properties", {}).get(name)
    return replace(violation, title=schema.get("title") if isinstance(schema, dict) else None)


def unreadable_said(error: ValueError) -> str:
    """A cell no reader could read, said as the engine says a value of the wrong kind."""
    if not isinstance(error, Unreadable):
        return str(error)
    if error.kind == "boolean":
        return _("%(value)s is not a yes/no value (true/false, yes/no, 1/0)", value=wording.show(error.cell))
    if error.kind == "json":
        return wording.said(Violation("", "json", "", None, error.cell))
    return wording.said(Violation("", "type", "", error.kind, error.cell))

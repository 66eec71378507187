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

import codecs
import contextlib
import csv
import gc
import io
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import click

from .. import locales
from ..errors import Forbidden, GoldsieveError, ValidationFailed, Violation
from ..funnels import wording
from ..funnels.model import Funnel
from ..limits import read_number
from ..locales import say as _  # the catalogs' keyword: `make messages` extracts what it says
from ..people.users import find_user
from ..store.filters import Eq
from .exporting import text_of_cell
from .intake import insert_assigned, link_customer

SPECIAL = ("title", "owner")
TRUE = {"true", "yes", "y", "1"}
FALSE = {"false", "no", "n", "0"}


class ImportFailed(GoldsieveError):
    """The import cannot start at all (no acting user); row problems are reported, not raised."""


@dataclass
class ImportResult:
    #: deals written — or, in a dry run, that would be written (0 when any row has a problem:
    #: an import is all-or-nothing)
    count: int = 0
    problems: list[str] = field(default_factory=list)


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
    user = _acting_user(store, as_user)
    path = Path(path)
    result = ImportResult()
    mapping = dict(mapping or {})

    def problem(line: int, name: str, message: str) -> None:
        said = " ".join(f"{name}: {message}".split())  # one line, whatever a cell held
        result.problems.append(f"{path}:{line}: {said}")

    text = _read_text(path, problem, codecs.lookup(encoding).name)
    if text is None:
        return result
    reader = csv.reader(io.StringIO(text, newline=""))
    prepared = []
    try:
        header = next(reader, None)
        if header is None:
            problem(1, _("header"), _("the file is empty; the first line must name the columns"))
            return result
        columns = _columns(header, mapping, funnel, problem)
        if columns is None:
            return result
        if assign and any(target == "owner" for target, _ in columns):
            problem(1, "owner", _("--assign gives every row its owner by the funnel's rule; "
                                  "drop the owner column"))
            return result
        if assign:
            engine.require(user, "intake")
        bar = (click.progressbar(length=max(text.count("\n") - 1, 1),
                                 label=_("Checking %(file)s", file=path.name))
               if progress else contextlib.nullcontext())
        with bar, gc_paused():
            line = reader.line_num + 1
            for row in reader:
                if progress:
                    bar.update(reader.line_num + 1 - line)
                if any(cell.strip() for cell in row):
                    deal = _check_row(engine, user, funnel, columns, row, line, problem)
                    if deal is not None:
                        prepared.append(deal)
                line = reader.line_num + 1
    except csv.Error as error:
        problem(reader.line_num, _("file"), _("not readable as CSV (%(reason)s)", reason=error))
    if result.problems:
        return result
    if not dry_run and prepared:
        if progress:
            click.echo(_("Writing %(count)s deals…", count=len(prepared)), err=True)
        with gc_paused():
            if assign:
                insert_assigned(engine, runtime.pm.hook, user, prepared)
            else:
                for deal in prepared:
                    link_customer(engine, deal)
                engine.insert_new(user, prepared)
    result.count = len(prepared)
    return result


@contextlib.contextmanager
def gc_paused():
    """Pause the cyclic garbage collector during a bulk load.

    A bulk load builds a large heap of long-lived, acyclic dicts; the collector would rescan all
    of it over and over as it grows (about a quarter of the run time), and would find nothing.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _acting_user(store, username: str | None) -> dict:
    if username is not None:
        user = find_user(store, username)
        if user is None:
            raise ImportFailed(_("there is no user “%(name)s” to import as", name=username))
        return user
    admins = store.find("users", Eq("role", "admin"), limit=1)
    if not admins:
        raise ImportFailed(_("there is no admin user to record as the importer; "
                             "add one (`goldsieve users add NAME --role admin`) or pass --as USER"))
    return admins[0]


Column = tuple[str, Callable[[str], Any] | None]  # target name, converter (None: title/owner)


def _columns(header: list[str], mapping: dict[str, str], funnel: Funnel, problem) -> list[Column] | None:
    """What each column feeds, or ``None`` when the header itself has problems."""
    props = funnel.fields_schema.get("properties", {})
    titled = _fields_by_title(props)
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
            target = titled.get(target.casefold(), target)
        if target in seen:
            problem(1, column, _("feeds “%(field)s”, which column “%(column)s” feeds already",
                                 field=target, column=seen[target]))
            ok = False
        seen[target] = column
        if target in SPECIAL:
            columns.append((target, None))
        elif target in props:
            columns.append((target, _converter(props[target])))
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


def _fields_by_title(props: dict) -> dict[str, str]:
    """Each field by its title in any of its languages, case ignored, so a column headed as the
    form labels the field (``Email``, ``邮箱``) needs no ``--map``; a title two fields share names
    neither."""
    found: dict[str, set[str]] = {}
    for name, schema in props.items():
        title = schema.get("title") if isinstance(schema, dict) else None
        texts = title.values() if isinstance(title, dict) else [title]
        for text in texts:
            if isinstance(text, str) and text.strip():
                found.setdefault(text.strip().casefold(), set()).add(name)
    return {text: next(iter(names)) for text, names in found.items() if len(names) == 1}


def _check_row(engine, user, funnel, columns, row, line, problem) -> dict | None:
    if len(row) > len(columns) and any(cell.strip() for cell in row[len(columns):]):
        problem(line, _("row"), _("has %(cells)s cells, the header names %(columns)s columns",
                                  cells=len(row), columns=len(columns)))
        return None
    values: dict[str, Any] = {"title": "", "owner": None}
    data: dict[str, Any] = {}
    failed: set[str] = set()
    for (name, convert), cell in zip(columns, row):
        cell = cell.strip()
        if not cell:
            continue
        if convert is None:
            values[name] = text_of_cell(cell)
            continue
        try:
            data[name] = convert(cell)
        except ValueError as error:
            problem(line, title_of(funnel, name), str(error))
            failed.add(name)
    try:
        deal = engine.prepare(user, funnel.id, values["title"], data, values["owner"])
    except Forbidden as refused:
        problem(line, "owner" if values["owner"] not in (None, user["username"]) else _("row"),
                str(refused))
        return None
    except ValidationFailed as refused:
        for v in refused.violations:
            name = v.path[len("/data/"):] if v.path.startswith("/data/") else v.path.strip("/")
            if name.split("/")[0] not in failed:  # reported already, as unconvertible
                titled = v if v.title else _titled(v, funnel, name.split("/")[0])
                problem(line, wording.place(titled) or _("row"), wording.said(titled))
        return None
    return None if failed else deal


def _converter(schema: dict) -> Callable[[str], Any]:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "number":
        return _number
    if kind == "integer":
        return _integer
    if kind == "boolean":
        return _boolean
    if kind == "array":
        item = _converter(schema.get("items", {}))
        return lambda cell: _json(cell) if cell.startswith("[") else [
            item(part.strip()) for part in cell.split(";") if part.strip()]
    if kind == "object":
        return _json
    return text_of_cell


def title_of(funnel: Funnel, name: str) -> str:
    """A field as a person knows it: its title in the reader's language, else its name."""
    schema = funnel.fields_schema.get("properties", {}).get(name)
    title = schema.get("title") if isinstance(schema, dict) else None
    return locales.localized(title, locales.bcp47(locales.reader.get() or "en")) if title else name


def _titled(violation: Violation, funnel: Funnel, name: str) -> Violation:
    """A violation of a field (a gate's, which knows no titles) with the funnel's title for it."""
    schema = funnel.fields_schema.get("properties", {}).get(name)
    return replace(violation, title=schema.get("title") if isinstance(schema, dict) else None)


def _unreadable(cell: str, kind: str) -> ValueError:
    """A cell that is no value of ``kind`` (a JSON Schema type), said as the engine says it."""
    return ValueError(wording.said(Violation("", "type", "", kind, cell)))


def _number(cell: str) -> int | float:
    value = read_number(cell)
    if value is None:
        raise _unreadable(cell, "number")
    return value


def _integer(cell: str) -> int | float:
    value = read_number(cell, integer=True)
    if value is None:
        raise _unreadable(cell, "integer")
    return value  # an int, or an infinity the engine refuses as beyond the limit


def _boolean(cell: str) -> bool:
    folded = cell.casefold()
    if folded in TRUE:
        return True
    if folded in FALSE:
        return False
    raise ValueError(_("%(value)s is not a yes/no value (true/false, yes/no, 1/0)", value=wording.show(cell)))


def _json(cell: str) -> Any:
    try:
        return json.loads(cell)
    except (ValueError, RecursionError):  # nested past the reader's stack: past any limit too
        raise ValueError(wording.said(Violation("", "json", "", None, cell))) from None


def _read_text(path: Path, problem, encoding: str) -> str | None:
    """The whole file as text (a byte-order mark dropped), or ``None`` after reporting why not."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig" if encoding == "utf-8" else encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        if encoding == "utf-8":
            problem(line, _("file"), _("not UTF-8 text; save the file as “CSV UTF-8” and import it again, "
                                       "or give its encoding (--encoding gb18030 for Excel's CSV on "
                                       "Chinese Windows)"))
        else:
            problem(line, _("file"), _("not %(encoding)s text; give the file's encoding with --encoding",
                                       encoding=encoding))
        return None

"""CSV files as people bring them from spreadsheets and take them back: the rules every import
and export of goldsieve shares (deals, customers, contacts, the analytics tables).

Reading: the file is UTF-8 with or without a byte-order mark (Excel's "CSV UTF-8"), or in the
encoding given (``gb18030`` for Excel's plain "CSV" on a Chinese Windows); its rows come with the
line each starts on, blank ones skipped; a cell is converted by the JSON Schema type of the field
it feeds (:func:`converter`), and a text the export protected from spreadsheets loses that quote
again. A problem is reported, never raised, as ``FILE:LINE: FIELD: message`` (:class:`Problems`),
so that one run lists every problem of the file.

Writing (:func:`write_csv`): lists and objects as JSON in their cell, booleans ``true``/``false``,
absent values empty, and a text cell a spreadsheet would run as a formula — one starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return — gets a leading ``'``, as OWASP advises
against CSV injection (a title ``=HYPERLINK(…)`` stays text). Numbers stay numbers, a negative
one too. So that an export still reads back exactly, a text made of quotes before such a
character gets one more, and the importer (:func:`text_of_cell`) takes one off.
"""
from __future__ import annotations

import codecs
import contextlib
import csv
import gc
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TextIO

from .limits import read_number
from .locales import say as _  # the catalogs' keyword: `make messages` extracts what it says

TRUE = {"true", "yes", "y", "1"}
FALSE = {"false", "no", "n", "0"}


@dataclass
class Problems:
    """The problems found in one file, each one line ``FILE:LINE: FIELD: message``."""

    path: Path
    lines: list[str] = field(default_factory=list)

    def __call__(self, line: int, name: str, message: str) -> None:
        said = " ".join(f"{name}: {message}".split())  # one line, whatever a cell held
        self.lines.append(f"{self.path}:{line}: {said}")

    def __bool__(self) -> bool:
        return bool(self.lines)


def read_text(path: Path, problem: Callable[[int, str, str], None], encoding: str = "utf-8") -> str | None:
    """The whole file as text (a byte-order mark dropped), or ``None`` after reporting why not."""
    raw = Path(path).read_bytes()
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


def csv_rows(text: str, problem: Callable[[int, str, str], None]) -> Iterator[tuple[int, list[str]]]:
    """``(line, cells)`` of the header (line 1, always) and of every row after it that is not
    blank, with the line the row starts on (a quoted cell may span lines). Text that is not CSV
    is reported at its line and ends the rows."""
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    try:
        for row in reader:
            if line == 1 or any(cell.strip() for cell in row):
                yield line, row
            line = reader.line_num + 1
    except csv.Error as error:
        problem(reader.line_num, _("file"), _("not readable as CSV (%(reason)s)", reason=error))


def open_rows(path: Path, problem: Callable[[int, str, str], None], encoding: str = "utf-8"
              ) -> tuple[str, list[str], Iterator[tuple[int, list[str]]]] | None:
    """A CSV file's text, its header and the rows after it (:func:`csv_rows`); ``None`` after
    reporting why there are none (the file is not in the encoding, or it is empty)."""
    text = read_text(path, problem, codecs.lookup(encoding).name)
    if text is None:
        return None
    rows = csv_rows(text, problem)
    _first, header = next(rows, (1, None))
    if header is None:
        problem(1, _("header"), _("the file is empty; the first line must name the columns"))
        return None
    return text, header, rows


def overflow(row: list[str], width: int) -> str | None:
    """What is wrong with a row holding text beyond the header's ``width`` columns, if it does."""
    if len(row) > width and any(cell.strip() for cell in row[width:]):
        return _("has %(cells)s cells, the header names %(columns)s columns", cells=len(row), columns=width)
    return None


def read_cells(columns: list[tuple[str, Callable[[str], Any]]], row: list[str], line: int,
               problem: Callable[[int, str, str], None], word: Callable[[ValueError], str] = str
               ) -> tuple[dict[str, Any], set[str]]:
    """The row's cells that are not empty, each read by its column's reader, by the name the
    column feeds; a cell that cannot be read is reported (in ``word``'s words) and its name
    listed as failed."""
    read: dict[str, Any] = {}
    failed: set[str] = set()
    for (target, reader), cell in zip(columns, row):
        cell = cell.strip()
        if not cell:
            continue
        try:
            read[target] = reader(cell)
        except ValueError as error:
            problem(line, target, word(error))
            failed.add(target)
    return read, failed


class Unreadable(ValueError):
    """A cell that is no value of ``kind`` (``number``, ``integer``, ``boolean``, ``json``): its
    message is English; an importer that speaks the reader's language words it from ``cell`` and
    ``kind`` (:func:`goldsieve.deals.importing`)."""

    def __init__(self, cell: str, kind: str, message: str):
        super().__init__(message)
        self.cell, self.kind = cell, kind


def converter(schema: dict) -> Callable[[str], Any]:
    """How a cell becomes the value of a field of this JSON Schema: by its type; a
    :class:`ValueError` says why a cell cannot be read."""
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "number":
        return _number
    if kind == "integer":
        return _integer
    if kind == "boolean":
        return boolean
    if kind == "array":
        item = converter(schema.get("items", {}))
        return lambda cell: _json(cell) if cell.startswith("[") else [
            item(part.strip()) for part in cell.split(";") if part.strip()]
    if kind == "object":
        return _json
    return text_of_cell


def _number(cell: str) -> int | float:
    value = read_number(cell)
    if value is None:
        raise Unreadable(cell, "number", f"“{cell[:40]}” is not a number")
    return value


def _integer(cell: str) -> int | float:
    value = read_number(cell, integer=True)
    if value is None:
        raise Unreadable(cell, "integer", f"“{cell[:40]}” is not a whole number")
    return value  # an int, or an infinity the checks refuse as beyond the limit


def boolean(cell: str) -> bool:
    """A yes/no cell: true/false, yes/no, y/n, 1/0 in any case."""
    folded = cell.casefold()
    if folded in TRUE:
        return True
    if folded in FALSE:
        return False
    raise Unreadable(cell, "boolean", f"“{cell}” is not a yes/no value (true/false, yes/no, 1/0)")


def _json(cell: str) -> Any:
    try:
        return json.loads(cell)
    except (ValueError, RecursionError):  # nested past the reader's stack: past any limit too
        raise Unreadable(cell, "json", f"“{cell[:40]}” is not valid JSON") from None


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
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


def field_order(schema: dict, definition: dict) -> list[str]:
    """The fields of a declared ``fields`` schema in form order: the ``ui.order`` of the
    definition first, then the rest of the schema's properties — the columns of an export."""
    props = schema.get("properties", {})
    order = [n for n in definition.get("ui", {}).get("order", []) if n in props]
    return list(dict.fromkeys(order + list(props)))


def cell(value: Any) -> Any:
    """A value as a CSV cell: empty for absent, JSON for lists and objects, true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


#: The start of a text a spreadsheet would run as a formula, after any quotes already protecting it.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")


def spreadsheet_cell(value: Any) -> Any:
    """A value as a CSV cell (:func:`cell`) that a spreadsheet shows and never runs."""
    value = cell(value)
    if isinstance(value, str) and _FORMULA.match(value):
        return "'" + value
    return value


def text_of_cell(text: str) -> str:
    """A text cell as it was before :func:`spreadsheet_cell` protected it."""
    return text[1:] if text.startswith("'") and _FORMULA.match(text, 1) else text


def write_csv(out: TextIO, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> int:
    """Write the header and ``rows`` as CSV, every cell through :func:`spreadsheet_cell`;
    returns the number of rows. Lines end in CRLF (RFC 4180), which also has the writer quote a
    cell holding a lone carriage return: with bare LF endings it went out unquoted and broke
    the row for every reader."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([spreadsheet_cell(name) for name in header])
    count = 0
    for row in rows:
        writer.writerow([spreadsheet_cell(value) for value in row])
        count += 1
    return count


def json_lines(out: TextIO, rows: Iterable[dict]) -> int:
    """Write each document on a line of its own, exactly as given; returns how many."""
    count = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count


def json_array(out: TextIO, rows: Iterable[dict]) -> int:
    """Write the documents as one JSON array, streamed a document at a time; returns how many."""
    count = 0
    for row in rows:
        out.write(("[\n" if not count else ",\n") + json.dumps(row, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "[]\n")
    return count


#: The formats every export writes: CSV for spreadsheets, JSON Lines and a JSON array of the
#: documents as stored.
EXPORT_FORMATS = ("csv", "jsonl", "json")


def check_format(fmt: str) -> None:
    """:class:`ValueError` unless ``fmt`` is one of :data:`EXPORT_FORMATS` (before anything is read)."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown format {fmt!r}: choose {', '.join(EXPORT_FORMATS)}")


def write_documents(out: TextIO, fmt: str, docs: Iterable[dict], header: Iterable[str],
                    cells: Callable[[dict], Iterable[Any]]) -> int:
    """Write ``docs`` in ``fmt``: JSON Lines or a JSON array as they are, or CSV, ``header`` then
    each document's ``cells``; returns how many. The one dispatch of every export's format.

    :raises ValueError: ``fmt`` is not one of :data:`EXPORT_FORMATS`.
    """
    check_format(fmt)
    if fmt == "jsonl":
        return json_lines(out, docs)
    if fmt == "json":
        return json_array(out, docs)
    return write_csv(out, header, (cells(doc) for doc in docs))

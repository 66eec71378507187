"""Importing customers and contacts from CSV (docs/import.md), all or nothing like the deals' import.

The first line names the columns: ``name`` (and, for customers, an optional ``owner``; for
contacts ``customer``, ``role`` and ``primary``), then declared fields, each named by its id or by
its title in any of its languages (``Grade``, ``等级``; case and spaces ignored). Every row is
checked first, as a record created in the app is, and each problem is one line
``FILE:LINE: FIELD: message``; only when no row has a problem are the records written, in one
transaction. A customer row whose match keys another customer already holds — or an earlier row
of the same file — is a duplicate: it is reported (the existing customer's id and its owner's
display name, nothing else of it) and not created, and the other rows are.

The columns an export writes that no import sets (``id``, ``team``, the times, a contact's
``customer_name``) are read past, so that an export reads back.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from ..errors import Duplicate, Forbidden, GoldsieveError, NotFound, ValidationFailed
from ..funnels.choices import by_label
from ..limits import whole_number
from ..locales import N_, TitleIndex, folded
from ..locales import say as _  # the catalogs' keyword: `make messages` extracts what it says
from ..people.users import find_user
from ..spreadsheets import (
    Problems,
    boolean,
    converter,
    gc_paused,
    open_rows,
    overflow,
    read_cells,
    text_of_cell,
)
from ..store.filters import Eq, all_of
from .check import NAME_KEY
from .duplicates import KEYS, NOT_MERGED, normalise_name
from .model import RecordType

#: A record type's kind as a message names it.
KINDS = {"customer": N_("customer"), "contact": N_("contact")}
#: The columns of an export that an import reads past.
CUSTOMER_EXPORT_ONLY = ("id", "team", "version", "created_at", "updated_at", "last_activity_at")
CONTACT_EXPORT_ONLY = ("id", "customer_name", "version", "created_at", "updated_at")


class ImportFailed(GoldsieveError):
    """The import cannot start at all (no acting user); row problems are reported, not raised."""


@dataclass
class ImportResult:
    #: records written — or, in a dry run, that would be written (0 when any row has a problem:
    #: an import is all-or-nothing)
    count: int = 0
    problems: list[str] = field(default_factory=list)
    #: the rows not written because they duplicate a customer (``FILE:LINE: key: …``)
    duplicates: list[str] = field(default_factory=list)


def acting_user(store, username: str | None) -> dict:
    """The user an import records as its author: ``username``, or the workspace's first admin;
    :class:`ImportFailed` when there is no such user."""
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


Column = tuple[str, Callable[[str], Any]]  # what the column feeds (a special column or a field), its reader


def _columns(header: list[str], kind: RecordType, special: dict[str, Callable[[str], Any]],
             skipped: tuple[str, ...], required: tuple[str, ...], problem: Problems) -> list[Column] | None:
    """What each column feeds, or ``None`` when the header itself has problems."""
    props = kind.fields.get("properties", {})
    names = TitleIndex((name, schema.get("title")) for name, schema in props.items())
    columns: list[Column] = []
    seen: dict[str, str] = {}
    ok = True
    for position, column in enumerate(cell.strip() for cell in header):
        named = folded(column)
        if not column:
            problem(1, _("column %(number)s", number=position + 1), _("has no name in the header"))
            ok = False
            continue
        declared = names.find(column)
        if named in special or named in skipped:
            target, read = named, special.get(named, text_of_cell)
        elif declared is not None:
            target, read = declared, by_label(props[declared], converter(props[declared]))
        else:
            known = ", ".join([*special, *sorted(props)])
            problem(1, column, _("not a column of a %(kind)s (the columns: %(columns)s)",
                                 kind=_(KINDS[kind.kind]), columns=known))
            ok = False
            continue
        if target in seen:
            problem(1, column, _("feeds the same field as column “%(column)s”", column=seen[target]))
            ok = False
        seen[target] = column
        columns.append((target, read))
    for name in required:
        if name not in seen:
            problem(1, name, _("the file needs a %(name)s column", name=name))
            ok = False
    return columns if ok else None


def _rows(path: Path, encoding: str, kind: RecordType, special: dict[str, Callable[[str], Any]],
          skipped: tuple[str, ...], required: tuple[str, ...], problem: Problems
          ) -> Iterator[tuple[int, dict[str, Any], dict[str, Any], set[str]]]:
    """``(line, values, data, failed)`` of every row: the special columns' values, the declared
    fields' data, and the fields whose cell could not be read (reported already)."""
    opened = open_rows(path, problem, encoding)
    if opened is None:
        return
    header, rows = opened[1:]
    columns = _columns(header, kind, special, skipped, required, problem)
    if columns is None:
        return
    for line, row in rows:
        too_long = overflow(row, len(columns))
        if too_long:
            problem(line, _("row"), too_long)
            continue
        data, failed = read_cells(columns, row, line, problem)
        values = {name: data.pop(name) for name in (*special, *skipped) if name in data}
        yield line, values, data, failed


def _report(problem: Problems, line: int, refused: ValidationFailed, failed: set[str],
            rename: dict[str, str] | None = None) -> None:
    for v in refused.violations:
        name = v.path.removeprefix("/data/").strip("/") or _("row")
        name = (rename or {}).get(name, name)
        if name.split("/")[0] not in failed:  # reported already, as unreadable
            problem(line, name, v.message)


def import_customers(runtime, path: Path, as_user: str | None = None, dry_run: bool = False,
                     encoding: str = "utf-8") -> ImportResult:
    """Check every row of a CSV file as a new customer; write them all (but the duplicates)
    unless a problem was found or it is a dry run.

    :param as_user: the user recorded as creator and, without an ``owner`` cell, owner; by
        default the first admin. An ``owner`` other than them needs the ``reassign`` permission.
    :raises LookupError: ``encoding`` names no encoding Python knows.
    """
    customers = runtime.customers
    user = acting_user(runtime.store, as_user)
    path = Path(path)
    problem = Problems(path)
    result = ImportResult(problems=problem.lines)
    prepared, seen = [], {}
    users: dict[str, dict | None] = {user["username"]: user}  # each owner looked up once
    special = {"name": text_of_cell, "owner": text_of_cell}
    with gc_paused():
        for line, values, data, failed in _rows(path, encoding, customers.types.customer, special,
                                                CUSTOMER_EXPORT_ONLY, ("name",), problem):
            owner = values.get("owner", user["username"])
            if owner not in users:
                users[owner] = find_user(runtime.store, owner)
            if users[owner] is None:
                problem(line, "owner", _("there is no user “%(name)s”", name=owner))
                continue
            if owner != user["username"] and not customers.may(user, "reassign"):
                problem(line, "owner", _("%(user)s may not give customers to other users", user=user["username"]))
                continue
            try:
                customer, keys = customers.prepare(user, values.get("name", ""), data, owner=owner, users=users)
            except Duplicate as duplicate:
                owned = (_("owner %(name)s", name=duplicate.owner) if duplicate.owner else _("in the pool"))
                result.duplicates.append(f"{path}:{line}: {duplicate.key}: " + _(
                    "duplicates customer %(id)s (%(owned)s); not imported", id=duplicate.existing_id, owned=owned))
                continue
            except Forbidden:
                problem(line, _("row"), _("%(user)s may not create customers", user=user["username"]))
                continue
            except ValidationFailed as refused:
                _report(problem, line, refused, failed)
                continue
            earlier = next((seen[k] for k in keys.values() if k in seen), None)
            if earlier is not None:
                result.duplicates.append(f"{path}:{line}: {earlier[1]}: " + _(
                    "duplicates line %(line)s of this file; not imported", line=earlier[0]))
                continue
            if not failed:
                seen.update({k: (line, name) for name, k in keys.items()})
                prepared.append((customer, keys))
        if problem or dry_run:
            result.count = 0 if problem else len(prepared)
            return result
        if prepared:
            customers.insert_new(user, prepared)
    result.count = len(prepared)
    return result


def find_customer(customers, user: dict, text: str) -> dict:
    """The customer a person names in a file or on the command line: by its id (digits) or its
    name (as the duplicate check compares names, else exactly as written), one the user may
    see; :class:`NotFound` otherwise, whether absent or hidden."""
    text = text.strip()
    customer_id = whole_number(text)
    if customer_id is None and text:
        key = normalise_name(text)
        held = customers.store.find(KEYS, Eq("key", f"{NAME_KEY}:{key}"), limit=1) if key else []
        named = held or customers.store.find("customers", all_of(Eq("name", text), NOT_MERGED), limit=1)
        customer_id = named[0]["customer_id" if held else "id"] if named else None
    missing = _("there is no customer “%(name)s” you can see", name=text[:80])
    if customer_id is None:
        raise NotFound(missing)
    try:
        return customers.get(user, customer_id)
    except NotFound:
        raise NotFound(missing) from None


def import_contacts(runtime, path: Path, as_user: str | None = None, dry_run: bool = False,
                    encoding: str = "utf-8") -> ImportResult:
    """Check every row of a CSV file as a new contact of the customer its ``customer`` cell
    names (an id or a name); write them all unless a problem was found or it is a dry run.

    :raises LookupError: ``encoding`` names no encoding Python knows.
    """
    customers, contacts = runtime.customers, runtime.contacts
    kind = customers.types.contact
    user = acting_user(runtime.store, as_user)
    path = Path(path)
    problem = Problems(path)
    result = ImportResult(problems=problem.lines)
    roles = TitleIndex((role["id"], role.get("title")) for role in kind.roles)

    def role_of(cell: str) -> str:
        role = roles.find(cell)
        if role is None:
            raise ValueError(_("“%(cell)s” is not a role; the roles are %(roles)s", cell=cell[:40],
                               roles=", ".join(kind.role_ids) or _("none")))
        return role

    special = {"customer": text_of_cell, "name": text_of_cell, "role": role_of, "primary": boolean}
    prepared = []
    named: dict[str, dict | GoldsieveError] = {}  # each customer a file names looked up once
    with gc_paused():
        for line, values, data, failed in _rows(path, encoding, kind, special, CONTACT_EXPORT_ONLY,
                                                ("customer", "name"), problem):
            cell = values.get("customer", "")
            if cell not in named:
                try:
                    named[cell] = find_customer(customers, user, cell)
                except NotFound as missing:
                    named[cell] = missing
            try:
                customer = named[cell]
                if isinstance(customer, GoldsieveError):
                    raise customer
                contact = contacts.prepare(user, customer, values.get("name", ""), values.get("role"),
                                           data, values.get("primary", False))
            except NotFound as refused:
                problem(line, "customer", str(refused))
                continue
            except Forbidden:
                problem(line, "customer", _("%(user)s may not change customer %(id)s",
                                            user=user["username"], id=customer["id"]))
                continue
            except ValidationFailed as refused:
                _report(problem, line, refused, failed, {"customer_id": "customer", "merged_into": "customer"})
                continue
            if not failed:
                prepared.append(contact)
        if problem or dry_run:
            result.count = 0 if problem else len(prepared)
            return result
        contacts.insert_new(user, prepared)
    result.count = len(prepared)
    return result

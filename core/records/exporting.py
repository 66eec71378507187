"""Exporting customers and contacts as CSV, JSON Lines or a JSON array (docs/import.md).

Exported for a user (``--as NAME``), only what that user may see is written: the customers'
visibility filter is in the store's query, a contact is written when its customer is, and a pool
customer's contacts lose their details for a role that may not see them (:meth:`Contacts.shown`),
as on the page. Without a user — the command line's operator, who holds the workspace's files
anyway — everything is. Merged customers, which only redirect to their survivor, are left out.

CSV: the envelope columns, then one column per declared field (the ``ui.order`` first) named by
its id, every cell through the spreadsheet rule every export shares
(:func:`goldsieve.spreadsheets.write_csv`), so that the file reads back with ``import``. A
contact's ``customer`` column holds its customer's id, ``customer_name`` the name.
"""
from __future__ import annotations

from typing import Any, Iterator, TextIO

from ..spreadsheets import field_order, write_documents
from ..store.filters import Eq, Everything, In, all_of
from .duplicates import NOT_MERGED

CUSTOMER_COLUMNS = ("id", "name", "owner", "team", "version", "created_at", "updated_at", "last_activity_at")
CONTACT_COLUMNS = ("id", "customer", "customer_name", "name", "role", "primary", "version", "created_at",
                   "updated_at")


def _write(out: TextIO, fmt: str, columns: tuple[str, ...], fields: list[str],
           rows: Iterator[dict[str, Any]]) -> int:
    header = list(columns) + [f"data.{n}" if n in columns else n for n in fields]
    return write_documents(out, fmt, rows, header,
                           lambda row: [row.get(c) for c in columns] + [row["data"].get(n) for n in fields])


def _customers(runtime, user: dict | None) -> Iterator[dict[str, Any]]:
    scope = runtime.customers.scope(user) if user is not None else Everything()
    return runtime.store.iterate("customers", all_of(scope, NOT_MERGED))


def export_customers(runtime, out: TextIO, fmt: str = "csv", user: dict | None = None) -> int:
    """Write the customers ``user`` may see (``None``: all) to ``out``; returns how many.

    :raises ValueError: ``fmt`` is not one of :data:`~goldsieve.spreadsheets.EXPORT_FORMATS`.
    """
    kind = runtime.customers.types.customer
    return _write(out, fmt, CUSTOMER_COLUMNS, field_order(kind.fields, kind.definition), _customers(runtime, user))


def export_contacts(runtime, out: TextIO, fmt: str = "csv", user: dict | None = None,
                    customer: dict | None = None) -> int:
    """Write the contacts of the customers ``user`` may see (``None``: all), or of one
    ``customer``, to ``out``, each as :meth:`Contacts.shown` to the user; returns how many.

    :raises ValueError: ``fmt`` is not one of :data:`~goldsieve.spreadsheets.EXPORT_FORMATS`.
    """
    contacts = runtime.contacts
    owners = {customer["id"]: customer} if customer is not None else {c["id"]: c for c in _customers(runtime, user)}
    where = Eq("customer_id", customer["id"]) if customer is not None else (
        Everything() if user is None else In("customer_id", tuple(owners)))

    def rows() -> Iterator[dict[str, Any]]:
        for contact in runtime.store.iterate("contacts", where):
            of = owners.get(contact["customer_id"])
            if of is None:  # a merged customer's: moved to the survivor, so none in practice
                continue
            shown = contacts.shown(user, of, contact) if user is not None else contact
            yield {**shown, "customer": of["id"], "customer_name": of["name"]} if fmt == "csv" else shown

    kind = runtime.customers.types.contact
    return _write(out, fmt, CONTACT_COLUMNS, field_order(kind.fields, kind.definition), rows())

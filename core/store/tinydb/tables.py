"""TinyDB tables whose writes cost O(1), for the embedded store's documents in memory."""
from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from tinydb import TinyDB
from tinydb.table import Table

from ..base import Doc


class _IntKeys(MutableMapping):
    """The raw table (str keys, as TinyDB stores them) seen with the int ids updaters expect."""

    def __init__(self, raw: dict[str, Any]):
        self.raw = raw

    def __getitem__(self, key: int) -> Any:
        return self.raw[str(key)]

    def __setitem__(self, key: int, value: Any) -> None:
        self.raw[str(key)] = value

    def __delitem__(self, key: int) -> None:
        del self.raw[str(key)]

    def __contains__(self, key: object) -> bool:
        return str(key) in self.raw

    def __iter__(self) -> Iterator[int]:
        return (int(key) for key in self.raw)

    def __len__(self) -> int:
        return len(self.raw)


class InPlaceTable(Table):
    """A TinyDB table whose writes cost O(1): the stock ``_update_table`` copies the whole table.

    Because the store hands out ids in increasing order and replaces documents in place, the
    raw dict's order is id order; :meth:`raw` relies on that.
    """

    def _update_table(self, updater: Callable[[MutableMapping], None]) -> None:
        tables = self._storage.read()
        if tables is None:
            tables = {}
            self._storage.write(tables)
        updater(_IntKeys(tables.setdefault(self.name, {})))
        self.clear_cache()

    def raw(self) -> dict[str, Doc]:
        """The live table: str id -> document. Read it, never change it."""
        return self._read_table()

    def put(self, doc_id: int, doc: Doc) -> None:
        """Replace a whole document (``Table.update`` would merge fields instead)."""
        self._update_table(lambda table: table.__setitem__(doc_id, doc))


class _TinyDB(TinyDB):
    table_class = InPlaceTable

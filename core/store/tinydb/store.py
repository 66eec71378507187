"""The embedded store: TinyDB in memory as document store and query engine, made durable by
the journal and snapshots of :mod:`goldsieve.store.tinydb.journal`.

Order of a commit: the transaction's final writes become one journal record, which is appended
and fsync'd; only then are they applied to TinyDB. So what readers can see is always durable,
and a crash loses at most the transaction that had not returned yet.

One process owns a data folder (an exclusive ``flock`` on its lock file). Inside it, one
``RLock`` serializes writers for the whole ``with store.transaction()`` block; readers outside
transactions take only a short lock held while a commit is applied, so they see each
transaction entirely or not at all and are never blocked by a slow transaction.

Queries on indexed fields (see :mod:`goldsieve.store.tinydb.query`) read candidate ids from
in-memory hash and ordered indexes instead of scanning the table. The indexes change only where
TinyDB does, in ``_apply``, under the same lock: an aborted transaction never reaches it, a
reopen reads them from the snapshot's image (:mod:`.image`) or rebuilds them from the data.

The ``events`` table is the exception to "in TinyDB": :mod:`.events` keeps it in a file of its
own, appended to in ``_apply`` (after the journal's fsync, like every other change), read on
demand under the same lock, and its indexes saved beside it at each compaction.
"""
from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Mapping
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Iterator

from tinydb.storages import MemoryStorage
from tinydb.table import Document

from .. import filters as F
from ..base import TABLES, Conflict, Doc, Store, StoreError, Transaction
from ..ordering import Key, Order
from . import lock
from ...spreadsheets import gc_paused
from .codec import encode, held, loads, shared
from .events import EventFile, Progress
from .image import IMAGE_TMP, read_image, write_image
from .indexes import DEFAULT_ORDERED, Index, OrderedIndex, build_indexes, build_ordered, index_spec
from .journal import JOURNAL, SNAPSHOT_TMP, Journal, fsync_dir, read_snapshot, scan, write_snapshot
from .query import plan, select
from .sorting import SortIndexes, ordered_page
from .tables import InPlaceTable, _TinyDB

log = logging.getLogger(__name__)

#: The journal is compacted into a snapshot once it exceeds this and the last snapshot's size.
COMPACT_BYTES = 16 * 1024 * 1024


# ---------------------------------------------------------------------------------------------
# The store


def _copy(doc: Doc) -> Doc:
    """A deep copy of a stored document (TinyDB may hand out its ``Document`` subclass).

    Stored data was decoded from JSON, so only its dicts and lists are mutable: copying just
    those is several times faster than a JSON round trip, which dominated ``find``.
    """
    return {key: _copy_json(item) if type(item) in _NESTED else item for key, item in doc.items()}


def _copy_json(value: Any) -> Any:
    if type(value) is dict:
        return {key: _copy_json(item) if type(item) in _NESTED else item for key, item in value.items()}
    return [_copy_json(item) if type(item) in _NESTED else item for item in value]


_NESTED = (dict, list)


class TinyTransaction(Transaction):
    """Staged writes of one transaction, keyed ``(table, id)`` -> JSON bytes or ``None`` (deleted)."""

    def __init__(self, store: "TinyStore"):
        self._store = store
        self._log: list[tuple[tuple[str, int], bytes | None]] = []  # for savepoints
        self.staged: dict[tuple[str, int], bytes | None] = {}
        self.open = True

    def _check(self, table: str) -> None:
        if not self.open:
            raise StoreError("this transaction has ended")
        self._store._table(table)

    def _stage(self, key: tuple[str, int], value: bytes | None) -> None:
        self._log.append((key, value))
        self.staged[key] = value

    def _exists(self, table: str, id: int) -> bool:
        if not isinstance(id, int) or isinstance(id, bool):
            return False
        if (table, id) in self.staged:
            return self.staged[(table, id)] is not None
        return str(id) in self._store._table(table).raw()

    def _version(self, table: str, id: int) -> Any:
        if (table, id) in self.staged:
            return loads(self.staged[(table, id)]).get("version")
        return self._store._table(table).raw()[str(id)].get("version")

    def get(self, table: str, id: int) -> Doc | None:
        self._check(table)
        if (table, id) in self.staged:
            text = self.staged[(table, id)]
            return None if text is None else loads(text)
        return self._store.get(table, id)

    def insert(self, table: str, doc: Doc) -> int:
        self._check(table)
        id = self._store._next_ids[table]
        text = encode({**doc, "id": id}) if isinstance(doc, dict) else encode(doc)
        self._store._next_ids[table] = id + 1
        doc["id"] = id
        self._stage((table, id), text)
        return id

    def replace(self, table: str, doc: Doc, *, expect_version: int | None = None) -> None:
        self._check(table)
        id = doc.get("id") if isinstance(doc, dict) else None
        if not isinstance(id, int) or not self._exists(table, id):
            raise KeyError(f"{table} {id!r} does not exist; replace needs a stored document's id")
        if expect_version is not None:
            actual = self._version(table, id)
            if actual != expect_version:
                raise Conflict(table, id, expect_version, actual)
        self._stage((table, id), encode(doc))

    def delete(self, table: str, id: int) -> None:
        self._check(table)
        if self._exists(table, id):
            self._stage((table, id), None)

    def savepoint(self) -> int:
        return len(self._log)

    def rollback_to(self, mark: int) -> None:
        del self._log[mark:]
        self.staged = {}
        for key, value in self._log:
            self.staged[key] = value


class TinyStore(Store):
    """The embedded store in one folder: ``lock``, ``snapshot``, ``journal``.

    :param compact_bytes: compact once the journal exceeds this and the last snapshot's size
        (amortized O(1) per write: a compaction costs about one snapshot, and at least a
        snapshot's worth of journal was written since the last one)
    :param compact_on_close: also compact on :meth:`close` (a faster next open)
    :param indexes: ``{table: (field path, ...)}`` to keep hash indexes on, in memory;
        ``None`` means :data:`~goldsieve.store.tinydb.indexes.DEFAULT_INDEXES`, ``{}`` none
    :param ordered: ``{table: (field path, ...)}`` to keep ordered indexes on (for ``Range``
        on text), in memory; ``None`` means :data:`~goldsieve.store.tinydb.indexes.DEFAULT_ORDERED`,
        ``{}`` none
    :param progress: told ``(phase, bytes done, bytes in all)`` while a large store opens
    """

    def __init__(
        self,
        folder: Path | str,
        *,
        url: str | None = None,
        compact_bytes: int = COMPACT_BYTES,
        compact_on_close: bool = False,
        indexes: Mapping[str, tuple[str, ...]] | None = None,
        ordered: Mapping[str, tuple[str, ...]] | None = None,
        progress: Callable[[str, int, int], None] | None = None,
    ):
        index_paths = index_spec(indexes, TABLES)
        ordered_paths = index_spec(ordered, TABLES, DEFAULT_ORDERED, "ordered")
        self.folder = Path(folder).absolute()
        self.url = url or f"tinydb:{self.folder}"
        self._compact_bytes = compact_bytes
        self._compact_on_close = compact_on_close
        self._writer = threading.RLock()
        self._state = threading.Lock()
        self._active: TinyTransaction | None = None
        self._broken: str | None = None
        self._bulk = 0  # open bulk() blocks: compaction waits for the last one to end
        self._closed = True
        self._lock_fd = -1
        self._db = _TinyDB(storage=MemoryStorage)
        self._tables: dict[str, InPlaceTable | EventFile] = {name: self._db.table(name) for name in TABLES}
        self._next_ids = {name: 1 for name in TABLES}
        self._seq = 0
        self._snapshot_size = 0
        self._indexes: dict[str, dict[str, Index]] = {}  # empty while loading: built after
        self._ordered: dict[str, dict[str, OrderedIndex]] = {}
        self._sorts = SortIndexes()  # built after loading too (:mod:`.sorting`)

        if not self.folder.is_dir():
            self.folder.mkdir(parents=True)
            fsync_dir(self.folder.parent)
        self._lock_fd = lock.acquire(self.folder)
        try:
            # The open builds millions of long-lived objects and no cycles: a collector pass
            # would find nothing each time (a fifth of the open at 100,000 deals).
            with gc_paused():
                self._load(index_paths, ordered_paths, progress)
                hashed = {name: paths for name, paths in index_paths.items() if name not in self._indexes}
                self._indexes.update(build_indexes(hashed, {name: self._tables[name].raw() for name in hashed}))
                ordered = {name: paths for name, paths in ordered_paths.items() if name not in self._ordered}
                self._ordered.update(build_ordered(ordered, {name: self._tables[name].raw() for name in ordered}))
                self._sorts.build(lambda name: self._tables[name].raw())
        except BaseException:
            if "_events" in vars(self):
                self._events.close()
            lock.release(self._lock_fd)
            raise
        self._closed = False
        self._compact_at = max(self._compact_bytes, self._snapshot_size)
        if self._journal.size > self._compact_at or self._reshape:
            self._compact_quietly()

    # -- opening ------------------------------------------------------------------------------

    def _load(self, hashed: dict[str, tuple[str, ...]], ordered: dict[str, tuple[str, ...]],
              progress: Callable[[str, int, int], None] | None) -> None:
        """Read the snapshot (its image, when there is one that fits: :mod:`.image`), the events
        file up to the length the snapshot gives it (its indexes before the journal's replay,
        which keeps them current, like those of the image) and the journal; ``progress(phase,
        done, total)`` is told how far the snapshot (``"snapshot"``) and a rebuild of the events'
        index (``"events"``) have got, in bytes. The indexes of ``hashed`` and ``ordered`` that
        the image does not hold are built by the caller."""

        def phase(name: str) -> Progress | None:
            return None if progress is None else lambda done, total: progress(name, done, total)

        for name in (SNAPSHOT_TMP, IMAGE_TMP):  # a compaction that died midway
            (self.folder / name).unlink(missing_ok=True)
        snapshot = read_snapshot(self.folder, phase("snapshot"))
        header = snapshot[0] if snapshot is not None else {}
        self._events = events = EventFile(self.folder, hashed.get("events", ()), ordered.get("events", ()))
        self._tables["events"] = events
        events.open(header.get("events_end", 0), phase("events"))
        self._indexes, self._ordered = {"events": events.indexes}, {"events": events.ordered}
        image = None if snapshot is None else read_image(self.folder, header.get("generation"), snapshot[2])
        if image is not None and not set(image.tables) <= set(TABLES) - {"events"}:
            image = None  # from another version of the tables: the snapshot says what it holds
        # A snapshot from before the events file holds the events, and one without an image
        # takes decoding: compact once it is read (a new snapshot and its image).
        self._reshape = snapshot is not None and image is None
        if snapshot is not None:
            header, rows, self._snapshot_size = snapshot
            loaded: dict[str, dict[str, Doc]] = {name: {} for name in TABLES}
            if image is not None:
                loaded.update(image.tables)
                for name in loaded.keys() - {"events"}:
                    restored = image.indexes(name, hashed.get(name, ()))
                    if restored is not None:
                        self._indexes[name] = restored
                    restored_order = image.ordered_indexes(name, ordered.get(name, ()))
                    if restored_order is not None:
                        self._ordered[name] = restored_order
            else:
                for table, id, doc in rows:
                    if table not in loaded:
                        raise StoreError(f"{self.folder}: snapshot holds unknown table {table!r}")
                    if table == "events":
                        self._apply(table, id, doc)
                    else:
                        loaded[table][str(id)] = shared(doc)
            for name, docs in loaded.items():
                if name != "events":
                    self._tables[name]._update_table(lambda raw, docs=docs: raw.raw.update(docs))
                last = events.ids[-1] if name == "events" and events.ids else max(map(int, docs), default=0)
                self._next_ids[name] = max(header.get("next_ids", {}).get(name, 1), last + 1)
            self._seq = header["seq"]

        path = self.folder / JOURNAL
        records, good_end, size = scan(path) if path.exists() else ([], 0, 0)
        self._journal = Journal(path)
        try:
            if good_end < size:
                log.warning("%s: dropped a torn last record (%d bytes)", path, size - good_end)
                self._journal.truncate(good_end)
            self._replay(records)
        except BaseException:
            self._journal.close()
            raise

    def _replay(self, records: list[dict]) -> None:
        snapshot_seq = self._seq
        stale = 0
        for record in records:
            seq, ops = record.get("seq"), record.get("ops")
            if not isinstance(seq, int) or not isinstance(ops, list):
                raise StoreError(f"{self._journal.path}: malformed record {record!r:.200}")
            if seq <= snapshot_seq and self._seq == snapshot_seq:
                # Already in the snapshot: the process died between replacing the snapshot and
                # resetting the journal.
                stale += 1
                continue
            if seq != self._seq + 1:
                raise StoreError(
                    f"{self._journal.path}: record {seq} follows {self._seq}; records are missing"
                )
            for op in ops:
                if not (isinstance(op, list) and len(op) == 3 and op[0] in self._tables):
                    raise StoreError(f"{self._journal.path}: record {seq} has a malformed op")
                table, id, doc = op
                self._apply(table, id, None if doc is None else held(table, doc))
            self._seq = seq
        if stale and stale == len(records):
            self._journal.truncate(0)

    # -- writing ------------------------------------------------------------------------------

    def _apply(self, table: str, id: int, doc: Doc | None) -> None:
        t = self._tables[table]
        old = t.raw().get(str(id))
        if doc is None:
            if old is not None:
                t.remove(doc_ids=[id])
        elif old is not None:
            t.put(id, doc)
        else:
            t.insert(Document(doc, doc_id=id))
        for index in self._indexes.get(table, {}).values():
            index.change(id, old, doc)
        for ordered in self._ordered.get(table, {}).values():
            ordered.change(id, old, doc)
        self._sorts.change(table, id, old, doc)
        if id >= self._next_ids[table]:
            self._next_ids[table] = id + 1

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self._writer:
            self._check_writable()
            if self._active is not None:
                # Nested in the same thread: join the outer transaction, undo only this part
                # when it fails.
                mark = self._active.savepoint()
                try:
                    yield self._active
                except BaseException:
                    self._active.rollback_to(mark)
                    raise
                return
            txn = self._active = TinyTransaction(self)
            try:
                yield txn
            finally:
                txn.open = False
                self._active = None
            self._commit(txn)

    def _commit(self, txn: TinyTransaction) -> None:
        if not txn.staged:
            return
        self._check_writable()
        seq = self._seq + 1
        ops = b",".join(
            b'["%s",%d,%s]' % (table.encode(), id, b"null" if text is None else text)
            for (table, id), text in txn.staged.items()
        )
        changes = [
            (table, id, None if text is None else held(table, loads(text)))
            for (table, id), text in txn.staged.items()
        ]
        try:
            self._journal.append(b'{"seq":%d,"ops":[%s]}' % (seq, ops))
        except OSError as error:
            # After a failed fsync the file's state is unknown: stop writing until reopened.
            self._broken = f"writing {self._journal.path} failed: {error}"
            outcome = (
                "the transaction is not applied, but may reappear on reopen"
                if self._journal.uncertain
                else "nothing was committed"
            )
            raise StoreError(f"{self._broken}; {outcome}") from error
        self._seq = seq
        with self._state:
            try:
                for change in changes:
                    self._apply(*change)
                self._events.flush()
            except OSError as error:
                self._broken = f"writing {self._events.path} failed: {error}"
                raise StoreError(f"{self._broken}; the transaction is in the journal") from error
        self._compact_if_due()

    def _compact_if_due(self) -> None:
        if not (self._bulk or self._closed or self._broken) and self._journal.size > self._compact_at:
            self._compact_quietly()

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Compaction waits for the end of the block, then runs once if due (not once each time
        the journal of a growing store outgrew the last snapshot: four at 100,000 demo deals)."""
        with self._writer:
            self._bulk += 1
        try:
            yield
        finally:
            with self._writer:
                self._bulk -= 1
                self._compact_if_due()

    def compact(self) -> None:
        """Write a snapshot of everything and start an empty journal."""
        with self._writer:
            self._check_writable()
            if self._active is not None:
                raise StoreError("cannot compact inside a transaction")
            generation = secrets.token_hex(8)
            meta = {"next_ids": dict(self._next_ids), "events_end": self._events.sync(), "generation": generation}
            self._snapshot_size = write_snapshot(self.folder, self._seq, meta, self._rows())
            self._reshape = False
            self._events.save_index()  # after the snapshot: it never covers more than one
            try:
                self._journal.truncate(0)
            except OSError as error:
                self._broken = f"resetting {self._journal.path} failed: {error}"
                raise
            tables = {name: table.raw() for name, table in self._tables.items() if name != "events"}
            try:
                write_image(self.folder, generation, self._snapshot_size, tables, self._indexes, self._ordered)
            except OSError as error:  # a cache: the next open decodes the snapshot instead
                log.warning("%s: could not write the snapshot's image: %s", self.folder, error)
            self._compact_at = max(self._compact_bytes, self._snapshot_size)

    def _compact_quietly(self) -> None:
        # The commit that triggered this is durable already; a failed compaction must not
        # make it look failed. Retry once the journal has doubled.
        try:
            self.compact()
        except OSError as error:
            log.warning("%s: compaction failed, will retry later: %s", self.folder, error)
            self._compact_at = 2 * self._journal.size

    def _rows(self) -> Iterator[tuple[str, int, bytes]]:
        for name, table in self._tables.items():
            if name == "events":
                continue  # in their own file, made durable before the snapshot
            for key, doc in table.raw().items():
                yield name, int(key), encode(doc)

    # -- reading ------------------------------------------------------------------------------

    def _table(self, name: str) -> InPlaceTable:
        if self._closed:
            raise StoreError(f"the store in {self.folder} is closed")
        try:
            return self._tables[name]
        except (KeyError, TypeError):
            raise KeyError(f"no table {name!r}; the tables are {', '.join(TABLES)}") from None

    def get(self, table: str, id: int) -> Doc | None:
        t = self._table(table)
        if not isinstance(id, int) or isinstance(id, bool):
            return None
        with self._state:
            doc = t.get(doc_id=id)
        return doc if doc is None or t is self._events else _copy(doc)  # events: decoded anew

    def find(
        self,
        table: str,
        where: F.Filter | None = None,
        *,
        after: int | None = None,
        limit: int | None = None,
        descending: bool = False,
    ) -> list[Doc]:
        t = self._table(table)
        if isinstance(where, F.Nothing) or (limit is not None and limit <= 0):
            return []
        with self._state:
            steps = plan(where, self._indexes.get(table), self._ordered.get(table))
            found = select(t.raw(), self._next_ids[table], where, steps, after, descending)
            found = list(found if limit is None else islice(found, limit))
        # Stored documents are never changed in place (a write swaps the whole dict), so
        # copying outside the lock is safe. Events are decoded from their file for each read:
        # they are the caller's already.
        return found if t is self._events else [_copy(doc) for doc in found]

    def find_ordered(self, table: str, where: F.Filter | None, order: Order, *,
                     after: Key | None = None, limit: int = 50) -> tuple[list[Doc], Key | None]:
        """Under the lock, by walking the sort index of ``order.field`` or sorting the matches
        (:func:`.sorting.ordered_page` chooses), copying only the page."""
        t = self._table(table)
        if isinstance(where, F.Nothing) or limit <= 0:
            return [], None
        with self._state:
            steps = plan(where, self._indexes.get(table), self._ordered.get(table))
            index = self._sorts.get(table, order.field, t.raw())
            page, cursor = ordered_page(t.raw(), self._next_ids[table], where, steps, order, after, limit, index)
        return [_copy(doc) for doc in page], cursor

    def count(self, table: str, where: F.Filter | None = None) -> int:
        t = self._table(table)
        if isinstance(where, F.Nothing):
            return 0
        with self._state:
            if where is None or isinstance(where, F.Everything):
                return len(t.raw())
            steps = plan(where, self._indexes.get(table), self._ordered.get(table))
            if steps is not None and steps.rest is None:
                return steps.count()  # the indexes answer it all: no document is read
            return sum(1 for _ in select(t.raw(), self._next_ids[table], where, steps))

    def explain(self, table: str, where: F.Filter | None = None) -> str:
        """How ``find`` and ``count`` answer ``where``: from which indexes, or by a scan."""
        self._table(table)
        with self._state:
            steps = plan(where, self._indexes.get(table), self._ordered.get(table))
            return "scan" if steps is None else steps.describe()

    # -- closing ------------------------------------------------------------------------------

    def _check_writable(self) -> None:
        if self._closed:
            raise StoreError(f"the store in {self.folder} is closed")
        if self._broken:
            raise StoreError(f"the store in {self.folder} stopped writing: {self._broken}; reopen it")

    def close(self) -> None:
        with self._writer:
            if self._closed:
                return
            try:
                if self._compact_on_close and self._journal.size and not self._broken:
                    self._compact_quietly()
            finally:
                self._closed = True
                self._journal.close()
                self._events.close()
                lock.release(self._lock_fd)
                self._lock_fd = -1

    def __repr__(self) -> str:
        return f"TinyStore({str(self.folder)!r})"


# ---------------------------------------------------------------------------------------------
# One owning process
